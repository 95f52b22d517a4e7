"""Pseudonymised outcome export for evaluators: how follow-ups feed retraining.

One row per assessment (a young person and a follow-up period) in the training format
(docs/training-format.md). Case codes are replaced by random ids made for this export only; dates
are coarsened to months and ages to bands. A period is labelled only when it can be: an offence recorded in a
follow-up within 12 months gives 1; a follow-up 12 months or later with no offence in the 12 months gives 0;
otherwise the period is not yet observed and is left out.

k-anonymity (``anonymous``): the columns someone could know about a young person from elsewhere
(``QUASI_IDENTIFIERS``: month, sex, born abroad, age band, placement, court sanction) together must be shared
by at least ``min_group`` young people (``rules/policy.yaml`` ``export_min_group``). A row in a smaller group
first has its month, then its placement, then its sanction left blank, as long as that puts it in a group that
is large enough; a row that still is not is left out. The summary counts both.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.engine.cases import encode_cases
from matcher.local.effects import add_months, age_band
from matcher.modelling.synth import TARGET
from matcher.rulebase.factors import UNRATED
from matcher.rulebase.loading import RuleBase
from matcher.store.tables import Assessment, Case, FollowUp

GROUPS = ("sex", "born_abroad")
QUASI_IDENTIFIERS = ("period_start", "sex", "born_abroad", "age", "placement", "court_sanction")
BLANKABLE = ("period_start", "placement", "court_sanction")  # left blank in this order; the fairness groups never


@dataclass(frozen=True)
class ExportSummary:
    rows: int
    suppressed: int  # rows left out because no blanking put them in a group of at least min_group people
    unobserved: int  # periods without 12 months of follow-up yet
    blanked: dict[str, int] = field(default_factory=dict)  # cells left blank, by column

    def __str__(self) -> str:
        text = (f"{self.rows} rows written; {self.suppressed} left out in groups smaller than the minimum; "
                f"{self.unobserved} periods not yet followed up for 12 months")
        cells = ", ".join(f"{column} {n}" for column, n in self.blanked.items() if n)
        return text + (f"; cells left blank to reach the minimum group: {cells}" if cells else "")


def _people(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], set[str]]:
    groups: dict[tuple[Any, ...], set[str]] = {}
    for row in rows:
        groups.setdefault(tuple(row[c] for c in QUASI_IDENTIFIERS), set()).add(row["case_id"])
    return groups


def anonymous(rows: list[dict[str, Any]], min_group: int) -> tuple[list[dict[str, Any]], int, dict[str, int]]:
    """The rows whose combination of ``QUASI_IDENTIFIERS`` at least ``min_group`` young people share (each row
    counted by its person, so one person's many periods never make a group), after blanking ``BLANKABLE``
    columns step by step: (rows kept, rows left out, cells blanked by column). A row is released with the
    whole group it was counted in, so every combination in the result belongs to at least ``min_group`` people."""
    kept: list[dict[str, Any]] = []
    blanked = dict.fromkeys(BLANKABLE, 0)
    pending = [dict(row) for row in rows]
    for step in range(len(BLANKABLE) + 1):
        for row in pending:
            row.update(dict.fromkeys(BLANKABLE[:step], ""))
        people = _people(pending)
        large = [r for r in pending if len(people[tuple(r[c] for c in QUASI_IDENTIFIERS)]) >= min_group]
        pending = [r for r in pending if len(people[tuple(r[c] for c in QUASI_IDENTIFIERS)]) < min_group]
        kept += large
        for column in BLANKABLE[:step]:
            blanked[column] += len(large)
    return kept, len(pending), blanked


def _month(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def _label(assessed_on: dt.date, follow_ups: list[FollowUp]) -> int | None:
    horizon = add_months(assessed_on, 12)
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
            row["age"] = age_band(row["age"])  # exact age would single people out within a group
            for factor in cat.factors:
                rating = int(values[cat.factor_index[factor.id]])
                row[factor.id] = "" if rating == UNRATED else rating
            abroad = "" if case.born_abroad is None else "yes" if case.born_abroad else "no"
            row.update({TARGET: label, "sex": case.sex or "", "born_abroad": abroad})
            rows.append(row)
    kept, suppressed, blanked = anonymous(rows, min_group)
    return kept, ExportSummary(len(kept), suppressed, unobserved, blanked)


def columns(rules: RuleBase) -> list[str]:
    cat = rules.catalogue
    every = ["case_id", "synthetic", "period_start", *(c.id for c in cat.context), *cat.factor_index, TARGET, *GROUPS]
    return list(dict.fromkeys(every))  # sex is a context fact and a group: one column
