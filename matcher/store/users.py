"""Users: add, list, change role, disable (signing in is in ``sessions.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from matcher.auth import AccessDenied, Action, Principal, Role, authorize
from matcher.errors import InputError
from matcher.store.core import UNIT_ROLES, StoreCore, agency_of, role_of, unit_named, user_named
from matcher.store.tables import (
    User,
)


class UserRecords(StoreCore):
    """The users of Insatsmatch and their roles."""


    def has_users(self) -> bool:
        with self._sessions() as session:
            return bool(session.scalar(select(func.count(User.id))))

    def add_user(self, who: Principal | None, username: str, password: str, role: str,
                 unit: str | None = None, agency: str | None = None) -> None:
        """Add a user; without ``who`` only the very first user (an admin) may be added. A partner names its
        agency (``auth.PARTNER_AGENCIES`` or an English alias)."""
        role_ = role_of(role)
        agency_ = agency_of(agency, role_)
        actor = who.username if who else "bootstrap"
        detail = f"{username} as {role_}" + (f" of {agency_}" if agency_ else "")
        with self._tx(who or actor, "user.add", detail=detail) as session:
            if who is None:
                if session.scalar(select(func.count(User.id))) or role_ is not Role.ADMIN:
                    raise AccessDenied("only the first user can be added without logging in, and it must be "
                                       "an admin")
            else:
                authorize(who, Action.USERS_MANAGE)
            if role_ in UNIT_ROLES and not unit:
                raise InputError(f"user {username}: a {role_.value.replace('_', ' ')} needs a unit (--unit CODE)")
            if session.scalar(select(User).where(User.username == username)):
                raise InputError(f"user {username} already exists; use set-role to change the role")
            session.add(User(username=username, password_hash=self.passwords.hash(password, username), role=role_.value,
                             unit=unit_named(session, unit) if unit else None, agency=agency_))

    def list_users(self, who: Principal) -> list[dict[str, Any]]:
        with self._tx(who, "user.list") as session:
            authorize(who, Action.USERS_MANAGE)
            return [{"username": u.username, "role": u.role, "unit": u.unit.code if u.unit else "",
                     "agency": u.agency or "", "active": u.active}
                    for u in session.scalars(select(User).order_by(User.username))]

    def set_role(self, who: Principal, username: str, role: str, unit: str | None = None,
                 agency: str | None = None) -> None:
        role_ = role_of(role)
        agency_ = agency_of(agency, role_)
        with self._tx(who, "user.set_role", detail=f"{username} to {role_}") as session:
            authorize(who, Action.USERS_MANAGE)
            user = user_named(session, username)
            if role_ in UNIT_ROLES and not (unit or user.unit):
                raise InputError(f"user {username}: a {role_.value.replace('_', ' ')} needs a unit (--unit CODE)")
            user.role = role_.value
            user.agency = agency_
            if unit:
                user.unit = unit_named(session, unit)

    def disable_user(self, who: Principal, username: str) -> None:
        with self._tx(who, "user.disable", detail=username) as session:
            authorize(who, Action.USERS_MANAGE)
            if username == who.username:
                raise InputError("you cannot disable yourself; ask another admin")
            user_named(session, username).active = False
