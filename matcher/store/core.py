"""The case store's core: one transaction per call with its permission check and audit entry, and the
look-ups every aggregate needs (users, units). ``service.CaseStore`` puts the aggregates together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from matcher import keys
from matcher.auth import AccessDenied, Action, Passwords, Principal, Role, authorize
from matcher.errors import ConflictError, InputError
from matcher.rulebase.loading import RuleBase
from matcher.rulebase.yamlsource import did_you_mean
from matcher.store import audit, identity, seals
from matcher.store.checkpoints import Checkpoints, default_every, default_file
from matcher.store.db import sessions
from matcher.store.tables import (
    Case,
    Unit,
    User,
)

UNIT_ROLES = (Role.SOCIAL_WORKER, Role.MANAGER)  # they work within one unit: its cases, or its report


class StoreCore:
    """The state every part of the store shares, and the one way a call runs: ``_tx`` checks, works and audits
    in one transaction; ``_case`` loads a case after the permission check."""

    def __init__(self, engine: Engine, rules: RuleBase, key: bytes | None = None,
                 passwords: Passwords | None = None, consent_age: int | None = None,
                 checkpoints: Path | None = None, checkpoint_every: int | None = None):
        """``key``: the outside key (default ``keys.load``, checked against the database: ``identity.py``);
        ``checkpoints``: the checkpoint file (default ``INSATSMATCH_CHECKPOINTS`` or beside the key file), written
        after every ``checkpoint_every`` audit entries (default ``INSATSMATCH_CHECKPOINT_EVERY`` or 100)."""
        self.engine = engine
        self.rules = rules
        self._sessions = sessions(engine)
        opened = identity.open_key(engine, key)
        self.database_id = opened.database_id
        self._pnr_key = keys.subkey(opened.key, "personnummer")
        self._audit_key = keys.subkey(opened.key, "audit-chain")
        self._seal_key = keys.subkey(opened.key, "case-seals")
        self._sessions.configure(info={seals.KEY: self._seal_key})
        self._checkpoints = Checkpoints(checkpoints or default_file(), keys.subkey(opened.key, "audit-checkpoints"),
                                        opened.database_id, checkpoint_every or default_every())
        event.listen(self._sessions, "after_commit", self._checkpoint_if_due)
        self.passwords = passwords or Passwords()
        self.consent_age = rules.policy.multi_agency_consent_age if consent_age is None else consent_age


    def _checkpoint_if_due(self, session: Session) -> None:
        """After a commit that logged entry N: a checkpoint when N is ``checkpoint_every`` past the last one."""
        seq = session.info.pop(audit.SEQ, None)
        if seq is not None and self._checkpoints.due(seq):
            with self._sessions.begin() as checkpointing:
                self._checkpoints.take(checkpointing)

    @contextmanager
    def _tx(self, who: Principal | str, action: str, case_code: str | None = None,
            detail: str = "") -> Iterator[Session]:
        """One transaction that ends with its audit entry; a denial is logged in a transaction of its own."""
        actor = who if isinstance(who, str) else who.username
        try:
            with self._sessions.begin() as session:
                yield session
                audit.append(session, self._audit_key, actor, action, case_code, detail)
        except AccessDenied as exc:
            with self._sessions.begin() as session:
                audit.append(session, self._audit_key, actor, f"denied:{action}", case_code, str(exc))
            raise
        except StaleDataError:
            raise ConflictError(f"case {case_code}: someone else saved this at the same moment; nothing of "
                                f"yours was saved. Reload and apply your changes again.") from None

    def _case(self, session: Session, who: Principal, code: str, action: Action) -> Case:
        """The case, after the permission check; a write locks its row until the transaction ends."""
        authorize(who, action)
        query = select(Case).where(Case.code == code)
        case = session.scalar(query.with_for_update() if action is Action.CASE_WRITE else query)
        if case is None:
            raise InputError(f"unknown case '{code}'; 'matcher' lists only the cases of your unit")
        authorize(who, action, case.unit.code)
        return case

    def _user_id(self, session: Session, who: Principal) -> int:
        return session.scalars(select(User.id).where(User.username == who.username)).one()



def role_of(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        roles = [r.value for r in Role]
        raise InputError(f"unknown role '{text}'{did_you_mean(text, roles)}; expected one of "
                         f"{', '.join(roles)}") from None




def user_named(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InputError(f"unknown user '{username}'")
    return user


def unit_named(session: Session, code: str | None) -> Unit:
    if code is None:
        raise InputError("the acting user has no unit")
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        unit = Unit(code=code)
        session.add(unit)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            unit = session.scalars(select(Unit).where(Unit.code == code)).one()
    return unit


def existing_unit(session: Session, code: str, lock: bool = False) -> Unit:
    query = select(Unit).where(Unit.code == code)
    unit = session.scalar(query.with_for_update() if lock else query)
    if unit is None:
        known = list(session.scalars(select(Unit.code)))
        raise InputError(f"unknown unit '{code}': a unit is created when its first user is added (matcher users "
                         f"add NAME --unit {code}){did_you_mean(code, known)}")
    return unit
