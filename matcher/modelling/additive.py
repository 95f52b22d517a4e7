"""Additive, readable risk models as scikit-learn estimators over factor ratings.

Input ``X`` is N x K factor ratings (``UNRATED`` = -1 where a factor was not rated). Each factor is
one-hot encoded by rating level against the reference "lowest rating or not rated", so a factor
rated low or not rated gets 0 points and every other rating gets the points of its level. Both
models explain a prediction exactly: ``decision_function(X) == intercept_ + points(X).sum(axis=1)``.

- ``AdditiveLogistic``: L2 logistic regression; the penalty is chosen by cross-validated log loss,
  so the probabilities are the model's own (calibration is measured, in the card).
- ``IntegerScorecard``: a sparse (L1) logistic regression (the penalty with the best cross-validated log
  loss, loosened step by step when it leaves no factor at all), scaled so the strongest level is worth
  ``max_points`` and rounded to whole points a person can add up by hand; the probability of a
  total is a logistic curve fitted to the totals (``a_ * score + b_``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold

CS = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
SCORECARD_CS = (0.003, 0.01, 0.03, 0.1)  # liblinear has no warm start along the path: a shorter grid


def indicators(X: np.ndarray, levels: Sequence[Sequence[int]]) -> np.ndarray:
    """N x (levels over all factors) 0/1 matrix: column (j, v) is 1 where factor j is rated v."""
    return np.column_stack([X[:, j] == v for j, lv in enumerate(levels) for v in lv]).astype(np.float64)


class _Additive(ClassifierMixin, BaseEstimator, ABC):
    levels: Sequence[Sequence[int]]
    Cs: Sequence[float]
    folds: int
    random_state: int
    coef_: np.ndarray  # one per level column
    intercept_: float

    def _owner_matrix(self) -> np.ndarray:
        owner = np.array([j for j, lv in enumerate(self.levels) for _ in lv])
        out = np.zeros((len(owner), len(self.levels)))
        out[np.arange(len(owner)), owner] = self.coef_
        return out

    def points(self, X: np.ndarray) -> np.ndarray:
        """N x K per-factor points; with ``intercept_`` they sum to ``decision_function``."""
        return np.asarray(indicators(X, self.levels) @ self._owner_matrix())

    def level_points(self) -> list[tuple[int, int, float]]:
        """(factor column, rating level, points) for every level above the reference."""
        pairs = [(j, v) for j, lv in enumerate(self.levels) for v in lv]
        return [(j, v, float(c)) for (j, v), c in zip(pairs, self.coef_, strict=True)]

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.intercept_ + self.points(X).sum(axis=1))

    @abstractmethod
    def probability(self, score: np.ndarray) -> np.ndarray:
        """The probability of the outcome for a score (``decision_function``)."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = self.probability(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_)[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def _search(self, Z: np.ndarray, y: np.ndarray, l1_ratio: float, solver: str) -> LogisticRegressionCV:
        folds = StratifiedKFold(self.folds, shuffle=True, random_state=self.random_state)
        return LogisticRegressionCV(Cs=list(self.Cs), cv=folds, scoring="neg_log_loss",
                                    l1_ratios=(l1_ratio,), solver=solver, max_iter=2000,
                                    use_legacy_attributes=False).fit(Z, y)


class AdditiveLogistic(_Additive):
    def __init__(self, levels: Sequence[Sequence[int]] = (), Cs: Sequence[float] = CS, folds: int = 5,
                 random_state: int = 0):
        self.levels = levels
        self.Cs = Cs
        self.folds = folds
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> AdditiveLogistic:
        search = self._search(indicators(X, self.levels), y, 0.0, "lbfgs")
        self.C_ = float(np.ravel(search.C_)[0])
        self.coef_ = np.asarray(search.coef_[0], dtype=np.float64)
        self.intercept_ = float(np.ravel(search.intercept_)[0])
        self.classes_ = np.array([False, True])
        return self

    def probability(self, score: np.ndarray) -> np.ndarray:
        return np.asarray(expit(score))


class IntegerScorecard(_Additive):
    def __init__(self, levels: Sequence[Sequence[int]] = (), max_points: int = 5, Cs: Sequence[float] = SCORECARD_CS,
                 folds: int = 5, random_state: int = 0):
        self.levels = levels
        self.max_points = max_points
        self.Cs = Cs
        self.folds = folds
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> IntegerScorecard:
        Z = indicators(X, self.levels)
        search = self._search(Z, y, 1.0, "liblinear")
        self.C_ = float(np.ravel(search.C_)[0])
        weights = np.asarray(search.coef_[0], dtype=np.float64)
        for C in (c for c in CS if c > self.C_):  # the best penalty left no factor: loosen it
            if np.abs(weights).max() > 0:
                break
            self.C_ = C
            weights = LogisticRegression(C=C, l1_ratio=1.0, solver="liblinear", max_iter=2000).fit(Z, y).coef_[0]
        top = np.abs(weights).max()
        if top == 0:
            raise ValueError(f"no factor level keeps a non-zero weight at any penalty up to C={CS[-1]}; "
                             f"no scorecard can be made from these data")
        self.coef_ = np.round(weights * self.max_points / top)
        self.intercept_ = 0.0
        totals = Z @ self.coef_
        curve = LogisticRegression(C=1e6).fit(totals[:, None], y)
        self.a_, self.b_ = float(curve.coef_[0, 0]), float(curve.intercept_[0])
        self.classes_ = np.array([False, True])
        return self

    def probability(self, score: np.ndarray) -> np.ndarray:
        return np.asarray(expit(self.a_ * score + self.b_))
