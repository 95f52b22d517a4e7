"""The case store's core: one transaction per call with its permission check and audit entry, and the
look-ups every aggregate needs (users, units). ``service.CaseStore`` puts the aggregates together."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from matcher import keys
from matcher.auth import (
    AGENCY_ALIASES,
    PARTNER_AGENCIES,
    AccessDenied,
    Action,
    LoginPolicy,
    Passwords,
    Principal,
    Role,
    authorize,
)
from matcher.errors import ConflictError, InputError
from matcher.rulebase.loading import RuleBase
from matcher.rulebase.yamlsource import did_you_mean
from matcher.store import audit, identity, seals
from matcher.store.checkpoints import Checkpoints, default_every, default_file
from matcher.store.db import sessions
from matcher.store.login_tables import LoginSession
from matcher.store.tables import (
    Case,
    Unit,
    User,
    now,
)

# they work within one unit: its cases, its report, or (a partner) its SIG cases within consent
UNIT_ROLES = (Role.SOCIAL_WORKER, Role.MANAGER, Role.SIG_COORDINATOR, Role.PARTNER)


DETAIL = "audit_detail"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def utc(at: dt.datetime) -> dt.datetime:
    """SQLite returns timestamps without their zone; they were written in UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


class HiddenCase(InputError):
    """Another unit's case: answered word for word like an unknown case, so nobody learns that it exists; the
    audit log records the attempt as denied, with the real reason."""

    def __init__(self, message: str, audit_detail: str):
        super().__init__(message)
        self.audit_detail = audit_detail


class StoreCore:
    """The state every part of the store shares, and the one way a call runs: ``_tx`` checks, works and audits
    in one transaction; ``_case`` loads a case after the permission check."""

    def __init__(self, engine: Engine, rules: RuleBase, key: bytes | None = None,
                 passwords: Passwords | None = None, consent_age: int | None = None,
                 checkpoints: Path | None = None, checkpoint_every: int | None = None,
                 login_policy: LoginPolicy | None = None):
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
        self._cookie_key = keys.subkey(opened.key, "session-cookie")
        self.passwords = passwords or Passwords()
        self.login_policy = login_policy or LoginPolicy.from_environment()
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
                if isinstance(who, Principal):
                    self._live(session, who)
                yield session
                # a call may name what it showed only once it knows (``session.info[DETAIL]``)
                detail = session.info.pop(DETAIL, detail)
                audit.append(session, self._audit_key, actor, action, case_code, detail)
        except (AccessDenied, HiddenCase) as exc:
            detail = exc.audit_detail if isinstance(exc, HiddenCase) else str(exc)
            with self._sessions.begin() as session:
                audit.append(session, self._audit_key, actor, f"denied:{action}", case_code, detail)
            raise
        except StaleDataError:
            raise ConflictError(f"case {case_code}: someone else saved this at the same moment; nothing of "
                                f"yours was saved. Reload and apply your changes again.") from None

    def _open_session(self, session: Session, token: str) -> LoginSession | None:
        row = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
        idle = dt.timedelta(minutes=self.login_policy.idle_minutes)
        if row is None or row.ended_at is not None:
            return None
        if utc(row.last_seen) + idle < now():
            row.ended_at = now()
            return None
        return row

    def _live(self, session: Session, who: Principal) -> None:
        """Refuse a principal whose session is not open, or whose user is disabled or was given another role
        or unit since it was read: the app re-reads the user on every click, so this only stops stale or
        made-up principals."""
        row = self._open_session(session, who.token)
        if row is None or row.user.username != who.username:
            raise AccessDenied(f"{who.username}: not signed in, or signed out after "
                               f"{self.login_policy.idle_minutes} minutes without activity; sign in again")
        user = row.user
        unit = user.unit.code if user.unit else None
        if not user.active:
            raise AccessDenied(f"{who.username}: this account has been disabled; ask an admin")
        if user.role != who.role or unit != who.unit or user.agency != who.agency:
            raise AccessDenied(f"{who.username}: your role or unit was changed (now {user.role}, unit {unit or '-'}); "
                               f"reload the page to work with your new rights")
        row.last_seen = now()

    def _case(self, session: Session, who: Principal, code: str, action: Action) -> Case:
        """The case, after the permission check; a write locks its row until the transaction ends."""
        authorize(who, action)
        query = select(Case).where(Case.code == code)
        case = session.scalar(query.with_for_update() if action is Action.CASE_WRITE else query)
        if case is None or case.unit.code != who.unit:
            message = (f"unknown case '{code}': your unit has no case with this code; check the code or find the "
                       f"case by personnummer")
            if case is None:
                raise InputError(message)
            raise HiddenCase(message, f"a case of unit {case.unit.code}, not of {who.unit}; answered as unknown")
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




def agency_of(text: str | None, role: Role) -> str | None:
    """A partner's agency code (the English names of docs/sig.md accepted too); None for every other role."""
    if role is not Role.PARTNER:
        if text:
            raise InputError(f"--agency {text}: only a partner belongs to another agency; a {role.value} does not")
        return None
    code = AGENCY_ALIASES.get(text or "", text)
    if code not in PARTNER_AGENCIES:
        names = [*PARTNER_AGENCIES, *AGENCY_ALIASES]
        raise InputError(f"a partner needs an agency (--agency); found '{text or ''}'"
                         f"{did_you_mean(text or '', names)}; expected one of {', '.join(names)}")
    return code


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
