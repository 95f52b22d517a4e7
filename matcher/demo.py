"""First-run demo data: one user per role and a few synthetic cases in a demo unit.

`make run` on an empty database seeds this so the app works at once. Passwords come from
``INSATSMATCH_DEMO_PASSWORD`` (one password for every demo user) or are drawn at random and printed
once. A production deployment sets ``INSATSMATCH_DEMO=0`` and adds users with `matcher users add`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from pathlib import Path

from matcher.auth import Principal
from matcher.cases import encode_cases
from matcher.engine import match
from matcher.explain import explain
from matcher.risk import RiskModel
from matcher.store.service import CaseStore, PlanItemInput

UNIT = "DEMO"
USERS = (("admin", "admin", None), ("anna", "social_worker", UNIT), ("mona", "methodologist", None),
         ("eva", "evaluator", None))
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEEDED_EXAMPLES = ("02-high-risk-15-engaged-family", "05-self-harm", "08-child-9")


def demo_enabled() -> bool:
    return os.environ.get("INSATSMATCH_DEMO", "1") != "0"


def seed(store: CaseStore, model: RiskModel, today: dt.date | None = None) -> dict[str, str]:
    """Users and synthetic cases on an empty store; returns {username: password} for the one-time print."""
    if store.has_users():
        return {}
    today = today or dt.date.today()
    shared = os.environ.get("INSATSMATCH_DEMO_PASSWORD")
    passwords = {name: shared or secrets.token_urlsafe(9) for name, _, _ in USERS}
    store.add_user(None, "admin", passwords["admin"], "admin")
    admin = store.login("admin", passwords["admin"])
    for name, role, unit in USERS[1:]:
        store.add_user(admin, name, passwords[name], role, unit)
    worker = store.login("anna", passwords["anna"])
    for i, stem in enumerate(SEEDED_EXAMPLES):
        _seed_case(store, worker, model, json.loads((EXAMPLES / f"{stem}.json").read_text(encoding="utf-8")),
                   today, with_plan=i == 0)
    return passwords


def _seed_case(store: CaseStore, worker: Principal, model: RiskModel, case: dict, today: dt.date,
               with_plan: bool) -> None:
    code = store.create_case(worker, synthetic=True)
    case = {**case, "case_id": code, "synthetic": True}
    version = store.add_assessment(worker, code, case, today, instrument="factors")
    res = explain(match(encode_cases([(code, case)], store.rules), store.rules, model), 0, "sv")
    rec_id = store.save_recommendation(worker, code, version, res)
    if not with_plan:
        return
    chosen = [r["id"] for r in res["recommendations"][:2]]
    store.record_decision(worker, code, rec_id, [(iid, "accepted", "") for iid in chosen],
                          youth_view="Vill bo kvar hemma och klara skolan (syntetiskt exempel).",
                          youth_goals="Färre bråk hemma.", guardian_view="Vill ha stöd i föräldraskapet.")
    rules = store.rules
    needs = res["risk"]["need_profile"]
    items = []
    for iid in chosen:
        iv = rules.interventions[rules.index(iid)].model
        targeted = [rules.catalogue.factor(f).name.sv.lower() for f in needs if f in iv.targets][:2]
        items.append(PlanItemInput(iid, iv.actor, "Minska: " + " och ".join(targeted) if targeted else
                                   "Enligt uppdraget till utföraren", today, today + dt.timedelta(days=90)))
    store.save_plan(worker, code, items, 0)
    store.add_consent(worker, code, "youth", ["skola", "region"], today)


def announce(passwords: dict[str, str]) -> str:
    lines = ["Insatsmatch demo users (synthetic data; shown once, not stored in clear):"]
    lines += [f"  {name:<6} {role:<14} {passwords[name]}" for name, role, _ in USERS]
    return "\n".join(lines)
