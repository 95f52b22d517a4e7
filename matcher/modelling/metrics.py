"""Quality of risk predictions: discrimination (AUC with a bootstrap interval), Brier score, calibration.

Calibration slope and intercept come from the logistic fit ``y ~ intercept + slope * logit(p)``
(ideal: 0 and 1). The expected calibration error (ECE) and the calibration table use ten
equal-width bins of predicted probability: ECE = sum over bins of (n_bin / N) * |mean p - rate|.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import logit
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression

BOOTSTRAP = 200
BINS = 10


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count one half)."""
    ranks = rankdata(score)
    pos = int(y.sum())
    neg = len(y) - pos
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def interval(values: np.ndarray) -> list[float | None]:
    """The 2.5 and 97.5 percentiles of the finite draws; [None, None] (no interval) when none is finite."""
    finite = values[np.isfinite(values)]
    return [round(float(v), 4) for v in np.percentile(finite, [2.5, 97.5])] if len(finite) else [None, None]


def auc_with_interval(y: np.ndarray, score: np.ndarray, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    draws = np.empty(BOOTSTRAP)
    for b in range(BOOTSTRAP):
        idx = rng.integers(0, len(y), len(y))
        yb = y[idx]
        draws[b] = auc(yb, score[idx]) if 0 < yb.sum() < len(yb) else np.nan
    return {"auc": round(auc(y, score), 4), "auc_ci95": interval(draws)}


def calibration(y: np.ndarray, probability: np.ndarray) -> dict[str, Any]:
    p = np.clip(probability, 1e-6, 1 - 1e-6)
    fit = LogisticRegression(C=1e6).fit(logit(p)[:, None], y)
    bins = np.minimum((p * BINS).astype(int), BINS - 1)
    table = []
    ece = 0.0
    for b in range(BINS):
        inside = bins == b
        if inside.any():
            mean_p, rate = float(p[inside].mean()), float(y[inside].mean())
            ece += inside.mean() * abs(mean_p - rate)
            table.append({"bin": f"{b / BINS:.1f}-{(b + 1) / BINS:.1f}", "n": int(inside.sum()),
                          "mean_predicted": round(mean_p, 4), "observed": round(rate, 4)})
    return {"brier": round(float(np.mean((p - y) ** 2)), 4),
            "calibration_slope": round(float(fit.coef_[0, 0]), 3),
            "calibration_intercept": round(float(fit.intercept_[0]), 3),
            "ece": round(float(ece), 4), "calibration_table": table}
