"""Users, roles and permissions: the one place where access is decided, for the CLI and the app alike.

Roles: a social worker works with the own unit's cases; a methodologist owns the rules and the local
service catalogues and sees no case data; an evaluator gets pseudonymised and aggregated exports only; a
manager (enhetschef) reads the service-gap report, counts without case data; an admin manages users, the
audit log and the catalogues, and sees no case data either. A user with a unit acts on that unit's cases,
catalogue and report only.

The SIG roles (docs/sig.md): a SIG coordinator is a social worker who also runs the SIG meeting (records
meetings, the homecoming plan from SiS); a partner belongs to another agency (``agency``: school, police,
BUP, SiS, probation, leisure, other) and sees a case of its unit only through ``CaseStore``'s SIG methods,
cut to what a valid consent naming that agency covers. A partner has no case action at all.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Role(StrEnum):
    SOCIAL_WORKER = "social_worker"
    METHODOLOGIST = "methodologist"
    EVALUATOR = "evaluator"
    ADMIN = "admin"
    MANAGER = "manager"
    SIG_COORDINATOR = "sig_coordinator"
    PARTNER = "partner"


class Action(StrEnum):
    CASE_READ = "case.read"
    CASE_WRITE = "case.write"
    RULES_READ = "rules.read"
    RULES_WRITE = "rules.write"
    EXPORT_OUTCOMES = "export.outcomes"
    MODELS_MANAGE = "models.manage"
    USERS_MANAGE = "users.manage"
    AUDIT_READ = "audit.read"
    CATALOGUE_READ = "catalogue.read"
    CATALOGUE_WRITE = "catalogue.write"
    REPORTS_READ = "reports.read"
    SIG_MEETING = "sig.meeting"  # open the SIG meeting view (a partner: cut to consent)
    SIG_RUN = "sig.run"  # record a SIG meeting and the homecoming plan


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.SOCIAL_WORKER: frozenset({Action.CASE_READ, Action.CASE_WRITE, Action.RULES_READ, Action.CATALOGUE_READ}),
    Role.METHODOLOGIST: frozenset({Action.RULES_READ, Action.RULES_WRITE, Action.CATALOGUE_READ,
                                   Action.CATALOGUE_WRITE}),
    Role.EVALUATOR: frozenset({Action.RULES_READ, Action.EXPORT_OUTCOMES, Action.MODELS_MANAGE}),
    Role.ADMIN: frozenset({Action.USERS_MANAGE, Action.AUDIT_READ, Action.CATALOGUE_READ, Action.CATALOGUE_WRITE}),
    Role.MANAGER: frozenset({Action.RULES_READ, Action.CATALOGUE_READ, Action.REPORTS_READ}),
    Role.SIG_COORDINATOR: frozenset({Action.CASE_READ, Action.CASE_WRITE, Action.RULES_READ, Action.CATALOGUE_READ,
                                     Action.SIG_MEETING, Action.SIG_RUN}),
    Role.PARTNER: frozenset({Action.SIG_MEETING}),
}
# The agencies of a plan and of consents; the case's own agency is social services. Partners belong to one
# of the others. The English names of the SIG issue are accepted as aliases on the command line.
OWN_AGENCY = "socialtjanst"
AGENCIES = (OWN_AGENCY, "skola", "polis", "sis", "region", "kriminalvarden", "civil_society", "fritid", "annan")
PARTNER_AGENCIES = AGENCIES[1:]
AGENCY_ALIASES = {"school": "skola", "police": "polis", "bup": "region", "frivard": "kriminalvarden",
                  "leisure": "fritid", "other": "annan"}
CASE_ACTIONS = frozenset({Action.CASE_READ, Action.CASE_WRITE})
UNIT_ACTIONS = frozenset({Action.CATALOGUE_READ, Action.CATALOGUE_WRITE, Action.REPORTS_READ})


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in user. Only the store's login hands these out; ``token`` names the server-side
    login session, which the store checks on every call together with the user's current role, unit and state,
    so a principal made up in code, kept after logout or idle expiry, or left over from an earlier role does
    nothing."""

    username: str
    role: Role
    unit: str | None
    token: str = field(repr=False)
    agency: str | None = None  # a partner's agency (``PARTNER_AGENCIES``); None for every other role


@dataclass(frozen=True)
class LoginPolicy:
    """Throttling and session lifetime. A user name and a client each count their failed logins: after
    ``free_failures`` every further attempt must wait twice as long as the one before (at most ``max_delay_s``),
    and at ``lock_after`` (a user) or ``client_lock_after`` (a client, over all names) the login is locked for
    ``lock_minutes``. A session ends after ``idle_minutes`` without a click (``INSATSMATCH_IDLE_MINUTES``)."""

    free_failures: int = 3
    max_delay_s: int = 60
    lock_after: int = 10
    client_lock_after: int = 30
    lock_minutes: int = 15
    idle_minutes: int = 30

    @classmethod
    def from_environment(cls) -> LoginPolicy:
        text = os.environ.get("INSATSMATCH_IDLE_MINUTES", "30")
        if not text.isdigit() or not 1 <= int(text) <= 24 * 60:
            raise ValueError(f"INSATSMATCH_IDLE_MINUTES: expected whole minutes from 1 to 1440; found '{text[:40]}'")
        return cls(idle_minutes=int(text))

    def delay_s(self, failures: int) -> int:
        """Seconds the next attempt must wait after ``failures`` failed ones in a row."""
        return 0 if failures < self.free_failures else min(2 ** (failures - self.free_failures), self.max_delay_s)


class AccessDenied(PermissionError):
    """An action the acting user's role or unit does not allow; the message says which."""


def authorize(who: Principal, action: Action, unit: str | None = None) -> None:
    """Raise AccessDenied unless ``who`` may do ``action`` (on a case, catalogue or report of ``unit``)."""
    if action not in PERMISSIONS[who.role]:
        raise AccessDenied(f"{who.username} ({who.role}) may not {action}; "
                           f"allowed: {', '.join(sorted(PERMISSIONS[who.role]))}")
    if action in CASE_ACTIONS and unit is not None and unit != who.unit:
        raise AccessDenied(f"{who.username} ({who.role}, unit {who.unit}) may not {action} "
                           f"a case of unit {unit}")
    if action in UNIT_ACTIONS and unit is not None and who.unit is not None and unit != who.unit:
        raise AccessDenied(f"{who.username} ({who.role}, unit {who.unit}) may not {action} for unit {unit}; "
                           f"only for unit {who.unit}")


MIN_PASSWORD = 12
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt")


@cache
def _common() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, username: str) -> str | None:
    """Why ``password`` may not be used by ``username``, or None: at least 12 characters, not the user name,
    not a common password (``common-passwords.txt``), also not one with digits or signs added at the end."""
    if len(password) < MIN_PASSWORD:
        return f"a password needs at least {MIN_PASSWORD} characters; this one has {len(password)}"
    lower = password.lower()
    if username and username.lower() in (lower, re.sub(r"[\W\d_]+$", "", lower)):
        return "a password may not be the user name"
    if lower in _common() or re.sub(r"[\W\d_]+$", "", lower) in _common():
        return "this password is on the list of common passwords that are tried first in an attack; choose another"
    return None


class Passwords:
    """argon2id hashing; the same cost for unknown users, so a login does not reveal who exists."""

    def __init__(self, hasher: PasswordHasher | None = None):
        self._hasher = hasher or PasswordHasher()
        self._dummy = self._hasher.hash("no such user")

    def hash(self, password: str, username: str = "") -> str:
        problem = password_problem(password, username)
        if problem:
            raise ValueError(f"password for {username or 'the user'}: {problem}")
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored or self._dummy, password)) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
