"""Population runs file to file (issue 19): CSV to CSV and explained JSON lines, each beside its floors.

Input: ``matcher synth --cases N`` (``modelling.population.write_population``, seed 19), every case synthetic.
Each run is a fresh process of ``matcher recommend FILE.csv --format csv|jsonl`` (what a person runs: the
``matcher`` script's one call of ``matcher.cli.main``), timed by wall clock and CPU time, with its peak memory
(the child's own high-water mark, ``benchmarks.peak``; ``ru_maxrss`` of a child counts this process's peak as
well, and said 1.6 GB for a run that peaked at a fraction of it), and beside it ``matcher --help``
(starting Python and importing the command line: a floor every command pays). In quick mode the runs are calls of
``run_population`` in this process (no start-up, no peak memory), to keep the smoke run short.
Floors, in the same run: reading the same file
with pyarrow's CSV reader (every cell as text, one thread: what the run reads with) and writing a table of the
output's size with pyarrow's CSV writer. Explained JSON lines run on a smaller file (every case is explained);
their floors: the same command on the file's first case alone (start-up: imports, rule base, model, the compiled
loop's cache, pyarrow's first conversion) and writing the output's bytes again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pyarrow as pa
import pyarrow.csv as pa_csv

from matcher.modelling.population import write_population
from matcher.rulebase.loading import load_rule_base

SEED = 19
SIZES = {"csv": 1_000_000, "jsonl_explain": 20_000}
QUICK = {"csv": 20_000, "jsonl_explain": 1_000}
ROOT = Path(__file__).resolve().parents[1]


def _run(argv: list[str], quick: bool) -> tuple[float, float | None, float]:
    """(wall seconds, peak MB or None, CPU seconds) of ``matcher recommend`` with ``argv`` (after the command)."""
    if not quick:
        return _child(["recommend", *argv])
    from matcher.cli import main

    start, cpu = time.perf_counter(), time.process_time()
    if main(["recommend", *argv]) != 0:
        raise RuntimeError(f"matcher recommend {' '.join(argv)} failed")
    return time.perf_counter() - start, None, time.process_time() - cpu


def _child(argv: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak MB, CPU seconds) of one command in a fresh process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "benchmarks.peak", *argv], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    peak_kb, cpu = done.stderr.rsplit("PEAK ", 1)[1].split()
    return seconds, int(peak_kb) / 1024, float(cpu)


def _floors(source: Path, out: Path) -> dict[str, float]:
    start = time.perf_counter()
    with source.open(encoding="utf-8") as lines:
        header = lines.readline().strip().split(",")
    table = pa_csv.read_csv(source, read_options=pa_csv.ReadOptions(use_threads=False),
                            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(header, pa.string())))
    read = time.perf_counter() - start
    written = pa_csv.read_csv(out)
    start = time.perf_counter()
    pa_csv.write_csv(written, out.with_suffix(".floor.csv"))
    return {"floor_read_seconds": round(read, 2), "floor_write_seconds": round(time.perf_counter() - start, 2),
            "rows_read": table.num_rows}


def _write_floor(path: Path, to: Path) -> float:
    """Seconds to write ``path``'s bytes again to a new file in blocks of 6 MB (what the run writes at a time)."""
    data = memoryview(path.read_bytes())
    start = time.perf_counter()
    with to.open("wb") as sink:
        for at in range(0, len(data), 6_000_000):
            sink.write(data[at: at + 6_000_000])
    seconds = time.perf_counter() - start
    to.unlink()
    return round(seconds, 2)


def run(quick: bool) -> dict[str, Any]:
    rules = load_rule_base()
    sizes = QUICK if quick else SIZES
    out: dict[str, Any] = {"seed": SEED, "synthetic": True, "threads": os.environ["OMP_NUM_THREADS"],
                           "pyarrow": pa.__version__, "mode": "in process" if quick else "fresh process per run",
                           "peak_note": "VmHWM of the child process at its end (fresh processes only)"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "population.csv"
        n = sizes["csv"]
        start = time.perf_counter()
        write_population(rules, n, SEED, source)
        out["synth_seconds"] = round(time.perf_counter() - start, 2)
        out["input_mb"] = round(source.stat().st_size / 1e6, 1)
        results = folder / "results.csv"
        if not quick:
            start_wall, start_peak, start_cpu = _child(["--help"])
            out["start"] = {"seconds": round(start_wall, 2), "cpu_seconds": round(start_cpu, 2),
                            "peak_mb": round(start_peak)}
        seconds, peak, cpu = _run([str(source), "--format", "csv", "--out", str(results), "--lang", "en"], quick)
        out["csv_to_csv"] = {"cases": n, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                             "cases_per_s": round(n / seconds), "peak_mb": peak and round(peak),
                             "output_mb": round(results.stat().st_size / 1e6, 1),
                             "target": "< 15 s and < 1 GB at 10^6", **_floors(source, results)}
        small = folder / "small.csv"
        m = sizes["jsonl_explain"]
        write_population(rules, m, SEED, small)
        explained = folder / "explained.jsonl"
        seconds, peak, cpu = _run([str(small), "--format", "jsonl", "--explain", "--out", str(explained),
                                   "--lang", "en"], quick)
        one = folder / "one.csv"
        with small.open(encoding="utf-8") as lines:
            one.write_text(lines.readline() + lines.readline(), encoding="utf-8")  # the header and the first case
        started, _, _ = _run([str(one), "--format", "jsonl", "--explain", "--out", str(folder / "one.jsonl"),
                              "--lang", "en"], quick)
        out["jsonl_explain"] = {"cases": m, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                                "cases_per_s": round(m / seconds),
                                "peak_mb": peak and round(peak), "output_mb": round(explained.stat().st_size / 1e6, 1),
                                "target": ">= 5,000 cases/s, bounded memory",
                                "floor_one_case_seconds": round(started, 2),
                                "cases_per_s_after_one_case": round(m / max(seconds - started, 1e-9)),
                                "floor_write_seconds": _write_floor(explained, folder / "again.jsonl")}
    return out


if __name__ == "__main__":
    print(run(quick=False))
