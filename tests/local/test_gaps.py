"""The service-gap report (``matcher.local.gaps``, ``CaseStore.gap_report``, ``matcher.documents.gap_report``,
``matcher report gaps``) and the catalogue commands, on the real store: SQLite, and PostgreSQL when
TEST_DATABASE_URL is set.

The store is seeded by hand: catalogue versions and recommendations get their times written directly (a Core
UPDATE, which the ORM's never-changed guard does not see), so the counts below can be worked out by hand.
"""

import datetime as dt
import re
import shutil
import subprocess
from typing import Any

import pytest
from sqlalchemy import select, update

from matcher import InputError
from matcher.auth import AccessDenied, Principal
from matcher.documents.gap_report import gap_charts, gap_csv, gap_pdf, gap_text
from matcher.i18n import SWEDEN
from matcher.local.catalogue import (
    Licence,
    LocalCatalogue,
    Offer,
    StoredCatalogue,
    catalogue_yaml,
    load_catalogue,
)
from matcher.local.gaps import GapReport, PlanItemRecord, StoredRecommendation, gap_report
from matcher.store.db import connect, upgrade
from matcher.store.plans import PlanItemInput
from matcher.store.service import CaseStore
from matcher.store.tables import CatalogueVersion, Recommendation, Unit
from tests.conftest import EXAMPLES, FAST, KEY, PG, postgres_schema, run_cli

# ------------------------------------------------------------------ the store (fixtures engine and store: conftest)

CASE = {"context": {"age": 15, "placement": "home", "caregiver": "takes_part"}, "factors": {"peer_delinquency": 2}}
STAMP = {"rule_base": "sha256:abc", "model": "baseline-scorecard-1", "evidence_snapshot": "2026-11-22"}
FEB = (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
LATER = dt.date(2026, 6, 1)  # "today" for the dose: after the period, so the dose is compared at its end


@pytest.fixture
def people(store) -> dict[str, Principal]:
    """Social workers and managers of NORR and SYD, a methodologist, an evaluator."""
    store.add_user(None, "admin", "admin-password", "admin")
    admin = store.login("admin", "admin-password")
    users = [("anna", "social_worker", "NORR"), ("sven", "social_worker", "SYD"), ("nora", "manager", "NORR"),
             ("sam", "manager", "SYD"), ("mona", "methodologist", None),
             ("eva", "evaluator", None)]
    for name, role, unit in users:
        store.add_user(admin, name, f"{name}-password", role, unit)
    return {"admin": admin, **{name: store.login(name, f"{name}-password") for name, _, _ in users}}


# ------------------------------------------------------------------ seeding by hand


def _local(*when: int) -> dt.datetime:
    """A moment in Swedish time, as the store keeps it (UTC)."""
    return dt.datetime(*when, tzinfo=SWEDEN).astimezone(dt.UTC)


def _offer(insats: str, waiting_weeks: float | None = None, **fields: Any) -> Offer:
    return Offer(insats=insats, offered=True, provider=fields.pop("provider", "own"), waiting_weeks=waiting_weeks,
                 **fields)


def _not_offered(insats: str) -> Offer:
    return Offer(insats=insats, offered=False)


V1 = [_not_offered("mst"), _offer("fft", 0), _offer("mdft", 6, provider="purchased"), _offer("pmto", 2)]
V2 = [_offer("mst", 4, licence=Licence(kind="MST licence", valid_until=dt.date(2027, 1, 1))), _not_offered("fft"),
      _offer("mdft", 10, provider="purchased"), _offer("pmto")]
V3 = [_not_offered("mst"), _offer("fft"), _not_offered("mdft"), _offer("pmto", 8), _offer("art")]


def _save_catalogue(store: CaseStore, who: Principal, unit: str, offers: list[Offer], at: dt.datetime) -> int:
    version, new = store.save_catalogue(who, LocalCatalogue(unit=unit, offers=offers), f"as of {at:%Y-%m-%d}")
    assert new
    table = CatalogueVersion.__table__
    unit_id = select(Unit.id).where(Unit.code == unit).scalar_subquery()
    with store.engine.begin() as conn:
        conn.execute(update(table).where(table.c.unit_id == unit_id, table.c.version == version).values(saved_at=at))
    return version


def _case(store: CaseStore, who: Principal, plan: list[PlanItemInput] = ()) -> str:
    code = store.create_case(who, synthetic=True)
    store.add_assessment(who, code, CASE, dt.date(2026, 1, 5))
    if plan:
        store.save_plan(who, code, plan, 0)
    return code


def _recommend(store: CaseStore, who: Principal, code: str, ranked: list[str], at: dt.datetime) -> None:
    """A saved recommendation with ``ranked`` as its top, saved at ``at``."""
    result = {"version": STAMP, "recommendations": [{"id": iid, "rank": n} for n, iid in enumerate(ranked, 1)]}
    row_id = store.save_recommendation(who, code, 1, result)
    table = Recommendation.__table__
    with store.engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == row_id).values(created_at=at))


def _item(intervention: str, status: str, start: dt.date, sessions: float | None = None,
          hours: float | None = None) -> PlanItemInput:
    return PlanItemInput(intervention, "socialtjanst", f"goal for {intervention}", start,
                         start + dt.timedelta(days=90), status, sessions, hours)


@pytest.fixture
def seeded(store, people) -> CaseStore:
    """NORR's catalogue: v1 from 10 January, v2 from 15 February noon; four NORR cases and one SYD case.

    C1 first at 1 Feb 00:00 (v1): mst 1, mdft 2, fft 3, pmto 4; again 20 Feb (v2): mst 1, pmto 2, fft 3.
    C2 at 15 Feb 12:00, the moment v2 was saved (v2): mdft 1, mst 2, sis-homecoming 3.
    C3 at 28 Feb 23:59:59 (v2): mst 1, fft 2, art 3.
    C4 at 31 Jan 23:59:59 (v1) and 1 Mar 00:00 (v2): fft 1 - outside February both times.
    S1 (SYD) at 10 Feb: mst 1, fft 2.
    """
    anna, sven, mona = people["anna"], people["sven"], people["mona"]
    _save_catalogue(store, mona, "NORR", V1, _local(2026, 1, 10, 9))
    _save_catalogue(store, mona, "NORR", V2, _local(2026, 2, 15, 12))
    c1 = _case(store, anna, [_item("fft", "active", dt.date(2026, 1, 1), sessions=3, hours=10),
                             _item("mdft", "completed", dt.date(2025, 12, 1), hours=7)])
    c2 = _case(store, anna, [_item("fft", "active", dt.date(2026, 1, 1), sessions=2),
                             _item("mdft", "active", dt.date(2026, 2, 1))])
    c3 = _case(store, anna, [_item("pmto", "active", dt.date(2026, 1, 1), sessions=1),
                             _item("art", "planned", dt.date(2026, 2, 1), hours=0),
                             _item("kontaktperson", "active", dt.date(2026, 1, 1), sessions=1)])
    c4 = _case(store, anna, [_item("art", "completed", dt.date(2025, 12, 1), hours=30),
                             _item("connect", "completed", dt.date(2025, 11, 1), sessions=9),
                             _item("fft", "active", dt.date(2026, 2, 28), sessions=0)])
    s1 = _case(store, sven, [_item("fft", "completed", dt.date(2025, 9, 1), sessions=0, hours=0)])
    _recommend(store, anna, c1, ["mst", "mdft", "fft", "pmto"], _local(2026, 2, 1, 0, 0, 0))
    _recommend(store, anna, c1, ["mst", "pmto", "fft"], _local(2026, 2, 20, 8))
    _recommend(store, anna, c2, ["mdft", "mst", "sis-homecoming"], _local(2026, 2, 15, 12))
    _recommend(store, anna, c3, ["mst", "fft", "art"], _local(2026, 2, 28, 23, 59, 59))
    _recommend(store, anna, c4, ["fft"], _local(2026, 1, 31, 23, 59, 59))
    _recommend(store, anna, c4, ["fft"], _local(2026, 3, 1, 0, 0, 0))
    _recommend(store, sven, s1, ["mst", "fft"], _local(2026, 2, 10, 10))
    return store


def _rows(report: GapReport) -> list[tuple]:
    """(insats, status at end, offered, waiting, not offered, unlisted, mean wait, max wait, dose compared,
    under-dosed, not recorded) per row, in the report's order."""
    return [(r.intervention, r.status_at_end, *(r.recommended[s] for s in ("offered", "waiting", "not_offered",
                                                                             "unlisted")),
             r.mean_wait, r.max_wait, r.dose_compared, r.under_dosed, r.not_recorded) for r in report.rows]


# Worked out by hand from the seeding above (top 3, dose compared on 28 February):
# - mst: C1 at v1 not offered (not recounted at v2), C2 and C3 at v2 waiting 4 weeks.
# - fft: C1 at v1 offered (0 weeks is no wait), C3 at v2 not offered. Dose: C1 3 of 3.2 sessions and 10 of 9.5
#   hours due after 58 of 182.6 days; C2 2 < 0.8 x 3.2 sessions, under-dosed; C4 started on the last day, 0 due.
# - mdft: C1 at v1 waiting 6, C2 at v2 waiting 10 (mean 8, max 10). Dose: C1 completed, 7 < 0.8 x 9.8 hours;
#   C2 active since 1 Feb with 2.9 hours due and nothing recorded.
# - art: C3 at v2 unlisted; C4's completed 30 of 30 hours. pmto: C1's second recommendation at v2, no wait;
#   C3's active pmto has no duration, so it is not compared. sis-homecoming: C2, unlisted.
# - connect: C4's completed item was due for follow-up on 30 January, before February: it did not run then, and
#   neither did S1's fft (SYD). kontaktperson has no dose; C3's art is only planned.
FEB_ROWS = [
    ("mst", "waiting", 0, 2, 1, 0, 4.0, 4.0, 0, 0, 0),
    ("fft", "not_offered", 1, 0, 1, 0, None, None, 3, 1, 0),
    ("mdft", "waiting", 0, 2, 0, 0, 8.0, 10.0, 1, 1, 1),
    ("art", "unlisted", 0, 0, 0, 1, None, None, 1, 0, 0),
    ("pmto", "offered", 1, 0, 0, 0, None, None, 0, 0, 0),
    ("sis-homecoming", "unlisted", 0, 0, 0, 1, None, None, 0, 0, 0),
]


def _february(store: CaseStore, who: Principal, top_k: int = 3, today: dt.date = LATER) -> GapReport:
    return store.gap_report(who, "NORR", *FEB, top_k, today=today)


# ------------------------------------------------------------------ the counts


def test_the_report_counts_each_case_once_per_insats_at_its_first_recommendation(seeded, people) -> None:
    report = _february(seeded, people["nora"])
    assert (report.unit, report.start, report.end, report.top_k, report.dose_on) == ("NORR", *FEB, 3, FEB[1])
    assert (report.cases, report.synthetic_cases, report.catalogue_version) == (3, 3, 2)
    assert _rows(report) == FEB_ROWS
    assert [(r.total, r.under_dose_rate) for r in report.rows] == [(3, None), (2, 1 / 3), (2, 1.0), (1, 0.0),
                                                                   (1, None), (1, None)]


def test_a_later_catalogue_change_does_not_rewrite_history(seeded, people) -> None:
    before = _february(seeded, people["nora"])
    _save_catalogue(seeded, people["mona"], "NORR", V3, _local(2026, 3, 5, 9))
    after = _february(seeded, people["nora"])
    assert (after.catalogue_version, _rows(after)) == (2, _rows(before)) == (2, FEB_ROWS)
    march = seeded.gap_report(people["nora"], "NORR", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 3, today=LATER)
    assert (march.cases, march.catalogue_version) == (1, 3)
    assert [(r.intervention, r.status_at_end, r.recommended["not_offered"]) for r in march.rows[:1]] == [
        ("fft", "offered", 1)]  # C4 on 1 March, under v2; v3 offers fft again from 5 March


def test_the_period_is_inclusive_by_the_swedish_day(seeded, people) -> None:
    nora = people["nora"]
    last_of_january = seeded.gap_report(nora, "NORR", dt.date(2026, 1, 31), dt.date(2026, 1, 31), 3, today=LATER)
    first_of_march = seeded.gap_report(nora, "NORR", dt.date(2026, 3, 1), dt.date(2026, 3, 1), 3, today=LATER)
    assert [(r.cases, r.rows[0].intervention, r.rows[0].recommended) for r in (last_of_january, first_of_march)] == [
        (1, "fft", {"offered": 1, "waiting": 0, "not_offered": 0, "unlisted": 0}),
        (1, "fft", {"offered": 0, "waiting": 0, "not_offered": 1, "unlisted": 0})]
    first_day = seeded.gap_report(nora, "NORR", FEB[0], FEB[0], 3, today=LATER)  # C1 at 00:00 only
    assert (first_day.cases, [(r.intervention, r.total) for r in first_day.rows if r.total]) == (
        1, [("fft", 1), ("mdft", 1), ("mst", 1)])  # equal totals: rule-base order
    last_day = seeded.gap_report(nora, "NORR", FEB[1], FEB[1], 3, today=LATER)  # C3 at 23:59:59 only
    assert (last_day.cases, [(r.intervention, r.total) for r in last_day.rows if r.total]) == (
        1, [("art", 1), ("fft", 1), ("mst", 1)])
    before = seeded.gap_report(nora, "NORR", dt.date(2025, 12, 1), dt.date(2025, 12, 31), 3, today=LATER)
    assert (before.cases, before.catalogue_version) == (0, None)
    assert all(r.status_at_end == "unlisted" and r.total == 0 for r in before.rows)


def test_top_k_cuts_off_the_recommendations_counted(seeded, people) -> None:
    # top 1: C1 mst (v1 not offered), C2 mdft (v2, 10 weeks), C3 mst (v2, 4 weeks); the rest are dose rows
    report = _february(seeded, people["nora"], top_k=1)
    assert [(r.intervention, r.total, r.recommended["waiting"], r.recommended["not_offered"], r.waits)
            for r in report.rows] == [("mst", 2, 1, 1, [4.0]), ("mdft", 1, 1, 0, [10.0]), ("art", 0, 0, 0, []),
                                      ("fft", 0, 0, 0, [])]
    assert report.cases == 3


def test_the_dose_is_compared_today_when_the_period_has_not_ended(seeded, people) -> None:
    # On 10 February: C1's fft owes 2.2 sessions and 6.6 hours, C2's 2 of 2.2 sessions is enough (>= 1.76);
    # C4's fft starts on 28 February, not compared yet; C2's mdft owes 1.0 hour, still not recorded
    report = _february(seeded, people["nora"], today=dt.date(2026, 2, 10))
    assert report.dose_on == dt.date(2026, 2, 10)
    assert {r.intervention: (r.dose_compared, r.under_dosed, r.not_recorded) for r in report.rows} == {
        "mst": (0, 0, 0), "fft": (2, 0, 0), "mdft": (1, 1, 1), "art": (1, 0, 0), "pmto": (0, 0, 0),
        "sis-homecoming": (0, 0, 0)}


def test_another_units_cases_are_never_counted(seeded, people) -> None:
    syd = seeded.gap_report(people["sam"], "SYD", *FEB, 3, today=LATER)
    assert (syd.cases, syd.catalogue_version) == (1, None)
    assert _rows(syd) == [("fft", "unlisted", 0, 0, 0, 1, None, None, 0, 0, 0),  # equal totals: rule-base order
                          ("mst", "unlisted", 0, 0, 0, 1, None, None, 0, 0, 0)]  # S1's fft ended before February


@pytest.mark.skipif(not PG, reason="a PostgreSQL session time zone; TEST_DATABASE_URL is not set")
def test_the_day_is_the_swedish_day_whatever_the_database_session_time_zone(rules) -> None:
    # 03:00 on 1 March in Sweden is still 28 February in New York, the database session's time zone here
    with postgres_schema("%20-ctimezone%3DAmerica/New_York") as engine:
        upgrade(engine)
        store = CaseStore(engine, rules, key=KEY, passwords=FAST)
        store.add_user(None, "admin", "admin-password", "admin")
        for name, role in [("anna", "social_worker"), ("nora", "manager")]:
            store.add_user(store.login("admin", "admin-password"), name, f"{name}-password", role, "NORR")
        anna, nora = store.login("anna", "anna-password"), store.login("nora", "nora-password")
        _recommend(store, anna, _case(store, anna), ["mst"], _local(2026, 3, 1, 3, 0))
        assert store.gap_report(nora, "NORR", *FEB, 3, today=LATER).cases == 0
        march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
        assert store.gap_report(nora, "NORR", *march, 3, today=LATER).cases == 1


# ------------------------------------------------------------------ who may read it, and bad input


@pytest.mark.parametrize(("name", "message"), [
    ("sam", "sam (manager, unit SYD) may not reports.read for unit NORR; only for unit SYD"),
    ("eva", "eva (evaluator) may not reports.read; allowed: export.outcomes, models.manage, rules.read"),
    ("anna", "anna (social_worker) may not reports.read; allowed: case.read, case.write, catalogue.read, "
             "rules.read"),
    ("mona", "mona (methodologist) may not reports.read; allowed: catalogue.read, catalogue.write, rules.read, "
             "rules.write"),
])
def test_only_managers_of_the_unit_may_read_the_report(store, people, name, message) -> None:
    with pytest.raises(AccessDenied) as caught:
        store.gap_report(people[name], "NORR", *FEB)
    assert str(caught.value) == message


def test_bad_units_periods_and_top_k_get_exact_messages(store, people) -> None:
    nora = people["nora"]
    with pytest.raises(InputError) as caught:
        store.catalogue(people["mona"], "NORD")  # a methodologist without a unit reads any unit's
    assert str(caught.value) == ("unknown unit 'NORD': a unit is created when its first user is added (matcher users "
                                 "add NAME --unit NORD); did you mean 'NORR'?")
    with pytest.raises(InputError) as caught:
        store.gap_report(nora, "NORR", FEB[1], FEB[0])
    assert str(caught.value) == "gap report: the period ends (2026-02-01) before it starts (2026-02-28)"
    for top_k in (0, 6):
        with pytest.raises(InputError) as caught:
            store.gap_report(nora, "NORR", *FEB, top_k)
        assert str(caught.value) == (f"gap report: top k must be from 1 to 5, the number of recommendations a saved "
                                     f"result holds (policy.yaml top_k); found {top_k}")


def test_the_policy_top_k_is_the_default(seeded, people, rules) -> None:
    assert seeded.gap_report(people["nora"], "NORR", *FEB, today=LATER).top_k == rules.policy.top_k == 5


# ------------------------------------------------------------------ the exports

CSV_HEADER = ("insats,name,recommended,offered,waiting,not_offered,unlisted,mean_wait_weeks,max_wait_weeks,"
              "dose_compared,under_dosed,under_dose_rate,dose_not_recorded,status_at_end")


def test_the_csv_has_one_row_per_insats_in_the_form_swedish_excel_opens(seeded, people, rules) -> None:
    text = gap_csv(_february(seeded, people["nora"]), rules, "sv")
    assert text.startswith("\ufeff") and text.endswith("\r\n")
    assert text.removeprefix("\ufeff").splitlines() == [
        CSV_HEADER.replace(",", ";"),
        "mst;Multisystemisk terapi (MST);3;0;2;1;0;4,0;4,0;0;0;;0;waiting",
        "fft;Funktionell familjeterapi (FFT);2;1;0;1;0;;;3;1;0,33;0;not_offered",
        "mdft;Multidimensionell familjeterapi (MDFT);2;0;2;0;0;8,0;10,0;1;1;1,0;1;waiting",
        "art;ART (Aggression Replacement Training);1;0;0;0;1;;;1;0;0,0;0;unlisted",
        "pmto;PMTO / GenerationPMTO (Parent Management Training - Oregon);1;1;0;0;0;;;0;0;;0;offered",
        "sis-homecoming;Planerad utslussning från SiS;1;0;0;0;1;;;0;0;;0;unlisted",
    ]
    assert gap_csv(_february(seeded, people["nora"]), rules, "sv", "standard").splitlines()[1] == \
        "mst,Multisystemisk terapi (MST),3,0,2,1,0,4.0,4.0,0,0,,0,waiting"


def _small_report(rules) -> GapReport:
    """One case, recommended mst (waiting 4 weeks) and fft (not offered); its fft completed with 6 of 10 sessions."""
    catalogue = LocalCatalogue(unit="NORR", offers=[_offer("mst", 4), _not_offered("fft")])
    return gap_report(rules, "NORR", *FEB, 3,
                      [StoredRecommendation(1, _local(2026, 2, 10, 9), {"recommendations": [
                          {"id": "mst", "rank": 1}, {"id": "fft", "rank": 2}]})],
                      [StoredCatalogue(catalogue, 1, _local(2026, 1, 2, 9), "mona", "first")],
                      [PlanItemRecord(1, "fft", "completed", dt.date(2025, 10, 1), dt.date(2026, 2, 15), 6, 30)],
                      today=LATER)


SMALL_TEXT = "\n".join([
    "Tjänstegap, enhet NORR, 2026-02-01 – 2026-02-28",
    "Ärenden med en sparad rekommendation under perioden: 1. De översta 3 rekommendationerna räknas. Dosen jämförs "
    "per 2026-02-28.",
    "Lokal katalog i kraft vid periodens slut: version 1.",
    "",
    "Insats                           Rekommenderad  Erbjuds  Väntetid  Erbjuds inte  Ej i katalogen  "
    "Väntetid medel (v)  Väntetid max (v)  Dos jämförd  Underdoserad  Andel underdoserad  Dos ej registrerad  "
    "Status vid periodens slut",
    "Funktionell familjeterapi (FFT)              1        0         0             1               0  "
    "                                                1             1               100 %                   0  "
    "      erbjuds inte lokalt",
    "Multisystemisk terapi (MST)                  1        0         1             0               0  "
    "                 4                 4            0             0                                       0  "
    "     erbjuds med väntetid",
])


def test_the_text_table(rules) -> None:
    assert gap_text(_small_report(rules), rules, "sv") == SMALL_TEXT


def test_an_empty_report_says_so(rules) -> None:
    empty = gap_report(rules, "NORR", *FEB, 3, [], [], [], today=dt.date(2026, 2, 14))
    assert gap_text(empty, rules, "en") == (
        "Service gaps, unit NORR, 2026-02-01 – 2026-02-28\n"
        "Cases with a saved recommendation in the period: 0. The top 3 recommendations count. Dose is compared as of "
        "2026-02-14.\n"
        "The unit had no local catalogue at the end of the period.\n\n"
        "No recommendations or planned insatser in the period.")
    assert gap_charts(empty, rules, "en") == []
    assert gap_pdf(empty, rules, "en").startswith(b"%PDF")


def test_the_pdf_and_the_charts(seeded, people, rules) -> None:
    report = _february(seeded, people["nora"])
    charts = gap_charts(report, rules, "sv")
    assert len(charts) == 2 and all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in charts)
    pdf = gap_pdf(report, rules, "sv")
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext"):  # poppler: every heading word whole on the page, none broken inside
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
        words = set(text.decode().split())
        assert {"Rekommenderad", "katalogen", "periodens", "underdoserad", "registrerad"} <= words


# ------------------------------------------------------------------ the commands


def _as(name: str) -> dict[str, str]:
    return {"password": f"{name}-password"}


def _cli_users(monkeypatch, capsys) -> None:
    assert run_cli(monkeypatch, capsys, "db", "upgrade")[0] == 0
    assert run_cli(monkeypatch, capsys, "users", "add", "admin", "--role", "admin", stdin="admin-password\n")[0] == 0
    for name, role, unit in [("mona", "methodologist", None), ("nora", "manager", "NORR"),
                             ("anna", "social_worker", "NORR")]:
        args = ["users", "add", name, "--role", role, *(["--unit", unit] if unit else []), "--as", "admin"]
        assert run_cli(monkeypatch, capsys, *args, **_as("admin"), stdin=f"{name}-password\n")[0] == 0


def test_catalogue_commands(monkeypatch, capsys, cli_data, rules) -> None:
    _cli_users(monkeypatch, capsys)
    demo = EXAMPLES / "catalogue-DEMO.yaml"
    assert run_cli(monkeypatch, capsys, "catalogue", "check", str(demo)) == (
        0, f"{demo}: OK - unit DEMO, 8 insatser listed, 6 offered\n", "")
    bad = cli_data / "bad.yaml"
    bad.write_text("unit: NORR\noffers:\n  - insats: fft\n    offered: false\n    capasity: 3\n"
                   "  - insats: pmto\n    offered: true\n", encoding="utf-8")
    assert run_cli(monkeypatch, capsys, "catalogue", "check", str(bad)) == (2, "", (
        f"matcher: 2 problems in the local catalogue {bad}:\n"
        f"{bad}:5: offers[0].capasity: unknown key 'capasity'; did you mean 'capacity'?\n"
        f"{bad}:6: offers[1]: an offered insats needs a provider, one of own, purchased, region, civil_society\n"))

    norr = cli_data / "catalogue-NORR.yaml"
    norr.write_text(demo.read_text(encoding="utf-8").replace("unit: DEMO", "unit: NORR"), encoding="utf-8")
    importing = ("catalogue", "import", str(norr), "--reason", "first catalogue", "--as", "mona")
    assert run_cli(monkeypatch, capsys, *importing, **_as("mona")) == (0, "unit NORR: catalogue saved as version 1\n",
                                                                    "")
    assert run_cli(monkeypatch, capsys, *importing, **_as("mona")) == (
        0, "unit NORR: catalogue unchanged, still version 1\n", "")
    assert run_cli(monkeypatch, capsys, "catalogue", "import", str(demo), "--reason", "demo", "--as", "mona",
                **_as("mona"))[1:] == ("", "matcher: unknown unit 'DEMO': a unit is created when its first user is "
                                           "added (matcher users add NAME --unit DEMO)\n")

    code, out, _ = run_cli(monkeypatch, capsys, "catalogue", "export", "--unit", "NORR", "--as", "nora", **_as("nora"))
    assert (code, out) == (0, catalogue_yaml(load_catalogue(norr, rules)))
    code, out, _ = run_cli(monkeypatch, capsys, "catalogue", "log", "--unit", "NORR", "--as", "anna", **_as("anna"))
    assert code == 0 and re.fullmatch(r"v1    \d{4}-\d\d-\d\d \d\d:\d\d  mona         6/8 offered  first catalogue\n",
                                      out)
    assert run_cli(monkeypatch, capsys, "catalogue", "export", "--unit", "NORR", "--version", "2", "--as", "nora",
                **_as("nora"))[1:] == ("", "matcher: unit NORR has no catalogue version 2; 'matcher catalogue log "
                                           "--unit NORR' lists them\n")
    assert run_cli(monkeypatch, capsys, "catalogue", "import", str(norr), "--reason", "x", "--as", "nora",
                **_as("nora"))[1:] == ("", "matcher: nora (manager) may not catalogue.write; allowed: catalogue.read, "
                                           "reports.read, rules.read\n")


def test_report_gaps_command(monkeypatch, capsys, cli_data, rules) -> None:
    _cli_users(monkeypatch, capsys)
    case_store = CaseStore(connect(), rules)  # the CLI's database; seeded by hand as above
    anna, mona = case_store.login("anna", "anna-password"), case_store.login("mona", "mona-password")
    _save_catalogue(case_store, mona, "NORR", V1, _local(2026, 1, 10, 9))
    _recommend(case_store, anna, _case(case_store, anna), ["mst", "mdft", "fft"], _local(2026, 1, 20, 9))
    gaps = ("report", "gaps", "--unit", "NORR", "--from", "2026-01-01", "--to", "2026-01-31", "--as", "nora")

    code, out, _ = run_cli(monkeypatch, capsys, *gaps, "--top", "2", "--format", "csv", "--csv-dialect", "standard",
                           **_as("nora"))
    assert (code, out.splitlines()) == (0, [
        CSV_HEADER, "mdft,Multidimensionell familjeterapi (MDFT),1,0,1,0,0,6.0,6.0,0,0,,0,waiting",
        "mst,Multisystemisk terapi (MST),1,0,0,1,0,,,0,0,,0,not_offered"])
    code, out, _ = run_cli(monkeypatch, capsys, *gaps, "--lang", "en", **_as("nora"))
    assert code == 0
    assert out.splitlines()[:3] == [
        "Service gaps, unit NORR, 2026-01-01 – 2026-01-31",
        "Cases with a saved recommendation in the period: 1 (of them 1 synthetic examples). The top 5 recommendations "
        "count. Dose is compared as of "
        "2026-01-31.",
        "Local catalogue in force at the end of the period: version 1."]
    assert [line.split("  ")[0] for line in out.splitlines()[5:]] == [
        "Functional Family Therapy (FFT)", "Multidimensional Family Therapy (MDFT)", "Multisystemic Therapy (MST)"]

    assert run_cli(monkeypatch, capsys, *gaps, "--format", "pdf", **_as("nora")) == (
        2, "", "matcher: report gaps --format pdf needs --out FILE.pdf\n")
    pdf = cli_data / "gaps.pdf"
    assert run_cli(monkeypatch, capsys, *gaps, "--format", "pdf", "--out", str(pdf), **_as("nora")) == (
        0, "", f"{pdf}: service-gap report of unit NORR, 3 insatser\n")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert run_cli(monkeypatch, capsys, *gaps[:-1], "anna", **_as("anna"))[1:] == (
        "", "matcher: anna (social_worker) may not reports.read; allowed: case.read, case.write, catalogue.read, "
            "rules.read\n")
