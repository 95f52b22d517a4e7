"""Cases and their assessments: a case is a pseudonymous code; assessments are numbered versions."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import func, select

from matcher.auth import Action, Principal, authorize
from matcher.engine.cases import encode_cases
from matcher.errors import InputError
from matcher.store import audit
from matcher.store.core import StoreCore, unit_named
from matcher.store.personnummer import pseudonym
from matcher.store.tables import (
    Assessment,
    Case,
    Unit,
)


class CaseRecords(StoreCore):
    """Cases and assessments."""


    def create_case(self, who: Principal, personnummer: str | None = None, synthetic: bool = False,
                    sex: str | None = None, born_abroad: bool | None = None) -> str:
        """A new case in the user's unit; returns its pseudonymous code."""
        code = f"C-{secrets.token_hex(4).upper()}"
        pnr = pseudonym(personnummer, self._pnr_key) if personnummer else None
        with self._tx(who, "case.create", code) as session:
            authorize(who, Action.CASE_WRITE)
            if pnr and session.scalar(select(Case.code).where(Case.pnr_hmac == pnr)):
                raise InputError("a case with this personnummer already exists; use find to open it")
            session.add(Case(code=code, unit=unit_named(session, who.unit), pnr_hmac=pnr, synthetic=synthetic,
                             sex=sex, born_abroad=born_abroad, created_by=self._user_id(session, who)))
        return code

    def find_case(self, who: Principal, personnummer: str) -> str | None:
        """The code of the case with this personnummer in the user's unit, or None.

        A case in another unit is not revealed, not even that it exists; the audit log records the match."""
        pnr = pseudonym(personnummer, self._pnr_key)
        found: list[Case] = []
        with self._tx(who, "case.find", detail="") as session:
            authorize(who, Action.CASE_READ)
            case = session.scalar(select(Case).where(Case.pnr_hmac == pnr))
            if case is not None and case.unit.code == who.unit:
                found.append(case)
            elif case is not None:
                audit.append(session, self._audit_key, who.username, "case.find.other_unit", case.code,
                             f"a match in unit {case.unit.code} was not shown")
        return found[0].code if found else None

    def list_cases(self, who: Principal) -> list[dict[str, Any]]:
        with self._tx(who, "case.list") as session:
            authorize(who, Action.CASE_READ)
            rows = session.scalars(select(Case).join(Unit).where(Unit.code == who.unit).order_by(Case.created_at))
            return [{"code": c.code, "synthetic": c.synthetic, "created_at": c.created_at} for c in rows]

    def add_assessment(self, who: Principal, code: str, data: dict[str, Any], assessed_on: dt.date,
                       instrument: str = "factors") -> int:
        """Validate the case input against the rule base and store it as the next version."""
        encode_cases([(f"case {code}", data)], self.rules)
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
