"""The effects report over the store: it recovers the effect planted in the synthetic histories within its interval,
finds nothing where nothing was planted, suppresses small cells, and only evaluators, managers (own unit) and
methodologists may read it, each read in the audit log."""

import datetime as dt
import re

import pytest

from matcher.auth import AccessDenied
from matcher.errors import InputError
from matcher.store.db import connect, upgrade
from matcher.store.effects_demo import NULL, PLANTED, synthetic_histories
from matcher.store.service import CaseStore
from tests.conftest import FAST, KEY

TODAY = dt.date(2026, 12, 1)
FIRST, LAST = dt.date(2022, 1, 1), dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, rules, model):
    """1,000 synthetic young people over four years in unit NORR (about 15 s: written once for the module)."""
    folder = tmp_path_factory.mktemp("effects")
    engine = connect(f"sqlite:///{folder / 'store.db'}")
    upgrade(engine)
    store = CaseStore(engine, rules, key=KEY, passwords=FAST, checkpoints=folder / "checkpoints.jsonl")
    store.add_user(None, "admin", "admin-password", "admin")
    admin = store.login("admin", "admin-password")
    for name, role, unit in [("anna", "social_worker", "NORR"), ("maja", "manager", "NORR"),
                             ("sture", "manager", "SYD"), ("eva", "evaluator", None), ("mona", "methodologist", None)]:
        store.add_user(admin, name, f"{name}-password", role, unit)
    people = {name: store.login(name, f"{name}-password") for name in ("admin", "anna", "maja", "sture", "eva", "mona")}
    histories, truth = synthetic_histories(rules, model, 1000, 7, FIRST, LAST, TODAY)
    store.add_synthetic_histories(people["anna"], histories)
    report = store.effects_report(people["eva"], "NORR", FIRST, LAST)
    return store, people, report, truth


def _all(report, iid):
    item = next(i for i in report.insatser if i.intervention == iid)
    return item, next(c for c in item.cells if c.group == "all")


@pytest.mark.parametrize("months", [6, 12])
def test_the_planted_effect_is_recovered_within_its_interval(seeded, months) -> None:
    _, _, report, truth = seeded
    _, cell = _all(report, PLANTED)
    estimate = cell.estimates[("reoffended", months)]
    true_effect = truth.effects[PLANTED][months]
    assert true_effect < -0.1  # the planted effect is there to be found
    assert estimate.low <= true_effect <= estimate.high
    assert estimate.high < 0  # and the report finds it: the whole interval lies below 0


@pytest.mark.parametrize("months", [6, 12])
def test_nothing_is_found_where_nothing_was_planted(seeded, months) -> None:
    _, _, report, truth = seeded
    assert truth.effects[NULL][months] == 0.0
    _, cell = _all(report, NULL)
    estimate = cell.estimates[("reoffended", months)]
    assert estimate.low <= 0 <= estimate.high



def test_outcomes_no_insats_changes_show_no_more_differences_than_chance(seeded) -> None:
    """16 intervals of outcomes nothing was planted for: at 95 % about one may miss 0 by chance; more would be bias."""
    _, _, report, _ = seeded
    missed = [(iid, name, months) for iid in (PLANTED, NULL) for months in (6, 12)
              for name in ("school_or_work", "substance_use", "placed", "youth_rating")
              if not _all(report, iid)[1].estimates[(name, months)].low <= 0
              <= _all(report, iid)[1].estimates[(name, months)].high]
    assert len(missed) <= 2, missed


def test_overlap_counts_and_the_synthetic_label(seeded) -> None:
    _, _, report, truth = seeded
    assert (report.episodes, report.synthetic, report.min_group) == (1000, 1000, 5)
    item, cell = _all(report, PLANTED)
    assert item.n_treated == truth.treated[PLANTED]
    assert 0 < item.excluded_share < 0.6  # MST is for 12-17: the 18-20-year-olds have no one like them who got it
    assert cell.n_treated <= item.n_treated


def test_small_cells_are_suppressed(seeded, rules) -> None:
    store, people, _, _ = seeded
    # one quarter: few young people per insats and group
    report = store.effects_report(people["maja"], "NORR", dt.date(2025, 10, 1), dt.date(2025, 12, 31), bootstrap=20)
    cells = [c for i in report.insatser for c in i.cells]
    small = [c for c in cells if c.suppressed]
    assert small and all(c.n_treated < 5 or c.n_compared < 5 for c in small)
    assert all(e is None for c in small for e in c.estimates.values())
    shown = [e for c in cells if not c.suppressed for e in c.estimates.values() if e is not None]
    assert all(e.n_treated >= 5 and e.n_compared >= 5 for e in shown)


def test_who_may_read_it(seeded) -> None:
    store, people, _, _ = seeded
    store.effects_report(people["mona"], "NORR", FIRST, LAST, bootstrap=10, interventions=[PLANTED])
    with pytest.raises(AccessDenied, match=re.escape("sture (manager, unit SYD) may not reports.read for unit NORR")):
        store.effects_report(people["sture"], "NORR", FIRST, LAST, bootstrap=10)
    for name in ("anna", "admin"):
        with pytest.raises(AccessDenied, match="may not read the effects report; evaluators, managers"):
            store.effects_report(people[name], "NORR", FIRST, LAST, bootstrap=10)
    actions = [e["action"] for e in store.audit_entries(people["admin"], limit=200)[0]]
    assert actions.count("report.effects") >= 3 and "denied:report.effects" in actions


def test_bad_input_is_named(seeded) -> None:
    store, people, _, _ = seeded
    with pytest.raises(InputError, match=re.escape("the period ends (2022-01-01) before it starts (2023-01-01)")):
        store.effects_report(people["eva"], "NORR", dt.date(2023, 1, 1), dt.date(2022, 1, 1))
    with pytest.raises(InputError, match="--bootstrap must be from 10 to 2000 resamples; found 5"):
        store.effects_report(people["eva"], "NORR", FIRST, LAST, bootstrap=5)
    with pytest.raises(InputError, match="unknown unit 'VÄST'"):
        store.effects_report(people["eva"], "VÄST", FIRST, LAST, bootstrap=10)


# ------------------------------------------------------------------ follow-up per plan item


def test_a_follow_up_records_goal_attainment_and_dose_per_plan_item(store, people) -> None:
    from matcher.store.follow_ups import ItemResult
    from matcher.store.plans import PlanItemInput

    anna = people["anna"]
    code = store.create_case(anna)
    day = dt.date(2026, 1, 10)
    store.add_assessment(anna, code, {"context": {"age": 15, "placement": "home", "caregiver": "takes_part"},
                                      "factors": {"peer_delinquency": 2}}, day)
    store.save_plan(anna, code, [PlanItemInput("mst", "socialtjanst", "Färre bråk hemma", day,
                                               day + dt.timedelta(days=90), "active")], 0)
    store.add_follow_up(anna, code, day + dt.timedelta(days=180), 0, "in_school", "none", "home",
                        items=[ItemResult("mst", "partly", 12, 30.5)])
    assert store.follow_ups(anna, code)[0]["items"] == [
        {"intervention": "mst", "attainment": "partly", "sessions_delivered": 12, "hours_delivered": 30.5}]
    later = day + dt.timedelta(days=200)
    with pytest.raises(InputError, match=re.escape(f"follow-up of case {code}: fft is not in the case's plan (mst); "
                                                   "add it to the plan first")):
        store.add_follow_up(anna, code, later, 0, "in_school", "none", "home", items=[ItemResult("fft", "met")])
    with pytest.raises(InputError, match=re.escape(f"follow-up of case {code}, mst: goal attainment must be one of "
                                                   "met, partly, not_met; found 'done'")):
        store.add_follow_up(anna, code, later, 0, "in_school", "none", "home", items=[ItemResult("mst", "done")])
    with pytest.raises(InputError, match="the plan item is given twice"):
        store.add_follow_up(anna, code, later, 0, "in_school", "none", "home",
                            items=[ItemResult("mst", "met"), ItemResult("mst", "partly")])
    with pytest.raises(InputError, match="hours_delivered must be a number from 0 to 10000; found -1"):
        store.add_follow_up(anna, code, later, 0, "in_school", "none", "home", items=[ItemResult("mst", "met", 1, -1)])
    assert len(store.follow_ups(anna, code)) == 1  # nothing refused was saved
    assert store.verify_audit(people["admin"]) == []  # the new column is sealed with its row


def test_the_report_reads_the_same_rows_on_sqlite_and_postgresql(store, people, rules, model) -> None:
    histories, truth = synthetic_histories(rules, model, 120, 5, FIRST, LAST, TODAY)
    assert store.add_synthetic_histories(people["anna"], histories) == 120
    report = store.effects_report(people["eva"], "NORR", FIRST, LAST, bootstrap=10)
    assert (report.episodes, report.synthetic, report.unreadable) == (120, 120, 0)
    assert {i.intervention: i.n_treated for i in report.insatser} == {
        iid: n for iid, n in truth.treated.items() if n}
    assert store.effects_units(people["eva"]) == ["NORR", "SYD"]
    assert store.verify_audit(people["admin"]) == []  # every synthetic row sealed, the write audited


def test_the_demo_history_count_is_a_whole_number_or_a_located_message(monkeypatch) -> None:
    from matcher.store.demo import HISTORIES, demo_histories

    monkeypatch.delenv("INSATSMATCH_DEMO_HISTORIES", raising=False)
    assert demo_histories() == HISTORIES
    monkeypatch.setenv("INSATSMATCH_DEMO_HISTORIES", "0")
    assert demo_histories() == 0
    for bad in ("-1", "tusen", "5001"):
        monkeypatch.setenv("INSATSMATCH_DEMO_HISTORIES", bad)
        with pytest.raises(InputError, match=re.escape("INSATSMATCH_DEMO_HISTORIES: expected a whole number from 0 "
                                                       f"to 5000 (synthetic young people for the effects report); "
                                                       f"found '{bad}'")):
            demo_histories()


def test_an_assessment_that_no_longer_fits_the_rule_base_is_left_out_and_counted(store, people, rules, model) -> None:
    from sqlalchemy import select, update

    from matcher.store.tables import Assessment

    histories, _ = synthetic_histories(rules, model, 30, 11, FIRST, LAST, TODAY)
    store.add_synthetic_histories(people["anna"], histories)
    with store.engine.begin() as conn:  # as if written under a rule base that had another factor
        first = conn.scalar(select(Assessment.id).order_by(Assessment.id).limit(1))
        conn.execute(update(Assessment).where(Assessment.id == first).values(
            data={**histories[0].case, "factors": {"a_factor_since_removed": 2}}))
    report = store.effects_report(people["eva"], "NORR", FIRST, LAST, bootstrap=10)
    assert (report.episodes, report.unreadable) == (29, 1)
