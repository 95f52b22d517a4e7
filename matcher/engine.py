"""match(): the whole flow for a batch of cases, columnar from end to end, in chunks.

cases -> risk (points, level) -> leaf results -> eligibility -> terms -> score -> top-k.
One case is a batch of one; the page, the command line and bulk runs all call ``match_matrix``.
A batch is worked through in chunks that stay in the processor cache; what is kept per case is
small and columnar (top-k, risk score and level, one bit per leaf condition). Everything else an
explanation shows (terms, eligibility, why-not) is recomputed for the one case a person looks at,
by the same functions, from the case's row and its stored bits (``MatchResult.detail``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from matcher import ranking
from matcher.cases import CaseBatch
from matcher.conditions import evaluate
from matcher.risk import RiskModel, RiskScores
from matcher.rulebase import RuleBase
from matcher.scoring import COMPUTED_TERMS, TERMS, lowest_eligible_score, match_terms, need, scoring_tables

CHUNK = 16384  # cases per step: large enough that per-call overhead is small, its work arrays are ~20 MB


@dataclass(frozen=True)
class Version:
    """What produced a result: enough to explain a decision with the rules and model of its day."""

    rule_base: str
    model: str
    evidence_snapshot: str

    def as_dict(self) -> dict[str, str]:
        return {"rule_base": self.rule_base, "model": self.model, "evidence_snapshot": self.evidence_snapshot}


@dataclass(frozen=True)
class Evaluation:
    """A batch through the rule base, intervention-major (I x N) like the ranking reads it."""

    leaf_results: np.ndarray  # N x L
    intensity_allowed: np.ndarray  # I x N
    eligible: np.ndarray  # I x N
    priority: np.ndarray  # I x N: eligible and its priority condition holds; ranked first
    terms: dict[str, np.ndarray]  # name -> I x N weighted term
    score: np.ndarray  # I x N, the sum of the terms (float64)


@dataclass(frozen=True)
class CaseDetail:
    """Everything the explanation of one case reads (one row of an ``Evaluation``, plus the risk)."""

    values: np.ndarray  # F + C
    level: int
    risk_score: float
    points: np.ndarray  # F
    needs: np.ndarray  # F
    top: list[int]
    leaf_row: np.ndarray  # L
    intensity_allowed: np.ndarray  # I
    eligible: np.ndarray  # I
    priority: np.ndarray  # I
    terms: dict[str, np.ndarray]  # name -> I
    score: np.ndarray  # I


@dataclass(frozen=True, eq=False)
class MatchResult:
    """Columnar results: per case the top-k, the risk and one bit per leaf condition.

    ``explain.py`` turns one case at a time into words through ``detail``. The full N x I matrices
    (``eligible``, ``terms``, ``score``, ...) are computed on first access, for analyses of small batches.
    """

    rules: RuleBase
    model: RiskModel
    version: Version
    values: np.ndarray  # N x (F + C) case matrix
    ids: tuple[str, ...] | None  # None: the cases are numbered case-1, case-2, ...
    synthetic: np.ndarray  # N bool
    top: np.ndarray  # N x k intervention indices by rank; -1 where fewer are eligible
    risk_score: np.ndarray  # N
    level: np.ndarray  # N, index into RISK_LEVELS
    leaf_bits: np.ndarray  # N x ceil(L / 8), LeafTable.pack
    kept: tuple[RiskScores, Evaluation] | None = None  # a batch of one chunk keeps its work arrays

    def __len__(self) -> int:
        return len(self.values)

    def case_id(self, n: int) -> str:
        return self.ids[n] if self.ids is not None else f"case-{n + 1}"

    def detail(self, n: int) -> CaseDetail:
        """Case n's row of the evaluation: kept from the run, or recomputed alone (bit-identical, see scoring)."""
        if self.kept is not None:
            points, ev, j = self.kept[0].points, self.kept[1], n
        else:
            row = self.values[n: n + 1]
            points = self.model.score(row[:, : len(self.rules.catalogue.factors)]).points
            ev = evaluation(self.rules, row, points, self.level[n: n + 1],
                            self.rules.leaves.unpack(self.leaf_bits[n: n + 1]))
            j = 0
        return CaseDetail(self.values[n], int(self.level[n]), float(self.risk_score[n]), points[j],
                          need(points[j: j + 1], scoring_tables(self.rules))[0],
                          [int(i) for i in self.top[n] if i >= 0], ev.leaf_results[j], ev.intensity_allowed[:, j],
                          ev.eligible[:, j], ev.priority[:, j], {name: term[:, j] for name, term in ev.terms.items()},
                          ev.score[:, j])

    # ------------------------------------------------------------ the full matrices, on demand

    @cached_property
    def cases(self) -> CaseBatch:
        return CaseBatch(tuple(self.case_id(n) for n in range(len(self))), self.synthetic, self.values)

    @cached_property
    def risk(self) -> RiskScores:
        scores = self.model.score(self.values[:, : len(self.rules.catalogue.factors)])
        return RiskScores(scores.points, scores.intercept, self.risk_score, self.level)

    @cached_property
    def _evaluation(self) -> Evaluation:
        if self.kept is not None:
            return self.kept[1]
        return evaluation(self.rules, self.values, self.risk.points, self.level, self.leaf_results)

    @cached_property
    def leaf_results(self) -> np.ndarray:  # N x L
        return self.rules.leaves.unpack(self.leaf_bits)

    @property
    def intensity_allowed(self) -> np.ndarray:  # N x I
        return self._evaluation.intensity_allowed.T

    @property
    def eligible(self) -> np.ndarray:  # N x I
        return self._evaluation.eligible.T

    @property
    def priority(self) -> np.ndarray:  # N x I
        return self._evaluation.priority.T

    @property
    def terms(self) -> dict[str, np.ndarray]:  # name -> N x I
        return {name: term.T for name, term in self._evaluation.terms.items()}

    @property
    def score(self) -> np.ndarray:  # N x I
        return self._evaluation.score.T


def match(cases: CaseBatch, rules: RuleBase, model: RiskModel, top_k: int | None = None) -> MatchResult:
    """Match encoded cases (``encode_cases`` / ``read_cases``)."""
    return match_matrix(cases.values, rules, model, top_k, ids=cases.ids, synthetic=cases.synthetic)


def match_matrix(values: np.ndarray, rules: RuleBase, model: RiskModel, top_k: int | None = None, *,
               ids: tuple[str, ...] | None = None, synthetic: np.ndarray | bool = False,
               chunk: int = CHUNK) -> MatchResult:
    """Match a pre-encoded N x (F + C) case matrix (the ``CaseBatch.values`` layout; int8 holds every code).

    For bulk runs: no Python object is made per case, and memory beyond the input and the result is a
    few chunk-sized work arrays. Column-major input reads fastest.
    """
    k = rules.policy.top_k if top_k is None else top_k
    if k < 1:
        raise ValueError(f"The 'top_k' parameter of match must be at least 1. Got {k} instead.")
    cat = rules.catalogue
    if values.ndim != 2 or values.shape[1] != cat.n_columns:
        raise ValueError(f"The 'values' parameter of match_matrix must be an N x {cat.n_columns} case matrix "
                         f"({len(cat.factors)} factor and {len(cat.context)} context columns). "
                         f"Got shape {values.shape} instead.")
    n, n_factors = len(values), len(cat.factors)
    top = np.empty((n, k), dtype=ranking.index_dtype(len(rules.interventions)))
    risk_score = np.empty(n, dtype=np.float64)
    level = np.empty(n, dtype=np.int8)
    leaf_bits = np.empty((n, -(-len(rules.leaves.leaves) // 8)), dtype=np.uint8)
    lowest = lowest_eligible_score(rules)
    work = _Workspace(len(rules.interventions), len(rules.leaves.leaves), min(chunk, n))
    ratings_buffer = np.empty(min(chunk, n) * n_factors, dtype=values.dtype)
    for start in range(0, n, chunk):
        part = slice(start, start + chunk)
        rows = values[part]
        # Row-major ratings: the model's per-case sums run along contiguous rows, as they do for a case alone.
        ratings = ratings_buffer[: len(rows) * n_factors].reshape(len(rows), n_factors)
        np.copyto(ratings, rows[:, :n_factors])
        risk = model.score(ratings)
        out = work.evaluation(len(rows))
        leaf_results = rules.leaves.evaluate(rows, out=out.leaf_results)
        ev = evaluation(rules, rows, risk.points, risk.level, leaf_results, out=out)
        top[part] = ranking.top_k(ev.score, ev.eligible, ev.priority, k, lowest, key=work.key(len(rows)))
        risk_score[part] = risk.score
        level[part] = risk.level
        leaf_bits[part] = rules.leaves.pack(leaf_results)
    version = Version(rules.content_hash, model.id, rules.evidence_snapshot.isoformat())
    flags = np.broadcast_to(np.asarray(synthetic, dtype=bool), (n,))
    kept = (risk, ev) if 0 < n <= chunk else None
    return MatchResult(rules, model, version, values, ids, flags, top, risk_score, level, leaf_bits, kept)


class _Workspace:
    """Work arrays reused from chunk to chunk, viewed as contiguous arrays for a chunk of m cases.

    A fresh array of a few megabytes per chunk costs more in page faults than the arithmetic done in it.
    """

    def __init__(self, n_items: int, n_leaves: int, size: int):
        self.n_items, self.n_leaves = n_items, n_leaves
        self.flags = np.empty((3 * n_items + n_leaves) * size, dtype=bool)
        self.terms = np.empty(len(COMPUTED_TERMS) * n_items * size, dtype=np.float32)
        self.score = np.empty(n_items * size, dtype=np.float64)
        self.keys = np.empty(n_items * size, dtype=np.int64)

    def evaluation(self, m: int) -> Evaluation:
        block = self.n_items * m
        allowed, eligible, priority = (self.flags[j * block: (j + 1) * block].reshape(self.n_items, m)
                                       for j in range(3))
        leaf_results = self.flags[3 * block: 3 * block + self.n_leaves * m].reshape(self.n_leaves, m).T
        terms = {name: self.terms[j * block: (j + 1) * block].reshape(self.n_items, m)
                 for j, name in enumerate(COMPUTED_TERMS)}
        return Evaluation(leaf_results, allowed, eligible, priority, terms, self.score[:block].reshape(-1, m))

    def key(self, m: int) -> np.ndarray:
        return self.keys[: self.n_items * m].reshape(self.n_items, m)


def evaluation(rules: RuleBase, values: np.ndarray, points: np.ndarray, level: np.ndarray,
               leaf_results: np.ndarray, out: Evaluation | None = None) -> Evaluation:
    """Eligibility, terms and scores of a batch from its rows, risk points and levels, and leaf results.

    ``out`` (from ``_Workspace``) receives the arrays instead of fresh ones.
    """
    shape = (len(rules.interventions), len(values))
    allowed = np.take(scoring_tables(rules).intensity_allowed.T, level, axis=1, mode="clip",
                      out=None if out is None else out.intensity_allowed)
    eligible = np.empty(shape, dtype=bool) if out is None else out.eligible
    priority = np.empty(shape, dtype=bool) if out is None else out.priority
    for i, iv in enumerate(rules.interventions):
        ok = eligible[i]
        if iv.model.do_not_offer:
            ok[:] = False
        else:
            np.logical_and(evaluate(iv.eligibility, leaf_results), allowed[i], out=ok)
            for node, _reason in iv.contraindications:
                ok &= ~evaluate(node, leaf_results)
        if iv.priority:
            np.logical_and(ok, evaluate(iv.priority[0], leaf_results), out=priority[i])
        else:
            priority[i] = False
    terms = match_terms(values[:, : len(rules.catalogue.factors)], points, level, rules,
                        out=None if out is None else out.terms)
    # float64, added in TERMS order: exactly what summing the terms one by one gives
    score = np.add(terms[TERMS[0]], terms[TERMS[1]], dtype=np.float64, out=None if out is None else out.score)
    for name in TERMS[2:]:
        score += terms[name]
    return Evaluation(leaf_results, allowed, eligible, priority, terms, score)
