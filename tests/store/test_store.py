"""The case store on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (make test sets it here)."""

import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import inspect, select, text

from matcher import InputError
from matcher.auth import AccessDenied, Role
from matcher.errors import ConflictError
from matcher.local.catalogue import LocalCatalogue
from matcher.store import audit as audit_module
from matcher.store.db import current_revision, upgrade
from matcher.store.plans import PlanItemInput
from matcher.store.service import CaseStore
from matcher.store.tables import AuditEntry

DAY = dt.date(2026, 1, 15)
CASE = {"context": {"age": 15, "placement": "home", "caregiver": "takes_part"}, "factors": {"peer_delinquency": 2}}


def _items(*actors: str) -> list[PlanItemInput]:
    return [PlanItemInput("mst" if a == "socialtjanst" else "school-support", a, f"goal for {a}", DAY,
                          DAY + dt.timedelta(days=90)) for a in actors]


def test_migration_from_empty_to_head(engine) -> None:
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == "0007"
    tables = set(inspect(engine).get_table_names())
    assert {"cases", "assessments", "recommendations", "decisions", "decision_items", "consents", "plans",
            "plan_items", "follow_ups", "users", "units", "audit_log", "audit_head", "rule_versions",
            "catalogue_versions", "login_sessions", "login_throttle",
            "store_identity", "sig_meetings", "task_reports", "homecomings", "homecoming_parts"} <= tables
    assert {"sessions_delivered", "hours_delivered"} <= {c["name"] for c in inspect(engine).get_columns("plan_items")}
    assert [t for t in ("cases", "assessments", "recommendations", "decisions", "decision_items", "consents", "plans",
                        "plan_items", "follow_ups") if "seal" in {c["name"] for c in inspect(engine).get_columns(t)}] \
        == ["cases", "assessments", "recommendations", "decisions", "decision_items", "consents", "plans",
            "plan_items", "follow_ups"]
    upgrade(engine)  # running it again changes nothing
    assert current_revision(engine) == "0007"


# ------------------------------------------------------------------ access matrix

ACTIONS = {
    "create_case": lambda s, who, code: s.create_case(who),
    "list_cases": lambda s, who, code: s.list_cases(who),
    "add_assessment": lambda s, who, code: s.add_assessment(who, code, CASE, DAY),
    "read_assessments": lambda s, who, code: s.assessments(who, code),
    "read_plan": lambda s, who, code: s.plan(who, code),
    "save_plan": lambda s, who, code: s.save_plan(who, code, _items("socialtjanst"), s.plan(who, code).version),
    "add_consent": lambda s, who, code: s.add_consent(who, code, "youth", ["skola"], DAY),
    "shared_plan": lambda s, who, code: s.shared_plan(who, code, DAY),
    "add_follow_up": lambda s, who, code: s.add_follow_up(who, code, DAY, 0, "in_school", "none", "home"),
    "export_outcomes": lambda s, who, code: s.export_outcomes(who, s._export_path),
    "list_users": lambda s, who, code: s.list_users(who),
    "add_user": lambda s, who, code: s.add_user(who, f"u{uuid.uuid4().hex[:6]}", "some-password", "evaluator"),
    "verify_audit": lambda s, who, code: s.verify_audit(who),
    "audit_entries": lambda s, who, code: s.audit_entries(who),
    "read_catalogue": lambda s, who, code: s.catalogue(who, "NORR"),
    "save_catalogue": lambda s, who, code: s.save_catalogue(who, LocalCatalogue(unit="NORR"), "a reason"),
    "gap_report": lambda s, who, code: s.gap_report(who, "NORR", DAY, DAY),
}
CASE_WORK = {"create_case", "list_cases", "add_assessment", "read_assessments", "read_plan", "save_plan",
             "add_consent", "shared_plan", "add_follow_up"}
ALLOWED = {
    "anna": CASE_WORK | {"read_catalogue"},  # own unit
    "sven": {"create_case", "list_cases"},  # another unit: may work, but not on anna's case or catalogue
    "mona": {"read_catalogue", "save_catalogue"},  # no unit: every unit's catalogue
    "eva": {"export_outcomes"},
    "admin": {"list_users", "add_user", "verify_audit", "audit_entries", "read_catalogue", "save_catalogue"},
    "maja": {"read_catalogue", "gap_report"},  # the manager of NORR
    "kim": CASE_WORK | {"read_catalogue"},  # the SIG coordinator of NORR works as a social worker there
    "sara": set(),  # a partner (the school) reaches cases only through the SIG meeting view (test_sig.py)
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_access_matrix(store, people, tmp_path, action) -> None:
    store._export_path = tmp_path / "export.csv"  # type: ignore[attr-defined]
    store.add_user(people["admin"], "maja", "maja-password", "manager", "NORR")
    store.add_user(people["admin"], "kim", "kim-password", "sig_coordinator", "NORR")
    store.add_user(people["admin"], "sara", "sara-password", "partner", "NORR", "school")
    people = {**people, **{n: store.login(n, f"{n}-password") for n in ("maja", "kim", "sara")}}
    code = store.create_case(people["anna"], synthetic=True)
    for name, who in people.items():
        if action in ALLOWED[name]:
            ACTIONS[action](store, who, code)
        elif name == "sven" and action in CASE_WORK:  # another unit's case: the same answer as an unknown one
            with pytest.raises(InputError, match=f"^unknown case '{code}': your unit has no case with this code"):
                ACTIONS[action](store, who, code)
        else:
            with pytest.raises(AccessDenied):
                ACTIONS[action](store, who, code)
    with store.engine.connect() as conn:
        denied = conn.execute(select(AuditEntry.actor).where(AuditEntry.action.like("denied:%"))).scalars().all()
    assert sorted(denied) == sorted(n for n in people if action not in ALLOWED[n])


def test_denial_messages_name_the_role_the_action_and_the_unit(store, people) -> None:
    code = store.create_case(people["anna"])
    with pytest.raises(AccessDenied, match=r"^mona \(methodologist\) may not case\.read; allowed: catalogue\.read, "
                                           r"catalogue\.write, rules\.read, rules\.write$"):
        store.plan(people["mona"], code)
    with pytest.raises(InputError) as other_unit:
        store.plan(people["sven"], code)
    with pytest.raises(InputError) as unknown:
        store.plan(people["sven"], "C-00000000")
    assert str(other_unit.value) == str(unknown.value).replace("C-00000000", code)  # nothing tells them apart
    denied = store.audit_entries(people["admin"], actor="sven")[0]
    assert (denied[0]["action"], denied[0]["detail"]) == ("denied:plan.read", "a case of unit NORR, not of SYD; "
                                                                              "answered as unknown")


def test_login_refuses_wrong_password_and_disabled_users(store, people) -> None:
    with pytest.raises(AccessDenied, match="unknown user, wrong password or disabled account"):
        store.login("anna", "wrong-password")
    store.disable_user(people["admin"], "anna")
    with pytest.raises(AccessDenied):
        store.login("anna", "anna-password")
    assert [u["active"] for u in store.list_users(people["admin"]) if u["username"] == "anna"] == [False]


def test_only_the_first_user_can_be_added_without_login(store, people) -> None:
    with pytest.raises(AccessDenied, match="only the first user can be added without logging in"):
        store.add_user(None, "mallory", "mallory-password", "admin")


# ------------------------------------------------------------------ consent


def test_consent_gates_sharing_and_withdrawal_takes_effect_at_once(store, people) -> None:
    anna = people["anna"]
    code = store.create_case(anna)
    store.add_assessment(anna, code, CASE, DAY)  # age 15: the guardians must consent too
    store.save_plan(anna, code, _items("socialtjanst", "skola", "polis"), 0)

    def shown() -> dict[str, bool]:
        return {s.item.actor: s.shown for s in store.shared_plan(anna, code, DAY)}

    assert shown() == {"socialtjanst": True, "skola": False, "polis": False}
    youth = store.add_consent(anna, code, "youth", ["skola", "polis"], DAY - dt.timedelta(days=1))
    assert shown() == {"socialtjanst": True, "skola": False, "polis": False}
    store.add_consent(anna, code, "guardian", ["skola"], DAY - dt.timedelta(days=1))
    assert shown() == {"socialtjanst": True, "skola": True, "polis": False}
    reasons = {s.item.actor: s.reason("en") for s in store.shared_plan(anna, code, DAY)}
    assert reasons["polis"] == "no valid consent from a guardian covers the police on 2026-01-15"
    assert reasons["skola"] == "valid consent from a guardian and the young person covers the school on 2026-01-15"
    assert reasons["socialtjanst"] == "the case's own agency"
    assert {s.item.actor: s.reason("sv") for s in store.shared_plan(anna, code, DAY)}["polis"] == \
        "inget giltigt samtycke från vårdnadshavare omfattar polisen den 2026-01-15"
    store.withdraw_consent(anna, code, youth)
    assert shown() == {"socialtjanst": True, "skola": False, "polis": False}
    with store.engine.connect() as conn:
        checks = conn.execute(select(AuditEntry.detail).where(AuditEntry.action == "consent.check")).scalars().all()
    assert len(checks) == 2 * 6  # two agencies checked on each of the six views
    assert checks[-1] == "skola: withheld: no valid consent from the young person covers the school on 2026-01-15"


def test_expired_consent_no_longer_covers(store, people) -> None:
    anna = people["anna"]
    code = store.create_case(anna, born_on=dt.date(2007, 1, 1))  # 19: the young person's own consent suffices
    store.save_plan(anna, code, _items("skola"), 0)
    store.add_consent(anna, code, "youth", ["skola"], DAY, expires_on=DAY + dt.timedelta(days=30))
    assert store.shared_plan(anna, code, DAY + dt.timedelta(days=30))[0].shown
    late = store.shared_plan(anna, code, DAY + dt.timedelta(days=31))[0]
    assert (late.shown, late.reason("en")) == (False, "no valid consent from the young person covers the school on "
                                                      "2026-02-15")


@pytest.mark.parametrize(("call", "message"), [
    (lambda s, a, c: s.add_consent(a, c, "youth", ["skolan"], DAY),
     "consent: unknown agency 'skolan'; did you mean 'skola'?; expected one of socialtjanst, skola, polis, sis, "
     "region, kriminalvarden, civil_society, fritid, annan"),
    (lambda s, a, c: s.add_consent(a, c, "youth", ["skola"], DAY, expires_on=DAY - dt.timedelta(days=1)),
     "consent: expires on 2026-01-14, before it was given (2026-01-15)"),
    (lambda s, a, c: s.withdraw_consent(a, c, 999), "case {code} has no consent 999"),
    (lambda s, a, c: s.plan(a, "C-NOPE"),
     "unknown case 'C-NOPE': your unit has no case with this code; check the code or find the case by personnummer"),
    (lambda s, a, c: s.create_case(a, personnummer="121212-1213"),
     "personnummer: the check digit does not match; check the number and try again"),
    (lambda s, a, c: s.create_case(a, personnummer="121312-1212"),
     "personnummer: the date part is not a real date; expected a personnummer like YYYYMMDD-NNNN"),
    (lambda s, a, c: s.create_case(a, personnummer="12-12"),
     "personnummer: expected a personnummer like YYYYMMDD-NNNN; found a value of 5 characters that does not "
     "have that form"),
    (lambda s, a, c: s.add_assessment(a, c, {"context": {"age": 15}}, DAY),
     "case {code}: context.caregiver: missing; this value is required (Vårdnadshavare eller annan "
     "omsorgsperson / Caregiver)\n"
     "case {code}: context.placement: missing; this value is required (Nuvarande boende eller placering / "
     "Current placement)"),
    (lambda s, a, c: s.save_plan(a, c, [PlanItemInput("mts", "socialtjanst", "g", DAY, DAY)], 0),
     "plan of case {code}, mts: unknown intervention; did you mean 'mst'?"),
    (lambda s, a, c: s.add_follow_up(a, c, DAY, 0, "at_school", "none", "home"),
     "follow-up: school_work_status must be one of unknown, in_school, high_absence, out_of_school, studying, "
     "working, neither; found 'at_school'; did you mean 'in_school'?"),
])
def test_bad_input_gets_a_clear_error(store, people, call, message) -> None:
    code = store.create_case(people["anna"])
    with pytest.raises(InputError) as caught:
        call(store, people["anna"], code)
    assert str(caught.value) == message.format(code=code)


def test_personnummer_is_stored_only_as_a_keyed_hmac(store, people) -> None:
    code = store.create_case(people["anna"], personnummer="20121212-1212")
    assert store.find_case(people["anna"], "201212121212") == code
    assert store.find_case(people["anna"], "121212-1212") == code  # same person: '-' means under 100
    assert store.find_case(people["sven"], "19121212-1212") is None
    assert store.find_case(people["sven"], "20121212-1212") is None  # exists, but another unit's: not revealed
    with store.engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM cases")) for v in row)
    assert "121212" not in dump and "1212" not in dump.replace(code, "")
    with pytest.raises(InputError, match=r"^your unit already has a case with this personnummer; use find to open it$"):
        store.create_case(people["anna"], personnummer="121212-1212")
    # another unit opens its own case for the same child, and learns nothing of the first one
    other = store.create_case(people["sven"], personnummer="20121212-1212")
    assert other != code and store.find_case(people["sven"], "121212-1212") == other


# ------------------------------------------------------------------ decisions, plans, concurrency


def test_recommendation_snapshot_and_decision(store, people) -> None:
    anna = people["anna"]
    code = store.create_case(anna)
    version = store.add_assessment(anna, code, CASE, DAY)
    result = {"version": {"rule_base": "sha256:abc", "model": "baseline-scorecard-1",
                          "evidence_snapshot": "2026-11-22"}, "recommendations": [{"id": "mst", "rank": 1}]}
    rec = store.save_recommendation(anna, code, version, result)
    assert store.recommendation(anna, code, rec) == result
    decision = store.record_decision(anna, code, rec, [("mst", "accepted", ""), ("fft", "overridden", "waiting list")],
                                     youth_view="vill bo kvar hemma", youth_goals="klara skolan")
    assert decision > 0
    with pytest.raises(InputError, match="decision on fft: a reason is required when it is declined"):
        store.record_decision(anna, code, rec, [("fft", "declined", " ")])


def test_second_editor_gets_a_conflict_not_a_silent_overwrite(store, people) -> None:
    anna, bo = people["anna"], people["admin"]
    store.add_user(bo, "bo", "bo-password-12", "social_worker", "NORR")
    bo = store.login("bo", "bo-password-12")
    code = store.create_case(anna)
    assert store.save_plan(anna, code, _items("socialtjanst"), 0) == 1
    seen_by_anna, seen_by_bo = store.plan(anna, code), store.plan(bo, code)
    assert store.save_plan(bo, code, _items("socialtjanst", "skola"), seen_by_bo.version) == 2
    with pytest.raises(ConflictError, match=rf"^case {code}: the plan was changed by bo at .* \(now version 2\); "
                                            r"you edited version 1\. Nothing was saved: reload the plan"):
        store.save_plan(anna, code, _items("polis"), seen_by_anna.version)
    assert [i.actor for i in store.plan(anna, code).items] == ["socialtjanst", "skola"]


def test_a_crash_in_the_middle_of_a_save_keeps_the_last_committed_state(store, people, monkeypatch) -> None:
    anna = people["anna"]
    code = store.create_case(anna)
    store.save_plan(anna, code, _items("socialtjanst"), 0)
    real = audit_module.append

    def crash(session, key, actor, action, *args, **kwargs):  # the items are flushed when this runs
        if action == "plan.save":
            raise RuntimeError("power cut")
        return real(session, key, actor, action, *args, **kwargs)

    monkeypatch.setattr(audit_module, "append", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        store.save_plan(anna, code, _items("skola", "polis"), 1)
    monkeypatch.setattr(audit_module, "append", real)
    plan = store.plan(anna, code)
    assert (plan.version, [i.actor for i in plan.items]) == (1, ["socialtjanst"])
    assert store.verify_audit(people["admin"]) == []


def test_twenty_threads_times_fifty_saves_lose_nothing(store, people) -> None:
    anna = people["anna"]
    code = store.create_case(anna)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                store.add_assessment(anna, code, CASE, DAY)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    versions = [a["version"] for a in store.assessments(anna, code)]
    assert versions == list(range(1, 1001))
    assert store.verify_audit(people["admin"]) == []


def test_catalogue_saves_at_the_same_time_get_one_version_each(store, people) -> None:
    mona = people["mona"]
    store.create_case(people["anna"])  # the unit NORR exists once it has a user
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for m in range(5):
                offers = [{"insats": "fft", "offered": True, "provider": "own", "waiting_weeks": 10 * n + m}]
                store.save_catalogue(mona, LocalCatalogue.model_validate({"unit": "NORR", "offers": offers}), "load")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [row["version"] for row in store.catalogue_log(mona, "NORR")] == list(range(20, 0, -1))


# ------------------------------------------------------------------ audit chain


def _tamper(store, sql: str) -> list[str]:
    admin = store.login("admin", "admin-password")  # its login entry comes before the tampering
    with store.engine.begin() as conn:
        conn.execute(text(sql))
    return [str(p) for p in store.verify_audit(admin)]


@pytest.fixture
def logged(store, people) -> CaseStore:
    code = store.create_case(people["anna"])
    for _ in range(3):
        store.plan(people["anna"], code)
    with store.engine.connect() as conn:
        newest = conn.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
    store.reads = [newest - 2, newest - 1, newest]  # type: ignore[attr-defined]  # the three plan reads
    return store  # before them: user adds and logins, then create_case


def test_an_intact_log_verifies(logged) -> None:
    assert logged.verify_audit(logged.login("admin", "admin-password")) == []


def test_a_changed_entry_is_named(logged) -> None:
    first = logged.reads[0]
    assert _tamper(logged, f"UPDATE audit_log SET actor = 'sven' WHERE seq = {first}") == [
        f"audit entry {first}: changed after it was written (plan.read by sven)"]


def test_a_deleted_entry_is_named(logged) -> None:
    first, second, _ = logged.reads
    assert _tamper(logged, f"DELETE FROM audit_log WHERE seq = {first}") == [
        f"audit entry {first}: missing: entries {first} were deleted",
        f"audit entry {second}: does not follow the entry before it: an entry before it was changed, inserted or "
        f"deleted"]


def test_an_inserted_entry_is_named(logged) -> None:
    last = logged.reads[2]
    problems = _tamper(logged, "INSERT INTO audit_log (seq, at, actor, action, case_code, detail, prev_hash, hash) "
                               "SELECT 1000, at, 'mallory', 'plan.read', case_code, '', hash, hash FROM audit_log "
                               f"WHERE seq = {last}")
    assert problems == [f"audit entry 1000: inserted: the newest entry the log wrote is {last + 1}"]


def test_deleting_the_newest_entries_is_detected(logged) -> None:
    _, second, last = logged.reads
    assert _tamper(logged, f"DELETE FROM audit_log WHERE seq >= {second}") == [  # with the admin's login after them
        f"audit entry {last + 1}: missing: entries {second}-{last + 1}, the newest, were deleted"]


def test_the_audit_log_is_read_newest_first_filtered_paged_and_the_reading_is_logged(logged) -> None:
    first, second, last = logged.reads
    admin = logged.login("admin", "admin-password")
    entries, total = logged.audit_entries(admin, limit=4)
    assert total == last + 1
    assert [(e["seq"], e["actor"], e["action"]) for e in entries] == [
        (last + 1, "admin", "login"), (last, "anna", "plan.read"), (second, "anna", "plan.read"),
        (first, "anna", "plan.read")]
    code = entries[1]["case_code"]
    entries, total = logged.audit_entries(admin, case_code=code, limit=2, offset=2)
    assert total == 4 and [e["seq"] for e in entries] == [first, first - 1]  # a read and the case's creation
    entries, total = logged.audit_entries(admin, actor="admin")
    assert total == 9  # four user adds, three logins (two in the fixtures, one here) and the two reads before
    assert (entries[0]["action"], entries[0]["case_code"], entries[0]["detail"]) == (
        "audit.read", code, "actor=* limit=2 offset=2")
    with pytest.raises(InputError, match=r"^audit log: expected a page size of at least 1 and an offset of at "
                                         r"least 0; found 0 and 0$"):
        logged.audit_entries(admin, limit=0)
    assert logged.verify_audit(admin) == []


def test_export_for_evaluators_is_pseudonymised(store, people, tmp_path, rules) -> None:
    anna, eva = people["anna"], people["eva"]
    start = dt.date(2025, 1, 15)  # twelve months of follow-up lie before today
    codes = []
    for i in range(7):
        code = store.create_case(anna, synthetic=True, sex="male" if i < 6 else "female", born_abroad=False)
        store.add_assessment(anna, code, {**CASE, "factors": {"peer_delinquency": i % 3}}, start)
        store.add_follow_up(anna, code, start + dt.timedelta(days=100), 1 if i % 2 else 0, "in_school", "none", "home")
        store.add_follow_up(anna, code, start + dt.timedelta(days=370), 0, "in_school", "none", "home")
        codes.append(code)
    unobserved = store.create_case(anna, sex="male", born_abroad=False)
    store.add_assessment(anna, unobserved, CASE, start)
    out = tmp_path / "outcomes.csv"
    summary = store.export_outcomes(eva, out, min_group=5)
    assert str(summary) == ("6 rows written; 1 left out in groups smaller than the minimum; "
                            "1 periods not yet followed up for 12 months")
    import pandas as pd

    df = pd.read_csv(out)
    assert len(df) == 6 and df["reoffended_12m"].tolist() == [0, 1, 0, 1, 0, 1]
    assert set(df["period_start"]) == {"2025-01"} and set(df["age"]) == {"15-17"}
    assert not set(df["case_id"]) & set(codes)
    store.export_outcomes(eva, tmp_path / "again.csv", min_group=5)
    assert not set(pd.read_csv(tmp_path / "again.csv")["case_id"]) & set(df["case_id"])  # new ids each export
    assert df["peer_delinquency"].tolist() == [0, 1, 2, 0, 1, 2] and df["history_of_violence"].isna().all()
    from matcher.modelling.training_data import read_training

    data = read_training(out, rules, "reoffended_12m", features=["peer_delinquency"], groups=["sex", "born_abroad"])
    assert (len(data.y), data.features) == (6, ("peer_delinquency",))  # the evaluators can train on it


def test_social_workers_and_managers_need_a_unit(store, people) -> None:
    with pytest.raises(InputError, match=r"^user bo: a manager needs a unit \(--unit CODE\)$"):
        store.add_user(people["admin"], "bo", "bo-password-12", "manager")
    with pytest.raises(InputError, match=r"^user mona: a manager needs a unit \(--unit CODE\)$"):
        store.set_role(people["admin"], "mona", "manager")


def test_role_names_are_checked(store, people) -> None:
    with pytest.raises(InputError, match=r"unknown role 'socialworker'; did you mean 'social_worker'\?"):
        store.set_role(people["admin"], "anna", "socialworker")
    assert {r.value for r in Role} == {"social_worker", "methodologist", "evaluator", "admin", "manager",
                                     "sig_coordinator", "partner"}


def test_snapshots_and_audit_entries_cannot_be_changed_through_the_store(store, people) -> None:
    from sqlalchemy.orm import Session

    from matcher.store.tables import Recommendation

    anna = people["anna"]
    code = store.create_case(anna)
    version = store.add_assessment(anna, code, CASE, DAY)
    rec_id = store.save_recommendation(anna, code, version, {"version": {"rule_base": "r", "model": "m",
                                                                         "evidence_snapshot": "2026-11-22"}})
    with Session(store.engine) as session:
        session.get(Recommendation, rec_id).model = "other"  # type: ignore[union-attr]
        with pytest.raises(PermissionError, match="Recommendation rows are never changed once written"):
            session.commit()
        session.rollback()
        session.scalars(select(AuditEntry)).first().actor = "mallory"  # type: ignore[union-attr]
        with pytest.raises(PermissionError, match="AuditEntry rows are never changed once written"):
            session.commit()


def test_reading_back_decisions_follow_ups_and_the_latest_recommendation(store, people) -> None:
    anna = people["anna"]
    code = store.create_case(anna)
    assert store.latest_recommendation(anna, code) is None
    version = store.add_assessment(anna, code, CASE, DAY)
    stamp = {"version": {"rule_base": "r", "model": "m", "evidence_snapshot": "2026-11-22"}}
    first = store.save_recommendation(anna, code, version, stamp)
    second = store.save_recommendation(anna, code, version, {**stamp, "note": "newer"})
    assert store.latest_recommendation(anna, code) == (second, {**stamp, "note": "newer"})
    store.record_decision(anna, code, first, [("mst", "accepted", "")], youth_view="ok")
    assert [d["items"] for d in store.decisions(anna, code)] == [[("mst", "accepted", "")]]
    store.add_follow_up(anna, code, DAY + dt.timedelta(days=180), 1, "high_absence", "use", "home",
                        completed=["mst"], youth_rating=6, reassessment=CASE)
    rows = store.follow_ups(anna, code)
    assert [(r["new_offences"], r["completed"], r["youth_rating"], r["reassessed"]) for r in rows] == [
        (1, ["mst"], 6, True)]
    assert [a["instrument"] for a in store.assessments(anna, code)] == ["factors", "reassessment"]
    with pytest.raises(AccessDenied):
        store.decisions(people["mona"], code)


# ------------------------------------------------------------------ rule impact on stored cases


def test_a_methodologist_sees_the_impact_of_a_rule_change_on_stored_cases_as_counts_only(
        store, people, rules, model, edited_rules) -> None:
    from matcher import load_rule_base

    new = load_rule_base(edited_rules("interventions/mst.yaml", "age: {min: 12, max: 17}", "age: {min: 12, max: 15}"))
    high = {"peer_delinquency": 2, "antisocial_attitudes": 2, "poor_parental_management": 2, "family_conflict": 2,
            "history_of_violence": 2, "impulsivity": 2}
    codes = []
    for who, age in ((people["anna"], 14), (people["anna"], 16), (people["sven"], 17)):
        codes.append(store.create_case(who, synthetic=True))
        store.add_assessment(who, codes[-1], {"context": {"age": age, "placement": "home", "caregiver": "takes_part"},
                                              "factors": high}, DAY)
    # only a case's latest assessment counts: the 14-year-old's case, reassessed at 16, now loses MST too
    store.add_assessment(people["anna"], codes[0], {"context": {"age": 16, "placement": "home",
                                                                "caregiver": "takes_part"}, "factors": high}, DAY)
    result = store.stored_case_impact(people["mona"], rules, new, model, model)
    # all three lose MST; each gains the next insats in line instead (BSFT, or Connect where BSFT was already shown)
    assert result == {"cases": 3, "unreadable": 0, "impact": [{"intervention": "bsft", "gained": 2, "lost": 0},
                                                              {"intervention": "connect", "gained": 1, "lost": 0},
                                                              {"intervention": "mst", "gained": 0, "lost": 3}]}
    assert not any(code in repr(result) for code in codes)
    with pytest.raises(AccessDenied, match=r"^anna \(social_worker\) may not rules\.write"):
        store.stored_case_impact(people["anna"], rules, new, model, model)
    with store.engine.connect() as conn:
        actions = conn.execute(select(AuditEntry.actor, AuditEntry.action)
                               .where(AuditEntry.action.like("%rules.impact"))).all()
    assert sorted(map(tuple, actions)) == [("anna", "denied:rules.impact"), ("mona", "rules.impact")]


def test_a_practice_not_to_offer_cannot_be_decided_or_planned(store, people) -> None:
    """Issue 13: the store refuses scared straight in a decision and in a plan, naming the evidence and what
    to consider instead; nothing is saved (SQLite and PostgreSQL)."""
    anna = people["anna"]
    code = store.create_case(anna)
    version = store.add_assessment(anna, code, CASE, DAY)
    rec = store.save_recommendation(anna, code, version, {"version": {"rule_base": "r", "model": "m",
                                                                      "evidence_snapshot": "2026-11-22"}})
    refused = (r"'scared-straight' is a practice not to offer and cannot be saved\. Socialstyrelsen advises against "
               r"Scared Straight-type deterrence programmes.*Evidence: socialstyrelsen 'bör inte erbjuda'.*Nothing was "
               r"saved; (consider instead|choose among)")
    with pytest.raises(InputError, match="decision on scared-straight: " + refused):
        store.record_decision(anna, code, rec, [("scared-straight", "overridden", "the family asked for it")])
    item = PlanItemInput("scared-straight", "socialtjanst", "stop offending", DAY, DAY + dt.timedelta(days=90))
    with pytest.raises(InputError, match="plan of case .*, scared-straight: " + refused):
        store.save_plan(anna, code, [item], 0)
    assert store.decisions(anna, code) == []
    assert store.plan(anna, code).version == 0

def test_a_follow_up_in_the_future_is_refused(store, people) -> None:
    anna = people["anna"]
    code = store.create_case(anna)
    store.add_assessment(anna, code, {"context": {"age": 15, "placement": "home", "caregiver": "takes_part"},
                                      "factors": {"peer_delinquency": 2}}, DAY)
    future = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)
    with pytest.raises(InputError, match=rf"^follow-up: the date {future} is in the future") as refused:
        store.add_follow_up(anna, code, future, 0, "in_school", "none", "home")
    assert (refused.value.key, refused.value.values) == ("error.follow_up.future", {"date": str(future)})
