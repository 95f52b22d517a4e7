"""Homecoming from a SiS youth home: the discharge plan's four parts and the warnings as discharge approaches.

SiS and Haninge plan a young person's homecoming around school, housing, occupation and support to the
parents (sis-haninge-homecoming.txt); social services, not SiS, decide the planning after discharge (SiS PM on
SIG support), so the SIG coordinator records the plan and SiS takes part as a partner within consent. From
``homecoming_start_weeks`` (rules/policy.yaml) before the discharge every part needs a responsible agency, a goal
and a date by which it is in place; the SIG meeting view warns when a part is missing or late. From the discharge
on, the coordinator records how each part held up after the homecoming.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.auth import AGENCIES, Action, Principal, authorize
from matcher.errors import InputError
from matcher.i18n import swedish_today
from matcher.rulebase.yamlsource import did_you_mean
from matcher.store.core import StoreCore
from matcher.store.free_text import refuse_personnummer
from matcher.store.tables import Case, Homecoming, HomecomingPart, now

PARTS = ("school", "housing", "occupation", "parent_support")
HELD_UP = ("held", "partly", "not_held")  # how a part held up after the homecoming (recorded from the discharge on)


@dataclass(frozen=True)
class HomecomingPartInput:
    part: str  # one of PARTS
    agency: str  # the responsible agency (auth.AGENCIES)
    goal: str
    due_on: dt.date  # in place by this date
    ready: bool = False
    held_up: str | None = None  # one of HELD_UP, once the young person has come home


@dataclass(frozen=True)
class HomecomingView:
    youth_home: str
    discharge_on: dt.date
    parts: tuple[HomecomingPartInput, ...]

    def starts_on(self, weeks: int) -> dt.date:
        """The day from which every part must be planned."""
        return self.discharge_on - dt.timedelta(weeks=weeks)


@dataclass(frozen=True)
class HomecomingWarning:
    """``missing``: a part with no agency, goal and date; ``late``: a part due after the discharge; ``overdue``: a
    part whose date has passed and that is not in place."""

    kind: str
    part: str
    due_on: dt.date | None
    discharge_on: dt.date


def homecoming_warnings(plan: HomecomingView, today: dt.date, weeks: int) -> list[HomecomingWarning]:
    """The warnings on ``today``: none before the plan's start (``weeks`` before discharge); then one for each
    missing part, each part due after the discharge, and each part past its date and not in place."""
    if today < plan.starts_on(weeks):
        return []
    planned = {p.part: p for p in plan.parts}
    out = []
    for part in PARTS:
        item = planned.get(part)
        if item is None:
            out.append(HomecomingWarning("missing", part, None, plan.discharge_on))
        elif not item.ready and item.due_on > plan.discharge_on:
            out.append(HomecomingWarning("late", part, item.due_on, plan.discharge_on))
        elif not item.ready and item.due_on < today:
            out.append(HomecomingWarning("overdue", part, item.due_on, plan.discharge_on))
    return out


class HomecomingRecords(StoreCore):
    """The homecoming plan of a case."""

    def save_homecoming(self, who: Principal, code: str, youth_home: str, discharge_on: dt.date,
                        parts: Sequence[HomecomingPartInput]) -> None:
        """Record or replace the homecoming plan (the SIG coordinator); parts may be added as they are agreed."""
        where = f"homecoming plan of case {code}"
        if not youth_home.strip() or len(youth_home) > 128:
            raise InputError(f"{where}: name the SiS youth home (1-128 characters); found {len(youth_home)} "
                             f"characters", key="error.homecoming.youth_home")
        seen: set[str] = set()
        for part in parts:
            _check_part(where, part, seen)
            if part.held_up is not None and swedish_today() < discharge_on:
                raise InputError(f"{where}, {part.part}: how the part held up is recorded after the homecoming "
                                 f"({discharge_on}), not before", key="error.homecoming.held_early",
                                 date=discharge_on.isoformat())
        with self._tx(who, "homecoming.save", code, f"discharge {discharge_on}; {len(parts)} parts") as session:
            authorize(who, Action.SIG_RUN)
            case = self._case(session, who, code, Action.CASE_WRITE)
            row = session.scalar(select(Homecoming).where(Homecoming.case_id == case.id).with_for_update())
            if row is None:
                row = Homecoming(case_id=case.id, updated_by=self._user_id(session, who))
                session.add(row)
            row.youth_home, row.discharge_on = youth_home.strip(), discharge_on
            row.updated_by, row.updated_at = self._user_id(session, who), now()
            row.parts = [HomecomingPart(part=p.part, agency=p.agency, goal=p.goal.strip(), due_on=p.due_on,
                                        ready=p.ready, held_up=p.held_up) for p in parts]

    def _homecoming(self, session: Session, case: Case) -> HomecomingView | None:
        row = session.scalar(select(Homecoming).where(Homecoming.case_id == case.id))
        if row is None:
            return None
        return HomecomingView(row.youth_home, row.discharge_on,
                              tuple(HomecomingPartInput(p.part, p.agency, p.goal, p.due_on, p.ready, p.held_up)
                                    for p in sorted(row.parts, key=lambda p: PARTS.index(p.part))))


def _check_part(where: str, part: HomecomingPartInput, seen: set[str]) -> None:
    if part.part not in PARTS:
        raise InputError(f"{where}: unknown part '{part.part}'{did_you_mean(part.part, PARTS)}; expected one of "
                         f"{', '.join(PARTS)}")
    if part.part in seen:
        raise InputError(f"{where}: the part '{part.part}' is given twice; give each part once")
    seen.add(part.part)
    if part.agency not in AGENCIES:
        raise InputError(f"{where}, {part.part}: unknown agency '{part.agency}'{did_you_mean(part.agency, AGENCIES)}")
    if part.held_up is not None and part.held_up not in HELD_UP:
        raise InputError(f"{where}, {part.part}: held_up must be one of {', '.join(HELD_UP)}; found "
                         f"'{part.held_up}'{did_you_mean(part.held_up, HELD_UP)}")
    if not part.goal.strip():
        raise InputError(f"{where}, {part.part}: a goal is required", key="error.homecoming.goal",
                         part=part.part)
    refuse_personnummer(f"{where}, {part.part}", [("goal", part.goal)])
