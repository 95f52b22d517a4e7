"""What changed in a case since the last SIG meeting: new offences, school or work, placement, insatser
completed (from follow-ups), a new assessment, decision or plan version, and the agencies' task reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.i18n import in_sweden
from matcher.store.tables import Assessment, Case, Decision, FollowUp, Plan, TaskReport


@dataclass(frozen=True)
class Change:
    """One change: ``kind`` names its message (``sig.change.<kind>``), ``values`` fill it in; ``category`` is the
    consent category it belongs to ("decisions" is social services' own) and ``agency`` the agency it concerns
    (None: the case as a whole)."""

    kind: str
    on: dt.date
    values: dict[str, Any]
    category: str = "follow_up"
    agency: str | None = None


def changes_since(session: Session, case: Case, since: dt.date | None, names: dict[int, str]) -> list[Change]:
    """The changes after ``since`` (every one when there was no meeting yet), oldest first."""
    start = since or dt.date.min
    out: list[Change] = []
    follow_ups = list(session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)
                                      .order_by(FollowUp.followed_up_on, FollowUp.id)))
    before = [f for f in follow_ups if f.followed_up_on <= start]
    previous = before[-1] if before else None
    for f in (f for f in follow_ups if f.followed_up_on > start):
        if f.new_offences:
            out.append(Change("offences", f.followed_up_on, {"count": f.new_offences}))
        for kind, column in (("school", "school_work_status"), ("placement", "placement")):
            old, new = (getattr(previous, column) if previous else None), getattr(f, column)
            if old != new:
                out.append(Change(kind, f.followed_up_on, {"before": old, "after": new}))
        out += [Change("attained", f.followed_up_on, {"insats": i}) for i in f.completed]
        previous = f
    out += [Change("assessment", a.assessed_on, {"version": a.version}, "assessment") for a in session.scalars(
        select(Assessment).where(Assessment.case_id == case.id, Assessment.assessed_on > start))]
    for d in session.scalars(select(Decision).where(Decision.case_id == case.id)):
        day = _day(d.decided_at)
        if day > start:
            out.append(Change("decision", day, {"by": names[d.decided_by]}, "decisions"))
    plan = session.scalar(select(Plan).where(Plan.case_id == case.id))
    if plan is not None and _day(plan.updated_at) > start:
        out.append(Change("plan", _day(plan.updated_at), {"version": plan.version}, "plan_items"))
    out += [Change("report", r.reported_on, {"insats": r.intervention, "agency": r.actor, "done": r.done,
                                             "why": r.why}, "plan_items", r.actor)
            for r in session.scalars(select(TaskReport).where(TaskReport.case_id == case.id,
                                                              TaskReport.reported_on > start))]
    return sorted(out, key=lambda c: c.on)


def _day(at: dt.datetime) -> dt.date:
    """A stored timestamp's day in Sweden (SQLite returns it without its zone; it was written in UTC)."""
    return in_sweden(at).date()
