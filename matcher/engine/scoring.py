"""The matching terms per (intervention, case): need fit, intensity fit, evidence, protective leverage.

Each term is a fit in [0, 1] times its policy weight, so a score is exactly the sum of its terms.
Terms are intervention-major (I x N); ``kernel`` repeats this arithmetic for bulk runs. The weighted
sums over factors add the few nonzero weights in factor order, elementwise (no BLAS call, whose
rounding depends on the batch shape): a case gets bit-identical terms alone and in any batch, so
its explanation always agrees with its rank.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from matcher.rulebase.factors import RISK_LEVELS
from matcher.rulebase.loading import RuleBase

TERMS = ("need_fit", "intensity_fit", "evidence", "protective_leverage")
# The gate level of a case below policy.risk_score_min_age: the SAVRY-style score is not for that age, so no
# intensity is held back by it and every intensity fits (its row in the intensity tables).
NOT_SCORED = len(RISK_LEVELS)


@dataclass(frozen=True)
class ScoringTables:
    targets: np.ndarray  # F x I target weights
    leverages: np.ndarray  # F x I leverage weights
    leverage_totals: np.ndarray  # I
    need_mask: np.ndarray  # F: dynamic risk factors
    welfare_columns: np.ndarray  # the factors marked need: welfare
    protective_mask: np.ndarray  # F
    intensity_allowed: np.ndarray  # gate levels x I (RISK_LEVELS, then NOT_SCORED)
    intensity_fit: np.ndarray  # gate levels x I
    evidence: np.ndarray  # I
    need_sum: WeightedSum  # over the need factors' targets
    need_rows: np.ndarray  # rows of need_sum.factors among the need factors
    leverage_sum: WeightedSum  # over the protective factors' leverages


@cache
def scoring_tables(rules: RuleBase) -> ScoringTables:
    cat = rules.catalogue
    n_f, n_i = len(cat.factors), len(rules.interventions)
    targets = np.zeros((n_f, n_i), dtype=np.float32)
    leverages = np.zeros((n_f, n_i), dtype=np.float32)
    allowed = np.ones((len(RISK_LEVELS) + 1, n_i), dtype=bool)
    fit = np.full((len(RISK_LEVELS) + 1, n_i), rules.policy.intensity_fit["preferred"], dtype=np.float32)
    for i, iv in enumerate(rules.interventions):
        for name, weight in iv.model.targets.items():
            targets[cat.factor_index[name], i] = weight
        for name, weight in iv.model.leverages.items():
            leverages[cat.factor_index[name], i] = weight
        if iv.model.indication == "welfare" or iv.model.type == "legal_sanction":
            continue  # indicated by a clinical or welfare need, or decided by a court: not gated by crime risk
        for level_code, level in enumerate(RISK_LEVELS):
            rule = rules.policy.intensity_matrix[level]  # type: ignore[index]
            allowed[level_code, i] = iv.model.intensity in rule.allowed
            if iv.model.intensity not in rule.preferred:
                fit[level_code, i] = rules.policy.intensity_fit["allowed"] if allowed[level_code, i] else 0
    evidence = np.array([iv.evidence_strength for iv in rules.interventions], dtype=np.float32)
    need_mask, protective_mask = cat.mask(kind="risk", dynamic=True), cat.mask(kind="protective")
    need_sum = WeightedSum.of(np.where(need_mask[:, np.newaxis], targets, 0))
    need_rows = np.searchsorted(np.flatnonzero(need_mask), need_sum.factors)
    welfare = np.array([j for j, f in enumerate(cat.factors) if f.need == "welfare"], dtype=np.intp)
    return ScoringTables(targets, leverages, leverages.sum(axis=0), need_mask, welfare, protective_mask, allowed, fit,
                         evidence, need_sum, need_rows, WeightedSum.of(np.where(protective_mask[:, np.newaxis],
                                                                                leverages, 0)))


def gate_levels(rules: RuleBase, values: np.ndarray, level: np.ndarray) -> np.ndarray:
    """The level each case's intensity gate uses: its risk level, or NOT_SCORED below the policy's minimum age."""
    age = values[:, rules.catalogue.context_index["age"]]
    return np.where(age < rules.policy.risk_score_min_age, NOT_SCORED, level).astype(level.dtype)


def need_points(rules: RuleBase, ratings: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The points the need profile reads: the risk model's for criminogenic factors; for a welfare need, which
    is no part of the risk score but is a need all the same, its rating times ``policy.welfare_need_points``."""
    welfare = scoring_tables(rules).welfare_columns
    out = points.copy()
    out[:, welfare] = np.maximum(ratings[:, welfare], 0) * points.dtype.type(rules.policy.welfare_need_points)
    return out


def need(points: np.ndarray, tables: ScoringTables) -> np.ndarray:
    """N x F need profile: the positive points of the dynamic risk factors (what the compiled loop keeps per case,
    ``PairArrays.needs``; this is its reference in tests/engine/test_ranking.py)."""
    return np.where(tables.need_mask, np.maximum(points, 0), 0).astype(np.float32)


COMPUTED_TERMS = ("need_fit", "intensity_fit", "protective_leverage")  # "evidence" is one value per intervention


@dataclass(frozen=True)
class WeightedSum:
    """``out[i] = sum over f of rows[f] * weights[f, i]`` as a few row operations.

    Step j adds the j-th nonzero weight (in factor order) of every intervention that has one, so each
    element gets the same additions in the same order for any N (unlike a BLAS product or a reduction,
    whose rounding depends on the batch's shape); a case scores bit-identically alone and in a batch.
    """

    factors: np.ndarray  # the factors with any nonzero weight; their rows are the input
    steps: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]  # (interventions, input rows, weights K x 1)

    @classmethod
    def of(cls, weights: np.ndarray) -> WeightedSum:
        factors = np.flatnonzero(weights.any(axis=1))
        per_item = [np.flatnonzero(weights[factors, i]) for i in range(weights.shape[1])]
        steps = []
        for j in range(max(map(len, per_item), default=0)):
            items = np.array([i for i, rows in enumerate(per_item) if len(rows) > j], dtype=np.intp)
            rows = np.array([per_item[i][j] for i in items], dtype=np.intp)
            steps.append((items, rows, weights[factors[rows], items][:, np.newaxis]))
        return cls(factors, tuple(steps))

    def into(self, out: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``rows`` is len(factors) x N float32; ``out`` I x N float32 is overwritten."""
        out.fill(0)
        for items, picked, weights in self.steps:
            out[items] += rows[picked] * weights
        return out


def match_terms(ratings: np.ndarray, points: np.ndarray, level: np.ndarray, rules: RuleBase,
                out: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Weighted terms, each I x N (into the COMPUTED_TERMS arrays of ``out`` when given); their sum is the score."""
    tables = scoring_tables(rules)
    weights = rules.policy.weights
    n_items, n = len(tables.evidence), len(points)
    arrays = out if out is not None else {name: np.empty((n_items, n), np.float32) for name in COMPUTED_TERMS}
    needs = np.maximum(points.T[np.flatnonzero(tables.need_mask)], 0).astype(np.float32)  # need factors x N
    total = np.zeros(n, dtype=np.float32)
    for row in needs:  # added in factor order, the same for any N (a reduction's order depends on the layout)
        total += row
    # No need (a zero total) means a zero numerator: dividing it by one gives the fit 0. Likewise for leverage.
    need_fit = tables.need_sum.into(arrays["need_fit"], needs[tables.need_rows])
    need_fit /= np.where(total > 0, total, np.float32(1))
    need_fit *= weights.need_fit
    present = (ratings.T[tables.leverage_sum.factors] > 0).astype(np.float32)
    leverage = tables.leverage_sum.into(arrays["protective_leverage"], present)
    leverage /= np.where(tables.leverage_totals > 0, tables.leverage_totals, np.float32(1))[:, np.newaxis]
    leverage *= weights.protective_leverage
    intensity_fit = np.take(weights.intensity_fit * tables.intensity_fit.T, level, axis=1,
                            out=arrays["intensity_fit"], mode="clip")
    return {
        "need_fit": need_fit,
        "intensity_fit": intensity_fit,
        "evidence": np.broadcast_to((weights.evidence * tables.evidence)[:, np.newaxis], need_fit.shape),
        "protective_leverage": leverage,
    }

