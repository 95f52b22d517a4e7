"""The SIG meeting: one view per case for the coordinator, the same view cut to consent for a partner agency,
the meetings held, and each agency's report on its own tasks (docs/sig.md).

A partner reaches a case only here, and only while a valid consent names its agency: without one the case is
answered as unknown, exactly like another unit's case. Every partner view is in the audit log with the
categories it showed and withheld.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.auth import AGENCIES, OWN_AGENCY, Action, Principal, Role, authorize
from matcher.errors import InputError
from matcher.i18n import swedish_today
from matcher.store.consents import CATEGORIES, Coverage
from matcher.store.core import DETAIL, HiddenCase
from matcher.store.free_text import refuse_personnummer
from matcher.store.homecoming import HomecomingRecords, HomecomingView
from matcher.store.plans import PlanRecords, SharedItem, view_of_plan
from matcher.store.sig_changes import Change, changes_since
from matcher.store.tables import (
    Case,
    Consent,
    Decision,
    Plan,
    Recommendation,
    SigMeeting,
    TaskReport,
    User,
)


@dataclass(frozen=True)
class Report:
    """An agency's latest word on its task: done or not, and why."""

    done: bool
    why: str
    reported_on: dt.date
    by: str


@dataclass(frozen=True)
class Task:
    shared: SharedItem  # the plan item, and whether its agency may see it
    report: Report | None


@dataclass(frozen=True)
class MeetingView:
    """What one viewer may see of a case at a SIG meeting. ``audience`` is the partner's agency, or None for
    social services (the whole case). A category left out of ``shown`` is None or empty below."""

    code: str
    synthetic: bool
    on: dt.date
    audience: str | None
    shown: frozenset[str]
    coverage: dict[str, dict[str, Coverage]]  # agency -> category -> coverage on ``on``
    tasks: tuple[Task, ...]
    youth_goals: str | None = None
    youth_view: str | None = None
    guardian_view: str | None = None
    risk: dict[str, Any] | None = None  # level and the main drivers (factor ids)
    needs: tuple[str, ...] | None = None  # the assessment summary: the main needs (factor ids)
    act_first: tuple[dict[str, Any], ...] | None = None
    changes: tuple[Change, ...] = ()  # a partner: only those of the categories shown, and only its own reports
    decisions: tuple[dict[str, Any], ...] = ()  # social services only
    homecoming: HomecomingView | None = None
    coordinator: str | None = None
    last_meeting: dt.date | None = None
    next_meeting: dt.date | None = None
    version: dict[str, str] | None = None
    withheld: tuple[str, ...] = field(default=())  # categories not shown to this partner

    @property
    def next_follow_up(self) -> dt.date | None:
        dates = [t.shared.item.follow_up_on for t in self.tasks
                 if t.shared.item.status in ("planned", "active")]
        return min(dates) if dates else None


class SigRecords(PlanRecords, HomecomingRecords):
    """The SIG meeting view, partner access within consent, meetings and task reports."""

    def partner_cases(self, who: Principal, on: dt.date | None = None) -> list[dict[str, Any]]:
        """The cases of the partner's unit that a valid consent naming its agency opens today (audited)."""
        on = on or swedish_today()
        with self._tx(who, "sig.partner_cases", detail=f"{who.agency} on {on}") as session:
            authorize(who, Action.SIG_MEETING)
            if who.role is not Role.PARTNER:
                raise InputError("the SIG case list is for partners; social services use the case list")
            cases = session.scalars(select(Case).join(Consent, Consent.case_id == Case.id)
                                    .where(Case.unit.has(code=who.unit)).distinct()
                                    .order_by(Case.created_at, Case.code))
            return [{"code": c.code, "synthetic": c.synthetic} for c in cases
                    if any(v.shown for v in self._coverage(session, c, who.agency or "", on).values())]

    def meeting(self, who: Principal, code: str, on: dt.date | None = None) -> MeetingView:
        """The SIG meeting view of a case for ``who``: the whole case for social services, the categories a
        valid consent covers for a partner (nothing at all, as an unknown case, without one)."""
        on = on or swedish_today()
        if who.role is Role.PARTNER:
            with self._tx(who, "sig.partner_view", code) as session:
                case, scope = self._partner_case(session, who, code, on)
                shown = frozenset(c for c, v in scope.items() if v.shown)
                withheld = tuple(c for c in CATEGORIES if c not in shown)
                view = self._view(session, case, on, who.agency, shown, {who.agency or "": scope}, withheld)
                listed = ", ".join(c for c in CATEGORIES if c in shown)
                session.info[DETAIL] = f"{who.agency}: shown {listed}; withheld {', '.join(withheld) or 'nothing'}"
                return view
        with self._tx(who, "sig.meeting", code, on.isoformat()) as session:
            case = self._case(session, who, code, Action.CASE_READ)
            agencies = self._agencies(session, case)
            coverage = {a: self._coverage(session, case, a, on) for a in agencies}
            return self._view(session, case, on, None, frozenset(CATEGORIES), coverage, ())

    def _partner_case(self, session: Session, who: Principal, code: str,
                      on: dt.date) -> tuple[Case, dict[str, Coverage]]:
        authorize(who, Action.SIG_MEETING)
        case = session.scalar(select(Case).where(Case.code == code))
        message = f"unknown case '{code}': no case with this code is shared with your agency; check the code"
        if case is None:
            raise InputError(message)
        if case.unit.code != who.unit:
            raise HiddenCase(message, f"a case of unit {case.unit.code}, not of {who.unit}; answered as unknown")
        coverage = self._coverage(session, case, who.agency or "", on)
        if not any(v.shown for v in coverage.values()):
            raise HiddenCase(message, f"no valid consent names {who.agency} on {on}; answered as unknown")
        return case, coverage

    def _agencies(self, session: Session, case: Case) -> list[str]:
        """Every agency a consent or a plan item names, in the order of ``AGENCIES``, social services left out."""
        named = {a for c in session.scalars(select(Consent).where(Consent.case_id == case.id)) for a in c.agencies}
        plan = session.scalar(select(Plan).where(Plan.case_id == case.id))
        named |= {i.actor for i in (plan.items if plan else [])}
        return [a for a in AGENCIES if a in named and a != OWN_AGENCY]

    def _view(self, session: Session, case: Case, on: dt.date, audience: str | None, shown: frozenset[str],
              coverage: dict[str, dict[str, Coverage]], withheld: tuple[str, ...]) -> MeetingView:
        """The view of one case; a partner (``audience``) gets only its own tasks and the ``shown`` categories."""
        names = {uid: name for uid, name in session.execute(select(User.id, User.username))}
        plan = view_of_plan(session.scalar(select(Plan).where(Plan.case_id == case.id)))
        reports = self._reports(session, case, names)
        tasks = []
        for item in plan.items:
            if audience is not None and (item.actor != audience or "plan_items" not in shown):
                continue
            cover = coverage.get(item.actor, {}).get("plan_items")
            shared = SharedItem(item, True, (), on) if item.actor == OWN_AGENCY or cover is None else \
                SharedItem(item, cover.shown, cover.givers, on)
            tasks.append(Task(shared, reports.get((item.intervention, item.actor))))
        decision = session.scalar(select(Decision).where(Decision.case_id == case.id).order_by(Decision.id.desc())
                                  .limit(1))
        rec = session.scalar(select(Recommendation).where(Recommendation.case_id == case.id)
                             .order_by(Recommendation.id.desc()).limit(1))
        result = dict(rec.result) if rec else {}
        meetings = list(session.scalars(select(SigMeeting).where(SigMeeting.case_id == case.id)
                                        .order_by(SigMeeting.held_on, SigMeeting.id)))
        last = meetings[-1] if meetings else None
        homecoming = self._homecoming(session, case)
        if homecoming is not None and audience is not None:
            parts = tuple(p for p in homecoming.parts if p.agency == audience) if "plan_items" in shown else ()
            homecoming = HomecomingView(homecoming.youth_home, homecoming.discharge_on, parts) if parts else None
        changes = changes_since(session, case, last.held_on if last else None, names)
        if audience is not None:
            changes = [c for c in changes if c.category in shown and c.agency in (None, audience)]
        risk = result.get("risk", {})

        def given(category: str, value: Any) -> Any:
            return value if category in shown else None

        return MeetingView(
            code=case.code, synthetic=case.synthetic, on=on, audience=audience, shown=shown, coverage=coverage,
            tasks=tuple(tasks),
            youth_goals=given("goals", decision.youth_goals if decision else None),
            youth_view=given("views", decision.youth_view if decision else None),
            guardian_view=given("views", decision.guardian_view if decision else None),
            risk=given("risk_level", {"level": risk["level"], "drivers": [p["factor"] for p in risk["points"][:3]]}
                       if risk else None),
            needs=given("assessment", tuple(risk.get("need_profile", [])[:5]) if risk else None),
            act_first=given("act_first", tuple(result.get("act_first", [])) if rec else None),
            changes=tuple(changes),
            decisions=() if audience is not None or decision is None else tuple(
                {"intervention": i.intervention, "outcome": i.outcome, "reason": i.reason,
                 "decided_at": decision.decided_at, "decided_by": names[decision.decided_by]} for i in decision.items),
            homecoming=homecoming, coordinator=names[last.recorded_by] if last else None,
            last_meeting=last.held_on if last else None, next_meeting=last.next_on if last else None,
            version=result.get("version"), withheld=withheld)

    def _reports(self, session: Session, case: Case, names: dict[int, str]) -> dict[tuple[str, str], Report]:
        """The latest report on each task (insats and agency)."""
        rows = session.scalars(select(TaskReport).where(TaskReport.case_id == case.id).order_by(TaskReport.id))
        return {(r.intervention, r.actor): Report(r.done, r.why, r.reported_on, names[r.reported_by]) for r in rows}

    def record_meeting(self, who: Principal, code: str, held_on: dt.date, next_on: dt.date | None,
                       notes: str = "") -> int:
        """A SIG meeting held on ``held_on`` (the coordinator), and when the next one is."""
        where = f"SIG meeting of case {code}"
        today = swedish_today()
        if held_on > today:
            raise InputError(f"{where}: the meeting date {held_on} is in the future (today is {today}); record a "
                             f"meeting once it has been held", key="error.sig.meeting_future", date=str(held_on))
        if next_on is not None and next_on <= held_on:
            raise InputError(f"{where}: the next meeting ({next_on}) must come after this one ({held_on})",
                             key="error.sig.next_before", date=str(next_on))
        refuse_personnummer(where, [("notes", notes)])
        with self._tx(who, "sig.meeting_add", code, f"held {held_on}, next {next_on or '-'}") as session:
            authorize(who, Action.SIG_RUN)
            case = self._case(session, who, code, Action.CASE_WRITE)
            row = SigMeeting(case_id=case.id, held_on=held_on, next_on=next_on, notes=notes.strip(),
                             recorded_by=self._user_id(session, who))
            session.add(row)
            session.flush()
            return row.id

    def report_task(self, who: Principal, code: str, intervention: str, actor: str, done: bool, why: str = "",
                    on: dt.date | None = None) -> None:
        """An agency's report on its task; a partner reports only on its own agency's tasks, within consent. Not
        done needs a reason."""
        on = on or swedish_today()
        where = f"report on {intervention} ({actor}) in case {code}"
        if not done and not why.strip():
            raise InputError(f"{where}: say why it was not done", key="error.sig.why_required")
        refuse_personnummer(where, [("why", why)])
        with self._tx(who, "sig.task_report", code, f"{intervention} ({actor}): {'done' if done else 'not done'}") \
                as session:
            if who.role is Role.PARTNER:
                case, coverage = self._partner_case(session, who, code, on)
                if actor != who.agency or not coverage["plan_items"].shown:
                    raise InputError(f"{where}: a partner reports on its own agency's tasks ({who.agency}) while "
                                     f"consent covers the plan items", key="error.sig.not_your_task")
            else:
                authorize(who, Action.SIG_RUN)
                case = self._case(session, who, code, Action.CASE_WRITE)
            plan = view_of_plan(session.scalar(select(Plan).where(Plan.case_id == case.id)))
            if not any(i.intervention == intervention and i.actor == actor for i in plan.items):
                raise InputError(f"{where}: the plan has no such task", key="error.sig.no_task")
            session.add(TaskReport(case_id=case.id, intervention=intervention, actor=actor, done=done,
                                   why=why.strip(), reported_on=on, reported_by=self._user_id(session, who)))
