"""What the hash chain alone let through: a forged next entry, the newest entries cut off with the head reset, a
wiped log, case rows changed, copied or deleted in SQL. The checkpoints outside the database and the seals on the
case rows catch each, on SQLite and PostgreSQL."""

import datetime as dt
import json
import os
import stat

import pytest
from sqlalchemy import text

from matcher.errors import InputError
from matcher.store.db import upgrade
from matcher.store.plans import PlanItemInput
from matcher.store.service import CaseStore
from tests.conftest import FAST, KEY

DAY = dt.date(2026, 1, 15)
CASE = {"context": {"age": 15, "placement": "home", "caregiver": "takes_part"}, "factors": {"peer_delinquency": 2}}
RESULT = {"version": {"rule_base": "sha256:abc", "model": "m", "evidence_snapshot": "2026-01-01"},
          "recommendations": [{"id": "mst", "rank": 1}]}


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _sql(store: CaseStore, *statements: str) -> None:
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _verify(store: CaseStore, people) -> list[str]:
    return store.verify_audit(people["admin"])  # signed in before any tampering: verifying adds no entry before


def _head(store: CaseStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT seq FROM audit_head")).scalar_one())


@pytest.fixture
def case(store, people) -> str:
    """A case with every kind of case-data row: assessment, recommendation, decision, plan, consent, follow-up."""
    anna = people["anna"]
    code = store.create_case(anna)
    version = store.add_assessment(anna, code, CASE, DAY)
    rec = store.save_recommendation(anna, code, version, RESULT)
    store.record_decision(anna, code, rec, [("mst", "accepted", ""), ("fft", "declined", "long waiting list")],
                          youth_view="vill bo hemma")
    store.save_plan(anna, code, [PlanItemInput("mst", "socialtjanst", "fewer fights at home", DAY,
                                               DAY + dt.timedelta(days=90))], 0)
    store.add_consent(anna, code, "youth", ["skola"], DAY)
    store.add_follow_up(anna, code, DAY + dt.timedelta(days=100), 0, "in_school", "none", "home")
    return code


def test_a_forged_entry_with_the_next_number_does_not_stop_the_store_and_is_named(store, people) -> None:
    code = store.create_case(people["anna"])
    last = _head(store)  # the case's creation
    _sql(store, "INSERT INTO audit_log (seq, at, actor, action, case_code, detail, prev_hash, hash) "
                f"SELECT {last + 1}, at, 'mallory', 'plan.read', case_code, '', hash, hash FROM audit_log "
                f"WHERE seq = {last}")
    assert store.plan(people["anna"], code).version == 0  # the store skipped the taken number
    store.plan(people["anna"], code)
    assert _verify(store, people) == [f"audit entry {last + 1}: inserted: not written by Insatsmatch; the chain "
                                      f"passes it by (entry {last + 2} follows entry {last})"]


def test_cutting_off_the_newest_entries_and_resetting_the_head_is_caught_by_the_checkpoint(store, people) -> None:
    base = _head(store)
    for _ in range(3):
        store.list_cases(people["anna"])  # entries base+1 to base+3
    checkpoint = store.write_checkpoint(people["admin"])  # after base+4, its own
    assert checkpoint.seq == base + 4
    _sql(store, f"DELETE FROM audit_log WHERE seq > {base}",
         f"UPDATE audit_head SET seq = {base}, hash = (SELECT hash FROM audit_log WHERE seq = {base})")
    assert _verify(store, people) == [f"audit log: cut off: its newest entry is {base}, but {checkpoint} in "
                                      f"{store.checkpoint_file} recorded entries up to {base + 4}: entries "
                                      f"{base + 1}-{base + 4} were deleted and the head reset"]


def test_a_wiped_log_is_caught_by_the_checkpoint(store, people) -> None:
    checkpoint = store.write_checkpoint(people["admin"])
    _sql(store, "DELETE FROM audit_log", f"UPDATE audit_head SET seq = 0, hash = '{'0' * 64}'")
    assert _verify(store, people) == [f"audit log: wiped: it holds no entries, but {checkpoint} in "
                                      f"{store.checkpoint_file} recorded entries up to {checkpoint.seq}"]


def test_case_rows_changed_copied_or_deleted_in_sql_are_named(store, people, case) -> None:
    checkpoint = store.write_checkpoint(people["admin"])
    assert _verify(store, people) == []
    _sql(store, "UPDATE assessments SET instrument = 'savry'",
         "UPDATE recommendations SET model = 'another-model'",
         "UPDATE decisions SET youth_view = 'vill flytta'",
         "UPDATE decision_items SET outcome = 'accepted' WHERE intervention = 'fft'",
         "UPDATE plan_items SET goal = 'none'",
         "UPDATE plans SET version = 7",
         "UPDATE follow_ups SET new_offences = 3",
         "INSERT INTO follow_ups (case_id, followed_up_on, new_offences, school_work_status, substance_use_level, "
         "placement, completed, dropped, recorded_by, seal) SELECT case_id, followed_up_on, new_offences, "
         "school_work_status, substance_use_level, placement, completed, dropped, recorded_by, seal FROM follow_ups",
         "DELETE FROM consents")
    changed = "does not match its seal: it was changed outside Insatsmatch"
    assert _verify(store, people) == [
        f"consents: 1 of the 1 rows up to id 1 that {checkpoint} counted are gone: deleted outside Insatsmatch",
        f"assessments 1 (case {case}): {changed}", f"recommendations 1 (case {case}): {changed}",
        f"decisions 1 (case {case}): {changed}", f"decision_items 2 (case {case}): {changed}",
        f"plans 1 (case {case}): {changed}", f"plan_items 1 (case {case}): {changed}",
        f"follow_ups 1 (case {case}): {changed}", f"follow_ups 2 (case {case}): {changed}"]


def test_rows_from_before_seals_are_sealed_once_and_a_later_unsealed_row_is_forged(store, people, case) -> None:
    admin = people["admin"]
    _sql(store, "UPDATE assessments SET seal = NULL", "UPDATE plan_items SET seal = NULL",
         "UPDATE store_identity SET sealed_at = NULL")  # as a database migrated from revision 0003
    assert _verify(store, people) == [
        f"{table}: 1 rows written before seals existed (revision 0004) have no seal yet; seal them once with "
        f"'matcher audit seal --as ADMIN'" for table in ("assessments", "plan_items")]
    assert store.seal_rows(admin) == {"assessments": 1, "plan_items": 1}
    assert _verify(store, people) == []
    _sql(store, "UPDATE decisions SET seal = NULL")
    with pytest.raises(InputError, match=rf"^every case-data row was sealed on {_today()}; a row without a seal "
                                         r"since then was written outside Insatsmatch and is not sealed now: 'matcher "
                                         r"audit verify' names it$"):
        store.seal_rows(admin)
    assert _verify(store, people) == [f"decisions 1 (case {case}): has no seal, though every row was sealed on "
                              f"{_today()}: it was written outside Insatsmatch"]


def test_checkpoints_are_written_every_n_entries_signed_and_owner_only(engine, rules, tmp_path) -> None:
    path = tmp_path / "outside" / "checkpoints.jsonl"
    upgrade(engine)
    store = CaseStore(engine, rules, key=KEY, passwords=FAST, checkpoints=path, checkpoint_every=4)
    store.add_user(None, "admin", "admin-password", "admin")
    admin = store.login("admin", "admin-password")
    for _ in range(9):
        store.list_users(admin)  # entries 3-11 (1 adds the user, 2 is the login)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(line["seq"], sorted(line)) for line in lines] == [
        (4, ["at", "database", "head", "mac", "rows", "seq"]), (8, ["at", "database", "head", "mac", "rows", "seq"])]
    assert (stat.S_IMODE(os.stat(path).st_mode), stat.S_IMODE(os.stat(path.parent).st_mode)) == (0o600, 0o700)
    edited = path.read_text().replace('"seq": 8', '"seq": 80')
    path.write_text(edited)
    assert store.verify_audit(admin) == [f"{path} line 2: the signature does not match: the line was edited, or "
                                         f"signed with another key"]
    path.unlink()
    assert store.verify_audit(admin) == [
        f"{path} holds no checkpoint of this database (id {store.database_id}), though its audit log reaches entry 12 "
        f"and one is written every 4: the file was replaced, or the database's id changed. Restore the file from its "
        f"backup, or write one now with 'matcher audit checkpoint --as ADMIN'"]


def test_a_checkpoint_written_after_a_tampering_does_not_hide_it(engine, rules, tmp_path) -> None:
    path = tmp_path / "checkpoints.jsonl"
    upgrade(engine)
    store = CaseStore(engine, rules, key=KEY, passwords=FAST, checkpoints=path, checkpoint_every=4)
    store.add_user(None, "admin", "admin-password", "admin")
    admin = store.login("admin", "admin-password")
    for _ in range(4):
        store.list_users(admin)  # entries 3-6 (2 is the login); a checkpoint after entry 4
    _sql(store, "DELETE FROM audit_log WHERE seq >= 3",
         "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2)")
    for _ in range(6):
        store.list_users(admin)  # entries 3-8 again; a checkpoint after the new entry 8
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert (first["seq"], second["seq"]) == (4, 8)
    assert store.verify_audit(admin) == [
        f"audit entry 4: not the entry the checkpoint of {first['at'][:19].replace('T', ' ')} UTC (entry 4) recorded: "
        f"the log was rewritten from there on"]
