"""First-run demo data: one user per role, the demo unit's local catalogue, a few synthetic cases, and synthetic
years of follow-ups behind the effects report (``effects_demo.py``).

`make run` on an empty database seeds this so the app works at once. Passwords come from
``INSATSMATCH_DEMO_PASSWORD`` (one password for every demo user) or are drawn at random; the login page
shows them in demo mode, and every page carries a "DEMO - synthetic data" banner. A production deployment
sets ``INSATSMATCH_DEMO=0`` and adds users with `matcher users add`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from pathlib import Path

from matcher.auth import Principal
from matcher.engine.cases import encode_cases
from matcher.engine.explain import explain
from matcher.engine.matching import match
from matcher.engine.risk import RiskModel
from matcher.errors import InputError
from matcher.i18n import swedish_today
from matcher.local.availability import availability
from matcher.local.catalogue import LocalCatalogue, load_catalogue
from matcher.store.db import data_dir, database_url
from matcher.store.effects_demo import synthetic_histories
from matcher.store.homecoming import HomecomingPartInput
from matcher.store.plans import PlanItemInput
from matcher.store.service import CaseStore

UNIT = "DEMO"
# (name, role, unit, a partner's agency)
USERS = (("admin", "admin", None, None), ("anna", "social_worker", UNIT, None), ("mona", "methodologist", None, None),
         ("eva", "evaluator", None, None), ("maja", "manager", UNIT, None), ("kim", "sig_coordinator", UNIT, None),
         ("sara", "partner", UNIT, "skola"), ("siv", "partner", UNIT, "sis"))
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEEDED_EXAMPLES = ("02-high-risk-15-engaged-family", "05-self-harm", "08-child-9", "07-sis-homecoming")
CATALOGUE = EXAMPLES / "catalogue-DEMO.yaml"
PLAN_STARTED_DAYS_AGO = 60
HISTORIES = 400  # synthetic young people with follow-ups behind the effects report (INSATSMATCH_DEMO_HISTORIES)
HISTORY_SEED = 18
HISTORY_YEARS = 4
UNDER_DOSED_HOURS = 4  # the first plan item shows the under-dosing flag


def demo_enabled(url: str | None = None) -> bool:
    """Demo mode (``INSATSMATCH_DEMO``, on unless "0") seeds users with known passwords, so it is refused on a
    PostgreSQL database, which is where real cases live, unless it is "force"d for a demonstration server."""
    mode = os.environ.get("INSATSMATCH_DEMO", "1")
    if mode == "0":
        return False
    if not (url or database_url()).startswith("sqlite") and mode != "force":
        raise InputError("INSATSMATCH_DEMO: demo mode adds users with passwords shown on the login page and "
                         "synthetic cases; it is refused on the database in DATABASE_URL, which is not the "
                         "embedded SQLite file. Set INSATSMATCH_DEMO=0 for real use, or INSATSMATCH_DEMO=force "
                         "for a demonstration server")
    return True


def _passwords_file() -> Path:
    return data_dir() / "demo-passwords.json"


def remember_passwords(passwords: dict[str, str]) -> None:
    """Kept (owner-only) in the data folder so the login page can show them in demo mode; never logged."""
    path = _passwords_file()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(passwords, fh)


def demo_passwords() -> list[tuple[str, str, str]]:
    """(user, role, password) of the demo users, for the login page in demo mode; empty when not seeded here."""
    path = _passwords_file()
    if not path.is_file():
        return []
    passwords = json.loads(path.read_text(encoding="utf-8"))
    return [(name, role, passwords[name]) for name, role, _, _ in USERS if name in passwords]


def seed(store: CaseStore, model: RiskModel, today: dt.date | None = None) -> dict[str, str]:
    """Users and synthetic cases on an empty store; returns {username: password} (empty when already seeded)."""
    if store.has_users():
        return {}
    today = today or swedish_today()
    shared = os.environ.get("INSATSMATCH_DEMO_PASSWORD")
    passwords = {name: shared or secrets.token_urlsafe(9) for name, _, _, _ in USERS}
    store.add_user(None, "admin", passwords["admin"], "admin")
    admin = store.login("admin", passwords["admin"])
    for name, role, unit, agency in USERS[1:]:
        store.add_user(admin, name, passwords[name], role, unit, agency)
    catalogue = load_catalogue(CATALOGUE, store.rules)
    version, _ = store.save_catalogue(admin, catalogue, "demo catalogue (synthetic)")
    worker = store.login("anna", passwords["anna"])
    codes = [_seed_case(store, worker, model, json.loads((EXAMPLES / f"{stem}.json").read_text(encoding="utf-8")),
                        catalogue, version, today, with_plan=i == 0) for i, stem in enumerate(SEEDED_EXAMPLES)]
    coordinator = store.login("kim", passwords["kim"])
    _seed_sig(store, coordinator, codes[0], today)
    _seed_homecoming(store, coordinator, codes[-1], today)
    histories = demo_histories()
    if histories:  # whole years before this one, so that this year's service-gap report shows the examples only
        made, _ = synthetic_histories(store.rules, model, histories, HISTORY_SEED,
                                      dt.date(today.year - HISTORY_YEARS, 1, 1), dt.date(today.year - 1, 12, 31), today)
        store.add_synthetic_histories(worker, made)
    return passwords


def demo_histories() -> int:
    """How many synthetic young people with follow-ups the demo seeds for the effects report
    (``INSATSMATCH_DEMO_HISTORIES``, default ``HISTORIES``; 0 for none)."""
    text = os.environ.get("INSATSMATCH_DEMO_HISTORIES", str(HISTORIES))
    if not text.isdigit() or int(text) > 5000:
        raise InputError(f"INSATSMATCH_DEMO_HISTORIES: expected a whole number from 0 to 5000 (synthetic young "
                         f"people for the effects report); found '{text[:40]}'")
    return int(text)


def _seed_case(store: CaseStore, worker: Principal, model: RiskModel, case: dict, catalogue: LocalCatalogue,
               version: int, today: dt.date, with_plan: bool) -> str:
    age = case["context"]["age"]  # a synthetic date of birth that fits the example's age
    code = store.create_case(worker, synthetic=True, born_on=today.replace(year=today.year - age, day=1))
    case = {**case, "case_id": code, "synthetic": True}
    assessment = store.add_assessment(worker, code, case, today, instrument="factors")
    result = match(encode_cases([(code, case)], store.rules), store.rules, model)
    res = {**explain(result, 0, "sv"), "availability": availability(result, 0, catalogue, version, today, "sv")}
    rec_id = store.save_recommendation(worker, code, assessment, res)
    if not with_plan:
        return code
    # the worker takes the first two insatser the demo unit offers and records why the others were not chosen
    offered = {o.insats for o in catalogue.offers if o.offered}
    chosen = [r["id"] for r in res["recommendations"] if r["id"] in offered][:2]
    store.record_decision(worker, code, rec_id,
                          [(r["id"], "accepted", "") if r["id"] in chosen else
                           (r["id"], "declined", "Erbjuds inte i kommunen eller passar sämre (syntetiskt exempel).")
                           for r in res["recommendations"]],
                          youth_view="Vill bo kvar hemma och klara skolan (syntetiskt exempel).",
                          youth_goals="Färre bråk hemma.", guardian_view="Vill ha stöd i föräldraskapet.")
    rules = store.rules
    needs = res["risk"]["need_profile"]
    started = today - dt.timedelta(days=PLAN_STARTED_DAYS_AGO)
    items = []
    for n, iid in enumerate(chosen):
        iv = rules.interventions[rules.index(iid)].model
        targeted = [rules.catalogue.factor(f).name.sv.lower() for f in needs if f in iv.targets][:2]
        items.append(PlanItemInput(iid, iv.actor, "Minska: " + " och ".join(targeted) if targeted else
                                   "Enligt uppdraget till utföraren", started, today + dt.timedelta(days=30),
                                   "active", sessions_delivered=4, hours_delivered=UNDER_DOSED_HOURS if n == 0 else 10))
    items.append(PlanItemInput("school-support", "skola", "Närvaro minst 90 % varje månad (syntetiskt exempel)",
                               started, today + dt.timedelta(days=30), "active"))
    store.save_plan(worker, code, items, 0)
    return code


def _seed_sig(store: CaseStore, coordinator: Principal, code: str, today: dt.date) -> None:
    """The first case in SIG: the young person (15) and a guardian consent to the school and the region seeing
    the plan items, the goals and the follow-up, not the risk level or the views; the last meeting two weeks
    ago, the next in two weeks."""
    shared = ["plan_items", "goals", "follow_up", "act_first"]
    for giver in ("youth", "guardian"):
        store.add_consent(coordinator, code, giver, ["skola", "region"], today - dt.timedelta(days=20),
                          categories=shared)
    store.record_meeting(coordinator, code, today - dt.timedelta(days=14), today + dt.timedelta(days=14),
                         "Första SIG-mötet (syntetiskt exempel).")


def _seed_homecoming(store: CaseStore, coordinator: Principal, code: str, today: dt.date) -> None:
    """The young person at a SiS youth home, discharged in five weeks: three of the four parts are planned (the
    occupation is missing, so the meeting view warns), and SiS sees its own part within consent."""
    discharge = today + dt.timedelta(weeks=5)
    for giver in ("youth", "guardian"):
        store.add_consent(coordinator, code, giver, ["sis", "skola"], today - dt.timedelta(days=7),
                          categories=["plan_items", "goals"])
    store.save_homecoming(coordinator, code, "Ett SiS-ungdomshem (syntetiskt exempel)", discharge, [
        HomecomingPartInput("school", "skola", "Plats i årskurs 9 med mentor från första dagen", discharge),
        HomecomingPartInput("housing", "socialtjanst", "Bo hemma hos mamma med stöd av familjebehandlare",
                            discharge - dt.timedelta(days=7)),
        HomecomingPartInput("parent_support", "sis", "Föräldrasamtal på hemmet före utskrivningen",
                            discharge - dt.timedelta(days=14))])
