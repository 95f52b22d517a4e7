"""The service-gap report: which recommended insatser a unit could not offer, or only after a wait, and which
plan items were delivered below the programme's dose. Counts per insats; no case leaves here.

How it counts, for a unit and a period (dates inclusive, by the Swedish calendar day a recommendation was saved):

- recommended: the cases with at least one saved recommendation in the period that had the insats in its
  top k. Each case counts once per insats, with the insats' status in the unit's catalogue version in force
  when the first such recommendation was saved: offered (no wait), waiting (offered with a waiting time,
  whose weeks give the mean and maximum), not offered, or unlisted (not in the catalogue, or no catalogue).
- dose: the plan items of the unit's cases that ran in the period (started by its end; still active, or
  with their follow-up date in or after it), as the plans are recorded now, compared with the programme's
  dose at the end of the period (or today, if earlier) by ``dose.py``. An item is under-dosed when any of
  its measures is; not recorded when it has a due dose but no delivered figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from matcher.i18n import SWEDEN
from matcher.local.availability import status
from matcher.local.catalogue import StoredCatalogue
from matcher.local.dose import check_dose
from matcher.rulebase.loading import RuleBase

STATUSES = ("offered", "waiting", "not_offered", "unlisted")


@dataclass(frozen=True)
class StoredRecommendation:
    case_id: int
    saved_at: dt.datetime
    result: dict[str, Any]
    synthetic: bool = False


@dataclass(frozen=True)
class PlanItemRecord:
    case_id: int
    intervention: str
    status: str
    start_on: dt.date
    follow_up_on: dt.date
    sessions_delivered: float | None
    hours_delivered: float | None


@dataclass
class GapRow:
    intervention: str
    status_at_end: str  # in the catalogue in force at the end of the period
    recommended: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    waits: list[float] = field(default_factory=list)
    dose_compared: int = 0
    under_dosed: int = 0
    not_recorded: int = 0

    @property
    def total(self) -> int:
        return sum(self.recommended.values())

    @property
    def mean_wait(self) -> float | None:
        return sum(self.waits) / len(self.waits) if self.waits else None

    @property
    def max_wait(self) -> float | None:
        return max(self.waits) if self.waits else None

    @property
    def under_dose_rate(self) -> float | None:
        return self.under_dosed / self.dose_compared if self.dose_compared else None


@dataclass(frozen=True)
class GapReport:
    unit: str
    start: dt.date
    end: dt.date
    top_k: int
    dose_on: dt.date
    cases: int  # cases with a saved recommendation in the period
    synthetic_cases: int  # of them, synthetic (demo and test) cases
    catalogue_version: int | None  # in force at the end of the period
    rows: list[GapRow]


def gap_report(rules: RuleBase, unit: str, start: dt.date, end: dt.date, top_k: int,
               recommendations: Sequence[StoredRecommendation], catalogues: Sequence[StoredCatalogue],
               items: Sequence[PlanItemRecord], today: dt.date) -> GapReport:
    """The report from the unit's stored rows (recommendations in saving order, catalogues by version)."""
    end_catalogue = _in_force(catalogues, dt.datetime.combine(end, dt.time.max, SWEDEN))
    rows: dict[str, GapRow] = {}

    def row(iid: str) -> GapRow:
        if iid not in rows:
            rows[iid] = GapRow(iid, status(end_catalogue.catalogue.offer(iid)) if end_catalogue else "unlisted")
        return rows[iid]

    counted: set[tuple[int, str]] = set()
    cases: dict[int, bool] = {}  # case -> synthetic
    for rec in recommendations:
        saved = _aware(rec.saved_at)
        if not start <= saved.astimezone(SWEDEN).date() <= end:
            continue
        cases[rec.case_id] = rec.synthetic
        in_force = _in_force(catalogues, saved)
        for entry in rec.result["recommendations"]:
            if entry["rank"] > top_k or (rec.case_id, entry["id"]) in counted:
                continue
            counted.add((rec.case_id, entry["id"]))
            offer = in_force.catalogue.offer(entry["id"]) if in_force else None
            state = status(offer)
            row(entry["id"]).recommended[state] += 1
            if state == "waiting" and offer is not None and offer.waiting_weeks:
                row(entry["id"]).waits.append(offer.waiting_weeks)
    dose_on = min(end, today)
    for item in items:
        ran = item.start_on <= end and (item.status == "active" or item.follow_up_on >= start)
        if not ran or item.intervention not in rules.ids:
            continue
        checks = check_dose(rules, item.intervention, item.status, item.start_on, dose_on, item.sessions_delivered,
                            item.hours_delivered)
        recorded = [c for c in checks if c.delivered is not None]
        if recorded:
            row(item.intervention).dose_compared += 1
            row(item.intervention).under_dosed += any(c.under_dosed for c in recorded)
        elif any(c.due > 0 for c in checks):
            row(item.intervention).not_recorded += 1
    order = {iid: n for n, iid in enumerate(rules.ids)}
    return GapReport(unit, start, end, top_k, dose_on, len(cases), sum(cases.values()),
                     end_catalogue.version if end_catalogue else None,
                     sorted(rows.values(), key=lambda r: (-r.total, order.get(r.intervention, len(order)))))


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes (the store writes UTC); PostgreSQL aware ones in its session's zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _in_force(catalogues: Sequence[StoredCatalogue], moment: dt.datetime) -> StoredCatalogue | None:
    saved = [c for c in catalogues if _aware(c.saved_at) <= moment]
    return saved[-1] if saved else None
