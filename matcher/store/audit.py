"""The audit log: every read and write of case data, append-only and hash-chained.

Each entry's hash is an HMAC, keyed outside the database, over its own fields and the previous entry's
hash, so someone who can write to the database cannot forge a consistent chain. ``verify`` walks the
chain and names every changed, inserted or deleted row. Appends are serialised through the one-row
``audit_head`` table (locked with SELECT ... FOR UPDATE where the database supports it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.store.tables import AuditEntry, AuditHead, now

GENESIS = "0" * 64


def _utc(at: dt.datetime) -> str:
    """One text form of a timestamp, whether the database returns it with or without a zone."""
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_hash(key: bytes, seq: int, at: dt.datetime, actor: str, action: str, case_code: str | None,
               detail: str, prev_hash: str) -> str:
    body = json.dumps([seq, _utc(at), actor, action, case_code, detail, prev_hash], ensure_ascii=False)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def append(session: Session, key: bytes, actor: str, action: str, case_code: str | None = None,
           detail: str = "") -> None:
    """Add one entry in the caller's transaction, so it commits or rolls back with the change it logs."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    at = now()
    seq = head.seq + 1
    digest = entry_hash(key, seq, at, actor, action, case_code, detail, head.hash)
    session.add(AuditEntry(seq=seq, at=at, actor=actor, action=action, case_code=case_code, detail=detail,
                           prev_hash=head.hash, hash=digest))
    head.seq, head.hash = seq, digest


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str

    def __str__(self) -> str:
        return f"audit entry {self.seq}: {self.message}"


def verify(session: Session, key: bytes) -> list[ChainProblem]:
    """Every break in the chain, named by sequence number; an empty list means the log is intact."""
    problems = []
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    expected_prev, expected_seq = GENESIS, 1
    for row in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
        if row.seq > head.seq:
            problems.append(ChainProblem(row.seq, f"inserted: the newest entry the log wrote is {head.seq}"))
            continue
        if row.seq > expected_seq:
            missing = f"{expected_seq}" if row.seq == expected_seq + 1 else f"{expected_seq}-{row.seq - 1}"
            problems.append(ChainProblem(expected_seq, f"missing: entries {missing} were deleted"))
        if row.prev_hash != expected_prev:
            problems.append(ChainProblem(row.seq, "does not follow the entry before it: an entry before it "
                                                  "was changed, inserted or deleted"))
        fields = (row.seq, row.at, row.actor, row.action, row.case_code, row.detail, row.prev_hash)
        if entry_hash(key, *fields) != row.hash:
            problems.append(ChainProblem(row.seq, f"changed after it was written ({row.action} by {row.actor})"))
        expected_prev, expected_seq = row.hash, row.seq + 1
    if expected_seq - 1 < head.seq:
        problems.append(ChainProblem(head.seq, f"missing: entries {expected_seq}-{head.seq}, the newest, "
                                               f"were deleted"))
    return problems
