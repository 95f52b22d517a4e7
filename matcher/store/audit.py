"""The audit log: every read and write of case data, append-only and hash-chained.

Each entry's hash is an HMAC, keyed outside the database, over its own fields and the previous entry's
hash, so someone who can write to the database cannot forge a consistent chain. ``verify`` walks the
chain and names every changed, inserted or deleted row. Appends are serialised through the one-row
``audit_head`` table (locked with SELECT ... FOR UPDATE where the database supports it). A row forged in SQL
with the next free number does not stop the store: the next entry takes the first number above it that is free
and links to the real head, so ``verify`` names the forged row as one the chain passes by. What the chain
cannot see (its newest entries cut off together with the head) is caught by the checkpoints kept outside the
database (``checkpoints.py``).
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
SEQ = "audit_seq"


def utc_text(at: dt.datetime) -> str:
    """One text form of a timestamp, whether the database returns it with or without a zone."""
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_hash(key: bytes, seq: int, at: dt.datetime, actor: str, action: str, case_code: str | None,
               detail: str, prev_hash: str) -> str:
    body = json.dumps([seq, utc_text(at), actor, action, case_code, detail, prev_hash], ensure_ascii=False)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def row_hash(key: bytes, row: AuditEntry) -> str:
    """The hash ``row`` should have, from its fields."""
    return entry_hash(key, row.seq, row.at, row.actor, row.action, row.case_code, row.detail, row.prev_hash)


def append(session: Session, key: bytes, actor: str, action: str, case_code: str | None = None,
           detail: str = "") -> None:
    """Add one entry in the caller's transaction, so it commits or rolls back with the change it logs; its number
    is written to ``session.info[SEQ]`` (the checkpoints look there after the commit)."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    at = now()
    seq = head.seq + 1
    for taken in session.scalars(select(AuditEntry.seq).where(AuditEntry.seq > head.seq).order_by(AuditEntry.seq)):
        if taken != seq:
            break
        seq += 1  # a number taken by a row the store did not write: verify names it
    digest = entry_hash(key, seq, at, actor, action, case_code, detail, head.hash)
    session.add(AuditEntry(seq=seq, at=at, actor=actor, action=action, case_code=case_code, detail=detail,
                           prev_hash=head.hash, hash=digest))
    head.seq, head.hash = seq, digest
    session.info[SEQ] = seq


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str

    def __str__(self) -> str:
        return f"audit entry {self.seq}: {self.message}"


def verify(session: Session, key: bytes) -> list[ChainProblem]:
    """Every break in the chain, named by sequence number; an empty list means the log is intact.

    A row whose hash does not match is an inserted one when the entry after it links past it to the entry
    before (the store skipped its number), and a changed one otherwise."""
    problems = []
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    expected_prev, expected_seq = GENESIS, 1
    for n, row in enumerate(rows):
        if row.seq > head.seq:
            problems.append(ChainProblem(row.seq, f"inserted: the newest entry the log wrote is {head.seq}"))
            continue
        intact = hmac.compare_digest(row_hash(key, row), row.hash)
        later = rows[n + 1] if n + 1 < len(rows) else None
        if not intact and later is not None and later.prev_hash == expected_prev:
            before = f"entry {expected_seq - 1}" if expected_prev != GENESIS else "the start of the log"
            problems.append(ChainProblem(row.seq, f"inserted: not written by Insatsmatch; the chain passes it by "
                                                  f"(entry {later.seq} follows {before})"))
            continue
        follows = row.prev_hash == expected_prev
        if row.seq > expected_seq and not follows:
            missing = f"{expected_seq}" if row.seq == expected_seq + 1 else f"{expected_seq}-{row.seq - 1}"
            problems.append(ChainProblem(expected_seq, f"missing: entries {missing} were deleted"))
        if not follows:
            problems.append(ChainProblem(row.seq, "does not follow the entry before it: an entry before it "
                                                  "was changed, inserted or deleted"))
        if not intact:
            problems.append(ChainProblem(row.seq, f"changed after it was written ({row.action} by {row.actor})"))
        expected_prev, expected_seq = row.hash, row.seq + 1
    if expected_seq - 1 < head.seq:
        problems.append(ChainProblem(head.seq, f"missing: entries {expected_seq}-{head.seq}, the newest, "
                                               f"were deleted"))
    return problems
