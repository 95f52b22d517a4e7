"""match(): the whole flow for a batch of cases, columnar from end to end, in chunks.

cases -> risk (points, level) -> leaf results -> eligibility -> terms -> score -> top-k.
One case is a batch of one; the page, the command line and bulk runs all call ``match_matrix``.
With a points scorecard (the baseline) the compiled loop (``matcher.engine.kernel``) does everything in one call,
the scorecard included, in the same steps as ``Scorecard.score`` (no numpy pass, no points array). Another risk
model works through the batch in chunks: it scores a chunk (numpy), then the compiled loop does the rest.
What is kept per case is small and columnar (top-k,
risk score and level, one bit per leaf condition). What else an explanation shows (terms, eligibility of every
insats) the loop keeps when asked (``keep_pairs``: ``match`` of a list of cases and explained population runs
do); for a case of a batch that did not keep them, the loop runs again on that case alone
(``MatchResult.detail``). ``evaluation`` computes the same matrices with numpy, operation by operation as the
loop does: the reference the loop is tested against (tests/engine/test_ranking.py), bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from matcher.engine.cases import CaseBatch
from matcher.engine.kernel import (
    CONDITIONS_MET,
    ELIGIBLE,
    PRIORITISED_PAIR,
    PairArrays,
    ScorecardArrays,
    match_cases,
    match_scored,
)
from matcher.engine.kernel_tables import kernel_tables
from matcher.engine.risk import RiskModel, RiskScores, Scorecard
from matcher.engine.scoring import NOT_SCORED, TERMS, gate_levels, match_terms, need_points, scoring_tables
from matcher.rulebase.conditions import evaluate
from matcher.rulebase.loading import RuleBase

CHUNK = 4096  # cases per step: the risk model's points for a chunk (540 kB) stay in the cache for the compiled loop


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
    """A batch through the rule base in numpy, intervention-major (I x N): the reference for the compiled loop."""

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
    conditions_met: np.ndarray  # I
    terms: dict[str, np.ndarray]  # name -> I
    score: np.ndarray  # I


@dataclass(frozen=True, eq=False)
class MatchResult:
    """Columnar results: per case the top-k, the risk and one bit per leaf condition.

    ``explain.py`` turns one case at a time into words through ``detail``. The full N x I matrices
    (``eligible``, ``terms``, ``score``, ...) are the kept pairs, or computed on first access by the compiled loop
    run again over the batch (for analyses of small batches: about 1 kB a case).
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
    top_score: np.ndarray | None = None  # N x k scores of ``top`` (NaN where -1), when asked for (``scores=True``)
    pairs: PairArrays | None = None  # what the loop computed per (case, insats), when asked for (``keep_pairs``)

    def __len__(self) -> int:
        return len(self.values)

    def case_id(self, n: int) -> str:
        return self.ids[n] if self.ids is not None else f"case-{n + 1}"

    def detail(self, n: int) -> CaseDetail:
        """Case n's row of what the compiled loop computed per insats (its pairs); where the batch has not kept
        them, from the case matched again alone, keeping them (a case gets the same bits alone as in any batch,
        see ``kernel``), rather than the whole batch again."""
        pairs = self.pairs if self.pairs is not None else self.__dict__.get("_pairs")
        if pairs is None:
            return match_matrix(self.values[n: n + 1], self.rules, self.model, self.top.shape[1],
                                keep_pairs=True).detail(0)
        tables = kernel_tables(self.rules)
        level = int(pairs.gate[n])
        fits, flags = pairs.fits[n], pairs.flags[n]
        terms = {"need_fit": fits[0], "intensity_fit": tables.intensity_fit[level], "evidence": tables.evidence,
                 "protective_leverage": fits[1]}
        return CaseDetail(self.values[n], int(self.level[n]), float(self.risk_score[n]), pairs.points[n],
                          pairs.needs[n], [int(i) for i in self.top[n] if i >= 0], self.leaf_results[n],
                          tables.allowed[level], flags & ELIGIBLE != 0, flags & PRIORITISED_PAIR != 0,
                          flags & CONDITIONS_MET != 0, {name: terms[name] for name in TERMS}, pairs.score[n])

    # ------------------------------------------------------------ the full matrices, on demand

    @cached_property
    def cases(self) -> CaseBatch:
        return CaseBatch(tuple(self.case_id(n) for n in range(len(self))), self.synthetic, self.values)

    @cached_property
    def risk(self) -> RiskScores:
        scores = self.model.score(self.values[:, : len(self.rules.catalogue.factors)])
        return RiskScores(scores.points, scores.intercept, self.risk_score, self.level)

    @cached_property
    def leaf_results(self) -> np.ndarray:  # N x L
        return self.rules.leaves.unpack(self.leaf_bits)

    @cached_property
    def _pairs(self) -> PairArrays:
        """Every pair of the batch: as kept when matched, or from the compiled loop run again over it, keeping them."""
        if self.pairs is not None:
            return self.pairs
        again = match_matrix(self.values, self.rules, self.model, self.top.shape[1], keep_pairs=True).pairs
        assert again is not None
        return again

    @property
    def points(self) -> np.ndarray:  # N x F: the risk model's points, as the loop read them
        return self._pairs.points

    @property
    def needs(self) -> np.ndarray:  # N x F need profile
        return self._pairs.needs

    @property
    def intensity_allowed(self) -> np.ndarray:  # N x I
        return kernel_tables(self.rules).allowed[self._pairs.gate]

    @property
    def eligible(self) -> np.ndarray:  # N x I
        return self._pairs.flags & ELIGIBLE != 0

    @property
    def priority(self) -> np.ndarray:  # N x I
        return self._pairs.flags & PRIORITISED_PAIR != 0

    @property
    def conditions_met(self) -> np.ndarray:  # N x I: the eligibility tree holds, whatever else rules it out
        return self._pairs.flags & CONDITIONS_MET != 0

    @property
    def terms(self) -> dict[str, np.ndarray]:  # name -> N x I
        tables, fits = kernel_tables(self.rules), self._pairs.fits
        terms = {"need_fit": fits[:, 0], "intensity_fit": tables.intensity_fit[self._pairs.gate],
                 "evidence": np.broadcast_to(tables.evidence, (len(self), len(tables.evidence))),
                 "protective_leverage": fits[:, 1]}
        return {name: terms[name] for name in TERMS}

    @property
    def score(self) -> np.ndarray:  # N x I
        return self._pairs.score


def match(cases: CaseBatch, rules: RuleBase, model: RiskModel, top_k: int | None = None) -> MatchResult:
    """Match encoded cases (``encode_cases`` / ``read_cases``), keeping the pairs that explaining them reads."""
    return match_matrix(cases.values, rules, model, top_k, ids=cases.ids, synthetic=cases.synthetic, keep_pairs=True)


def match_matrix(values: np.ndarray, rules: RuleBase, model: RiskModel, top_k: int | None = None, *,
               ids: tuple[str, ...] | None = None, synthetic: np.ndarray | bool = False,
               chunk: int = CHUNK, scores: bool = False, keep_pairs: bool = False) -> MatchResult:
    """Match a pre-encoded N x (F + C) case matrix (the ``CaseBatch.values`` layout; int8 holds every code).

    For bulk runs: no Python object is made per case, and memory beyond the input and the result is a
    few chunk-sized work arrays. Column-major input reads fastest. ``scores``: keep the score of each of the
    top k (``MatchResult.top_score``, 8 bytes per case and rank; without it they are not written). ``keep_pairs``: keep
    every pair's eligibility, fits and score, and every case's points, need profile and gate level
    (``MatchResult.pairs``, ``PairArrays``: about 1 kB a case), which explaining the cases reads (``detail``)
    instead of matching each again.
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
    top = np.empty((n, k), dtype=index_dtype(len(rules.interventions)))
    risk_score = np.empty(n, dtype=np.float64)
    level = np.empty(n, dtype=np.int8)
    leaf_bits = np.empty((n, -(-len(rules.leaves.leaves) // 8)), dtype=np.uint8)
    top_score = np.empty((n if scores else 0, k), dtype=np.float64)
    kept = PairArrays.of(n if keep_pairs else 0, len(rules.interventions), n_factors, isinstance(model, Scorecard))
    tables = kernel_tables(rules)
    if isinstance(model, Scorecard):  # the points model is computed in the compiled loop, case by case
        if n:  # no case, no call: the loop's first call per input type loads it from numba's cache (0.2 s)
            match_scored(tables, scorecard_arrays(rules, model), values, risk_score, level, top, top_score,
                         leaf_bits, kept)
        return _result(rules, model, values, ids, synthetic, top, risk_score, level, leaf_bits,
                       top_score if scores else None, kept if keep_pairs else None)
    ratings_buffer = np.empty(min(chunk, n) * n_factors, dtype=values.dtype)
    points = []  # the model's, in its own type, kept with the pairs
    for start in range(0, n, chunk):
        part = slice(start, start + chunk)
        rows = values[part]
        # Row-major ratings: the model's per-case sums run along contiguous rows, as they do for a case alone.
        ratings = ratings_buffer[: len(rows) * n_factors].reshape(len(rows), n_factors)
        np.copyto(ratings, rows[:, :n_factors])
        risk = model.score(ratings)
        match_cases(tables, values, start, start + len(rows), need_points(rules, ratings, risk.points),
                    gate_levels(rules, rows, risk.level), top[part], top_score[part], leaf_bits[part],
                    kept.rows(part))
        risk_score[part] = risk.score
        level[part] = risk.level
        if keep_pairs:
            points.append(risk.points)
    return _result(rules, model, values, ids, synthetic, top, risk_score, level, leaf_bits,
                   top_score if scores else None,
                   replace(kept, points=np.concatenate(points) if points else kept.points) if keep_pairs else None)


def _result(rules: RuleBase, model: RiskModel, values: np.ndarray, ids: tuple[str, ...] | None,
            synthetic: np.ndarray | bool, top: np.ndarray, risk_score: np.ndarray, level: np.ndarray,
            leaf_bits: np.ndarray, top_score: np.ndarray | None, pairs: PairArrays | None) -> MatchResult:
    version = Version(rules.content_hash, model.id, rules.evidence_snapshot.isoformat())
    flags = np.broadcast_to(np.asarray(synthetic, dtype=bool), (len(values),))
    return MatchResult(rules, model, version, values, ids, flags, top, risk_score, level, leaf_bits, top_score,
                       pairs)


def scorecard_arrays(rules: RuleBase, model: Scorecard) -> ScorecardArrays:
    """What the compiled loop needs to compute a points scorecard, its need points and gate level itself."""
    welfare = np.zeros(len(rules.catalogue.factors), dtype=bool)
    welfare[scoring_tables(rules).welfare_columns] = True
    return ScorecardArrays(model.weights.astype(np.float32), welfare, np.float32(rules.policy.welfare_need_points),
                           float(model.intercept), np.asarray(model.cut_points, dtype=np.float64),
                           rules.catalogue.context_index["age"], rules.policy.risk_score_min_age, NOT_SCORED)


def index_dtype(n_items: int) -> type[np.signedinteger]:
    return np.int8 if n_items < 128 else np.int16 if n_items < 32768 else np.int32


def evaluation(rules: RuleBase, values: np.ndarray, points: np.ndarray, level: np.ndarray,
               leaf_results: np.ndarray) -> Evaluation:
    """Eligibility, terms and scores of a batch from its rows, risk points and levels, and leaf results."""
    shape = (len(rules.interventions), len(values))
    level = gate_levels(rules, values, level)
    allowed = np.take(scoring_tables(rules).intensity_allowed.T, level, axis=1, mode="clip")
    eligible = np.empty(shape, dtype=bool)
    priority = np.empty(shape, dtype=bool)
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
    terms, score = scores(rules, values, need_points(rules, values[:, : len(rules.catalogue.factors)], points), level)
    return Evaluation(leaf_results, allowed, eligible, priority, terms, score)


def scores(rules: RuleBase, values: np.ndarray, needed: np.ndarray,
           level: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The terms (I x N each) and their sum, the score (I x N float64), from the points the need profile reads
    (``need_points``) and the gate level."""
    terms = match_terms(values[:, : len(rules.catalogue.factors)], needed, level, rules)
    # float64, added in TERMS order: exactly what summing the terms one by one gives
    score = np.add(terms[TERMS[0]], terms[TERMS[1]], dtype=np.float64)
    for name in TERMS[2:]:
        score += terms[name]
    return terms, score
