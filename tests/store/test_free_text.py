"""A personnummer typed into a view, a goal or a reason is refused, named by field and item, before anything is
saved; saving rules and catalogues is logged under the acting user."""

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from matcher.errors import InputError
from matcher.local.catalogue import LocalCatalogue
from matcher.store.plans import PlanItemInput
from matcher.store.tables import Decision, RuleVersion
from tests.conftest import RULES

DAY = dt.date(2026, 1, 15)
CASE = {"context": {"age": 15, "placement": "home", "caregiver": "takes_part"}, "factors": {"peer_delinquency": 2}}
RESULT = {"version": {"rule_base": "sha256:abc", "model": "m", "evidence_snapshot": "2026-01-01"},
          "recommendations": [{"id": "mst", "rank": 1}]}
PNR = "20121212-1212"
REFUSED = ("holds what reads as a personnummer or samordningsnummer (a date and a valid check digit); a personnummer "
           "is never stored in clear. Write the text without it: the case code identifies the young person")


@pytest.fixture
def recommended(store, people) -> tuple[str, int]:
    anna = people["anna"]
    code = store.create_case(anna)
    return code, store.save_recommendation(anna, code, store.add_assessment(anna, code, CASE, DAY), RESULT)


@pytest.mark.parametrize(("kwargs", "where"), [
    ({"youth_view": f"Bor med mamma ({PNR})"}, "decision on case {code}, youth_view"),
    ({"youth_goals": "klara skolan, pnr 121212-1212"}, "decision on case {code}, youth_goals"),
    ({"guardian_view": f"pappa {PNR.replace('-', '')} vill ha stöd"}, "decision on case {code}, guardian_view"),
    ({"items": [("mst", "accepted", ""), ("fft", "overridden", f"syster {PNR} går redan")]},
     "decision on case {code}, fft, reason"),
])
def test_a_personnummer_in_a_decision_is_refused_and_nothing_saved(store, people, recommended, kwargs, where) -> None:
    code, rec = recommended
    with pytest.raises(InputError) as caught:
        store.record_decision(people["anna"], code, rec, **{"items": [("mst", "accepted", "")], **kwargs})
    assert str(caught.value) == f"{where.format(code=code)}: {REFUSED}"
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count(Decision.id))) == 0


def test_a_personnummer_in_a_plan_goal_is_refused_and_nothing_saved(store, people, recommended) -> None:
    code, _ = recommended
    items = [PlanItemInput("mst", "socialtjanst", "färre bråk hemma", DAY, DAY + dt.timedelta(days=90)),
             PlanItemInput("school-support", "skola", f"närvaro, elev {PNR}", DAY, DAY + dt.timedelta(days=90))]
    with pytest.raises(InputError) as caught:
        store.save_plan(people["anna"], code, items, 0)
    assert str(caught.value) == f"plan of case {code}, school-support, goal: {REFUSED}"
    assert store.plan(people["anna"], code).version == 0


def test_a_personnummer_in_a_rule_or_catalogue_reason_is_refused(store, people) -> None:
    with pytest.raises(InputError) as caught:
        store.save_rules(people["mona"], RULES, f"on request about {PNR}")
    assert str(caught.value) == f"rules save, reason: {REFUSED}"
    store.create_case(people["anna"])  # the unit NORR exists
    with pytest.raises(InputError) as caught:
        store.save_catalogue(people["mona"], LocalCatalogue(unit="NORR"), f"after {PNR}")
    assert str(caught.value) == f"catalogue save for unit NORR, reason: {REFUSED}"
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RuleVersion)) == 0
        details = conn.execute(text("SELECT detail FROM audit_log")).scalars().all()
    assert not any("1212" in detail for detail in details)


def test_rule_and_catalogue_saves_are_logged_under_the_acting_user(store, people) -> None:
    store.create_case(people["anna"])
    store.save_rules(people["mona"], RULES, "new age limits")
    store.save_catalogue(people["mona"], LocalCatalogue(unit="NORR"), "first catalogue")
    entries, _ = store.audit_entries(people["admin"], actor="mona")
    assert [(e["actor"], e["action"], e["detail"]) for e in entries][:2] == [
        ("mona", "catalogue.save", "NORR: first catalogue"), ("mona", "rules.save", "new age limits")]
