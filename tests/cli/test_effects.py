"""`matcher report effects`: JSON, Markdown and HTML, the synthetic label, suppressed cells, who may run it."""

import datetime as dt
import json

from matcher.store.db import connect
from matcher.store.effects_demo import synthetic_histories
from matcher.store.service import CaseStore
from tests.conftest import run_cli


def _setup(monkeypatch, capsys, rules, model) -> None:
    assert run_cli(monkeypatch, capsys, "db", "upgrade")[0] == 0
    assert run_cli(monkeypatch, capsys, "users", "add", "admin", "--role", "admin", stdin="admin-password\n")[0] == 0
    for name, role, unit in [("nora", "manager", "NORR"), ("anna", "social_worker", "NORR"),
                             ("eva", "evaluator", None)]:
        args = ["users", "add", name, "--role", role, *(["--unit", unit] if unit else []), "--as", "admin"]
        assert run_cli(monkeypatch, capsys, *args, password="admin-password", stdin=f"{name}-password\n")[0] == 0
    case_store = CaseStore(connect(), rules)
    histories, _ = synthetic_histories(rules, model, 150, 3, dt.date(2024, 1, 1), dt.date(2024, 12, 31),
                                       dt.date(2026, 1, 1))
    case_store.add_synthetic_histories(case_store.login("anna", "anna-password"), histories)


def test_report_effects_in_three_formats(monkeypatch, capsys, cli_data, rules, model) -> None:
    _setup(monkeypatch, capsys, rules, model)
    effects = ("report", "effects", "--unit", "NORR", "--from", "2024-01-01", "--to", "2024-12-31",
               "--bootstrap", "20")
    code, out, err = run_cli(monkeypatch, capsys, *effects, "--format", "json", "--as", "eva",
                             password="eva-password")
    assert (code, err) == (0, "matcher: 150 of 150 young people in this report are synthetic\n")
    report = json.loads(out)
    assert (report["episodes"], report["synthetic"], report["min_group"], report["bootstrap"]) == (150, 150, 5, 20)
    assert report["caveat"].startswith("Detta är observationsdata, inte bevis för effekt.")
    mst = next(i for i in report["insatser"] if i["insats"] == "mst")
    every = next(c for c in mst["cells"] if c["group"] == "all")
    twelve = next(o for o in every["outcomes"] if (o["outcome"], o["months"]) == ("reoffended", 12))
    assert twelve["interval_95"][0] <= twelve["difference"] <= twelve["interval_95"][1]
    suppressed = [c for i in report["insatser"] for c in i["cells"] if c["suppressed"]]
    assert suppressed and all(c["n_treated"] is None and c["outcomes"] == [] for c in suppressed)

    code, out, _ = run_cli(monkeypatch, capsys, *effects, "--format", "md", "--as", "nora", password="nora-password")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "# Effektrapport, enhet NORR, 2024-01-01 – 2024-12-31"
    assert "SYNTETISKA DEMODATA: 150 av de unga är syntetiska exempel, inga riktiga personer.  " in lines
    assert "## Multisystemisk terapi (MST)" in lines
    assert any(line.startswith("| Risknivå ") and "färre än 5, visas inte" in line for line in lines)

    out_file = cli_data / "effects.html"
    code, _, _ = run_cli(monkeypatch, capsys, *effects, "--format", "html", "--lang", "en", "--out", str(out_file),
                         "--as", "eva", password="eva-password")
    page = out_file.read_text(encoding="utf-8")
    assert code == 0 and page.startswith("<!DOCTYPE html><html lang=\"en\">")
    assert "<p class=\"synthetic\">SYNTHETIC DEMO DATA: 150 of the young people" in page
    assert "data:image/png;base64," in page


def test_report_effects_is_refused_to_a_social_worker(monkeypatch, capsys, cli_data, rules, model) -> None:
    _setup(monkeypatch, capsys, rules, model)
    code, out, err = run_cli(monkeypatch, capsys, "report", "effects", "--unit", "NORR", "--from", "2024-01-01",
                             "--to", "2024-12-31", "--as", "anna", password="anna-password")
    assert (code, out, err) == (2, "", "matcher: anna (social_worker) may not read the effects report; evaluators, "
                                       "managers (own unit) and methodologists may\n")
