"""Which outside key a database belongs to: its id and the key's check value, in ``store_identity``.

Opening a store fails closed. A database that holds keyed data (a case with a personnummer, an audit entry) or
that was opened with a key before never gets a new key: without its key it does not open, and a key whose check
value differs is named as the wrong key for this database. Only a new, empty database may create the key file
(``keys.load(create=True)``); its check value is stored at once.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher import keys
from matcher.errors import InputError
from matcher.store import audit
from matcher.store.db import data_path, sessions
from matcher.store.seals import SEALED
from matcher.store.tables import AuditEntry, Case, StoreIdentity, now

OLD_KEY_FILE = "personnummer-hmac.key"  # where versions before revision 0004 kept the key: in the data folder


@dataclass(frozen=True)
class Opened:
    key: bytes
    database_id: str


def open_key(engine: Engine, key: bytes | None) -> Opened:
    """The outside key of this database (``key`` if given, else ``keys.load``), checked against it."""
    url = engine.url.render_as_string(hide_password=True)
    if not inspect(engine).has_table("store_identity"):
        raise InputError(f"the database {url} has an older schema than this version of Insatsmatch; run "
                         f"'matcher db upgrade' first")
    if key is not None and len(key) < keys.MIN_BYTES:
        raise keys.OutsideKeyError(f"the key given to the store has {len(key)} bytes; at least {keys.MIN_BYTES} "
                                   f"are required")
    try:
        with sessions(engine).begin() as session:
            return _open(session, url, key)
    except IntegrityError:  # another process stored the identity of this new database a moment ago
        with sessions(engine).begin() as session:
            return _open(session, url, key)


def _open(session: Session, url: str, given: bytes | None) -> Opened:
    origin = "the key given to the store" if given is not None else _origin()
    row = session.get(StoreIdentity, 1)
    if row is not None:
        key = given if given is not None else _load(f"{url} was opened with an outside key before (check value "
                                                    f"{row.check_value}), so no new key is made")
        if keys.check_value(key) != row.check_value:
            raise keys.OutsideKeyError(f"{url}: this key does not match this database: {origin} has the check "
                                       f"value {keys.check_value(key)}, the database {row.check_value}. Use the "
                                       f"key the database was created with (docs/security.md, 'Keys')")
        return Opened(key, row.database_id)
    keyed = _keyed_data(session)
    if given is not None:
        key = given
    elif keyed:
        key = _load(f"{url} holds keyed data ({keyed}), so no new key is made")
    else:
        key = _load_or_create()
    first = session.scalar(select(AuditEntry).order_by(AuditEntry.seq).limit(1))
    if first is not None and first.hash != audit.row_hash(keys.subkey(key, "audit-chain"), first):
        raise keys.OutsideKeyError(f"{url}: this key does not match this database: the first audit entry was not "
                                   f"written with {origin}. Use the key the database was created with "
                                   f"(docs/security.md, 'Keys')")
    has_rows = any(session.scalar(select(func.count()).select_from(table)) for table in SEALED)
    row = StoreIdentity(id=1, database_id=secrets.token_hex(16), check_value=keys.check_value(key),
                        sealed_at=None if has_rows else now())
    session.add(row)
    session.flush()
    return Opened(key, row.database_id)


def _keyed_data(session: Session) -> str:
    """What keyed data the database holds, in words; empty when none."""
    cases = session.scalar(select(func.count(Case.id)).where(Case.pnr_hmac.is_not(None))) or 0
    entries = session.scalar(select(func.count(AuditEntry.id))) or 0
    return ", ".join(f"{what}: {n}" for what, n in (("cases with a personnummer", cases), ("audit entries", entries))
                     if n)


def _origin() -> str:
    return "INSATSMATCH_HMAC_KEY" if os.environ.get("INSATSMATCH_HMAC_KEY") is not None else \
        f"the key file {keys.key_file()}"


def _load(why: str) -> bytes:
    """The key; when it is missing, ``why`` no new one is made and where an earlier version kept it."""
    try:
        return keys.load(create=False)
    except keys.OutsideKeyError as exc:
        if os.environ.get("INSATSMATCH_HMAC_KEY") is not None or keys.key_file().exists():
            raise  # there is a key, but it is malformed: the message says so
        old = data_path() / OLD_KEY_FILE
        hint = (f". Earlier versions kept the key in {old}: move that file to {keys.key_file()} (or set "
                f"INSATSMATCH_KEY_FILE to it)") if old.exists() else ""
        raise keys.OutsideKeyError(f"{why}: {exc}{hint}") from None


def _load_or_create() -> bytes:
    try:
        return keys.load(create=True)
    except FileExistsError:  # another process created it between the look and the write
        return keys.load(create=False)
