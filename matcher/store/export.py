"""Pseudonymised outcome export for evaluators: how follow-ups feed retraining.

One row per assessment (a young person and a follow-up period) in the training format
(docs/training-format.md). Case codes are replaced by random ids made for this export only; dates
are coarsened to months and ages to bands; rows whose group (sex, born abroad, age band) has fewer than ``min_group``
members are left out. A period is labelled only when it can be: an offence recorded in a follow-up
within 12 months gives 1; a follow-up 12 months or later with no offence in the 12 months gives 0;
otherwise the period is not yet observed and is left out.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.engine.cases import encode_cases
from matcher.modelling.synth import TARGET
from matcher.rulebase.factors import UNRATED
from matcher.rulebase.loading import RuleBase
from matcher.store.tables import Assessment, Case, FollowUp

GROUPS = ("sex", "born_abroad")
AGE_BANDS = ((6, 11), (12, 14), (15, 17), (18, 25))


@dataclass(frozen=True)
class ExportSummary:
    rows: int
    suppressed: int  # rows left out because their group was smaller than min_group
    unobserved: int  # periods without 12 months of follow-up yet

    def __str__(self) -> str:
        return (f"{self.rows} rows written; {self.suppressed} left out in groups smaller than the minimum; "
                f"{self.unobserved} periods not yet followed up for 12 months")


def _month(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + year, month=month + 1, day=min(day.day, 28))


def _age_band(age: int) -> str:
    return next(f"{lo}-{hi}" for lo, hi in AGE_BANDS if lo <= age <= hi)


def _label(assessed_on: dt.date, follow_ups: list[FollowUp]) -> int | None:
    horizon = _add_months(assessed_on, 12)
    within = [f for f in follow_ups if assessed_on < f.followed_up_on <= horizon]
    if any(f.new_offences > 0 for f in within):
        return 1
    if any(f.followed_up_on >= horizon for f in follow_ups):
        return 0
    return None


def outcome_rows(session: Session, rules: RuleBase, min_group: int) -> tuple[list[dict[str, Any]], ExportSummary]:
    cat = rules.catalogue
    ids: dict[int, str] = {}
    rows, unobserved = [], 0
    for case in session.scalars(select(Case).order_by(Case.id)):
        follow_ups = list(session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)))
        for assessment in session.scalars(select(Assessment).where(Assessment.case_id == case.id)
                                          .order_by(Assessment.version)):
            label = _label(assessment.assessed_on, follow_ups)
            if label is None:
                unobserved += 1
                continue
            values = encode_cases([("export", assessment.data)], rules).values[0]
            row: dict[str, Any] = {"case_id": ids.setdefault(case.id, f"X-{secrets.token_hex(6)}"),
                                   "synthetic": case.synthetic,
                                   "period_start": _month(assessment.assessed_on)}
            for fact in cat.context:
                code = int(values[cat.context_index[fact.id]])
                row[fact.id] = bool(code) if fact.type == "bool" else fact.values[code] if fact.values else code
            row["age"] = _age_band(row["age"])  # exact age would single people out within a group
            for factor in cat.factors:
                rating = int(values[cat.factor_index[factor.id]])
                row[factor.id] = "" if rating == UNRATED else rating
            abroad = "" if case.born_abroad is None else "yes" if case.born_abroad else "no"
            row.update({TARGET: label, "sex": case.sex or "", "born_abroad": abroad,
                        "_group": (case.sex, case.born_abroad, row["age"])})
            rows.append(row)
    sizes = Counter(r["_group"] for r in rows)
    kept = [{k: v for k, v in r.items() if k != "_group"} for r in rows if sizes[r["_group"]] >= min_group]
    return kept, ExportSummary(len(kept), len(rows) - len(kept), unobserved)


def columns(rules: RuleBase) -> list[str]:
    cat = rules.catalogue
    every = ["case_id", "synthetic", "period_start", *(c.id for c in cat.context), *cat.factor_index, TARGET, *GROUPS]
    return list(dict.fromkeys(every))  # sex is a context fact and a group: one column
