"""Saved recommendations (as they were shown) and the decisions made on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from matcher.auth import Action, Principal
from matcher.errors import InputError
from matcher.rulebase.do_not_offer import refusal
from matcher.rulebase.yamlsource import did_you_mean
from matcher.store.core import StoreCore
from matcher.store.free_text import refuse_personnummer
from matcher.store.rule_versions import FIRST_USE_AUTHOR, FIRST_USE_REASON, record_rules
from matcher.store.tables import (
    Assessment,
    Decision,
    DecisionItem,
    Recommendation,
    User,
)

OUTCOMES = ("accepted", "declined", "overridden")


class DecisionRecords(StoreCore):
    """Recommendations and decisions."""

    def save_recommendation(self, who: Principal, code: str, assessment_version: int,
                            result: dict[str, Any]) -> int:
        """Keep the engine's output for an assessment as it was shown; it is never changed afterwards."""
        with self._tx(who, "recommendation.save", code) as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            assessment = session.scalar(select(Assessment).where(Assessment.case_id == case.id,
                                                                 Assessment.version == assessment_version))
            if assessment is None:
                raise InputError(f"case {code} has no assessment version {assessment_version}")
            version = result["version"]
            if version["rule_base"] == self.rules.content_hash:
                record_rules(session, self.rules.root, FIRST_USE_AUTHOR, FIRST_USE_REASON)
            row = Recommendation(case_id=case.id, assessment_id=assessment.id, rule_base=version["rule_base"],
                                 model=version["model"], evidence_snapshot=version["evidence_snapshot"],
                                 result=result, created_by=self._user_id(session, who))
            session.add(row)
            session.flush()
            return row.id

    def recommendation(self, who: Principal, code: str, recommendation_id: int) -> dict[str, Any]:
        with self._tx(who, "recommendation.read", code, str(recommendation_id)) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            row = session.get(Recommendation, recommendation_id)
            if row is None or row.case_id != case.id:
                raise InputError(f"case {code} has no recommendation {recommendation_id}")
            return dict(row.result)

    def record_decision(self, who: Principal, code: str, recommendation_id: int,
                        items: Sequence[tuple[str, str, str]], youth_view: str = "", youth_goals: str = "",
                        guardian_view: str = "") -> int:
        """items: (intervention id, accepted | declined | overridden, reason); a reason is required unless
        the recommended insats is accepted."""
        for intervention, outcome, reason in items:
            if intervention not in self.rules.ids:
                raise InputError(f"decision: unknown intervention '{intervention}'"
                                 f"{did_you_mean(intervention, self.rules.ids)}")
            refused = refusal(self.rules, intervention, f"decision on {intervention}")
            if refused:
                raise InputError(refused)
            if outcome not in OUTCOMES:
                raise InputError(f"decision on {intervention}: outcome must be one of {', '.join(OUTCOMES)}; "
                                 f"found {outcome!r}")
            if outcome != "accepted" and not reason.strip():
                raise InputError(f"decision on {intervention}: a reason is required when it is {outcome}",
                                 key=f"error.decision.reason_{outcome}", insats=intervention)
            refuse_personnummer(f"decision on case {code}, {intervention}", [("reason", reason)])
        refuse_personnummer(f"decision on case {code}", [("youth_view", youth_view), ("youth_goals", youth_goals),
                                                          ("guardian_view", guardian_view)])
        with self._tx(who, "decision.record", code, str(recommendation_id)) as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            rec = session.get(Recommendation, recommendation_id)
            if rec is None or rec.case_id != case.id:
                raise InputError(f"case {code} has no recommendation {recommendation_id}")
            decision = Decision(case_id=case.id, recommendation_id=rec.id, youth_view=youth_view,
                                youth_goals=youth_goals, guardian_view=guardian_view,
                                decided_by=self._user_id(session, who),
                                items=[DecisionItem(intervention=i, outcome=o, reason=r) for i, o, r in items])
            session.add(decision)
            session.flush()
            return decision.id

    def latest_recommendation(self, who: Principal, code: str) -> tuple[int, dict[str, Any]] | None:
        """The newest saved recommendation of the case: (its id, the result as it was shown)."""
        with self._tx(who, "recommendation.read", code, "latest") as session:
            case = self._case(session, who, code, Action.CASE_READ)
            row = session.scalar(select(Recommendation).where(Recommendation.case_id == case.id)
                                 .order_by(Recommendation.id.desc()).limit(1))
            return (row.id, dict(row.result)) if row else None

    def decisions(self, who: Principal, code: str) -> list[dict[str, Any]]:
        with self._tx(who, "decision.read", code) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            rows = session.scalars(select(Decision).where(Decision.case_id == case.id).order_by(Decision.id))
            names = {uid: name for uid, name in session.execute(select(User.id, User.username))}
            return [{"id": d.id, "recommendation_id": d.recommendation_id, "decided_at": d.decided_at,
                     "decided_by": names[d.decided_by],
                     "youth_view": d.youth_view, "youth_goals": d.youth_goals, "guardian_view": d.guardian_view,
                     "items": [(i.intervention, i.outcome, i.reason) for i in d.items]} for d in rows]
