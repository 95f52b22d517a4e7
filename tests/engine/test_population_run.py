"""Population runs (matcher recommend FILE.csv --format csv|jsonl): output, bad rows, exit codes, chunks."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
from pathlib import Path

import pytest

from matcher.cli import main
from matcher.engine import case_columns, write_behind
from matcher.engine.case_files import read_cases
from matcher.engine.explain import explain
from matcher.engine.matching import match
from matcher.engine.population_run import run_population
from matcher.errors import InputError
from matcher.modelling.population import write_population

GOLDEN = Path(__file__).parent / "golden" / "population.csv"
SMALL = ("case_id;age;placement;caregiver;peer_delinquency;antisocial_attitudes;suicidality;consent_youth;savry.H1\n"
         "P-1;15;home;takes_part;2;2;nej;ja;high\n"
         "P-2;9;family_home;does_not_take_part;0;;ja;nej;\n"
         "=P-3;17;hvb;none;1;2;;;moderate\n")
BAD = ("case_id,age,placement,caregiver,peer_delinquency\n"
       "A,15,home,takes_part,2\n"
       "B,3,home,takes_part,0\n"
       "\n"
       "C,15,home\n"
       "D,15,hvb,none,7\n"
       "E,16,home,takes_part,1\n")


def _rows(path: Path, separator: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=separator))


def test_a_small_file_gives_the_golden_csv_in_swedish_excel_form(tmp_path: Path, capsys) -> None:
    source, out = tmp_path / "cases.csv", tmp_path / "results.csv"
    source.write_text(SMALL, encoding="utf-8")
    assert main(["recommend", str(source), "--format", "csv", "--out", str(out)]) == 0
    assert capsys.readouterr().err == (f"matcher: {source} (read as UTF-8, separated by semicolons): 3 cases written "
                                       f"to {out}\n")
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_bytes(out.read_bytes())
    assert out.read_bytes() == GOLDEN.read_bytes()
    assert out.read_bytes().startswith(b"\xef\xbb\xbf\"case_id\";")  # byte-order mark, semicolons: Swedish Excel
    assert _rows(out, ";")[2]["case_id"] == "'=P-3"  # a formula is shown, never run
    stamp = json.loads((tmp_path / "results.csv.version.json").read_text(encoding="utf-8"))
    assert (stamp["source"], stamp["cases"], stamp["rows_with_problems"], stamp["top_k"]) == ("cases.csv", 3, 0, 5)
    assert stamp["version"]["model"] == "baseline-scorecard-1"


def test_every_case_agrees_with_its_explanation(rules, model, tmp_path: Path) -> None:
    source, out = tmp_path / "population.csv", tmp_path / "results.csv"
    write_population(rules, 400, seed=3, out=source)
    summary = run_population(source, out, rules, model, lang="en", report=pytest.fail)
    assert (summary.cases, summary.rows_with_problems) == (400, 0)
    result = match(read_cases(source, rules), rules, model)
    for n, row in enumerate(_rows(out)):
        res = explain(result, n, "en")
        assert row["case_id"] == res["case_id"] and row["synthetic"] == "true"
        assert (row["risk_level"], float(row["risk_score"])) == (res["risk"]["level"], res["risk"]["score"])
        assert [row[f"insats_{r}"] for r in range(1, 6) if row[f"insats_{r}"]] == [
            r["id"] for r in res["recommendations"]]
        assert [round(float(row[f"score_{r['rank']}"]), 1) for r in res["recommendations"]] == pytest.approx(
            [round(r["score"], 1) for r in res["recommendations"]], abs=0.11)
        assert row["act_first"].split() == [a["id"] for a in res["act_first"]]
        assert row["warnings"].split() == [w["code"] for w in res["warnings"]]


def test_chunks_are_bounded_and_change_nothing(rules, model, tmp_path: Path, monkeypatch) -> None:
    source = tmp_path / "population.csv"
    write_population(rules, 50, seed=4, out=source)
    run_population(source, tmp_path / "whole.csv", rules, model, report=pytest.fail)
    seen = []
    encode = case_columns.encode_rows

    def spy(batch, *args):
        seen.append(batch.num_rows)
        return encode(batch, *args)

    monkeypatch.setattr("matcher.engine.population_run.encode_rows", spy)
    run_population(source, tmp_path / "chunked.csv", rules, model, chunk=7, report=pytest.fail)
    assert max(seen) == 7 and sum(seen) == 50
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    seen.clear()  # explained, a smaller chunk by default: its full matrices are held while it is written
    monkeypatch.setattr("matcher.engine.population_run.EXPLAINED_CHUNK", 16)
    run_population(source, tmp_path / "explained.jsonl", rules, model, fmt="jsonl", explain=True, report=pytest.fail)
    assert seen == [16, 16, 16, 2]


def test_bad_rows_are_reported_with_their_line_and_the_run_goes_on(tmp_path: Path, capsys) -> None:
    source, out = tmp_path / "cases.csv", tmp_path / "results.csv"
    source.write_text(BAD, encoding="utf-8")
    assert main(["recommend", str(source), "--format", "csv", "--out", str(out), "--lang", "en"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{source}:3: context.age: Input should be greater than or equal to 6; found 3",
        f"{source}:5: 3 cells; the header has 5 columns (a separator too many or too few, or a quote left open?)",
        f"{source}:6: factors.peer_delinquency: Input should be 0, 1 or 2 (0 = low, 1 = moderate, 2 = high); found 7",
        f"matcher: {source}: 2 cases written to {out}; 3 rows with problems (above) were left out. Correct them and "
        f"run again, or give --strict to stop at the first"]
    assert [row["case_id"] for row in _rows(out)] == ["A", "E"]
    assert json.loads((tmp_path / "results.csv.version.json").read_text())["rows_with_problems"] == 3


def test_one_case_and_one_bad_row_are_counted_in_the_singular(tmp_path: Path, capsys) -> None:
    source, out = tmp_path / "cases.csv", tmp_path / "results.csv"
    source.write_text("".join(BAD.splitlines(keepends=True)[:3]), encoding="utf-8")
    assert main(["recommend", str(source), "--format", "csv", "--out", str(out), "--lang", "en"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"matcher: {source}: 1 case written to {out}; 1 row with problems (above) was left out. Correct it and run "
        f"again, or give --strict to stop at the first")


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_byte_that_is_not_utf8_far_down_reads_the_file_as_windows_1252(tmp_path: Path, capsys) -> None:
    """As a file read whole is decided (``textfiles.decode``): pyarrow, given UTF-8, could not report a row with
    the wrong number of cells that holds such a byte (it stopped the run in its own words)."""
    source, out = tmp_path / "cases.csv", tmp_path / "results.csv"
    rows = "".join(f"A-{n},15,home,takes_part,1\n" for n in range(3000))  # beyond the first 64 kB read to detect
    source.write_bytes(f"case_id,age,placement,caregiver,peer_delinquency\n{rows}".encode() + b"B,15,h\xf6me\n"
                       + b"C,16,home,takes_part,0\n")
    assert main(["recommend", str(source), "--format", "csv", "--out", str(out), "--lang", "en"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{source}:3002: 3 cells; the header has 5 columns (a separator too many or too few, or a quote left open?)",
        f"matcher: {source} (read as Windows-1252, separated by commas): 3,001 cases written to {out}; 1 row with "
        f"problems (above) was left out. Correct it and run again, or give --strict to stop at the first"]


def test_strict_stops_at_the_first_problem_and_writes_nothing(tmp_path: Path, capsys) -> None:
    source, out = tmp_path / "cases.csv", tmp_path / "results.csv"
    source.write_text(BAD, encoding="utf-8")
    assert main(["recommend", str(source), "--format", "jsonl", "--out", str(out), "--strict"]) == 2
    assert capsys.readouterr().err == (f"matcher: {source}:3: context.age: Input should be greater than or equal to 6; "
                                       f"found 3\n--strict: stopped at the first problem; nothing was written\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.csv"]


def test_explained_json_lines_are_the_json_format_line_by_line(tmp_path: Path, capsys) -> None:
    source, out = tmp_path / "cases.csv", tmp_path / "results.jsonl"
    source.write_text(SMALL, encoding="utf-8")
    assert main(["recommend", str(source), "--format", "json", "--lang", "en"]) == 0
    whole = capsys.readouterr().out.splitlines()
    assert main(["recommend", str(source), "--format", "jsonl", "--explain", "--chunk", "2", "--out", str(out),
                 "--lang", "en"]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == [json.dumps(json.loads(line), ensure_ascii=False)
                                                            for line in whole]


@pytest.mark.parametrize("explained", [False, True], ids=["jsonl", "explained"])
def test_a_write_that_fails_at_the_end_leaves_the_earlier_output_and_no_new_stamp(rules, model, tmp_path: Path,
                                                                                   monkeypatch, explained) -> None:
    """The disk fills while the last block is written (on the writing thread): the run fails before the version
    stamp is written, and the output of the run before stays as it was."""
    source, out = tmp_path / "cases.csv", tmp_path / "results.jsonl"
    source.write_text(SMALL, encoding="utf-8")
    out.write_text("the earlier run\n", encoding="utf-8")

    def full(fd: int, parts: list[bytes]) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(write_behind, "_write_parts", full)
    with pytest.raises(OSError, match="No space left on device"):
        run_population(source, out, rules, model, fmt="jsonl", explain=explained)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.csv", "results.jsonl"]
    assert out.read_text(encoding="utf-8") == "the earlier run\n"


@pytest.mark.parametrize(("argv", "message"), [
    (["--format", "csv", "--explain"], "--explain goes with --format jsonl: a CSV row holds no explanation"),
    (["--format", "json", "--strict"], "--strict: only for a population run (--format csv or jsonl); --format json "
                                       "prints every case of a small file"),
    (["--format", "csv", "--chunk", "0"], "--chunk: expected a number of cases of at least 1; found 0"),
])
def test_options_that_do_not_fit_exit_2_with_a_reason(tmp_path: Path, capsys, argv, message) -> None:
    source = tmp_path / "cases.csv"
    source.write_text(SMALL, encoding="utf-8")
    assert main(["recommend", str(source), *argv]) == 2
    assert capsys.readouterr().err == f"matcher: {message}\n"


def test_a_header_problem_stops_the_run_before_anything_is_written(rules, model, tmp_path: Path) -> None:
    source = tmp_path / "cases.csv"
    source.write_text("case_id,age,placement,caregiver,peer_delinquncy\nX,15,home,takes_part,2\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        run_population(source, tmp_path / "out.csv", rules, model)
    assert str(caught.value) == f"{source}: unknown column 'peer_delinquncy'; did you mean 'peer_delinquency'?"
    assert not (tmp_path / "out.csv").exists()


def test_synth_cases_writes_a_population_the_engine_reads(tmp_path: Path, capsys, rules) -> None:
    out = tmp_path / "population.csv"
    assert main(["synth", "--cases", "30", "--seed", "2", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: 30 synthetic cases (seed 2) in the case format\n"
    batch = read_cases(out, rules)
    assert len(batch) == 30 and batch.synthetic.all() and batch.ids[0] == "SYN-2-0"
    assert main(["synth", "--cases", "3", "--out", str(tmp_path / "population.parquet")]) == 2
    assert "--cases: writes a .csv case file" in capsys.readouterr().err


def test_explaining_from_the_kept_pairs_gives_the_same_explanations(rules, model) -> None:
    """An explained run keeps every pair of its chunk; a batch without them explains each case matched alone."""
    from matcher.engine.matching import match_matrix
    from matcher.modelling.population import synthetic_batch

    values = synthetic_batch(rules, 300, seed=8).values
    alone, batch = match_matrix(values, rules, model), match_matrix(values, rules, model, keep_pairs=True)
    assert alone.pairs is None and batch.pairs is not None
    assert all(explain(alone, n, "sv") == explain(batch, n, "sv") for n in range(300))


def test_an_output_folder_that_does_not_exist_is_named(tmp_path: Path, capsys) -> None:
    source, out = tmp_path / "cases.csv", tmp_path / "missing" / "results.csv"
    source.write_text(SMALL, encoding="utf-8")
    assert main(["recommend", str(source), "--format", "csv", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (f"matcher: --out {out}: the folder {out.parent} does not exist; create it or "
                                       f"choose another\n")
