"""`matcher audit verify|checkpoint|seal` and the outside key from the command line."""

import datetime as dt
import sqlite3

import pytest

from matcher import keys
from tests.conftest import run_cli

ADMIN = ("--as", "admin")


@pytest.fixture
def data(cli_data, monkeypatch, capsys):
    """An upgraded CLI database with its first admin."""
    run_cli(monkeypatch, capsys, "db", "upgrade")
    run_cli(monkeypatch, capsys, "users", "add", "admin", "--role", "admin", stdin="admin-password\n")
    return cli_data


def test_a_short_key_stops_every_command_naming_the_variable(data, monkeypatch, capsys) -> None:
    monkeypatch.setenv("INSATSMATCH_HMAC_KEY", "ab" * 16)
    code, _, err = run_cli(monkeypatch, capsys, "users", "list", *ADMIN, password="admin-password")
    assert (code, err) == (2, "matcher: INSATSMATCH_HMAC_KEY: the key has 16 bytes; at least 32 are required. Generate "
                              "one with `python -c \"import secrets; print(secrets.token_hex(32))\"`\n")


def test_a_missing_key_stops_every_command_naming_where_it_was_looked_for(data, monkeypatch, capsys,
                                                                        outside_files) -> None:
    monkeypatch.delenv("INSATSMATCH_HMAC_KEY")
    code, _, err = run_cli(monkeypatch, capsys, "users", "list", *ADMIN, password="admin-password")
    check = keys.check_value(bytes.fromhex("ab" * 32))
    assert (code, err) == (2, f"matcher: sqlite:///{data}/insatsmatch.db was opened with an outside key before "
                              f"(check value {check}), so no new key is made: the outside key is missing: "
                              f"INSATSMATCH_HMAC_KEY is not set and the key file {outside_files / 'hmac.key'} "
                              f"(INSATSMATCH_KEY_FILE) does not exist. Restore the key this database was created with "
                              f"(docs/security.md, 'Keys'); a new key cannot read existing data\n")
    assert not (outside_files / "hmac.key").exists()


def test_checkpoint_then_a_cut_off_log_fails_verify(data, monkeypatch, capsys, outside_files) -> None:
    for _ in range(3):
        run_cli(monkeypatch, capsys, "users", "list", *ADMIN, password="admin-password")  # login, list, logout: 2-10
    code, out, _ = run_cli(monkeypatch, capsys, "audit", "checkpoint", *ADMIN, password="admin-password")
    checkpoints = outside_files / "audit-checkpoints.jsonl"
    assert code == 0
    assert out.startswith(f"{checkpoints}: the checkpoint of ")
    assert out.endswith(" UTC (entry 12) written (0 case rows counted)\n")  # after its login (11) and itself
    assert run_cli(monkeypatch, capsys, "audit", "verify", *ADMIN, password="admin-password")[:2] == (
        0, "audit log intact\n")
    with sqlite3.connect(data / "insatsmatch.db") as db:
        db.execute("DELETE FROM audit_log WHERE seq >= 3")
        db.execute("UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2)")
    code, out, _ = run_cli(monkeypatch, capsys, "audit", "verify", *ADMIN, password="admin-password")
    assert code == 1  # the verifying admin's login is entry 3 of the cut-off log
    assert out.startswith("audit log: cut off: its newest entry is 3, but the checkpoint of ")
    assert out.endswith(f" UTC (entry 12) in {checkpoints} recorded entries up to 12: entries 4-12 were deleted and "
                        f"the head reset\n1 problem in the audit log of sqlite:///{data}/insatsmatch.db\n")


def test_seal_seals_the_rows_from_before_seals_once(data, monkeypatch, capsys) -> None:
    code, _, err = run_cli(monkeypatch, capsys, "audit", "seal", *ADMIN, password="admin-password")
    assert (code, err) == (2, f"matcher: every case-data row was sealed on {dt.datetime.now(dt.UTC).date()}; a row "
                              f"without a seal since then was written outside Insatsmatch and is not sealed now: "
                              f"'matcher audit verify' names it\n")
    with sqlite3.connect(data / "insatsmatch.db") as db:
        db.execute("UPDATE store_identity SET sealed_at = NULL")
    assert run_cli(monkeypatch, capsys, "audit", "seal", *ADMIN, password="admin-password")[:2] == (
        0, "no unsealed rows: nothing to seal\n")
