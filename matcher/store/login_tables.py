"""The tables of signing in: server-side login sessions and the failed-login counters that throttle guessing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.store.tables import Base, User, now


class LoginSession(Base):
    """One signed-in session (app tab or command). Only the SHA-256 of its token is stored; logout and idle
    expiry end it here, so a copied token stops working on the server side."""

    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    client: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Failed logins in a row for one user name (``user:NAME``) or one client (``client:ADDRESS``)."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
