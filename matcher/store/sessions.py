"""Signing in and out: password logins throttled per user name and per client, server-side sessions that end
on logout or after the idle timeout, and the signed cookie that keeps a browser tab signed in across a reload.

Every store call checks its principal against the session and the user as they are now (``StoreCore._live``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.auth import AccessDenied, Principal, Role
from matcher.store.core import StoreCore, token_hash, utc
from matcher.store.login_tables import LoginSession, LoginThrottle
from matcher.store.tables import User, now

FAILED = "unknown user, wrong password or disabled account"


class LoginThrottled(AccessDenied):
    """Too many failed logins for this user name or client; the message says how long to wait."""

    def __init__(self, wait_s: float):
        self.wait_minutes = math.ceil(wait_s / 60)
        super().__init__(f"too many failed logins for this user or from this computer; try again in "
                         f"{math.ceil(wait_s)} seconds")


class LoginRecords(StoreCore):
    """Login, logout, resuming a session, and the throttle."""

    def login(self, username: str, password: str, client: str = "") -> Principal:
        """A new session for ``username`` after a password check, unless throttled; every failure is audited."""
        keys = [f"user:{username.casefold()[:64]}", f"client:{client[:80]}"]
        with self._sessions.begin() as session:
            wait = self._wait(session, keys)
        if wait:
            with self._tx(username[:64], "login.throttled", detail=f"{client} {wait:.0f} s".strip()):
                pass
            raise LoginThrottled(wait)
        with self._sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            ok = self.passwords.verify(user.password_hash if user else None, password) and user is not None
        if not ok or user is None or not user.active:
            self._failed(username, keys, client)
            raise AccessDenied(FAILED)
        return self._open(username, keys[0], client, "login")

    def sign_in_vouched(self, username: str, client: str = "") -> Principal:
        """A session for the user that the organisation's identity provider (OIDC) has just authenticated;
        call it only from that provider's callback. Refused unless the user is active here."""
        with self._sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None or not user.active:
                raise AccessDenied(f"'{username}' is not an active user of Insatsmatch; ask an admin to add it")
        return self._open(username, None, client, "login.oidc")

    def resume(self, token: str) -> Principal | None:
        """The user of an open session as the database holds it now (role, unit), or None when the session has
        ended, idled out or its user was disabled. Counts as activity."""
        with self._sessions.begin() as session:
            row = self._open_session(session, token)
            if row is None or not row.user.active:
                return None
            row.last_seen = now()
            return Principal(row.user.username, Role(row.user.role), row.user.unit.code if row.user.unit else None,
                             token, row.user.agency)

    def logout(self, who: Principal) -> None:
        """Ends the session on the server: its token is worthless from now on, wherever it was copied to."""
        with self._sessions.begin() as session:
            row = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(who.token)))
            if row is None or row.ended_at is not None:
                return
            row.ended_at = now()
        with self._tx(who.username, "logout"):
            pass

    def cookie(self, who: Principal) -> str:
        """The value a browser keeps to resume this session after a reload: the token, signed with the outside
        key, so a cookie that was not issued here is refused before the database is asked."""
        return f"{who.token}.{self._sign(who.token)}"

    def resume_cookie(self, value: str) -> Principal | None:
        token, _, mac = value.rpartition(".")
        if not token or not hmac.compare_digest(mac, self._sign(token)):
            return None
        return self.resume(token)

    def _sign(self, token: str) -> str:
        return hmac.new(self._cookie_key, token.encode(), hashlib.sha256).hexdigest()[:32]

    def _open(self, username: str, user_key: str | None, client: str, action: str) -> Principal:
        token = secrets.token_urlsafe(32)
        with self._tx(username, action, detail=client) as session:
            user = session.scalars(select(User).where(User.username == username)).one()
            if user_key is not None:
                throttle = session.get(LoginThrottle, user_key)
                if throttle is not None:
                    session.delete(throttle)
            session.add(LoginSession(token_hash=token_hash(token), user_id=user.id, client=client[:80]))
            return Principal(user.username, Role(user.role), user.unit.code if user.unit else None, token, user.agency)

    def _wait(self, session: Session, keys: list[str]) -> float:
        """Seconds until the next attempt is allowed for any of ``keys``; 0 when it is allowed now."""
        at = now()
        wait = 0.0
        for key in keys:
            row = session.get(LoginThrottle, key)
            if row is None:
                continue
            until = utc(row.locked_until) if row.locked_until else utc(row.last_failure) + dt.timedelta(
                seconds=self.login_policy.delay_s(row.failures))
            wait = max(wait, (until - at).total_seconds())
        return wait

    def _failed(self, username: str, keys: list[str], client: str) -> None:
        policy = self.login_policy
        with self._tx(username[:64], "login.failed", detail=client) as session:
            locked = []
            for key in keys:
                row = session.get(LoginThrottle, key) or LoginThrottle(key=key, failures=0)
                session.add(row)
                if row.locked_until is not None and utc(row.locked_until) <= now():
                    row.failures, row.locked_until = 0, None  # a lock that has run out starts the count again
                row.failures += 1
                row.last_failure = now()
                limit = policy.lock_after if key.startswith("user:") else policy.client_lock_after
                if row.failures >= limit and row.locked_until is None:
                    row.locked_until = row.last_failure + dt.timedelta(minutes=policy.lock_minutes)
                    locked.append(key)
        for key in locked:
            with self._tx(username[:64], "login.locked", detail=f"{key} for {policy.lock_minutes} minutes"):
                pass
