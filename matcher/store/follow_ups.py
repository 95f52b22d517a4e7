"""Follow-ups (Socialstyrelsen's outcomes, reassessments) and the pseudonymised outcome export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from matcher.auth import Action, Principal, authorize
from matcher.engine.cases import encode_cases
from matcher.errors import InputError
from matcher.i18n import message, swedish_today
from matcher.rulebase.yamlsource import did_you_mean
from matcher.store.core import StoreCore
from matcher.store.export import ExportSummary, outcome_rows
from matcher.store.export import columns as export_columns
from matcher.store.tables import (
    Assessment,
    FollowUp,
    Plan,
)
from matcher.textfiles import write_csv

ATTAINMENTS = ("met", "partly", "not_met")


@dataclass(frozen=True)
class ItemResult:
    """How one plan item stood at a follow-up: its goal attained (met, partly, not met) and the dose delivered."""

    intervention: str
    attainment: str
    sessions_delivered: float | None = None
    hours_delivered: float | None = None

    def record(self) -> dict[str, Any]:
        return {"intervention": self.intervention, "attainment": self.attainment,
                "sessions_delivered": self.sessions_delivered, "hours_delivered": self.hours_delivered}


class FollowUpRecords(StoreCore):
    """Follow-ups and the outcome export."""


    def add_follow_up(self, who: Principal, code: str, followed_up_on: dt.date, new_offences: int,
                      school_work_status: str, substance_use_level: str, placement: str,
                      completed: Sequence[str] = (), dropped: Sequence[str] = (), youth_rating: int | None = None,
                      reassessment: dict[str, Any] | None = None, items: Sequence[ItemResult] = ()) -> int:
        """Socialstyrelsen's follow-up outcomes of a case, and ``items``: each plan item's goal attainment and
        delivered dose (only items of the case's plan, each once)."""
        cat = self.rules.catalogue
        for name, value in (("school_work_status", school_work_status),
                            ("substance_use_level", substance_use_level), ("placement", placement)):
            values = cat.fact(name).values or []
            if value not in values:
                raise InputError(f"follow-up: {name} must be one of {', '.join(values)}; found {value!r}"
                                 f"{did_you_mean(value, values)}")
        if new_offences < 0:
            raise InputError(f"follow-up: new_offences must be 0 or more; found {new_offences}")
        today = swedish_today()
        if followed_up_on > today:
            raise InputError(f"follow-up: the date {followed_up_on} is in the future (today is {today}); a follow-up "
                             f"records what has happened", key="error.follow_up.future", date=str(followed_up_on))
        if youth_rating is not None and not 1 <= youth_rating <= 10:
            raise InputError(f"follow-up: the young person's rating must be 1-10; found {youth_rating}")
        for insats in (*completed, *dropped):
            if insats not in self.rules.ids:
                raise InputError(f"follow-up: unknown intervention '{insats}'{did_you_mean(insats, self.rules.ids)}")
        if reassessment is not None:
            encode_cases([(message("case.reassessment_in_store", code=code), reassessment)], self.rules)
        _check_items(code, items)
        with self._tx(who, "follow_up.add", code, followed_up_on.isoformat()) as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            plan = session.scalar(select(Plan).where(Plan.case_id == case.id))
            planned = {item.intervention for item in plan.items} if plan else set()
            for result in items:
                if result.intervention not in planned:
                    raise InputError(f"follow-up of case {code}: {result.intervention} is not in the case's plan "
                                     f"({', '.join(sorted(planned)) or 'no plan yet'}); add it to the plan first")
            user_id = self._user_id(session, who)
            assessment_id = None
            if reassessment is not None:
                version = (session.scalar(select(func.max(Assessment.version))
                                          .where(Assessment.case_id == case.id)) or 0) + 1
                assessment = Assessment(case_id=case.id, version=version, assessed_on=followed_up_on,
                                        instrument="reassessment", assessed_by=user_id, data=reassessment)
                session.add(assessment)
                session.flush()
                assessment_id = assessment.id
            row = FollowUp(case_id=case.id, followed_up_on=followed_up_on, assessment_id=assessment_id,
                           new_offences=new_offences, school_work_status=school_work_status,
                           substance_use_level=substance_use_level, placement=placement, completed=list(completed),
                           dropped=list(dropped), youth_rating=youth_rating, recorded_by=user_id,
                           item_results=[r.record() for r in items] or None)
            session.add(row)
            session.flush()
            return row.id

    def follow_ups(self, who: Principal, code: str) -> list[dict[str, Any]]:
        with self._tx(who, "follow_up.read", code) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            rows = session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)
                                   .order_by(FollowUp.followed_up_on, FollowUp.id))
            return [{"followed_up_on": f.followed_up_on, "new_offences": f.new_offences,
                     "school_work_status": f.school_work_status, "substance_use_level": f.substance_use_level,
                     "placement": f.placement, "completed": f.completed, "dropped": f.dropped,
                     "youth_rating": f.youth_rating, "reassessed": f.assessment_id is not None,
                     "items": list(f.item_results or [])} for f in rows]


    def export_outcomes(self, who: Principal, path: Path, min_group: int | None = None,
                        dialect: str = "standard") -> ExportSummary:
        """Pseudonymised, k-anonymous rows in the training format, for evaluators (``export.py``), as CSV in
        ``dialect``. ``min_group`` may raise the policy's ``export_min_group``, never lower it."""
        policy = self.rules.policy.export_min_group
        min_group = policy if min_group is None else min_group
        if min_group < policy:
            raise InputError(f"--min-group {min_group}: below export_min_group {policy} in rules/policy.yaml; "
                             f"smaller groups would make young people easier to single out. Give {policy} or more, "
                             f"or ask the methodologists to change the policy")
        with self._tx(who, "export.outcomes", detail=f"min_group={min_group}") as session:
            authorize(who, Action.EXPORT_OUTCOMES)
            rows, summary = outcome_rows(session, self.rules, min_group)
            write_csv(path, rows, export_columns(self.rules), dialect)
        return summary


def _check_items(code: str, items: Sequence[ItemResult]) -> None:
    seen: set[str] = set()
    for result in items:
        where = f"follow-up of case {code}, {result.intervention}"
        if result.intervention in seen:
            raise InputError(f"{where}: the plan item is given twice; give each item once")
        seen.add(result.intervention)
        if result.attainment not in ATTAINMENTS:
            raise InputError(f"{where}: goal attainment must be one of {', '.join(ATTAINMENTS)}; found "
                             f"{result.attainment!r}{did_you_mean(result.attainment, ATTAINMENTS)}")
        for name in ("sessions_delivered", "hours_delivered"):
            value = getattr(result, name)
            if value is not None and not 0 <= value <= 10_000:
                raise InputError(f"{where}: {name} must be a number from 0 to 10000; found {value}")
