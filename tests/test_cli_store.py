"""The store's commands: bootstrap, users, audit verify, export; errors exit 2 without a traceback."""

import io
import sys

import pytest

from matcher.cli import main


@pytest.fixture(autouse=True)
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("INSATSMATCH_DATA", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("INSATSMATCH_USER", raising=False)
    monkeypatch.setenv("INSATSMATCH_HMAC_KEY", "ab" * 32)
    return tmp_path


def _run(monkeypatch, capsys, *args: str, password: str | None = None, stdin: str = "") -> tuple[int, str, str]:
    if password:
        monkeypatch.setenv("INSATSMATCH_PASSWORD", password)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_store_commands_from_an_empty_database(monkeypatch, capsys, data) -> None:
    code, _, err = _run(monkeypatch, capsys, "users", "list", "--as", "admin", password="admin-password")
    assert (code, err) == (2, f"matcher: the database sqlite:///{data}/insatsmatch.db has no schema yet; "
                              f"run 'matcher db upgrade' first\n")
    upgraded = _run(monkeypatch, capsys, "db", "upgrade")[1]
    assert upgraded == f"sqlite:///{data}/insatsmatch.db: schema at revision 0003\n"
    assert _run(monkeypatch, capsys, "users", "add", "admin", "--role", "admin", stdin="admin-password\n")[1] \
        == "user admin added as admin\n"
    assert _run(monkeypatch, capsys, "users", "add", "eva", "--role", "evaluator", "--as", "admin",
                password="admin-password", stdin="eva-password-1\n")[0] == 0
    assert _run(monkeypatch, capsys, "users", "list", "--as", "admin", password="admin-password")[1].splitlines() \
        == ["admin                admin                      ", "eva                  evaluator                  "]
    assert _run(monkeypatch, capsys, "audit", "verify", "--as", "admin", password="admin-password")[1] \
        == "audit log intact\n"
    code, _, err = _run(monkeypatch, capsys, "users", "list", "--as", "eva", password="eva-password-1")
    assert (code, err) == (2, "matcher: eva (evaluator) may not users.manage; allowed: export.outcomes, "
                              "models.manage, rules.read\n")
    code, out, _ = _run(monkeypatch, capsys, "export", "outcomes", "--out", str(data / "o.csv"), "--as", "eva",
                        password="eva-password-1")
    assert (code, out) == (0, f"{data / 'o.csv'}: 0 rows written; 0 left out in groups smaller than the minimum; "
                              f"0 periods not yet followed up for 12 months\n")
    code, _, err = _run(monkeypatch, capsys, "users", "list", "--as", "admin", password="wrong")
    assert (code, err) == (2, "matcher: login as admin failed: unknown user, wrong password or disabled account\n")
    code, _, err = _run(monkeypatch, capsys, "users", "add", "x", "--role", "evaluator", "--as", "admin",
                        password="admin-password", stdin="short\n")
    assert (code, err) == (2, "matcher: A password must have at least 10 characters. Got 5 instead.\n")
