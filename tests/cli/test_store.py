"""The store's commands: bootstrap, users, audit verify, export; errors exit 2 without a traceback."""

import pytest

from tests.conftest import run_cli


@pytest.fixture(autouse=True)
def data(cli_data):
    return cli_data


def test_store_commands_from_an_empty_database(monkeypatch, capsys, data) -> None:
    code, _, err = run_cli(monkeypatch, capsys, "users", "list", "--as", "admin", password="admin-password")
    assert (code, err) == (2, f"matcher: the database sqlite:///{data}/insatsmatch.db has no schema yet; "
                              f"run 'matcher db upgrade' first\n")
    upgraded = run_cli(monkeypatch, capsys, "db", "upgrade")[1]
    assert upgraded == f"sqlite:///{data}/insatsmatch.db: schema at revision 0004\n"
    assert run_cli(monkeypatch, capsys, "users", "add", "admin", "--role", "admin", stdin="admin-password\n")[1] \
        == "user admin added as admin\n"
    assert run_cli(monkeypatch, capsys, "users", "add", "eva", "--role", "evaluator", "--as", "admin",
                password="admin-password", stdin="eva-password-1\n")[0] == 0
    assert run_cli(monkeypatch, capsys, "users", "list", "--as", "admin", password="admin-password")[1].splitlines() \
        == ["admin                admin                      ", "eva                  evaluator                  "]
    assert run_cli(monkeypatch, capsys, "audit", "verify", "--as", "admin", password="admin-password")[1] \
        == "audit log intact\n"
    code, _, err = run_cli(monkeypatch, capsys, "users", "list", "--as", "eva", password="eva-password-1")
    assert (code, err) == (2, "matcher: eva (evaluator) may not users.manage; allowed: export.outcomes, "
                              "models.manage, rules.read\n")
    code, out, _ = run_cli(monkeypatch, capsys, "export", "outcomes", "--out", str(data / "o.csv"), "--as", "eva",
                        password="eva-password-1")
    assert (code, out) == (0, f"{data / 'o.csv'}: 0 rows written; 0 left out in groups smaller than the minimum; "
                              f"0 periods not yet followed up for 12 months\n")
    code, _, err = run_cli(monkeypatch, capsys, "users", "list", "--as", "admin", password="wrong")
    assert (code, err) == (2, "matcher: login as admin failed: unknown user, wrong password or disabled account\n")
    code, _, err = run_cli(monkeypatch, capsys, "users", "add", "x", "--role", "evaluator", "--as", "admin",
                        password="admin-password", stdin="short\n")
    assert (code, err) == (2, "matcher: A password must have at least 10 characters. Got 5 instead.\n")
