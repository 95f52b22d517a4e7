"""The model commands that change the registry act for a logged-in evaluator, and the audit log keeps who did it."""

import pytest

from matcher.cli.store import store
from matcher.modelling.registry import read_registry
from matcher.modelling.signing import trust
from tests.conftest import run_cli

ADMIN, EVA, ANNA = "admin-password", "eva-password-1", "anna-password-1"


@pytest.fixture
def users(cli_data, monkeypatch, capsys):
    assert run_cli(monkeypatch, capsys, "db", "upgrade")[0] == 0
    assert run_cli(monkeypatch, capsys, "users", "add", "admin", "--role", "admin", stdin=f"{ADMIN}\n")[0] == 0
    for name, role, password, unit in (("eva", "evaluator", EVA, []), ("anna", "social_worker", ANNA, ["--unit", "N"])):
        assert run_cli(monkeypatch, capsys, "users", "add", name, "--role", role, *unit, "--as", "admin",
                       password=ADMIN, stdin=f"{password}\n")[0] == 0
    return cli_data


@pytest.fixture
def synthetic(users, monkeypatch, capsys):
    path = users / "synthetic.csv"
    assert run_cli(monkeypatch, capsys, "synth", "--n", "600", "--seed", "3", "--out", str(path))[0] == 0
    return path


def test_training_promoting_and_retiring_need_an_evaluator_and_are_audited(users, synthetic, monkeypatch,
                                                                           capsys) -> None:
    models = users / "models"
    outcomes = users / "outcomes.csv"  # the synthetic rows stand in for outcome data: a synthetic model is never
    outcomes.write_text(synthetic.read_text().replace(",true,", ",false,"))  # promoted (tests/modelling)
    train = ("train", str(outcomes), "--target", "reoffended_12m", "--group", "sex", "--out", str(models))
    assert run_cli(monkeypatch, capsys, *train)[2] == "matcher: log in with --as USER (or set INSATSMATCH_USER)\n"
    code, _, err = run_cli(monkeypatch, capsys, *train, "--as", "anna", password=ANNA)
    assert (code, err) == (2, "matcher: anna (social_worker) may not models.manage; allowed: case.read, case.write, "
                              "catalogue.read, rules.read\n")
    assert not models.exists()  # refused before any training
    code, out, _ = run_cli(monkeypatch, capsys, *train, "--as", "eva", password=EVA)
    model_id = out.split(":")[0]
    assert code == 0 and out.startswith(f"{model_id}: candidate in {models}")
    item = read_registry(models)["models"][0]
    assert (item["history"][0]["by"], trust(item)) == ("eva", "signed")

    where = ("--models", str(models))
    code, _, err = run_cli(monkeypatch, capsys, "models", "promote", model_id, "--reason", "x", *where, "--as", "anna",
                           password=ANNA)
    assert code == 2 and err.startswith("matcher: anna (social_worker) may not models.manage")
    code, out, _ = run_cli(monkeypatch, capsys, "models", "promote", model_id, "--reason", "best on  outcome data",
                           "--force", *where, "--as", "eva", password=EVA)
    assert code == 0 and out.startswith(f"{model_id}: active")
    assert run_cli(monkeypatch, capsys, "models", "list", *where)[1].startswith(f"{model_id:<36} active ")
    assert run_cli(monkeypatch, capsys, "models", "retire", model_id, "--reason", "back to the baseline", *where,
                   "--as", "eva", password=EVA)[1] == f"{model_id}: retired\n"
    code, _, err = run_cli(monkeypatch, capsys, "models", "promote", "nope", "--reason", "x", *where, "--as", "eva",
                           password=EVA)
    assert code == 2 and "no model 'nope'" in err
    case_store = store()
    entries, _ = case_store.audit_entries(case_store.login("admin", ADMIN), limit=100)
    models_entries = [e for e in entries[::-1] if e["action"].startswith(("models.", "denied:models."))]
    assert [(e["actor"], e["action"], e["detail"]) for e in models_entries] == [
        ("eva", "models.register", f"{model_id}: trained"),
        ("anna", "denied:models.promote", "anna (social_worker) may not models.manage; allowed: case.read, "
                                          "case.write, catalogue.read, rules.read"),
        ("eva", "models.promote", f"{model_id} (forced): best on outcome data"),
        ("eva", "models.retire", f"{model_id}: back to the baseline")]  # the refused 'nope' left no entry
    assert [h["by"] for h in read_registry(models)["models"][0]["history"]] == ["eva", "eva", "eva"]
