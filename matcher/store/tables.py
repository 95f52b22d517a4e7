"""The case store's tables (SQLAlchemy 2 declarative). Migrations in ``migrations/`` create them.

No name or personnummer is stored in clear: a case has a pseudonymous code, and a personnummer
given for look-up is kept only as a keyed HMAC (``personnummer.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class Sealed:
    """A case-data row: the store writes a keyed hash of its content beside it (``seals.py``), so a row changed,
    copied or inserted in SQL is named by ``matcher audit verify``; empty for rows written before revision 0004."""

    seal: Mapped[str | None] = mapped_column(String(64))


class Unit(Base):
    """A social services unit in a municipality; social workers see their own unit's cases."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    municipality: Mapped[str] = mapped_column(String(128), default="")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    agency: Mapped[str | None] = mapped_column(String(32))  # a partner's agency; empty for every other role
    unit: Mapped[Unit | None] = relationship()


class Case(Sealed, Base):
    """A young person's case in one unit. The same personnummer may have a case in several units (each unit
    keeps its own records under secrecy), so a unit never learns that another unit knows the child."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("unit_id", "pnr_hmac", name="uq_cases_unit_pnr"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    pnr_hmac: Mapped[str | None] = mapped_column(String(64))
    # From the personnummer (or entered); consent age is counted from it, never from a typed age.
    born_on: Mapped[dt.date | None] = mapped_column(Date)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    # Group columns for the evaluators' fairness audit only; never model features by default.
    sex: Mapped[str | None] = mapped_column(String(16))
    born_abroad: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    unit: Mapped[Unit] = relationship()


class Assessment(Sealed, Base):
    """One dated, versioned assessment: the case input (context, factors, instruments) as given."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("case_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    assessed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    instrument: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class Recommendation(Sealed, Base):
    """The engine's full output for one assessment, with its version stamp. Never changed."""

    __tablename__ = "recommendations"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    rule_base: Mapped[str] = mapped_column(String(80))
    model: Mapped[str] = mapped_column(String(80))
    evidence_snapshot: Mapped[str] = mapped_column(String(10))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Decision(Sealed, Base):
    """The worker's decision on a recommendation, with the young person's and guardians' views."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id"))
    youth_view: Mapped[str] = mapped_column(Text, default="")
    youth_goals: Mapped[str] = mapped_column(Text, default="")
    guardian_view: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    items: Mapped[list[DecisionItem]] = relationship(cascade="all, delete-orphan", order_by="DecisionItem.id")


class DecisionItem(Sealed, Base):
    __tablename__ = "decision_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    intervention: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # accepted, declined, overridden
    reason: Mapped[str] = mapped_column(Text, default="")


class Consent(Sealed, Base):
    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    given_by: Mapped[str] = mapped_column(String(16))  # youth, guardian
    agencies: Mapped[list[Any]] = mapped_column(JSON)
    given_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    language: Mapped[str] = mapped_column(String(8), default="sv")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The categories of information it covers (``consents.CATEGORIES``); empty on consents recorded before
    # revision 0006, which covered the whole plan and so cover every category.
    categories: Mapped[list[Any] | None] = mapped_column(JSON)


class Plan(Sealed, Base):
    """The individual plan of a case; ``version`` guards against lost updates (optimistic locking)."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    items: Mapped[list[PlanItem]] = relationship(cascade="all, delete-orphan", order_by="PlanItem.position")
    # The UPDATE carries "WHERE version = <the version read>", so a concurrent save fails instead of winning.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class PlanItem(Sealed, Base):
    __tablename__ = "plan_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    intervention: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(32))
    goal: Mapped[str] = mapped_column(Text)
    start_on: Mapped[dt.date] = mapped_column(Date)
    follow_up_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # planned, active, completed, dropped
    sessions_delivered: Mapped[float | None] = mapped_column(Float)
    hours_delivered: Mapped[float | None] = mapped_column(Float)


class FollowUp(Sealed, Base):
    __tablename__ = "follow_ups"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    followed_up_on: Mapped[dt.date] = mapped_column(Date)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    new_offences: Mapped[int] = mapped_column(Integer)
    school_work_status: Mapped[str] = mapped_column(String(32))
    substance_use_level: Mapped[str] = mapped_column(String(32))
    placement: Mapped[str] = mapped_column(String(32))
    completed: Mapped[list[Any]] = mapped_column(JSON)
    dropped: Mapped[list[Any]] = mapped_column(JSON)
    youth_rating: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # per plan item: [{"intervention", "attainment" (met, partly, not_met), "sessions_delivered", "hours_delivered"}]
    item_results: Mapped[list[Any] | None] = mapped_column(JSON)


class SigMeeting(Sealed, Base):
    """A SIG meeting held on a case, and the date of the next one."""

    __tablename__ = "sig_meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    next_on: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class TaskReport(Sealed, Base):
    """An agency's report on its own plan item (the insats and the agency name the item): done or not, and why."""

    __tablename__ = "task_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    intervention: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(32))
    done: Mapped[bool] = mapped_column(Boolean)
    why: Mapped[str] = mapped_column(Text, default="")
    reported_on: Mapped[dt.date] = mapped_column(Date)
    reported_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class Homecoming(Sealed, Base):
    """The plan for a young person's homecoming from a SiS youth home: the planned discharge and its parts."""

    __tablename__ = "homecomings"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    youth_home: Mapped[str] = mapped_column(String(128))
    discharge_on: Mapped[dt.date] = mapped_column(Date)
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    parts: Mapped[list[HomecomingPart]] = relationship(cascade="all, delete-orphan", order_by="HomecomingPart.id")


class HomecomingPart(Sealed, Base):
    """One of the four parts (school, housing, occupation, support to the parents): who, what, by when."""

    __tablename__ = "homecoming_parts"
    id: Mapped[int] = mapped_column(primary_key=True)
    homecoming_id: Mapped[int] = mapped_column(ForeignKey("homecomings.id"), index=True)
    part: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str] = mapped_column(String(32))
    goal: Mapped[str] = mapped_column(Text)
    due_on: Mapped[dt.date] = mapped_column(Date)
    ready: Mapped[bool] = mapped_column(Boolean, default=False)
    held_up: Mapped[str | None] = mapped_column(String(16))  # after homecoming: held, partly, not_held


class AuditEntry(Base):
    """Append-only, hash-chained log of every read and write of case data (``audit.py``)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    case_code: Mapped[str | None] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the last sequence number and hash; locked while a new entry is appended."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class StoreIdentity(Base):
    """One row: this database's id (named in every checkpoint) and the check value of the outside key that keys
    its data; ``sealed_at`` is when every case-data row had a seal (from then on a row without one is forged)."""

    __tablename__ = "store_identity"
    id: Mapped[int] = mapped_column(primary_key=True)
    database_id: Mapped[str] = mapped_column(String(32))
    check_value: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    sealed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class RuleVersion(Base):
    """A rule base as it was: every rule file's text under its content hash, who saved it, when and why."""

    __tablename__ = "rule_versions"
    hash: Mapped[str] = mapped_column(String(71), primary_key=True)
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    parent: Mapped[str | None] = mapped_column(String(71))


class CatalogueVersion(Base):
    """One version of a unit's local service catalogue (``matcher.local.catalogue``), never changed once saved."""

    __tablename__ = "catalogue_versions"
    __table_args__ = (UniqueConstraint("unit_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    offers: Mapped[list[Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


@event.listens_for(Recommendation, "before_update")
@event.listens_for(AuditEntry, "before_update")
@event.listens_for(RuleVersion, "before_update")
@event.listens_for(CatalogueVersion, "before_update")
def _immutable(_mapper: Any, _connection: Any, target: Base) -> None:
    raise PermissionError(f"{type(target).__name__} rows are never changed once written")
