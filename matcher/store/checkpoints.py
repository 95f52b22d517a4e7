"""Checkpoints: the audit log's head and the case tables' row counts, signed and kept outside the database.

The hash chain shows a changed or removed entry in the middle, but not its newest entries cut off together with
the head, nor a wiped log, nor deleted case rows. A checkpoint records, at one moment, the head (number and hash)
and for each case-data table how many rows it had up to which id; it is signed with a subkey of the outside key
and appended as one JSON line to a file outside the data folder (``INSATSMATCH_CHECKPOINTS``, by default beside
the key file), created owner-only. The store writes one after every ``INSATSMATCH_CHECKPOINT_EVERY`` entries
(default 100) and when an admin asks (``matcher audit checkpoint``); ``compare`` checks the database against
every one of them, so a checkpoint written after a tampering does not hide it. One file may serve several
databases: each line names its database's id.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher import keys
from matcher.errors import InputError
from matcher.store.audit import utc_text
from matcher.store.seals import SEALED, table_of
from matcher.store.tables import AuditEntry, AuditHead, now

EVERY = 100
FILE_NAME = "audit-checkpoints.jsonl"
REPLACED = {"plan_items", "homecoming_parts"}  # a save replaces a plan's parts, so their count may fall


def default_file() -> Path:
    named = os.environ.get("INSATSMATCH_CHECKPOINTS")
    return Path(named) if named else keys.key_file().parent / FILE_NAME


def default_every() -> int:
    text = os.environ.get("INSATSMATCH_CHECKPOINT_EVERY", str(EVERY))
    if not text.strip().isdigit() or int(text) < 1:
        raise InputError(f"INSATSMATCH_CHECKPOINT_EVERY: expected a whole number of audit entries of at least 1; "
                         f"found {text!r}. Unset it for the default, {EVERY}")
    return int(text)


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head: str
    rows: dict[str, list[int]]  # table: [rows, highest id]
    at: str

    def __str__(self) -> str:
        return f"the checkpoint of {self.at[:19].replace('T', ' ')} UTC (entry {self.seq})"


class Checkpoints:
    """The checkpoint file of one database, signed with one key."""

    def __init__(self, path: Path, key: bytes, database_id: str, every: int):
        self.path, self.database_id, self.every = path, database_id, every
        self._key = key
        self._lock = threading.Lock()
        self._last: int | None = None  # the entry of the newest checkpoint this process knows of
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
        except OSError as exc:
            raise InputError(f"the audit checkpoint file {path} cannot be written ({exc.strerror}); make its folder "
                             f"writable for this user only, or name another place with INSATSMATCH_CHECKPOINTS") \
                from None

    def _mac(self, fields: dict[str, Any]) -> str:
        body = json.dumps(fields, sort_keys=True, ensure_ascii=False)
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()

    def due(self, seq: int) -> bool:
        """Whether entry ``seq`` calls for a checkpoint; if so, other threads of this process will not ask too."""
        with self._lock:
            if self._last is None:
                self._last = max((c.seq for c in self.read()[0]), default=0)
            if seq - self._last < self.every:
                return False
            self._last = seq
            return True

    def take(self, session: Session) -> Checkpoint:
        """Lock the head, count the rows and append the signed line; the lock keeps both in step."""
        head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
        rows = {}
        for model in SEALED:
            table = table_of(model)
            count, highest = session.execute(select(func.count(), func.max(table.c.id)).select_from(table)).one()
            rows[table.name] = [count, highest or 0]
        fields: dict[str, Any] = {"database": self.database_id, "seq": head.seq, "head": head.hash, "rows": rows,
                                  "at": utc_text(now())}
        line = json.dumps({**fields, "mac": self._mac(fields)}, sort_keys=True, ensure_ascii=False) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())  # one write of one line: whole lines even with several writers
        finally:
            os.close(fd)
        with self._lock:
            self._last = max(self._last or 0, head.seq)
        return Checkpoint(head.seq, head.hash, rows, fields["at"])

    def read(self) -> tuple[list[Checkpoint], list[str]]:
        """The checkpoints of this database whose signature holds, in file order, and every line that is not sound."""
        found: list[Checkpoint] = []
        problems: list[str] = []
        if not self.path.exists():
            return found, problems
        for number, text in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                fields = json.loads(text)
                mine = fields.get("database") == self.database_id
                mac = fields.pop("mac")
                checkpoint = Checkpoint(int(fields["seq"]), str(fields["head"]), dict(fields["rows"]),
                                        str(fields["at"]))
            except (ValueError, KeyError, TypeError, AttributeError):
                problems.append(f"{self.path} line {number}: not a checkpoint (expected one JSON object per line "
                                f"as Insatsmatch writes them)")
                continue
            if not mine:
                continue
            if hmac.compare_digest(str(mac), self._mac(fields)):
                found.append(checkpoint)
            else:
                problems.append(f"{self.path} line {number}: the signature does not match: the line was edited, "
                                f"or signed with another key")
        return found, problems

    def compare(self, session: Session) -> list[str]:
        """What the database has lost or rewritten since any of its checkpoints, and what is wrong with the file.
        Every checkpoint counts, so one written after a tampering does not hide it."""
        found, problems = self.read()
        head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
        if not found:
            if head.seq >= self.every:
                problems.append(f"{self.path} holds no checkpoint of this database (id {self.database_id}), though "
                                f"its audit log reaches entry {head.seq} and one is written every {self.every}: "
                                f"the file was replaced, or the database's id changed. Restore the file from its "
                                f"backup, or write one now with 'matcher audit checkpoint --as ADMIN'")
            return problems
        return problems + _lost_entries(session, head, found, self.path) + _lost_rows(session, found)


def _recorded(session: Session, seqs: list[int]) -> dict[int, str]:
    """The hash of each of these audit entries that exists."""
    hashes: dict[int, str] = {}
    for start in range(0, len(seqs), 500):
        query = select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.in_(seqs[start:start + 500]))
        hashes.update({seq: digest for seq, digest in session.execute(query)})
    return hashes


def _lost_entries(session: Session, head: AuditHead, found: list[Checkpoint], path: Path) -> list[str]:
    highest = max(found, key=lambda c: c.seq)
    if not session.scalar(select(func.count(AuditEntry.id))):
        return [f"audit log: wiped: it holds no entries, but {highest} in {path} recorded entries up to {highest.seq}"]
    problems = []
    if highest.seq > head.seq:
        problems.append(f"audit log: cut off: its newest entry is {head.seq}, but {highest} in {path} recorded "
                        f"entries up to {highest.seq}: entries {head.seq + 1}-{highest.seq} were deleted and the "
                        f"head reset")
    below = [c for c in found if c.seq <= head.seq]
    hashes = _recorded(session, sorted({c.seq for c in below}))
    differ = sorted((c for c in below if hashes.get(c.seq) != c.head), key=lambda c: c.seq)
    if differ:
        first = differ[0]
        what = "missing, though" if first.seq not in hashes else "not the entry"
        more = f"; {len(differ) - 1} later checkpoints disagree too" if len(differ) > 1 else ""
        problems.append(f"audit entry {first.seq}: {what} {first} recorded: the log was rewritten from there on"
                        f"{more}")
    return problems


def _lost_rows(session: Session, found: list[Checkpoint]) -> list[str]:
    """Per table, the checkpoint that counted most of the rows now gone (rows up to its highest id)."""
    lost = []
    for model in SEALED:
        table = table_of(model)
        if table.name in REPLACED:
            continue
        ids = sorted(session.scalars(select(table.c.id)))
        worst: tuple[int, int, int, Checkpoint] | None = None
        for checkpoint in found:
            counted, highest = checkpoint.rows.get(table.name, (0, 0))
            gone = counted - bisect.bisect_right(ids, highest)
            if gone > 0 and (worst is None or gone >= worst[0]):
                worst = (gone, counted, highest, checkpoint)
        if worst is not None:
            gone, counted, highest, checkpoint = worst
            lost.append(f"{table.name}: {gone} of the {counted} rows up to id {highest} that {checkpoint} counted "
                        f"are gone: deleted outside Insatsmatch")
    return lost
