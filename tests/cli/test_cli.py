"""The command line contract: output shapes, exit codes, no tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matcher.cli import main
from tests.conftest import EXAMPLES, ROOT


def test_recommend_json_for_one_case(capsys) -> None:
    assert main(["recommend", str(EXAMPLES / "02-high-risk-15-engaged-family.json"), "--format", "json",
                 "--top", "3", "--lang", "en"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert [r["rank"] for r in res["recommendations"]] == [1, 2, 3]
    assert res["risk"]["level"] == "high"


def test_recommend_many_cases_gives_one_json_line_each(tmp_path: Path, capsys) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("case_id,age,placement,caregiver,peer_delinquency\nA,15,home,takes_part,2\nB,9,home,does_not_take_part,0\n")
    assert main(["recommend", str(path), "--format", "json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["case_id"] for line in lines] == ["A", "B"]


def test_recommend_text_is_swedish_by_default(capsys) -> None:
    assert main(["recommend", str(EXAMPLES / "01-low-risk-13.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Ärende EX-01 (syntetiskt exempel)\nRisknivå: låg")


def test_recommend_with_a_catalogue_says_what_the_unit_offers_without_changing_the_ranking(capsys) -> None:
    case, catalogue = str(EXAMPLES / "02-high-risk-15-engaged-family.json"), str(EXAMPLES / "catalogue-DEMO.yaml")
    assert main(["recommend", case, "--format", "json", "--top", "3"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["recommend", case, "--format", "json", "--top", "3", "--catalogue", catalogue]) == 0
    res = json.loads(capsys.readouterr().out)
    available = res.pop("availability")
    assert res == plain
    assert (available["unit"], available["catalogue_version"]) == ("DEMO", None)
    assert {iid: entry["status"] for iid, entry in available["items"].items()} == {
        "mst": "not_offered", "mdft": "waiting", "fft": "offered"}
    assert available["items"]["mst"]["alternative"]["id"] == "mdft"
    assert main(["recommend", case, "--top", "1", "--catalogue", catalogue, "--lang", "en"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert "Availability from a catalogue file for DEMO (not a saved version). It does not change the ranking." in text
    assert ("   [not offered locally] Multisystemic Therapy (MST) is not offered in DEMO. Inget licensierat MST-team "
            "i kommunen (syntetiskt exempel).") in text
    assert any(line.startswith("   > Nearest alternative offered locally: Multidimensional Family Therapy (MDFT).")
               for line in text)


def test_recommend_with_a_bad_catalogue_exits_2_naming_the_place(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "catalogue.yaml"
    bad.write_text("unit: NORR\noffers:\n  - insats: msst\n    offered: false\n", encoding="utf-8")
    assert main(["recommend", str(EXAMPLES / "01-low-risk-13.json"), "--catalogue", str(bad)]) == 2
    assert capsys.readouterr().err == (f"matcher: 1 problem in the local catalogue {bad}:\n{bad}:3: offers[0].insats: "
                                       f"unknown insats 'msst' (the ids are the file names in rules/interventions/); "
                                       f"did you mean 'mst'?\n")


def test_user_error_exits_2_with_a_message_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{"context": {"age": 15, "placement": "home", "caregiver": "takes_part"}, '
                    '"factors": {"impulsivity": 5}}')
    run = subprocess.run([sys.executable, "-m", "matcher.cli", "recommend", str(path)], capture_output=True,
                         text=True, cwd=ROOT)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (f"matcher: {path}:1: factors.impulsivity: Input should be 0, 1 or 2 "
                          f"(0 = low, 1 = moderate, 2 = high); found 5\n")


def test_rules_check_ok_and_broken(edited_rules, capsys) -> None:
    assert main(["rules", "check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("rules/interventions/bup-referral.yaml:38: evidence: warning: no confirmed or partly "
                      "confirmed evidence source; every entry is unconfirmed or an inference")
    assert ": OK - 38 factors, 22 context facts, 2 instruments, 40 interventions (5 do not offer); 5 warnings; " \
           "content sha256:" in out[-1]
    root = edited_rules("interventions/mst.yaml", "intensity: high", "intensity: extreme")
    assert main(["rules", "check", str(root)]) == 1
    assert capsys.readouterr().out == (
        "rules/interventions/mst.yaml:12: intensity: Input should be 'low', 'moderate', 'high' or 'very_high'; "
        f"found 'extreme'\n1 problem in {root}\n")


def test_show_warns_about_a_do_not_offer_practice(capsys) -> None:
    assert main(["show", "scared-straight", "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("WARNING – must not be offered: Socialstyrelsen advises against")


def test_bad_top_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["recommend", "x.json", "--top", "0"])
    assert caught.value.code == 2
    assert "argument --top: expected a whole number of at least 1, found '0'" in capsys.readouterr().err


def test_schema_command_writes_the_case_schema(tmp_path: Path) -> None:
    out = tmp_path / "case.schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["title"] == "Insatsmatch case"


def test_the_documented_schema_is_the_generated_one(rules) -> None:
    from matcher import case_json_schema

    documented = json.loads((ROOT / "docs" / "case.schema.json").read_text(encoding="utf-8"))
    assert documented == case_json_schema(rules), "run: matcher schema --out docs/case.schema.json"


def test_show_takes_an_id_in_any_case_and_suggests_a_close_one(capsys) -> None:
    assert main(["show", "MST"]) == 0
    assert capsys.readouterr().out.startswith("Multisystemisk terapi (MST) (mst)\n")
    assert main(["show", "msst"]) == 2
    assert capsys.readouterr().err == ("matcher: unknown intervention 'msst'; did you mean 'mst'? (the ids are the "
                                       "file names in rules/interventions/)\n")


def test_diff_against_a_revision_in_an_older_rule_format_names_it_and_what_is_missing(capsys) -> None:
    """04cc796~1 is the rule base before policy.yaml had welfare_need_points."""
    assert main(["rules", "diff", "04cc796~1", str(ROOT / "rules"), "--synthetic", "10"]) == 2
    assert capsys.readouterr().err == (
        "matcher: the rule base of '04cc796~1' cannot be compared: it does not load with this version of Insatsmatch "
        "(an older rule format, or a broken rule base). What is missing or wrong, 1 problem:\n"
        "rules/policy.yaml:7: missing required key 'welfare_need_points'\n")


HEAVY = ("sqlalchemy", "matplotlib", "sklearn", "scipy.stats", "streamlit")


def _imported_after(*argv: str) -> set[str]:
    """Which of the heavy modules (and numba, the engine's) a fresh process has imported after ``matcher argv``
    (--help ends it by SystemExit)."""
    code = (f"import sys\nfrom matcher.cli import main\ntry:\n    main({list(argv)!r})\nexcept SystemExit:\n    pass\n"
            f"print('imported:', *(m for m in {(*HEAVY, 'numba')!r} if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(run.stdout.splitlines()[-1].split()[1:])


def test_help_imports_no_command_and_recommend_none_of_the_store_plotting_or_training() -> None:
    assert _imported_after("--help") == set()
    assert _imported_after("recommend", "--help") == {"numba"}  # its own group: the engine
    assert _imported_after("recommend", str(EXAMPLES / "01-low-risk-13.json")) == {"numba"}
    assert "sqlalchemy" in _imported_after("users", "list", "--help")  # the store's commands load it


def test_every_command_lists_its_help_and_parses_its_own_arguments(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    for command in ("recommend", "rules", "users", "report", "synth", "models"):
        assert f"    {command}" in listed
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "--as ACTING_USER" in capsys.readouterr().out


def test_a_database_that_does_not_answer_is_one_line_and_exit_2(monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:secret@127.0.0.1:1/db")
    assert main(["users", "list", "--as", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("matcher: the database postgresql+psycopg://u:***@127.0.0.1:1/db could not be reached (")
    assert err.endswith("; check DATABASE_URL and that the server runs\n") and err.count("\n") == 1
