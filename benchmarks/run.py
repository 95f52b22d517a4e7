"""Run every benchmark module (benchmarks/bench_*.py) and record what it measured.

Each module has ``run(quick: bool) -> dict``; the results go to benchmarks/results.json (one key per
module) and a readable benchmarks/results.md. ``make bench`` runs this at full size; the test suite
runs it with ``--quick`` into a temporary folder. Timings are only ever reported here, never asserted.

    .venv/bin/python benchmarks/run.py [--quick] [--only matching] [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))  # benchmarks.* as a package when run as a script


def modules() -> list[str]:
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def run_all(quick: bool, only: Sequence[str] = (), out: Path = HERE) -> dict[str, Any]:
    """Run the selected modules (all by default), write results.json and results.md into ``out``; a run of some
    modules (``only``) updates their results and keeps the rest, with the partial run's date and load noted."""
    results: dict[str, Any] = {"_meta": {
        "date": dt.datetime.now().isoformat(timespec="seconds"), "quick": quick, "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {_cpu()}", "threads": os.environ["OMP_NUM_THREADS"],
        "versions": _versions(), "load_average_at_start": _load(),
        "shared": "the machine is shared with other sessions; see load_average_* and benchmarks/README.md"}}
    for name in modules():
        if only and name.removeprefix("bench_") not in only:
            continue
        start = time.perf_counter()
        results[name] = importlib.import_module(f"benchmarks.{name}").run(quick)
        results["_meta"][f"{name}_seconds"] = round(time.perf_counter() - start, 1)
        print(f"{name}: done in {results['_meta'][f'{name}_seconds']} s", file=sys.stderr)
    results["_meta"]["load_average_at_end"] = _load()
    earlier = out / "results.json"
    if only and earlier.is_file():  # a partial run replaces its modules' results and keeps the others'
        kept = json.loads(earlier.read_text(encoding="utf-8"))
        meta = {**_notes_without(kept.get("_meta", {}), only),
                **{k: v for k, v in results["_meta"].items() if k.endswith("_seconds")},
                f"{'+'.join(only)}_run": {k: v for k, v in results["_meta"].items() if not k.endswith("_seconds")}}
        results = {**kept, **{k: v for k, v in results.items() if k != "_meta"}, "_meta": meta}
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "results.md").write_text(markdown(results), encoding="utf-8")
    return results


def _notes_without(meta: dict[str, Any], only: Sequence[str]) -> dict[str, Any]:
    """``meta`` with each earlier partial run's note naming only the modules that ``only`` did not run again: a
    note whose modules were all run again describes no figure any more and is dropped."""
    out = {}
    for key, value in meta.items():
        if key.endswith("_run"):
            remaining = [name for name in key.removesuffix("_run").split("+") if name not in only]
            if remaining:
                out[f"{'+'.join(remaining)}_run"] = value
        else:
            out[key] = value
    return out


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("numpy", "numba", "pyarrow", "pandas", "scikit-learn", "streamlit", "zen-engine"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return platform.processor() or "unknown processor"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown processor")


def markdown(results: dict[str, Any]) -> str:
    meta = results["_meta"]
    lines = ["# Benchmark results", "",
             f"Run {meta['date']} on {meta['machine']} (Python {meta['python']}, {meta['threads']} BLAS thread)"
             f"{', quick sizes' if meta['quick'] else ''}. Written by `benchmarks/run.py`; how each number is "
             f"measured: benchmarks/README.md.", "",
             f"Versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}. Load average (1, 5, 15 min) "
             f"at the start {meta['load_average_at_start']}, at the end {meta['load_average_at_end']}: "
             f"{meta['shared']}.", ""]
    for key, rerun in meta.items():
        if key.endswith("_run"):
            sizes = ", quick sizes" if rerun["quick"] else ""
            # the host a session gets can change between runs: its figures are then not comparable as they stand
            machine = f" on another machine, {rerun['machine']}" if rerun["machine"] != meta["machine"] else ""
            lines += [f"Re-run alone: {key.removesuffix('_run')}, {rerun['date']}{sizes}{machine}, load average at "
                      f"the start {rerun['load_average_at_start']}, at the end {rerun['load_average_at_end']}.", ""]
    for name, figures in results.items():
        if name == "_meta":
            continue
        lines += [f"## {name.removeprefix('bench_')}", "", "| measure | value |", "|---|---|"]
        lines += [f"| {key} | {_cell(value)} |" for key, value in _flat(figures)]
        lines.append("")
    return "\n".join(lines)


def _flat(figures: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(figures, dict):
        return [item for key, value in figures.items() for item in _flat(value, f"{prefix}{key}" if not prefix
                                                                          else f"{prefix}.{key}")]
    return [(prefix, figures)]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (what the test suite runs)")
    names = [m.removeprefix("bench_") for m in modules()]
    parser.add_argument("--only", nargs="*", default=[], metavar="NAME", help=f"some of: {', '.join(names)}")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.json and results.md")
    args = parser.parse_args(argv)
    unknown = [name for name in args.only if name not in names]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; expected some of {', '.join(names)}")
    run_all(args.quick, args.only, args.out)
    print(f"wrote {args.out / 'results.json'} and {args.out / 'results.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
