"""The binned additive model: ratings and numbers (counts, ages) as steps, with monotone points where the
direction is known, fitted by penalised logistic regression.

Each feature becomes step columns. A rating factor steps at each level above its lowest ("rated at least v");
a numeric factor (a count or an age) steps at cut points taken from the training rows' quantiles (at most 4
or 8 bins, whichever the inner cross-validation prefers). A step's weight is what that step adds, so a value's
points are the sum of the steps it has passed, and a blank (unknown) value gets 0 points, like the lowest-risk
end of its scale.

``monotone=True`` bounds every step's sign by the known direction: a risk rating, a count of prior records,
never lower the points as they grow; a protective factor never raises them; an age at the offence whose
``monotone`` is ``decreasing`` steps downwards (an unknown age counts as the oldest bin). ``monotone=False``
leaves the signs free (its points may wander, and the card flags it). The penalty ``C`` and the constraint are
chosen together with the bins by inner cross-validated log loss, so training inside an outer fold is a nested choice.
``decision_function(X) == intercept_ + points(X).sum(axis=1)`` exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold

from matcher.rulebase.factors import UNRATED
from matcher.rulebase.schema import Factor, Scale

CS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
BINS = (4, 8)  # the most bins of a numeric feature: chosen by the inner cross-validation
CONSTRAINTS = (True, False)


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: its scale's values, whether they are numbers, and the direction of risk (+1 more risk as
    the value grows, -1 less)."""

    values: tuple[int, ...]
    numeric: bool
    direction: int


def direction(factor: Factor, scale: Scale) -> int:
    """+1 where risk grows with the value (a risk rating, an increasing number such as prior records), -1 where
    it falls (a protective rating, a decreasing number such as the age at the offence)."""
    up = factor.monotone == "increasing" if scale.numeric else factor.kind == "risk"
    return 1 if up else -1


def spec_of(factor: Factor, scale: Scale) -> FeatureSpec:
    return FeatureSpec(tuple(scale.values), scale.numeric, direction(factor, scale))


def cut_points(column: np.ndarray, spec: FeatureSpec, bins: int) -> tuple[int, ...]:
    """Where the steps of a feature lie: every level above the lowest for a rating; for a number, the distinct
    quantiles of the known values (at most ``bins - 1`` cuts), each the lowest value of the bin above it."""
    if not spec.numeric:
        return tuple(v for v in spec.values if v > spec.values[0])
    known = column[column != UNRATED]
    if len(known) == 0:
        return ()
    quantiles = np.quantile(known, np.linspace(0, 1, bins + 1)[1:-1], method="higher")
    return tuple(sorted({int(q) for q in quantiles if q > known.min()}))


def steps(X: np.ndarray, specs: Sequence[FeatureSpec], cuts: Sequence[Sequence[int]]) -> np.ndarray:
    """N x (steps over all features) 0/1 matrix. An increasing step is "value >= cut"; a decreasing one
    (numbers whose risk falls as they grow) is "known and value < cut"."""
    out = []
    for j, (spec, feature_cuts) in enumerate(zip(specs, cuts, strict=True)):
        x = X[:, j]
        for c in feature_cuts:
            out.append((x >= c) if spec.direction >= 0 or not spec.numeric else ((x != UNRATED) & (x < c)))
    return np.column_stack(out).astype(np.float64) if out else np.zeros((len(X), 0))


def _bounds(specs: Sequence[FeatureSpec], cuts: Sequence[Sequence[int]], monotone: bool) -> list[tuple]:
    """Sign bounds of each step: non-negative where the step adds risk, non-positive where it takes it off."""
    out: list[tuple] = []
    for spec, feature_cuts in zip(specs, cuts, strict=True):
        sign = 1 if spec.numeric else spec.direction  # a decreasing number's step "value < cut" adds risk
        bound = (0.0, None) if sign > 0 else (None, 0.0)
        out += [bound if monotone and spec.direction != 0 else (None, None)] * len(feature_cuts)
    return [*out, (None, None)]  # the intercept is free


def fit_logistic(Z: np.ndarray, y: np.ndarray, C: float, bounds: list[tuple],
                 start: np.ndarray | None = None) -> np.ndarray:
    """Weights (steps, then the intercept) minimising log loss + ||w||^2 / (2 C n), under ``bounds``."""
    n = len(y)
    sign = np.where(y, 1.0, -1.0)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        margin = sign * (Z @ w[:-1] + w[-1])
        value = -log_expit(margin).sum() / n + (w[:-1] @ w[:-1]) / (2 * C * n)
        g = -sign * expit(-margin) / n
        return float(value), np.append(Z.T @ g + w[:-1] / (C * n), g.sum())

    w0 = np.zeros(Z.shape[1] + 1) if start is None else start
    result = minimize(loss, w0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 2000})
    return np.asarray(result.x)


def _log_loss(y: np.ndarray, margin: np.ndarray) -> float:
    return float(-log_expit(np.where(y, margin, -margin)).mean())


class BinnedAdditive(ClassifierMixin, BaseEstimator):
    def __init__(self, specs: Sequence[FeatureSpec] = (), Cs: Sequence[float] = CS,
                 constraints: Sequence[bool] = CONSTRAINTS, bins: Sequence[int] = BINS, folds: int = 5,
                 random_state: int = 0):
        self.specs = specs
        self.bins = bins
        self.Cs = Cs
        self.constraints = constraints
        self.folds = folds
        self.random_state = random_state

    def _cuts(self, X: np.ndarray, bins: int) -> tuple[tuple[int, ...], ...]:
        return tuple(cut_points(X[:, j], spec, bins) for j, spec in enumerate(self.specs))

    def _path(self, X: np.ndarray, y: np.ndarray, monotone: bool, cuts: tuple[tuple[int, ...], ...]) \
            -> list[np.ndarray]:
        """Weights for each C (strongest penalty first, each fit started from the one before)."""
        Z, bounds = steps(X, self.specs, cuts), _bounds(self.specs, cuts, monotone)
        out, start = [], None
        for C in self.Cs:
            start = fit_logistic(Z, y, C, bounds, start)
            out.append(start)
        return out

    def fit(self, X: np.ndarray, y: np.ndarray) -> BinnedAdditive:
        """Choose (constraint, bins, C) by inner cross-validated log loss, then fit on every row."""
        y = np.asarray(y, dtype=bool)
        grid = [(monotone, bins) for monotone in self.constraints for bins in self.bins]
        losses = np.zeros((len(grid), len(self.Cs)))
        for train, test in StratifiedKFold(self.folds, shuffle=True, random_state=self.random_state).split(X, y):
            for k, (monotone, bins) in enumerate(grid):
                cuts = self._cuts(X[train], bins)
                Z_test = steps(X[test], self.specs, cuts)
                for m, w in enumerate(self._path(X[train], y[train], monotone, cuts)):
                    losses[k, m] += _log_loss(y[test], Z_test @ w[:-1] + w[-1]) * len(test)
        k, m = (int(i) for i in np.unravel_index(int(np.argmin(losses)), losses.shape))
        (self.monotone_, self.bins_), self.C_ = grid[k], float(self.Cs[m])
        self.cuts_ = self._cuts(X, self.bins_)
        w = fit_logistic(steps(X, self.specs, self.cuts_), y, self.C_, _bounds(self.specs, self.cuts_, self.monotone_))
        self.coef_, self.intercept_ = w[:-1], float(w[-1])
        self.classes_ = np.array([False, True])
        return self

    def value_points(self, j: int) -> dict[int, float]:
        """The points of every value on feature ``j``'s scale (0 for those below the first step)."""
        start = sum(len(c) for c in self.cuts_[:j])
        column = np.array(self.specs[j].values, dtype=np.int16)[:, None]
        Z = steps(column, [self.specs[j]], [self.cuts_[j]])
        points = Z @ self.coef_[start: start + len(self.cuts_[j])]
        return {int(v): float(p) for v, p in zip(self.specs[j].values, points, strict=True)}

    def level_points(self) -> list[tuple[int, int, float]]:
        """(feature column, value, points) for every value with points other than 0: the artefact's numbers."""
        return [(j, v, p) for j in range(len(self.specs)) for v, p in self.value_points(j).items() if p != 0]

    def points(self, X: np.ndarray) -> np.ndarray:
        out = np.zeros(X.shape, dtype=np.float64)
        for j in range(len(self.specs)):
            for v, p in self.value_points(j).items():
                out[X[:, j] == v, j] = p
        return out

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.intercept_ + self.points(X).sum(axis=1))

    def probability(self, score: np.ndarray) -> np.ndarray:
        return np.asarray(expit(score))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = self.probability(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_)[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
