"""The store's commands: bootstrap, users, audit verify, export; errors exit 2 without a traceback."""

import os
import subprocess
import sys

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
    assert upgraded == f"sqlite:///{data}/insatsmatch.db: schema at revision 0007\n"
    assert run_cli(monkeypatch, capsys, "users", "add", "admin", "--role", "admin", stdin="admin-password\n")[1] \
        == "user admin added as admin\n"
    assert run_cli(monkeypatch, capsys, "users", "add", "eva", "--role", "evaluator", "--as", "admin",
                password="admin-password", stdin="eva-password-1\n")[0] == 0
    assert run_cli(monkeypatch, capsys, "users", "list", "--as", "admin", password="admin-password")[1].splitlines() \
        == ["admin                admin", "eva                  evaluator"]
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
    assert (code, err) == (2, "matcher: password for x: a password needs at least 12 characters; this one has 5\n")


def test_a_partner_is_added_with_its_agency(monkeypatch, capsys, data) -> None:
    run_cli(monkeypatch, capsys, "db", "upgrade")
    run_cli(monkeypatch, capsys, "users", "add", "admin", "--role", "admin", stdin="admin-password\n")
    code, out, _ = run_cli(monkeypatch, capsys, "users", "add", "sara", "--role", "partner", "--agency", "school",
                           "--unit", "NORR", "--as", "admin", password="admin-password", stdin="sara-password-1\n")
    assert (code, out) == (0, "user sara added as partner of school in unit NORR\n")
    assert run_cli(monkeypatch, capsys, "users", "list", "--as", "admin", password="admin-password")[1].splitlines() \
        == ["admin                admin", "sara                 partner          NORR         skola"]
    code, _, err = run_cli(monkeypatch, capsys, "users", "add", "per", "--role", "partner", "--agency", "polise",
                           "--unit", "NORR", "--as", "admin", password="admin-password", stdin="per-password-12\n")
    assert (code, err) == (2, "matcher: a partner needs an agency (--agency); found 'polise'; did you mean 'polis'?; "
                              "expected one of skola, polis, sis, region, kriminalvarden, civil_society, fritid, "
                              "annan, school, police, bup, frivard, leisure, other\n")


def _matcher(data, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`matcher ARGS` in a process of its own, with no terminal (a new session) and nothing on standard input."""
    environ = {**os.environ, "INSATSMATCH_DATA": str(data), "INSATSMATCH_HMAC_KEY": "ab" * 32, **env}
    environ.pop("INSATSMATCH_PASSWORD", None)
    return subprocess.run([sys.executable, "-m", "matcher.cli", *args], env=environ, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, start_new_session=True, timeout=120)


def test_no_password_and_no_terminal_is_a_message(monkeypatch, capsys, data) -> None:
    run_cli(monkeypatch, capsys, "db", "upgrade")
    run = _matcher(data, "users", "list", "--as", "admin")
    assert (run.returncode, run.stderr.splitlines()[-1]) == (
        2, "Password for admin: matcher: no password for admin: there is no terminal to ask in and standard input "
           "is empty; set INSATSMATCH_PASSWORD or run the command in a terminal")


def test_an_unreachable_database_is_one_line_without_its_password(data) -> None:
    run = _matcher(data, "users", "list", "--as", "admin", DATABASE_URL="postgresql+psycopg://u:secret@127.0.0.1:9/x")
    assert run.returncode == 2 and "Traceback" not in run.stderr and "secret" not in run.stderr
    assert run.stderr.startswith("matcher: the database postgresql+psycopg://u:***@127.0.0.1:9/x could not be "
                                 "reached (connection failed: ")
    assert run.stderr.endswith("); check DATABASE_URL and that the server runs\n") and run.stderr.count("\n") == 1


def test_a_malformed_key_names_its_variable(monkeypatch, capsys, data) -> None:
    run_cli(monkeypatch, capsys, "db", "upgrade")
    monkeypatch.setenv("INSATSMATCH_HMAC_KEY", "not-a-key")
    assert run_cli(monkeypatch, capsys, "users", "list", "--as", "admin", password="x") == (
        2, "", "matcher: INSATSMATCH_HMAC_KEY: expected the key as hexadecimal digits (0-9, a-f); found 9 characters "
               "that are not. Generate one with `python -c \"import secrets; print(secrets.token_hex(32))\"`\n")
