"""Fairness by group: error rates of the "high risk" flag and calibration within each group.

A case is *flagged* when the model puts it at the high level. Per group: the false-positive rate
(flagged among those without the outcome), the false-negative rate (not flagged among those with
it), the positive predictive value (the outcome among the flagged), and calibration (mean predicted
probability against the observed rate), each with a 95% bootstrap interval (rows resampled within
the group). The false-positive-rate and false-negative-rate ratios compare each group with the largest group,
the reference, each with a 95% interval (the two groups resampled independently); the gap is the largest
difference in false-positive rate between two groups. A group smaller than ``min_group`` is reported with
``gating: false``: its rates are too uncertain to decide a promotion.
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
                seed: int = 0, min_group: int = 1) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    groups: dict[str, dict[str, Any]] = {}
    draws: dict[str, dict[str, np.ndarray]] = {}
    for label in sorted(set(labels.tolist())):
        inside = labels == label
        yg, fg = y[inside], flagged[inside]
        pg = probability[inside] if probability is not None else None
        point = _rates(yg, fg, pg)
        idx = rng.integers(0, len(yg), (BOOTSTRAP, len(yg)))
        draws[str(label)] = {k: np.asarray(v, dtype=float) for k, v in
                             _rates(yg[idx], fg[idx], pg[idx] if pg is not None else None).items()}
        row: dict[str, Any] = {"n": int(inside.sum()), "gating": bool(inside.sum() >= min_group),
                               "flagged": round(float(fg.mean()), 4)}
        for name in RATES:
            if name in point:
                value = float(point[name])
                row[name] = round(value, 4) if np.isfinite(value) else None
                row[f"{name}_ci95"] = interval(draws[str(label)][name])
        groups[str(label)] = row
    reference = max(groups, key=lambda g: groups[g]["n"])
    fprs = [g["fpr"] for g in groups.values() if g["fpr"] is not None]
    out: dict[str, Any] = {"groups": groups, "reference": reference, "min_group": min_group,
                           "fpr_gap": round(max(fprs) - min(fprs), 4) if fprs else None}
    for rate in ("fpr", "fnr"):
        ref = groups[reference][rate]
        out[f"{rate}_ratio"] = {g: (round(r[rate] / ref, 3) if ref and r[rate] is not None else None)
                                for g, r in groups.items()}
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"{rate}_ratio_ci95"] = {g: interval(draws[g][rate] / draws[reference][rate]) for g in groups}
    return out


def fairness(y: np.ndarray, flagged: np.ndarray, probability: np.ndarray | None,
             groups: dict[str, np.ndarray], seed: int = 0, min_group: int = 1) -> dict[str, Any]:
    return {column: group_table(y, flagged, probability, labels, seed, min_group) for column, labels in groups.items()}
