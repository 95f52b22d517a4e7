"""Consents and the plan: the items, who does what, and the multi-agency view that consent allows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.auth import Action, Principal
from matcher.errors import ConflictError, InputError
from matcher.i18n import swedish_today, t
from matcher.rulebase.do_not_offer import refusal
from matcher.rulebase.yamlsource import did_you_mean
from matcher.store import audit
from matcher.store.core import StoreCore
from matcher.store.free_text import refuse_personnummer
from matcher.store.tables import (
    Case,
    Consent,
    Plan,
    PlanItem,
    User,
    now,
)

AGENCIES = ("socialtjanst", "skola", "polis", "sis", "region", "kriminalvarden", "civil_society")
ITEM_STATUSES = ("planned", "active", "completed", "dropped")
OWN_AGENCY = "socialtjanst"


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
        if not self.givers:
            return t(lang, "consent.own_agency")
        givers = t(lang, "consent.and").join(t(lang, f"consent.giver.{g}") for g in self.givers)
        return t(lang, "consent.covers" if self.shown else "consent.missing", givers=givers,
                 agency=t(lang, f"actor.{self.item.actor}"), on=self.on.isoformat())


class PlanRecords(StoreCore):
    """Consents and plans."""


    def add_consent(self, who: Principal, code: str, given_by: str, agencies: Sequence[str], given_on: dt.date,
                    expires_on: dt.date | None = None, language: str = "sv") -> int:
        if given_by not in ("youth", "guardian"):
            raise InputError(f"consent: given_by must be youth or guardian; found {given_by!r}")
        for agency in agencies:
            if agency not in AGENCIES:
                raise InputError(f"consent: unknown agency '{agency}'{did_you_mean(agency, AGENCIES)}; expected "
                                 f"one of {', '.join(AGENCIES)}")
        if expires_on is not None and expires_on < given_on:
            raise InputError(f"consent: expires on {expires_on}, before it was given ({given_on})")
        with self._tx(who, "consent.add", code, f"{given_by}: {', '.join(agencies)}") as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            consent = Consent(case_id=case.id, given_by=given_by, agencies=list(agencies), given_on=given_on,
                              expires_on=expires_on, language=language, recorded_by=self._user_id(session, who))
            session.add(consent)
            session.flush()
            return consent.id

    def withdraw_consent(self, who: Principal, code: str, consent_id: int) -> None:
        """Takes effect at once: from this moment no agency in its scope is shown the plan through it."""
        with self._tx(who, "consent.withdraw", code, str(consent_id)) as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            consent = session.get(Consent, consent_id)
            if consent is None or consent.case_id != case.id:
                raise InputError(f"case {code} has no consent {consent_id}")
            if consent.withdrawn_at is not None:
                raise InputError(f"consent {consent_id} was already withdrawn")
            consent.withdrawn_at = now()

    def consents(self, who: Principal, code: str) -> list[dict[str, Any]]:
        with self._tx(who, "consent.read", code) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            return [{"id": c.id, "given_by": c.given_by, "agencies": c.agencies, "given_on": c.given_on,
                     "expires_on": c.expires_on, "withdrawn": c.withdrawn_at is not None}
                    for c in session.scalars(select(Consent).where(Consent.case_id == case.id).order_by(Consent.id))]

    def _consent_covers(self, session: Session, case: Case, agency: str, on: dt.date) -> tuple[bool, tuple[str, ...]]:
        """(covered, whose consent covers it or is missing)."""
        valid = {c.given_by for c in session.scalars(select(Consent).where(Consent.case_id == case.id))
                 if agency in c.agencies and c.withdrawn_at is None and c.given_on <= on
                 and (c.expires_on is None or c.expires_on >= on)}
        needed = {"youth"} | ({"guardian"} if not self._of_consent_age(case.born_on, on) else set())
        missing = tuple(sorted(needed - valid))
        return (False, missing) if missing else (True, tuple(sorted(needed)))


    def _of_consent_age(self, born_on: dt.date | None, on: dt.date) -> bool:
        """Counted from the date of birth (the personnummer's), never from an age typed into an assessment;
        unknown means a guardian's consent is needed too."""
        if born_on is None:
            return False
        return (on.year - born_on.year - ((on.month, on.day) < (born_on.month, born_on.day))) >= self.consent_age

    def plan(self, who: Principal, code: str) -> PlanView:
        with self._tx(who, "plan.read", code) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            plan = session.scalar(select(Plan).where(Plan.case_id == case.id))
            return _plan_view(plan)

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
            view = _plan_view(session.scalar(select(Plan).where(Plan.case_id == case.id)))
            checks = {agency: self._consent_covers(session, case, agency, on)
                      for agency in sorted({item.actor for item in view.items} - {OWN_AGENCY})}
            shared = [SharedItem(item, *((True, ()) if item.actor == OWN_AGENCY else checks[item.actor]), on)
                      for item in view.items]
            for agency in checks:
                first = next(s for s in shared if s.item.actor == agency)
                audit.append(session, self._audit_key, who.username, "consent.check", code,
                             f"{agency}: {'shown' if first.shown else 'withheld'}: {first.reason('en')}")
            return shared



def _plan_view(plan: Plan | None) -> PlanView:
    if plan is None:
        return PlanView(0, ())
    return PlanView(plan.version, tuple(PlanItemInput(i.intervention, i.actor, i.goal, i.start_on, i.follow_up_on,
                                                      i.status, i.sessions_delivered, i.hours_delivered)
                                        for i in plan.items))
