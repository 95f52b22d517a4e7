"""Delivered dose against the programme's target dose from the rule base, for one plan item at a date.

A programme's minimum total (``dose.sessions.min``, ``dose.hours.min``) is due evenly over its longest
duration (``months.max`` or ``weeks.max``), all of it once the item is completed; without a duration it is
compared only when the item is completed. A weekly rate (``dose.hours_per_week.min``, where no total of hours
is given) is due for every week since the start, up to its minimum total over the shortest duration
(``months.min`` or ``weeks.min``), all of that once completed. An active or completed item whose delivered
sessions or hours fall below ``policy.dose.flag_below`` of what is due by the date is under-dosed. An item
that is planned, dropped or not started by the date, or whose insats has no dose in the rule base, is not
compared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from matcher.rulebase.loading import RuleBase
from matcher.rulebase.schema import Dose

Measure = Literal["sessions", "hours"]
DAYS_PER_MONTH = 365.25 / 12
COMPARED_STATUSES = ("active", "completed")


@dataclass(frozen=True)
class DoseCheck:
    """One measure of one plan item: what was due by the date, the programme's minimum, what was delivered."""

    intervention: str
    measure: Measure
    due: float
    minimum: float | None  # the whole programme's minimum; None for a weekly rate without a duration
    delivered: float | None  # None: nothing recorded
    flag_below: float

    @property
    def under_dosed(self) -> bool:
        # rounded, so that exactly the share (2.4 of 3.0 at 0.8) is not flagged by a floating-point excess
        return self.delivered is not None and self.delivered < round(self.flag_below * self.due, 6)

    @property
    def share(self) -> float | None:
        """Delivered as a share of what was due (None when nothing is recorded or nothing was due)."""
        return self.delivered / self.due if self.delivered is not None and self.due > 0 else None


def duration_days(dose: Dose, longest: bool = True) -> float | None:
    """The programme's longest (or shortest) duration in days, or None when the rule base gives none."""
    if dose.months is not None:
        return (dose.months.max if longest else dose.months.min) * DAYS_PER_MONTH
    if dose.weeks is not None:
        return (dose.weeks.max if longest else dose.weeks.min) * 7
    return None


def check_dose(rules: RuleBase, intervention: str, status: str, start_on: dt.date, on: dt.date,
               sessions_delivered: float | None, hours_delivered: float | None) -> list[DoseCheck]:
    """The dose checks of one plan item at ``on``: one per measure the programme sets a minimum for."""
    dose = rules.interventions[rules.index(intervention)].model.dose
    if dose is None or status not in COMPARED_STATUSES or on < start_on:
        return []
    days = duration_days(dose)
    elapsed = (on - start_on).days
    progress = 1.0 if status == "completed" else (min(1.0, elapsed / days) if days else None)
    flag_below = rules.policy.dose.flag_below
    checks = []
    totals: tuple[tuple[Measure, float | None, float | None], ...] = (
        ("sessions", dose.sessions.min if dose.sessions else None, sessions_delivered),
        ("hours", dose.hours.min if dose.hours else None, hours_delivered))
    for measure, minimum, delivered in totals:
        if minimum is not None and progress is not None:
            checks.append(DoseCheck(intervention, measure, round(minimum * progress, 1), minimum, delivered,
                                    flag_below))
    if dose.hours is None and dose.hours_per_week is not None:
        rate = dose.hours_per_week.min
        shortest = duration_days(dose, longest=False)
        minimum = round(rate * shortest / 7, 1) if shortest else None
        due = rate * elapsed / 7
        if minimum is not None:
            due = minimum if status == "completed" else min(due, minimum)
        checks.append(DoseCheck(intervention, "hours", round(due, 1), minimum, hours_delivered, flag_below))
    return checks
