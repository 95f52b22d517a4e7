"""Fairness by group: error rates of the "high risk" flag and calibration within each group.

A case is *flagged* when the model puts it at the high level. Per group: the false-positive rate
(flagged among those without the outcome), the false-negative rate (not flagged among those with
it), the positive predictive value (the outcome among the flagged), and calibration (mean predicted
probability against the observed rate), each with a 95% bootstrap interval (rows resampled within
the group). The false-positive-rate ratio compares each group with the largest group, the
reference; the gap is the largest difference in false-positive rate between two groups.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.modelling.metrics import BOOTSTRAP, interval

RATES = ("fpr", "fnr", "ppv", "mean_predicted", "observed")


def _rates(y: np.ndarray, flagged: np.ndarray, probability: np.ndarray | None) -> dict[str, np.ndarray]:
    """Each rate along the last axis (works for one sample or a stack of bootstrap samples)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {"fpr": (flagged & ~y).sum(-1) / (~y).sum(-1),
               "fnr": (~flagged & y).sum(-1) / y.sum(-1),
               "ppv": (flagged & y).sum(-1) / flagged.sum(-1),
               "observed": y.mean(-1)}
    if probability is not None:
        out["mean_predicted"] = probability.mean(-1)
    return out


def group_table(y: np.ndarray, flagged: np.ndarray, probability: np.ndarray | None, labels: np.ndarray,
                seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    groups: dict[str, dict[str, Any]] = {}
    for label in sorted(set(labels.tolist())):
        inside = labels == label
        yg, fg = y[inside], flagged[inside]
        pg = probability[inside] if probability is not None else None
        point = _rates(yg, fg, pg)
        idx = rng.integers(0, len(yg), (BOOTSTRAP, len(yg)))
        draws = _rates(yg[idx], fg[idx], pg[idx] if pg is not None else None)
        row: dict[str, Any] = {"n": int(inside.sum()), "flagged": round(float(fg.mean()), 4)}
        for name in RATES:
            if name in point:
                value = float(point[name])
                row[name] = round(value, 4) if np.isfinite(value) else None
                row[f"{name}_ci95"] = interval(np.asarray(draws[name]))
        groups[str(label)] = row
    reference = max(groups, key=lambda g: groups[g]["n"])
    ref_fpr = groups[reference]["fpr"]
    fprs = [g["fpr"] for g in groups.values() if g["fpr"] is not None]
    return {
        "groups": groups,
        "reference": reference,
        "fpr_ratio": {g: (round(r["fpr"] / ref_fpr, 3) if ref_fpr and r["fpr"] is not None else None)
                      for g, r in groups.items()},
        "fpr_gap": round(max(fprs) - min(fprs), 4) if fprs else None,
    }


def fairness(y: np.ndarray, flagged: np.ndarray, probability: np.ndarray | None,
             groups: dict[str, np.ndarray], seed: int = 0) -> dict[str, Any]:
    return {column: group_table(y, flagged, probability, labels, seed) for column, labels in groups.items()}
