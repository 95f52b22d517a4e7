"""Reading and verifying the audit log: the chain (``audit``), the checkpoints outside the database
(``checkpoints``) and the seals of the case-data rows (``seals``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from matcher.auth import Action, Principal, authorize
from matcher.errors import InputError
from matcher.store import audit, seals
from matcher.store.checkpoints import Checkpoint
from matcher.store.core import StoreCore
from matcher.store.tables import AuditEntry, StoreIdentity, now


class AuditRecords(StoreCore):
    """The audit log, for those who may read it."""


    @property
    def checkpoint_file(self) -> Path:
        return self._checkpoints.path

    def verify_audit(self, who: Principal) -> list[str]:
        """Every problem found, in words: breaks in the chain, what was lost since the newest checkpoint, and
        case-data rows whose seal does not match or is missing. An empty list means all is intact."""
        with self._tx(who, "audit.verify") as session:
            authorize(who, Action.AUDIT_READ)
            sealed_at = session.scalars(select(StoreIdentity.sealed_at)).one()
            return ([str(p) for p in audit.verify(session, self._audit_key)] + self._checkpoints.compare(session)
                    + seals.problems(session, self._seal_key, sealed_at))

    def write_checkpoint(self, who: Principal) -> Checkpoint:
        """A checkpoint now, covering this request's own audit entry."""
        with self._tx(who, "audit.checkpoint", detail=str(self._checkpoints.path)):
            authorize(who, Action.AUDIT_READ)
        with self._sessions.begin() as session:
            return self._checkpoints.take(session)

    def seal_rows(self, who: Principal) -> dict[str, int]:
        """Seal the case-data rows written before seals existed, once: {table: rows sealed}. From then on a row
        without a seal is one written outside Insatsmatch, and is never sealed."""
        with self._tx(who, "audit.seal") as session:
            authorize(who, Action.AUDIT_READ)
            store = session.get(StoreIdentity, 1, with_for_update=True)
            assert store is not None  # written when the store opened (identity.py)
            if store.sealed_at is not None:
                raise InputError(f"every case-data row was sealed on {store.sealed_at:%Y-%m-%d}; a row without a "
                                 f"seal since then was written outside Insatsmatch and is not sealed now: 'matcher "
                                 f"audit verify' names it")
            counts = seals.seal_unsealed(session, self._seal_key)
            store.sealed_at = now()
            return counts

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
