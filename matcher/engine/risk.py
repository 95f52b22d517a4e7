"""Risk models behind one interface: per-factor points that sum to the score, and a risk level.

The baseline is a transparent points scorecard set by hand (``models/baseline/scorecard.yaml``,
documented in ``models/README.md``); a trained model replaces it behind the same interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from matcher.errors import Problem, RuleBaseError
from matcher.rulebase.factors import RISK_LEVELS, FactorCatalogue
from matcher.rulebase.yamlsource import YamlSyntaxError, did_you_mean, load_yaml

BASELINE = Path(__file__).resolve().parents[2] / "models" / "baseline" / "scorecard.yaml"


def shown_points(intercept: float, points: Sequence[float], decimals: int = 2) -> tuple[float, list[float], float]:
    """(intercept, points, score) rounded to ``decimals`` so that what is shown adds up: the score is the exact
    score rounded, and the intercept and points are rounded by largest remainder so that they sum to it exactly.
    A value that rounds to nothing is 0, never -0."""
    unit = 10**decimals
    exact = np.array([intercept, *points], dtype=np.float64) * unit
    total = int(np.round(exact.sum()))
    shown = np.floor(exact).astype(np.int64)
    short = total - int(shown.sum())  # 0 .. len(exact): floors lose less than one unit each
    shown[np.argsort(-(exact - np.floor(exact)), kind="stable")[:short]] += 1
    values = [int(v) / unit for v in shown]
    return values[0], values[1:], total / unit


def shown_points_of_batch(risk_score: np.ndarray, points: np.ndarray) -> tuple[list[list[int]], list[list[int]]]:
    """What an explanation shows of every case's risk (``explain._risk``): per case the factors shown (non-zero
    points, largest first, then in catalogue order) and the intercept, their points and the score in hundredths, as
    ``shown_points`` rounds them case by case. The cases with as many points shown are taken together: numpy adds a
    row of a contiguous matrix as it adds that row alone (pairwise along the row), so every sum is the one a case
    alone gives."""
    n = len(points)
    order = np.argsort(-np.abs(points), axis=1, kind="stable")
    counts = np.count_nonzero(points, axis=1)
    shown: list[list[int]] = [[] for _ in range(n)]
    hundredths: list[list[int]] = [[] for _ in range(n)]
    for count in np.unique(counts).tolist():
        cases = np.flatnonzero(counts == count)
        factors = np.ascontiguousarray(order[cases, :count])
        gathered = np.ascontiguousarray(np.take_along_axis(points[cases], factors, axis=1))
        intercept = risk_score[cases] - gathered.sum(axis=1).astype(np.float64)
        exact = np.column_stack([intercept, gathered.astype(np.float64)]) * 100
        total = np.round(exact.sum(axis=1)).astype(np.int64)
        floor = np.floor(exact)
        units = floor.astype(np.int64)
        short = total - units.sum(axis=1)
        ranked = np.argsort(-(exact - floor), axis=1, kind="stable")
        np.put_along_axis(units, ranked, np.take_along_axis(units, ranked, axis=1)
                          + (np.arange(count + 1) < short[:, None]), axis=1)
        for m, factors_m, units_m, total_m in zip(cases.tolist(), factors.tolist(), units.tolist(), total.tolist(),
                                                  strict=True):
            shown[m] = factors_m
            hundredths[m] = [*units_m, total_m]
    return shown, hundredths


@dataclass(frozen=True)
class RiskScores:
    """Risk of a batch: ``score == intercept + points.sum(axis=1)`` for every case."""

    points: np.ndarray  # N x F, per-factor points
    intercept: float
    score: np.ndarray  # N
    level: np.ndarray  # N, index into RISK_LEVELS
    probability: np.ndarray | None = None  # N, of the model's outcome; None for the hand-set baseline


class RiskModel(Protocol):
    @property
    def id(self) -> str: ...

    def score(self, ratings: np.ndarray) -> RiskScores: ...


class ScorecardFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    description: str
    intercept: float = 0.0
    weights: dict[str, float]
    levels: dict[str, float] = Field(description="score from which 'moderate' and 'high' begin")


@dataclass(frozen=True)
class Scorecard:
    """Points = weight x rating (a present protective factor has a negative weight)."""

    id: str
    intercept: float
    weights: np.ndarray  # F
    cut_points: np.ndarray  # score where moderate, then high, begins

    def score(self, ratings: np.ndarray) -> RiskScores:
        points = np.maximum(ratings, 0).astype(np.float32) * self.weights
        # added in factor order in float64, as the compiled loop adds them (kernel.match_scored): an accumulation
        # is one addition after another along the row, unlike np.sum's pairwise reduction
        score = self.intercept + np.cumsum(points, axis=1, dtype=np.float64)[:, -1]
        level = np.searchsorted(self.cut_points, score, side="right").astype(np.int8)
        return RiskScores(points, self.intercept, score, level)


def load_scorecard(catalogue: FactorCatalogue, path: Path = BASELINE) -> Scorecard:
    display = path.name if path != BASELINE else "models/baseline/scorecard.yaml"
    try:
        doc = load_yaml(path, display)
        card = ScorecardFile.model_validate(doc.data)
    except YamlSyntaxError as exc:
        raise RuleBaseError(exc.problems) from None
    except ValidationError as exc:
        raise RuleBaseError([Problem(display, None, ".".join(map(str, e["loc"])), e["msg"])
                             for e in exc.errors()]) from None
    problems = []
    for name, weight in card.weights.items():
        # a 0 for a factor this catalogue lacks changes nothing: an older rule base (`matcher rules diff`
        # against a revision before issue 16's history factors) loads with today's scorecard
        if name not in catalogue.factor_index and weight != 0:
            problems.append(doc.problem(("weights", name), f"unknown factor '{name}'"
                                                           f"{did_you_mean(name, catalogue.factor_index)}"))
    for factor in catalogue.factors:
        if factor.id not in card.weights:
            problems.append(doc.problem(("weights",), f"no weight for factor '{factor.id}'; "
                                                      f"give every catalogue factor a weight (0 is allowed)"))
    for factor in catalogue.factors:
        if factor.need == "welfare" and card.weights.get(factor.id, 0) != 0:
            problems.append(doc.problem(("weights", factor.id), f"'{factor.id}' is a welfare need, not a crime-risk "
                                                                f"factor; its weight must be 0 (the risk score counts "
                                                                f"criminogenic factors only; rules/README.md)"))
    if sorted(card.levels) != ["high", "moderate"] or card.levels["moderate"] >= card.levels["high"]:
        problems.append(doc.problem(("levels",), "expected 'moderate' and 'high' with moderate below high"))
    if problems:
        raise RuleBaseError(problems)
    weights = np.array([card.weights[f.id] for f in catalogue.factors], dtype=np.float32)
    cuts = np.array([card.levels[level] for level in RISK_LEVELS[1:]])
    return Scorecard(card.id, card.intercept, weights, cuts)


@dataclass(frozen=True)
class TrainedModel:
    """A trained additive model (``matcher.modelling.additive``) served from its numbers (``model.json``).

    ``columns`` are the catalogue columns of the model's factors; factor ``k`` gets ``values[k][i]`` points
    when rated ``levels[k][i]`` and 0 otherwise (lowest rating or not rated), and factors outside the model
    get 0 points. The probability of a score is ``1 / (1 + exp(-(a * score + b)))``; the level follows the
    probability: ``cut_points`` are where moderate, then high, begin.
    """

    id: str
    columns: np.ndarray  # K indices into the catalogue's factors
    levels: tuple[tuple[int, ...], ...]  # K: the rating levels that carry points
    values: tuple[tuple[float, ...], ...]  # K: their points
    intercept: float
    a: float
    b: float
    cut_points: np.ndarray  # 2 probabilities

    def score(self, ratings: np.ndarray) -> RiskScores:
        points = np.zeros(ratings.shape, dtype=np.float64)
        for column, levels, values in zip(self.columns, self.levels, self.values, strict=True):
            for rating, value in zip(levels, values, strict=True):
                points[ratings[:, column] == rating, column] = value
        score = self.intercept + points.sum(axis=1)
        from scipy.special import expit  # only a trained model needs it (0.15 s of every command's start otherwise)

        probability = np.asarray(expit(self.a * score + self.b))
        level = np.searchsorted(self.cut_points, probability, side="right").astype(np.int8)
        return RiskScores(points, self.intercept, score, level, probability)
