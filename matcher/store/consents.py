"""Consents that lift secrecy between agencies: per agency and per category of information.

A consent is given by the young person or a guardian (under ``multi_agency_consent_age`` both are needed) for
some agencies and some categories; it covers them from the day it was given until it expires or is withdrawn.
A category is shared with an agency only on a day when every needed giver's valid consent names both
(Skövde and Norrköping SIG models; 10 kap. 2 § and 12 kap. 2 § OSL: the person's consent lifts the secrecy;
docs/sig.md). Consents recorded before revision 0006 name no categories: they covered the whole plan, so they
cover every category.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.auth import AGENCIES, Action, Principal
from matcher.errors import InputError
from matcher.i18n import t
from matcher.rulebase.yamlsource import did_you_mean
from matcher.store.core import StoreCore
from matcher.store.tables import Case, Consent, now

# What a consent may cover (docs/sig.md): the plan items that concern the agency, the young person's goals,
# the young person's and guardians' views in their own words, follow-up results, the assessment summary (the
# main needs), the risk level, and the act-first actions.
CATEGORIES = ("plan_items", "goals", "views", "follow_up", "assessment", "risk_level", "act_first")


@dataclass(frozen=True)
class Coverage:
    """Whether a category is shared with an agency on a day, and whose consent covers it or is missing."""

    agency: str
    category: str
    shown: bool
    givers: tuple[str, ...]  # () for the case's own agency
    on: dt.date

    def reason(self, lang: str) -> str:
        if not self.givers:
            return t(lang, "consent.own_agency")
        givers = t(lang, "consent.and").join(t(lang, f"consent.giver.{g}") for g in self.givers)
        return t(lang, "consent.covers" if self.shown else "consent.missing", givers=givers,
                 agency=t(lang, f"actor.{self.agency}"), on=self.on.isoformat())


class ConsentRecords(StoreCore):
    """Consents: record, withdraw, list, and what they cover on a day."""

    def add_consent(self, who: Principal, code: str, given_by: str, agencies: Sequence[str], given_on: dt.date,
                    expires_on: dt.date | None = None, language: str = "sv",
                    categories: Sequence[str] = CATEGORIES) -> int:
        """Record a consent for ``agencies`` and ``categories`` (every category unless fewer are named)."""
        if given_by not in ("youth", "guardian"):
            raise InputError(f"consent: given_by must be youth or guardian; found {given_by!r}")
        for agency in agencies:
            if agency not in AGENCIES:
                raise InputError(f"consent: unknown agency '{agency}'{did_you_mean(agency, AGENCIES)}; expected "
                                 f"one of {', '.join(AGENCIES)}")
        for category in categories:
            if category not in CATEGORIES:
                raise InputError(f"consent: unknown category '{category}'{did_you_mean(category, CATEGORIES)}; "
                                 f"expected one of {', '.join(CATEGORIES)}")
        if not agencies or not categories:
            raise InputError("consent: name at least one agency and one category of information",
                             key="error.consent.empty")
        if expires_on is not None and expires_on < given_on:
            raise InputError(f"consent: expires on {expires_on}, before it was given ({given_on})")
        detail = f"{given_by}: {', '.join(agencies)}; {', '.join(categories)}"
        with self._tx(who, "consent.add", code, detail) as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            consent = Consent(case_id=case.id, given_by=given_by, agencies=list(agencies), given_on=given_on,
                              expires_on=expires_on, language=language, recorded_by=self._user_id(session, who),
                              categories=[c for c in CATEGORIES if c in categories])
            session.add(consent)
            session.flush()
            return consent.id

    def withdraw_consent(self, who: Principal, code: str, consent_id: int) -> None:
        """Takes effect at once: from this moment no agency in its scope is shown anything through it."""
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
                     "expires_on": c.expires_on, "withdrawn": c.withdrawn_at is not None,
                     "categories": list(c.categories or CATEGORIES)}
                    for c in session.scalars(select(Consent).where(Consent.case_id == case.id).order_by(Consent.id))]

    def _coverage(self, session: Session, case: Case, agency: str, on: dt.date) -> dict[str, Coverage]:
        """Every category's coverage for ``agency`` on ``on``."""
        valid = [c for c in session.scalars(select(Consent).where(Consent.case_id == case.id))
                 if agency in c.agencies and c.withdrawn_at is None and c.given_on <= on
                 and (c.expires_on is None or c.expires_on >= on)]
        needed = {"youth"} | ({"guardian"} if not self._of_consent_age(case.born_on, on) else set())
        out = {}
        for category in CATEGORIES:
            givers = {c.given_by for c in valid if c.categories is None or category in c.categories}
            missing = tuple(sorted(needed - givers))
            out[category] = Coverage(agency, category, not missing, missing or tuple(sorted(needed)), on)
        return out

    def _of_consent_age(self, born_on: dt.date | None, on: dt.date) -> bool:
        """Counted from the date of birth (the personnummer's), never from an age typed into an assessment;
        unknown means a guardian's consent is needed too."""
        if born_on is None:
            return False
        return (on.year - born_on.year - ((on.month, on.day) < (born_on.month, born_on.day))) >= self.consent_age
