"""The plan: the items, who does what, and the multi-agency view that consent allows (``consents.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from matcher.auth import AGENCIES, OWN_AGENCY, Action, Principal
from matcher.errors import ConflictError, InputError
from matcher.i18n import swedish_today
from matcher.rulebase.do_not_offer import refusal
from matcher.rulebase.yamlsource import did_you_mean
from matcher.store import audit
from matcher.store.consents import ConsentRecords, Coverage
from matcher.store.free_text import refuse_personnummer
from matcher.store.tables import (
    Plan,
    PlanItem,
    User,
    now,
)

ITEM_STATUSES = ("planned", "active", "completed", "dropped")


@dataclass(frozen=True)
class PlanItemInput:
    intervention: str
    actor: str
    goal: str
    start_on: dt.date
    follow_up_on: dt.date
    status: str = "planned"
    sessions_delivered: float | None = None
    hours_delivered: float | None = None


@dataclass(frozen=True)
class PlanView:
    version: int  # 0 when the case has no plan yet
    items: tuple[PlanItemInput, ...]


@dataclass(frozen=True)
class SharedItem:
    """A plan item in the multi-agency view: shown or withheld, and why."""

    item: PlanItemInput
    shown: bool
    givers: tuple[str, ...]  # whose consent covers the agency (shown) or is missing (withheld); () for our own
    on: dt.date

    def reason(self, lang: str) -> str:
        return Coverage(self.item.actor, "plan_items", self.shown, self.givers, self.on).reason(lang)


class PlanRecords(ConsentRecords):
    """Plans, and what of them consent lets other agencies see."""

    def plan(self, who: Principal, code: str) -> PlanView:
        with self._tx(who, "plan.read", code) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            plan = session.scalar(select(Plan).where(Plan.case_id == case.id))
            return view_of_plan(plan)

    def save_plan(self, who: Principal, code: str, items: Sequence[PlanItemInput], expected_version: int) -> int:
        """Replace the plan's items; ``expected_version`` is the version the user edited (0 for a new plan).

        If someone saved the plan in between, nothing is written and ConflictError says so."""
        for item in items:
            self._check_item(code, item)
        with self._tx(who, "plan.save", code, f"{len(items)} items") as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            plan = session.scalar(select(Plan).where(Plan.case_id == case.id))
            current = plan.version if plan else 0
            if current != expected_version:
                by = session.get(User, plan.updated_by) if plan else None
                raise ConflictError(
                    f"case {code}: the plan was changed by {by.username if by else 'someone'} at "
                    f"{plan.updated_at:%Y-%m-%d %H:%M} (now version {current}); you edited version "  # type: ignore[union-attr]
                    f"{expected_version}. Nothing was saved: reload the plan and apply your changes again.")
            if plan is None:
                plan = Plan(case_id=case.id, updated_by=self._user_id(session, who))
                session.add(plan)
            plan.items = [PlanItem(position=i, intervention=it.intervention, actor=it.actor, goal=it.goal,
                                   start_on=it.start_on, follow_up_on=it.follow_up_on, status=it.status,
                                   sessions_delivered=it.sessions_delivered, hours_delivered=it.hours_delivered)
                          for i, it in enumerate(items)]
            plan.version = current + 1
            plan.updated_at = now()
            plan.updated_by = self._user_id(session, who)
            session.flush()
            return plan.version

    def _check_item(self, code: str, item: PlanItemInput) -> None:
        where = f"plan of case {code}, {item.intervention}"
        if item.intervention not in self.rules.ids:
            raise InputError(f"{where}: unknown intervention{did_you_mean(item.intervention, self.rules.ids)}")
        refused = refusal(self.rules, item.intervention, where)
        if refused:
            raise InputError(refused)
        if item.actor not in AGENCIES:
            raise InputError(f"{where}: unknown actor '{item.actor}'{did_you_mean(item.actor, AGENCIES)}")
        if item.status not in ITEM_STATUSES:
            raise InputError(f"{where}: status must be one of {', '.join(ITEM_STATUSES)}; found {item.status!r}")
        if not item.goal.strip():
            raise InputError(f"{where}: a goal is required")
        refuse_personnummer(where, [("goal", item.goal)])
        if item.follow_up_on < item.start_on:
            raise InputError(f"{where}: follow-up date {item.follow_up_on} is before the start {item.start_on}")
        for name in ("sessions_delivered", "hours_delivered"):
            value = getattr(item, name)
            if value is not None and not 0 <= value <= 10_000:
                raise InputError(f"{where}: {name} must be a number from 0 to 10000; found {value}")

    def shared_plan(self, who: Principal, code: str, on: dt.date | None = None) -> list[SharedItem]:
        """The multi-agency view: another agency's items only while a valid consent covers that agency.

        Every agency check is logged."""
        on = on or swedish_today()
        with self._tx(who, "plan.share", code, on.isoformat()) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            view = view_of_plan(session.scalar(select(Plan).where(Plan.case_id == case.id)))
            checks = {agency: self._coverage(session, case, agency, on)["plan_items"]
                      for agency in sorted({item.actor for item in view.items} - {OWN_AGENCY})}
            shared = [SharedItem(item, *((True, ()) if item.actor == OWN_AGENCY else
                                         (checks[item.actor].shown, checks[item.actor].givers)), on)
                      for item in view.items]
            for agency in checks:
                first = next(s for s in shared if s.item.actor == agency)
                audit.append(session, self._audit_key, who.username, "consent.check", code,
                             f"{agency}: {'shown' if first.shown else 'withheld'}: {first.reason('en')}")
            return shared



def view_of_plan(plan: Plan | None) -> PlanView:
    if plan is None:
        return PlanView(0, ())
    return PlanView(plan.version, tuple(PlanItemInput(i.intervention, i.actor, i.goal, i.start_on, i.follow_up_on,
                                                      i.status, i.sessions_delivered, i.hours_delivered)
                                        for i in plan.items))
