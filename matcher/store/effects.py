"""The effects report over a unit's stored cases (``matcher.local.effects``): aggregated, suppressed below the
policy's minimum group, never a case. Also where the synthetic demo histories (``effects_demo.py``) are written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.auth import AccessDenied, Action, Principal, Role, authorize
from matcher.engine.cases import encode_cases
from matcher.errors import InputError
from matcher.local.effects import (
    AGE_BANDS,
    AT_HOME,
    HARMFUL_USE,
    HORIZONS,
    IN_SCHOOL_OR_WORK,
    RECEIVED_STATUSES,
    RISK_ORDER,
    EffectsReport,
    Episode,
    FollowUpPoint,
    add_months,
    effects_report,
)
from matcher.rulebase.factors import UNRATED
from matcher.rulebase.loading import RuleBase
from matcher.store.core import StoreCore, existing_unit, unit_named
from matcher.store.effects_demo import History
from matcher.store.rule_versions import record_rules
from matcher.store.tables import Assessment, Case, FollowUp, Plan, PlanItem, Recommendation, Unit

EARLIEST_START_DAYS = 31  # a plan item started up to this long before the assessment still belongs to it
MAX_BOOTSTRAP = 2000


def authorize_effects(who: Principal, unit: str) -> None:
    """Managers read their own unit's report, evaluators any unit's (aggregates, as their outcome export),
    methodologists any unit's as context beside the evidence; nobody else."""
    if who.role is Role.MANAGER:
        authorize(who, Action.REPORTS_READ, unit)
    elif who.role is Role.EVALUATOR:
        authorize(who, Action.EXPORT_OUTCOMES)
    elif who.role is Role.METHODOLOGIST:
        authorize(who, Action.RULES_WRITE)
    else:
        raise AccessDenied(f"{who.username} ({who.role}) may not read the effects report; evaluators, managers "
                           f"(own unit) and methodologists may")


class EffectRecords(StoreCore):
    """The effects report and the synthetic histories behind the demo."""


    def effects_report(self, who: Principal, unit: str, start: dt.date, end: dt.date, bootstrap: int = 200,
                       interventions: Collection[str] | None = None) -> EffectsReport:
        """Outcomes at 6 and 12 months per insats and profile group against similar young people who did not get
        it (``local/effects.py``); ``interventions`` limits it to those insatser."""
        if end < start:
            raise InputError(f"effects report: the period ends ({end}) before it starts ({start})")
        if not 10 <= bootstrap <= MAX_BOOTSTRAP:
            raise InputError(f"effects report: --bootstrap must be from 10 to {MAX_BOOTSTRAP} resamples; found "
                             f"{bootstrap}")
        for iid in interventions or ():
            if iid not in self.rules.ids:
                raise InputError(f"effects report: unknown intervention '{iid}'")
        with self._tx(who, "report.effects", detail=f"{unit} {start}..{end}") as session:
            authorize_effects(who, unit)
            unit_row = existing_unit(session, unit)
            episodes, unreadable = _episodes(session, self.rules, unit_row.id, start, end)
        if interventions is not None:
            episodes = [_only(e, interventions) for e in episodes]
        return effects_report(unit, start, end, episodes, self.rules.policy.export_min_group, bootstrap,
                              unreadable=unreadable)

    def effects_units(self, who: Principal) -> list[str]:
        """The units whose effects report ``who`` may read: a manager's own, every unit for the others allowed."""
        with self._tx(who, "unit.list") as session:
            if who.role is Role.MANAGER and who.unit is not None:
                authorize_effects(who, who.unit)
                return [who.unit]
            authorize_effects(who, "")
            return list(session.scalars(select(Unit.code).order_by(Unit.code)))

    def add_synthetic_histories(self, who: Principal, histories: Sequence[History]) -> int:
        """Write ``histories`` as synthetic cases of the user's unit in one transaction (the demo's years of
        follow-ups), each assessment checked against the rule base first; returns how many."""
        encode_cases([(f"synthetic history {h.code}", h.case) for h in histories], self.rules)
        with self._tx(who, "demo.histories", detail=f"{len(histories)} synthetic cases") as session:
            authorize(who, Action.CASE_WRITE)
            unit = unit_named(session, who.unit)
            user_id = self._user_id(session, who)
            if any(h.stamp[0] == self.rules.content_hash for h in histories):
                record_rules(session, self.rules.root, "(recorded when first used)",
                             "the rule base in use when a recommendation was saved")
            for history in histories:
                _write(session, unit.id, user_id, history)
        return len(histories)


def _only(episode: Episode, interventions: Collection[str]) -> Episode:
    return Episode(episode.person, episode.synthetic, episode.assessed_on, episode.risk_level, episode.age,
                   episode.main_need, episode.profile, frozenset(episode.received & set(interventions)),
                   episode.follow_ups)


def _episodes(session: Session, rules: RuleBase, unit_id: int, start: dt.date,
              end: dt.date) -> tuple[list[Episode], int]:
    """Each case's first assessment in the period with a saved recommendation, as an episode; and how many
    such assessments no longer fit the rule base (left out)."""
    # of a saved result only the risk level and the main need are read, in the database: a result is the whole
    # explanation (about 24 kB of JSON), and decoding 1,000 of them took a third of reading the episodes
    level, main_need = (Recommendation.result[path].as_string() for path in (("risk", "level"),
                                                                            ("risk", "need_profile", 0)))
    rows = session.execute(
        select(Assessment, level, main_need, Case.synthetic).join(Case, Case.id == Assessment.case_id)
        .join(Recommendation, Recommendation.assessment_id == Assessment.id)
        .where(Case.unit_id == unit_id, Assessment.assessed_on >= start, Assessment.assessed_on <= end)
        .order_by(Assessment.case_id, Assessment.assessed_on, Assessment.version, Recommendation.id.desc()))
    first: dict[int, tuple[Assessment, str, str | None, bool]] = {}
    for assessment, risk_level, need, synthetic in rows:
        first.setdefault(assessment.case_id, (assessment, risk_level, need, synthetic))
    cases = list(first)
    items: dict[int, list[PlanItem]] = {}
    for case_id, item in session.execute(select(Plan.case_id, PlanItem).join(Plan, Plan.id == PlanItem.plan_id)
                                         .where(Plan.case_id.in_(cases))):
        items.setdefault(case_id, []).append(item)
    follow_ups: dict[int, list[FollowUpPoint]] = {}
    for f in session.scalars(select(FollowUp).where(FollowUp.case_id.in_(cases)).order_by(FollowUp.followed_up_on)):
        follow_ups.setdefault(f.case_id, []).append(FollowUpPoint(
            f.followed_up_on, f.new_offences, f.school_work_status, f.substance_use_level, f.placement,
            f.youth_rating))
    episodes, unreadable = [], 0
    encoded = _encoded(rules, [assessment.data for assessment, *_ in first.values()])
    for (case_id, (assessment, risk_level, need, synthetic)), values in zip(first.items(), encoded, strict=True):
        if values is None:
            unreadable += 1
            continue
        profile = _profile(rules, values, assessment.data, risk_level)
        on = assessment.assessed_on
        received = frozenset(i.intervention for i in items.get(case_id, []) if i.status in RECEIVED_STATUSES
                             and on - dt.timedelta(days=EARLIEST_START_DAYS) <= i.start_on
                             <= add_months(on, HORIZONS[0]))
        episodes.append(Episode(case_id, synthetic, on, risk_level, int(profile[0]), need or "", profile, received,
                                tuple(follow_ups.get(case_id, []))))
    return episodes, unreadable


def _encoded(rules: RuleBase, data: list[dict[str, Any]]) -> list[np.ndarray | None]:
    """The assessments encoded in one batch; one by one when some no longer fit the rule base (None for those)."""
    try:
        return list(encode_cases([("effects", d) for d in data], rules).values) if data else []
    except InputError:
        out: list[np.ndarray | None] = []
        for d in data:
            try:
                out.append(encode_cases([("effects", d)], rules).values[0])
            except InputError:
                out.append(None)
        return out


def _profile(rules: RuleBase, values: np.ndarray, data: dict[str, Any], level: str) -> tuple[float, ...]:
    """The age, its band and the risk level (one column per band and level), every factor rating (unrated as 0)
    and the follow-up outcomes as they stood at the assessment (in school or work, harmful use, placed), from the
    assessment's encoded row ``values``."""
    cat = rules.catalogue
    ratings = np.array([values[cat.factor_index[f.id]] for f in cat.factors], dtype=float)
    age = int(values[cat.context_index["age"]])
    context = data.get("context", {})
    baseline = (float(context.get("school_work_status") in IN_SCHOOL_OR_WORK),
                float(context.get("substance_use_level") in HARMFUL_USE),
                float(context.get("placement") not in AT_HOME))
    return (float(age), *(float(lo <= age <= hi) for lo, hi in AGE_BANDS), *(float(level == lv) for lv in RISK_ORDER),
            *np.where(ratings == UNRATED, 0.0, ratings), *baseline)


def _write(session: Session, unit_id: int, user_id: int, history: History) -> None:
    case = Case(code=history.code, unit_id=unit_id, synthetic=True, born_on=history.born_on, created_by=user_id)
    session.add(case)
    session.flush()
    assessment = Assessment(case_id=case.id, version=1, assessed_on=history.assessed_on, assessed_by=user_id,
                            instrument="factors", data=history.case)
    session.add(assessment)
    session.flush()
    saved = dt.datetime.combine(history.assessed_on, dt.time(12), ZoneInfo("Europe/Stockholm"))
    session.add(Recommendation(case_id=case.id, assessment_id=assessment.id, rule_base=history.stamp[0],
                               model=history.stamp[1], evidence_snapshot=history.stamp[2], result=history.result,
                               created_at=saved, created_by=user_id))
    if history.items:
        session.add(Plan(case_id=case.id, version=1, updated_by=user_id, updated_at=saved, items=[
            PlanItem(position=n, intervention=i.intervention, actor=i.actor, goal=i.goal, start_on=i.start_on,
                     follow_up_on=i.follow_up_on, status=i.status, sessions_delivered=i.sessions_delivered,
                     hours_delivered=i.hours_delivered) for n, i in enumerate(history.items)]))
    for f in history.follow_ups:
        session.add(FollowUp(case_id=case.id, followed_up_on=f.on, new_offences=f.new_offences,
                             school_work_status=f.school_work_status, substance_use_level=f.substance_use_level,
                             placement=f.placement, completed=[], dropped=[], youth_rating=f.youth_rating,
                             recorded_by=user_id, item_results=f.item_results or None))
    session.flush()
