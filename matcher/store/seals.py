"""Seals: a keyed hash of each case-data row, written by the store beside the row and checked by ``audit verify``.

A seal is an HMAC (a subkey of the outside key) over the table name, the row's id and every column as the
database returns it, so a row changed in SQL, copied under another id or inserted by hand no longer matches.
The store seals a row right after the ORM writes it (mapper ``after_insert``/``after_update``): it reads the row
back and stores the seal, so the seal covers exactly what a later read sees. Rows written before revision 0004
have no seal until an admin runs ``matcher audit seal`` once; from then on a row without a seal is a forgery.
Deleted rows leave no seal to check: the checkpoints' row counts catch those (``checkpoints.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, event, select, update
from sqlalchemy.orm import Mapper, Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from matcher.store.audit import utc_text
from matcher.store.tables import (
    Assessment,
    Case,
    Consent,
    Decision,
    DecisionItem,
    FollowUp,
    Homecoming,
    HomecomingPart,
    Plan,
    PlanItem,
    Recommendation,
    Sealed,
    SigMeeting,
    TaskReport,
)

SEALED: tuple[type[Sealed], ...] = (Case, Assessment, Recommendation, Decision, DecisionItem, Consent, Plan,
                                    PlanItem, FollowUp, SigMeeting, TaskReport, Homecoming, HomecomingPart)
_MODELS = {model.__tablename__: model for model in SEALED}  # type: ignore[attr-defined]
KEY = "seal_key"  # the store's sessions carry their seal key in ``Session.info[KEY]``


def _plain(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"a case-data column holds a {type(value).__name__}, which a seal cannot cover")


def seal(key: bytes, table: str, row: RowMapping) -> str:
    """The seal of one row as the database returns it (the ``seal`` column itself left out)."""
    # NULL columns are left out, so a nullable column added by a later migration leaves earlier seals valid
    content = {name: value for name, value in row.items() if name != "seal" and value is not None}
    body = json.dumps([table, content], sort_keys=True, ensure_ascii=False, default=_plain)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def table_of(model: type[Sealed]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def _write_seal(mapper: Mapper[Any], connection: Connection, target: Sealed) -> None:
    session = object_session(target)
    key = session.info.get(KEY) if session is not None else None
    if key is None:
        raise PermissionError(f"{type(target).__name__} rows are written through the case store, which seals them")
    table = table_of(type(target))
    row_id = mapper.primary_key_from_instance(target)[0]
    row = connection.execute(select(table).where(table.c.id == row_id)).mappings().one()
    value = seal(key, table.name, row)
    connection.execute(update(table).where(table.c.id == row_id).values(seal=value))
    set_committed_value(target, "seal", value)


for _model in SEALED:
    event.listen(_model, "after_insert", _write_seal)
    event.listen(_model, "after_update", _write_seal)


def _pairs(session: Session, table: Table, column: str) -> dict[int, int]:
    return {row_id: other for row_id, other in session.execute(select(table.c.id, table.c[column]))}


def _case_codes(session: Session) -> dict[str, dict[int, str]]:
    """For each sealed table, the case code of each row id, so a problem names the case."""
    cases: dict[int, str] = {row_id: code for row_id, code in session.execute(select(Case.id, Case.code))}
    codes = {"cases": cases}
    for model in SEALED:
        table = table_of(model)
        if "case_id" in table.c:
            codes[table.name] = {i: cases.get(c, "?") for i, c in _pairs(session, table, "case_id").items()}
    for items, owners, column in (("decision_items", "decisions", "decision_id"), ("plan_items", "plans", "plan_id"),
                                  ("homecoming_parts", "homecomings", "homecoming_id")):
        codes[items] = {i: codes[owners].get(o, "?") for i, o in _pairs(session, table_of(_MODELS[items]),
                                                                          column).items()}
    return codes


def _rows(session: Session) -> Iterator[tuple[str, RowMapping]]:
    for model in SEALED:
        table = table_of(model)
        for row in session.execute(select(table).order_by(table.c.id)).mappings():
            yield table.name, row


def problems(session: Session, key: bytes, sealed_at: dt.datetime | None) -> list[str]:
    """Every row whose seal does not match, and the rows without one: named one by one once every row was
    sealed (``sealed_at``), counted per table before that."""
    codes = _case_codes(session)
    found: list[str] = []
    unsealed: dict[str, int] = {}
    for table, row in _rows(session):
        where = f"{table} {row['id']} (case {codes[table].get(row['id'], '?')})"
        if row["seal"] is None and sealed_at is None:
            unsealed[table] = unsealed.get(table, 0) + 1
        elif row["seal"] is None:
            found.append(f"{where}: has no seal, though every row was sealed on {sealed_at:%Y-%m-%d}: it was "
                         f"written outside Insatsmatch")
        elif not hmac.compare_digest(row["seal"], seal(key, table, row)):
            found.append(f"{where}: does not match its seal: it was changed outside Insatsmatch")
    found += [f"{table}: {n} rows written before seals existed (revision 0004) have no seal yet; seal them once "
              f"with 'matcher audit seal --as ADMIN'" for table, n in unsealed.items()]
    return found


def seal_unsealed(session: Session, key: bytes) -> dict[str, int]:
    """Seal every row that has no seal yet: {table: how many}. Rows with a wrong seal are left as they are."""
    counts: dict[str, int] = {}
    for model in SEALED:
        table = table_of(model)
        for row in session.execute(select(table).where(table.c.seal.is_(None))).mappings().all():
            session.execute(update(table).where(table.c.id == row["id"]).values(seal=seal(key, table.name, row)))
            counts[table.name] = counts.get(table.name, 0) + 1
    return counts
