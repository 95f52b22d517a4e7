"""match(): the whole flow for a batch of cases, columnar from end to end.

cases -> risk (points, level) -> leaf results -> eligibility -> terms -> score -> top-k.
One case is a batch of one; the page, the command line and bulk runs all call this.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.cases import CaseBatch
from matcher.conditions import evaluate
from matcher.risk import RiskModel, RiskScores
from matcher.rulebase import RuleBase
from matcher.scoring import TERMS, match_terms, scoring_tables


@dataclass(frozen=True)
class Version:
    """What produced a result: enough to explain a decision with the rules and model of its day."""

    rule_base: str
    model: str
    evidence_snapshot: str

    def as_dict(self) -> dict[str, str]:
        return {"rule_base": self.rule_base, "model": self.model, "evidence_snapshot": self.evidence_snapshot}


@dataclass(frozen=True)
class MatchResult:
    """Columnar results; ``explain.py`` turns one case at a time into words."""

    rules: RuleBase
    version: Version
    cases: CaseBatch
    risk: RiskScores
    leaf_results: np.ndarray  # N x L
    eligible: np.ndarray  # N x I
    priority: np.ndarray  # N x I: eligible and its priority condition holds; ranked first
    intensity_allowed: np.ndarray  # N x I
    terms: dict[str, np.ndarray]  # name -> N x I weighted term
    score: np.ndarray  # N x I, the sum of the terms
    top: np.ndarray  # N x k intervention indices by rank; -1 where fewer are eligible

    def __len__(self) -> int:
        return len(self.cases)


def match(cases: CaseBatch, rules: RuleBase, model: RiskModel, top_k: int | None = None) -> MatchResult:
    k = rules.policy.top_k if top_k is None else top_k
    if k < 1:
        raise ValueError(f"The 'top_k' parameter of match must be at least 1. Got {k} instead.")
    n_factors = len(rules.catalogue.factors)
    ratings = cases.values[:, :n_factors]
    risk = model.score(ratings)
    leaf_results = rules.leaves.evaluate(cases.values)
    tables = scoring_tables(rules)
    intensity_allowed = tables.intensity_allowed[risk.level]
    eligible = np.empty((len(cases), len(rules.interventions)), dtype=bool)
    priority = np.zeros_like(eligible)
    for i, iv in enumerate(rules.interventions):
        ok = evaluate(iv.eligibility, leaf_results) & intensity_allowed[:, i]
        for node, _reason in iv.contraindications:
            ok &= ~evaluate(node, leaf_results)
        eligible[:, i] = ok & (not iv.model.do_not_offer)
        if iv.priority:
            priority[:, i] = eligible[:, i] & evaluate(iv.priority[0], leaf_results)
    terms = match_terms(ratings, risk, rules)
    score = np.asarray(np.sum([terms[name] for name in TERMS], axis=0, dtype=np.float64))
    version = Version(rules.content_hash, model.id, rules.evidence_snapshot.isoformat())
    return MatchResult(rules, version, cases, risk, leaf_results, eligible, priority, intensity_allowed, terms,
                       score, top_k_eligible(score, eligible, priority, k))


def top_k_eligible(score: np.ndarray, eligible: np.ndarray, priority: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best eligible interventions per case, best first; ties by rule-base order.

    Prioritised ones come first: their rank key is lifted above any possible score (scores are at most the sum
    of the term weights); the scores themselves are not changed.
    """
    n, n_items = score.shape
    k_eff = min(k, n_items)
    lift = float(np.abs(score).max(initial=0.0)) + 1.0
    masked = np.where(eligible, score + lift * priority, -np.inf)
    part = np.argpartition(-masked, k_eff - 1, axis=1)[:, :k_eff] if k_eff < n_items \
        else np.tile(np.arange(n_items), (n, 1))
    part_scores = np.take_along_axis(masked, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    top = np.take_along_axis(part, order, axis=1)
    top = np.where(np.take_along_axis(masked, top, axis=1) == -np.inf, -1, top)
    if k > k_eff:
        top = np.hstack([top, np.full((n, k - k_eff), -1, dtype=top.dtype)])
    return top
