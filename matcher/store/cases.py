"""Cases and their assessments: a case is a pseudonymous code; assessments are numbered versions."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import func, select

from matcher.auth import Action, Principal, authorize
from matcher.engine.cases import encode_cases
from matcher.errors import InputError
from matcher.i18n import message
from matcher.store.core import StoreCore, unit_named
from matcher.store.personnummer import birth_date, pseudonym
from matcher.store.tables import (
    Assessment,
    Case,
    Unit,
)


class CaseRecords(StoreCore):
    """Cases and assessments."""


    def create_case(self, who: Principal, personnummer: str | None = None, synthetic: bool = False,
                    sex: str | None = None, born_abroad: bool | None = None, born_on: dt.date | None = None) -> str:
        """A new case in the user's unit; returns its pseudonymous code. The date of birth comes from the
        personnummer when one is given (it decides whose consent is needed), else from ``born_on``.

        Another unit's case for the same personnummer is neither found nor revealed: each unit keeps its own."""
        code = f"C-{secrets.token_hex(4).upper()}"
        pnr = pseudonym(personnummer, self._pnr_key) if personnummer else None
        born_on = birth_date(personnummer) if personnummer else born_on
        with self._tx(who, "case.create", code) as session:
            authorize(who, Action.CASE_WRITE)
            unit = unit_named(session, who.unit)
            if pnr and session.scalar(select(Case.code).where(Case.pnr_hmac == pnr, Case.unit_id == unit.id)):
                raise InputError("your unit already has a case with this personnummer; use find to open it")
            session.add(Case(code=code, unit=unit, pnr_hmac=pnr, synthetic=synthetic, sex=sex,
                             born_abroad=born_abroad, born_on=born_on, created_by=self._user_id(session, who)))
        return code

    def find_case(self, who: Principal, personnummer: str) -> str | None:
        """The code of the case with this personnummer in the user's unit, or None (another unit's case for the
        same child is not looked at)."""
        pnr = pseudonym(personnummer, self._pnr_key)
        with self._tx(who, "case.find") as session:
            authorize(who, Action.CASE_READ)
            return session.scalar(select(Case.code).join(Unit).where(Case.pnr_hmac == pnr, Unit.code == who.unit))

    def list_cases(self, who: Principal) -> list[dict[str, Any]]:
        with self._tx(who, "case.list") as session:
            authorize(who, Action.CASE_READ)
            rows = session.scalars(select(Case).join(Unit).where(Unit.code == who.unit).order_by(Case.created_at))
            return [{"code": c.code, "synthetic": c.synthetic, "created_at": c.created_at} for c in rows]

    def add_assessment(self, who: Principal, code: str, data: dict[str, Any], assessed_on: dt.date,
                       instrument: str = "factors") -> int:
        """Validate the case input against the rule base and store it as the next version."""
        encode_cases([(message("case.in_store", code=code), data)], self.rules)
        with self._tx(who, "assessment.add", code) as session:
            case = self._case(session, who, code, Action.CASE_WRITE)
            version = (session.scalar(select(func.max(Assessment.version)).where(Assessment.case_id == case.id))
                       or 0) + 1
            session.add(Assessment(case_id=case.id, version=version, assessed_on=assessed_on, instrument=instrument,
                                   assessed_by=self._user_id(session, who), data=data))
            return version

    def assessments(self, who: Principal, code: str) -> list[dict[str, Any]]:
        with self._tx(who, "assessment.read", code) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            rows = session.scalars(select(Assessment).where(Assessment.case_id == case.id)
                                   .order_by(Assessment.version))
            return [{"version": a.version, "assessed_on": a.assessed_on, "instrument": a.instrument,
                     "data": a.data} for a in rows]
