"""SIG: partners see exactly what consent covers, nothing after withdrawal, and every view is audited; the
homecoming plan is flagged before discharge (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

import datetime as dt

import pytest
from sqlalchemy import select

from matcher import InputError
from matcher.auth import AccessDenied
from matcher.store.consents import CATEGORIES
from matcher.store.homecoming import HomecomingPartInput, HomecomingView, homecoming_warnings
from matcher.store.plans import PlanItemInput
from matcher.store.tables import AuditEntry

TODAY = dt.date.today()
CASE = {"context": {"age": 15, "placement": "home", "caregiver": "takes_part"}, "factors": {"peer_delinquency": 2}}


@pytest.fixture
def sig(store, people):
    """A coordinator and two partners (school, police) in NORR, a school partner in SYD, and a case of NORR with
    a plan for social services, the school and the police; the young person is 15 (a guardian must consent)."""
    admin = people["admin"]
    store.add_user(admin, "kim", "kim-password", "sig_coordinator", "NORR")
    store.add_user(admin, "sara", "sara-password", "partner", "NORR", "school")
    store.add_user(admin, "per", "per-password", "partner", "NORR", "polis")
    store.add_user(admin, "syd", "syd-password", "partner", "SYD", "skola")
    who = {n: store.login(n, f"{n}-password") for n in ("kim", "sara", "per", "syd")}
    code = store.create_case(who["kim"], synthetic=True, born_on=TODAY.replace(year=TODAY.year - 15, day=1))
    items = [PlanItemInput("mst", "socialtjanst", "färre konflikter hemma", TODAY, TODAY + dt.timedelta(days=90)),
             PlanItemInput("school-support", "skola", "närvaro 90 %", TODAY, TODAY + dt.timedelta(days=60)),
             PlanItemInput("school-support", "polis", "kontakt varje vecka", TODAY, TODAY + dt.timedelta(days=30))]
    store.save_plan(who["kim"], code, items, 0)
    return {**people, **who, "code": code}


def _partner_audit(store) -> list[tuple[str, str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.detail)
                            .where(AuditEntry.action.like("%sig.partner%")).order_by(AuditEntry.seq))
        return [tuple(r) for r in rows]


def test_a_partner_sees_exactly_the_consented_categories_and_nothing_after_withdrawal(store, sig) -> None:
    kim, sara, code = sig["kim"], sig["sara"], sig["code"]
    yesterday = TODAY - dt.timedelta(days=1)
    with pytest.raises(InputError, match=f"^unknown case '{code}'"):
        store.meeting(sara, code)  # no consent yet: as if the case did not exist
    assert store.partner_cases(sara) == []
    youth = store.add_consent(kim, code, "youth", ["skola"], yesterday, categories=["plan_items", "goals"])
    with pytest.raises(InputError, match=f"^unknown case '{code}'"):
        store.meeting(sara, code)  # 15 years old: the young person's consent alone is not enough
    store.add_consent(kim, code, "guardian", ["skola", "polis"], yesterday,
                      categories=["plan_items", "goals", "risk_level"])
    view = store.meeting(sara, code)
    assert view.shown == {"plan_items", "goals"}  # what both givers named
    assert [(t.shared.item.actor, t.shared.item.goal) for t in view.tasks] == [("skola", "närvaro 90 %")]
    assert view.risk is None and view.youth_view is None and view.act_first is None and view.decisions == ()
    assert [c.kind for c in view.changes] == ["plan"]  # no follow-up results without consent for them
    assert view.withheld == ("views", "follow_up", "assessment", "risk_level", "act_first")
    assert store.partner_cases(sara) == [{"code": code, "synthetic": True}]
    with pytest.raises(InputError, match=f"^unknown case '{code}'"):
        store.meeting(sig["per"], code)  # the police have only the guardian's consent
    store.withdraw_consent(kim, code, youth)
    with pytest.raises(InputError, match=f"^unknown case '{code}'"):
        store.meeting(sara, code)
    assert store.partner_cases(sara) == []
    assert _partner_audit(store) == [
        ("sara", "denied:sig.partner_view", "no valid consent names skola on " + TODAY.isoformat() +
         "; answered as unknown"),
        ("sara", "sig.partner_cases", f"skola on {TODAY}"),
        ("sara", "denied:sig.partner_view", f"no valid consent names skola on {TODAY}; answered as unknown"),
        ("sara", "sig.partner_view", "skola: shown plan_items, goals; withheld views, follow_up, assessment, "
                                     "risk_level, act_first"),
        ("sara", "sig.partner_cases", f"skola on {TODAY}"),
        ("per", "denied:sig.partner_view", f"no valid consent names polis on {TODAY}; answered as unknown"),
        ("sara", "denied:sig.partner_view", f"no valid consent names skola on {TODAY}; answered as unknown"),
        ("sara", "sig.partner_cases", f"skola on {TODAY}")]


def test_the_coordinator_sees_the_whole_case_and_what_each_agency_may_see(store, sig) -> None:
    kim, code = sig["kim"], sig["code"]
    store.add_consent(kim, code, "youth", ["skola"], TODAY)
    store.add_consent(kim, code, "guardian", ["skola"], TODAY, categories=["plan_items"])
    view = store.meeting(kim, code)
    assert view.shown == set(CATEGORIES) and view.audience is None
    assert [(t.shared.item.actor, t.shared.shown) for t in view.tasks] == \
        [("socialtjanst", True), ("skola", True), ("polis", False)]
    assert {a: [c for c, v in cov.items() if v.shown] for a, cov in view.coverage.items()} == \
        {"skola": ["plan_items"], "polis": []}


def test_a_partner_of_another_unit_or_without_an_agency_sees_nothing(store, sig) -> None:
    kim, code = sig["kim"], sig["code"]
    for giver in ("youth", "guardian"):
        store.add_consent(kim, code, giver, ["skola"], TODAY)
    with pytest.raises(InputError, match=f"^unknown case '{code}'"):
        store.meeting(sig["syd"], code)
    with pytest.raises(AccessDenied):
        store.plan(sig["sara"], code)  # a partner has no case action: only the SIG view
    with pytest.raises(InputError, match="a partner needs an agency"):
        store.add_user(sig["admin"], "utan", "utan-password", "partner", "NORR")
    with pytest.raises(InputError, match="only a partner belongs to another agency"):
        store.add_user(sig["admin"], "utan", "utan-password", "social_worker", "NORR", "skola")


def test_a_partner_reports_on_its_own_tasks_and_the_coordinator_sees_it(store, sig) -> None:
    kim, sara, code = sig["kim"], sig["sara"], sig["code"]
    for giver in ("youth", "guardian"):
        store.add_consent(kim, code, giver, ["skola"], TODAY)
    with pytest.raises(InputError, match="say why it was not done"):
        store.report_task(sara, code, "school-support", "skola", False, " ")
    with pytest.raises(InputError, match="its own agency's tasks"):
        store.report_task(sara, code, "school-support", "polis", True)
    store.report_task(sara, code, "school-support", "skola", False, "Mentorn var sjukskriven i tre veckor.")
    task = next(t for t in store.meeting(kim, code).tasks if t.shared.item.actor == "skola")
    assert (task.report.done, task.report.why, task.report.by) == \
        (False, "Mentorn var sjukskriven i tre veckor.", "sara")  # type: ignore[union-attr]
    changes = store.meeting(kim, code).changes
    assert [c.kind for c in changes] == ["plan", "report"]


def test_meetings_set_what_changed_since_and_the_next_date(store, sig) -> None:
    kim, code = sig["kim"], sig["code"]
    earlier = TODAY - dt.timedelta(days=20)
    store.record_meeting(kim, code, earlier - dt.timedelta(days=1), earlier + dt.timedelta(days=1))
    store.add_follow_up(kim, code, earlier, 0, "in_school", "none", "home")
    store.record_meeting(kim, code, earlier, TODAY + dt.timedelta(days=14), "Första mötet.")
    store.add_follow_up(kim, code, TODAY, 2, "out_of_school", "none", "hvb", completed=["mst"])
    view = store.meeting(kim, code)
    assert (view.last_meeting, view.next_meeting, view.coordinator) == (earlier, TODAY + dt.timedelta(days=14), "kim")
    assert [(c.kind, c.values) for c in view.changes if c.kind != "plan"] == [
        ("offences", {"count": 2}), ("school", {"before": "in_school", "after": "out_of_school"}),
        ("placement", {"before": "home", "after": "hvb"}), ("attained", {"insats": "mst"})]
    with pytest.raises(InputError, match="must come after this one"):
        store.record_meeting(kim, code, TODAY, TODAY)
    with pytest.raises(AccessDenied):
        store.record_meeting(sig["anna"], code, TODAY, None)  # a social worker does not run the SIG meeting


def _homecoming(discharge: dt.date, *parts: tuple[str, dt.date, bool]) -> HomecomingView:
    return HomecomingView("Ungdomshemmet (syntetiskt)", discharge,
                          tuple(HomecomingPartInput(p, "socialtjanst", "mål", due, ready) for p, due, ready in parts))


def test_a_homecoming_plan_missing_a_part_is_flagged_before_discharge() -> None:
    discharge = dt.date(2026, 6, 1)
    plan = _homecoming(discharge, ("school", dt.date(2026, 5, 20), False), ("housing", dt.date(2026, 6, 10), False),
                       ("occupation", dt.date(2026, 4, 1), False))
    assert homecoming_warnings(plan, dt.date(2026, 4, 5), 8) == []  # more than 8 weeks before: not yet
    warned = homecoming_warnings(plan, dt.date(2026, 4, 6), 8)  # 8 weeks before
    assert [(w.kind, w.part) for w in warned] == [("late", "housing"), ("overdue", "occupation"),
                                                  ("missing", "parent_support")]
    done = _homecoming(discharge, *[(p, dt.date(2026, 5, 1), True)
                                    for p in ("school", "housing", "occupation", "parent_support")])
    assert homecoming_warnings(done, dt.date(2026, 5, 30), 8) == []


def test_the_homecoming_plan_is_saved_and_a_sis_partner_sees_its_own_part(store, sig) -> None:
    kim, code = sig["kim"], sig["code"]
    store.add_user(sig["admin"], "siv", "siv-password", "partner", "NORR", "sis")
    siv = store.login("siv", "siv-password")
    for giver in ("youth", "guardian"):
        store.add_consent(kim, code, giver, ["sis"], TODAY, categories=["plan_items"])
    discharge = TODAY + dt.timedelta(weeks=4)
    store.save_homecoming(kim, code, "Ungdomshemmet (syntetiskt)", discharge, [
        HomecomingPartInput("school", "skola", "Plats i klass 9", discharge - dt.timedelta(days=7)),
        HomecomingPartInput("parent_support", "sis", "Föräldrasamtal före hemgång", discharge)])
    full = store.meeting(kim, code).homecoming
    assert full is not None and [p.part for p in full.parts] == ["school", "parent_support"]
    assert [(w.kind, w.part) for w in homecoming_warnings(full, TODAY, store.rules.policy.homecoming_start_weeks)] \
        == [("missing", "housing"), ("missing", "occupation")]
    seen = store.meeting(siv, code).homecoming
    assert seen is not None and [p.part for p in seen.parts] == ["parent_support"]
    with pytest.raises(InputError, match="the part 'school' is given twice"):
        store.save_homecoming(kim, code, "Hemmet", discharge, [
            HomecomingPartInput("school", "skola", "a", TODAY), HomecomingPartInput("school", "skola", "b", TODAY)])
    with pytest.raises(InputError, match="unknown part 'boende'"):
        store.save_homecoming(kim, code, "Hemmet", discharge, [HomecomingPartInput("boende", "skola", "a", TODAY)])


def test_how_each_part_held_up_is_recorded_from_the_homecoming_on(store, sig) -> None:
    kim, code = sig["kim"], sig["code"]
    soon, past = TODAY + dt.timedelta(days=3), TODAY - dt.timedelta(days=30)
    with pytest.raises(InputError, match=r"held up is recorded after the homecoming \(" + soon.isoformat()):
        store.save_homecoming(kim, code, "Hemmet", soon, [
            HomecomingPartInput("school", "skola", "Plats i nian", soon, True, "held")])
    store.save_homecoming(kim, code, "Hemmet", past, [
        HomecomingPartInput("school", "skola", "Plats i nian", past, True, "held"),
        HomecomingPartInput("housing", "socialtjanst", "Bo hemma", past, True, "not_held")])
    plan = store.meeting(kim, code).homecoming
    assert plan is not None and [(p.part, p.held_up) for p in plan.parts] == [("school", "held"),
                                                                               ("housing", "not_held")]
    with pytest.raises(InputError, match="held_up must be one of held, partly, not_held; found 'höll'"):
        store.save_homecoming(kim, code, "Hemmet", past, [
            HomecomingPartInput("school", "skola", "Plats i nian", past, True, "höll")])
