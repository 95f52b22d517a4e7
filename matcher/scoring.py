"""The matching terms per (case, intervention): need fit, intensity fit, evidence, protective leverage.

Each term is a fit in [0, 1] times its policy weight, so a score is exactly the sum of its terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from matcher.factors import RISK_LEVELS
from matcher.risk import RiskScores
from matcher.rulebase import RuleBase

TERMS = ("need_fit", "intensity_fit", "evidence", "protective_leverage")


@dataclass(frozen=True)
class ScoringTables:
    targets: np.ndarray  # F x I target weights
    leverages: np.ndarray  # F x I leverage weights
    leverage_totals: np.ndarray  # I
    need_mask: np.ndarray  # F: dynamic risk factors
    protective_mask: np.ndarray  # F
    intensity_allowed: np.ndarray  # levels x I
    intensity_fit: np.ndarray  # levels x I
    evidence: np.ndarray  # I


@cache
def scoring_tables(rules: RuleBase) -> ScoringTables:
    cat = rules.catalogue
    n_f, n_i = len(cat.factors), len(rules.interventions)
    targets = np.zeros((n_f, n_i), dtype=np.float32)
    leverages = np.zeros((n_f, n_i), dtype=np.float32)
    allowed = np.zeros((len(RISK_LEVELS), n_i), dtype=bool)
    fit = np.zeros((len(RISK_LEVELS), n_i), dtype=np.float32)
    for i, iv in enumerate(rules.interventions):
        for name, weight in iv.model.targets.items():
            targets[cat.factor_index[name], i] = weight
        for name, weight in iv.model.leverages.items():
            leverages[cat.factor_index[name], i] = weight
        for level_code, level in enumerate(RISK_LEVELS):
            rule = rules.policy.intensity_matrix[level]  # type: ignore[index]
            allowed[level_code, i] = iv.model.intensity in rule.allowed
            if iv.model.intensity in rule.preferred:
                fit[level_code, i] = rules.policy.intensity_fit["preferred"]
            elif allowed[level_code, i]:
                fit[level_code, i] = rules.policy.intensity_fit["allowed"]
    evidence = np.array([iv.evidence_strength for iv in rules.interventions], dtype=np.float32)
    return ScoringTables(targets, leverages, leverages.sum(axis=0), cat.mask(kind="risk", dynamic=True),
                         cat.mask(kind="protective"), allowed, fit, evidence)


def need(risk: RiskScores, tables: ScoringTables) -> np.ndarray:
    """N x F need profile: the positive points of the dynamic risk factors."""
    return np.where(tables.need_mask, np.maximum(risk.points, 0), 0).astype(np.float32)


def match_terms(ratings: np.ndarray, risk: RiskScores, rules: RuleBase) -> dict[str, np.ndarray]:
    """Weighted terms, each N x I; their sum is the match score."""
    tables = scoring_tables(rules)
    weights = rules.policy.weights
    needs = need(risk, tables)
    total = needs.sum(axis=1, keepdims=True)
    need_fit = np.divide(needs @ tables.targets, total, out=np.zeros((len(needs), tables.targets.shape[1]),
                                                                     dtype=np.float32), where=total > 0)
    present = (ratings[:, : len(tables.protective_mask)] > 0) & tables.protective_mask
    leverage = np.divide(present.astype(np.float32) @ tables.leverages, tables.leverage_totals,
                         out=np.zeros_like(need_fit), where=tables.leverage_totals > 0)
    return {
        "need_fit": weights.need_fit * need_fit,
        "intensity_fit": weights.intensity_fit * tables.intensity_fit[risk.level],
        "evidence": np.broadcast_to(weights.evidence * tables.evidence, need_fit.shape),
        "protective_leverage": weights.protective_leverage * leverage,
    }
