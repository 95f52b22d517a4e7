"""Users, roles and permissions: the one place where access is decided, for the CLI and the app alike.

Roles: a social worker works with the own unit's cases; a methodologist owns the rules and the local
service catalogues and sees no case data; an evaluator gets pseudonymised and aggregated exports only; a
manager (enhetschef) reads the service-gap report, counts without case data; an admin manages users, the
audit log and the catalogues, and sees no case data either. A user with a unit acts on that unit's cases,
catalogue and report only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Role(StrEnum):
    SOCIAL_WORKER = "social_worker"
    METHODOLOGIST = "methodologist"
    EVALUATOR = "evaluator"
    ADMIN = "admin"
    MANAGER = "manager"


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


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.SOCIAL_WORKER: frozenset({Action.CASE_READ, Action.CASE_WRITE, Action.RULES_READ, Action.CATALOGUE_READ}),
    Role.METHODOLOGIST: frozenset({Action.RULES_READ, Action.RULES_WRITE, Action.CATALOGUE_READ,
                                   Action.CATALOGUE_WRITE}),
    Role.EVALUATOR: frozenset({Action.RULES_READ, Action.EXPORT_OUTCOMES, Action.MODELS_MANAGE}),
    Role.ADMIN: frozenset({Action.USERS_MANAGE, Action.AUDIT_READ, Action.CATALOGUE_READ, Action.CATALOGUE_WRITE}),
    Role.MANAGER: frozenset({Action.RULES_READ, Action.CATALOGUE_READ, Action.REPORTS_READ}),
}
CASE_ACTIONS = frozenset({Action.CASE_READ, Action.CASE_WRITE})
UNIT_ACTIONS = frozenset({Action.CATALOGUE_READ, Action.CATALOGUE_WRITE, Action.REPORTS_READ})


@dataclass(frozen=True)
class Principal:
    """Who is acting: a logged-in user (the store hands these out after a password check)."""

    username: str
    role: Role
    unit: str | None


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


class Passwords:
    """argon2id hashing; the same cost for unknown users, so a login does not reveal who exists."""

    def __init__(self, hasher: PasswordHasher | None = None):
        self._hasher = hasher or PasswordHasher()
        self._dummy = self._hasher.hash("no such user")

    def hash(self, password: str) -> str:
        if len(password) < 10:
            raise ValueError(f"A password must have at least 10 characters. Got {len(password)} instead.")
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored or self._dummy, password)) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
