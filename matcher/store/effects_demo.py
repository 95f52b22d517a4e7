"""Synthetic years of follow-ups for the effects report: a known effect planted for one insats, none for another.

Every young person is synthetic (``modelling/synth.py``'s factors and context, ages ``AGES``), assessed on a
day drawn evenly between ``first`` and ``last``, recommended by the engine as a worker would see it, and followed
up at about 6 and 12 months (never after ``today``; ``LOST_SHARE`` are lost after the first). The process,
written down so the tests can hold the report to it:

- risk: the known logit of a new offence within 12 months without any insats (``synth.true_logit``);
- who gets what depends on that risk (confounding, as in real work): ``PLANTED`` (MST) goes more often to
  higher risk, ages 12-17; ``NULL`` (kontaktperson) too, ages 12-20; ``OTHER`` (school support) at random;
- outcome: the logit moves by ``PLANTED_LOG_ODDS`` for those who got ``PLANTED``; nothing else changes it. Of the
  offences within 12 months, ``FIRST_HALF_SHARE`` fall in the first 6;
- school or work, substance use, placement and the young person's rating at follow-up do not depend on any insats.

``truth`` gives the true effect on those who got each insats (mean over them of the chance with it minus the
chance without), which the report's interval should hold for ``PLANTED`` and which is 0 for ``NULL``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit

from matcher.engine.cases import encode_cases
from matcher.engine.explain import explain
from matcher.engine.matching import match
from matcher.engine.risk import RiskModel
from matcher.local.effects import FollowUpPoint
from matcher.modelling.synth import synthetic_cases, true_logit
from matcher.rulebase.factors import UNRATED
from matcher.rulebase.loading import RuleBase
from matcher.store.plans import PlanItemInput

PLANTED, NULL, OTHER = "mst", "kontaktperson", "school-support"
PLANTED_LOG_ODDS = -1.2
FIRST_HALF_SHARE = 0.6
LOST_SHARE = 0.05
DROPPED_SHARE = 0.15
GOAL = "Syntetiskt mål (demodata)"
AGES = (12, 20)  # the unit's young people; SIG and most youth care work with these ages


@dataclass(frozen=True)
class DemoFollowUp(FollowUpPoint):
    """A follow-up as the effects report reads it, with each plan item's result as the store records it."""

    item_results: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class History:
    code: str
    born_on: dt.date
    assessed_on: dt.date
    case: dict[str, Any]
    result: dict[str, Any]
    stamp: tuple[str, str, str]  # rule base, model, evidence snapshot
    items: tuple[PlanItemInput, ...]
    follow_ups: tuple[DemoFollowUp, ...]


@dataclass(frozen=True)
class Truth:
    """The true effect on those who got an insats: {months: difference in the chance of a new offence}."""

    effects: dict[str, dict[int, float]]
    treated: dict[str, int]


def synthetic_histories(rules: RuleBase, model: RiskModel, n: int, seed: int, first: dt.date, last: dt.date,
                        today: dt.date) -> tuple[list[History], Truth]:
    """``n`` synthetic young people assessed between ``first`` and ``last`` and followed up until ``today``."""
    rng = np.random.default_rng(seed)
    drawn = synthetic_cases(rules, 3 * n, seed)
    cases = [c for c in drawn if AGES[0] <= c[1]["context"]["age"] <= AGES[1]][:n]
    batch = encode_cases(cases, rules)
    cat = rules.catalogue
    ratings = np.stack([batch.values[:, cat.factor_index[f.id]] for f in cat.factors], axis=1)
    logit = true_logit(rules, np.where(ratings == UNRATED, 0, ratings))
    ages = np.array([c["context"]["age"] for _, c in cases])
    centred = logit - logit.mean()
    gets = {PLANTED: rng.random(n) < np.where((ages >= 12) & (ages <= 17), expit(0.2 + 1.0 * centred), 0.0),
            NULL: rng.random(n) < np.where((ages >= 12) & (ages <= 20), expit(-0.8 + 1.0 * centred), 0.0),
            OTHER: rng.random(n) < 0.25}
    shifted = logit + PLANTED_LOG_ODDS * gets[PLANTED]
    offended = rng.random(n) < expit(shifted)
    first_half = offended & (rng.random(n) < FIRST_HALF_SHARE)
    result = match(batch, rules, model)
    span = (last - first).days
    histories = []
    for i, (_, case) in enumerate(cases):
        on = first + dt.timedelta(days=int(rng.integers(0, span + 1)))
        code = f"S-{seed}-{i:05d}"
        res = {**explain(result, i, "sv"), "case_id": code, "synthetic": True}
        received = [iid for iid in (PLANTED, NULL, OTHER) if gets[iid][i]]
        items = tuple(_item(rules, iid, on, rng) for iid in received)
        follow_ups = _follow_ups(case, on, today, items, bool(first_half[i]), bool(offended[i] and not first_half[i]),
                                 rng)
        born = on - dt.timedelta(days=int(365.25 * case["context"]["age"] + rng.integers(0, 365)))
        version = res["version"]
        histories.append(History(code, born, on, {**case, "case_id": code}, res,
                                 (version["rule_base"], version["model"], version["evidence_snapshot"]), items,
                                 follow_ups))
    truth = {}
    for iid, got in gets.items():
        effect = PLANTED_LOG_ODDS if iid == PLANTED else 0.0
        with_it, without = expit(logit[got] + effect), expit(logit[got])
        twelve = float(np.mean(with_it - without)) if got.any() else 0.0
        truth[iid] = {12: twelve, 6: FIRST_HALF_SHARE * twelve}
    return histories, Truth(truth, {iid: int(got.sum()) for iid, got in gets.items()})


def _item(rules: RuleBase, iid: str, on: dt.date, rng: np.random.Generator) -> PlanItemInput:
    start = on + dt.timedelta(days=int(rng.integers(7, 30)))
    status = "dropped" if rng.random() < DROPPED_SHARE else "completed"
    return PlanItemInput(iid, rules.interventions[rules.index(iid)].model.actor, GOAL, start,
                         start + dt.timedelta(days=120), status, sessions_delivered=float(rng.integers(4, 30)),
                         hours_delivered=float(rng.integers(6, 60)))


def _follow_ups(case: dict[str, Any], on: dt.date, today: dt.date, items: tuple[PlanItemInput, ...],
                early: bool, late: bool, rng: np.random.Generator) -> tuple[DemoFollowUp, ...]:
    context = case["context"]
    out = []
    for months, offence in ((6, early), (12, late)):
        day = on + dt.timedelta(days=int(months * 30.44 + rng.integers(-14, 15)))
        if day > today or (months == 12 and rng.random() < LOST_SHARE):
            break
        school = context["school_work_status"] if rng.random() < 0.6 else str(
            rng.choice(["in_school", "high_absence", "studying", "working", "neither"]))
        results = [{"intervention": item.intervention,
                    "attainment": str(rng.choice(["met", "partly", "not_met"], p=[0.3, 0.4, 0.3] if offence
                                                 else [0.5, 0.35, 0.15])),
                    "sessions_delivered": item.sessions_delivered, "hours_delivered": item.hours_delivered}
                   for item in items] if months == 6 else []
        out.append(DemoFollowUp(day, int(rng.integers(1, 4)) if offence else 0, school,
                                context["substance_use_level"], context["placement"],
                                int(rng.integers(3, 10)), results))
    return tuple(out)
