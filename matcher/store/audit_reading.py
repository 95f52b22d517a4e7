"""Reading and verifying the audit log (the chain itself is ``audit``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from matcher.auth import Action, Principal, authorize
from matcher.errors import InputError
from matcher.store import audit
from matcher.store.core import StoreCore
from matcher.store.tables import (
    AuditEntry,
)


class AuditRecords(StoreCore):
    """The audit log, for those who may read it."""


    def verify_audit(self, who: Principal) -> list[audit.ChainProblem]:
        with self._tx(who, "audit.verify") as session:
            authorize(who, Action.AUDIT_READ)
            return audit.verify(session, self._audit_key)

    def audit_entries(self, who: Principal, *, case_code: str | None = None, actor: str | None = None,
                      limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """A page of the audit log, newest first, of one case or one actor if given: (entries, how many match).
        Reading the log is itself logged."""
        if limit < 1 or offset < 0:
            raise InputError(f"audit log: expected a page size of at least 1 and an offset of at least 0; "
                             f"found {limit} and {offset}")
        detail = f"actor={actor or '*'} limit={limit} offset={offset}"
        with self._tx(who, "audit.read", case_code, detail) as session:
            authorize(who, Action.AUDIT_READ)
            query = select(AuditEntry)
            if case_code:
                query = query.where(AuditEntry.case_code == case_code)
            if actor:
                query = query.where(AuditEntry.actor == actor)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset))
            return [{"seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action, "case_code": r.case_code,
                     "detail": r.detail} for r in rows], total
