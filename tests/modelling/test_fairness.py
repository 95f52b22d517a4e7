"""Fairness and quality figures against values computed by hand on small tables."""

import numpy as np
import pytest

from matcher.modelling.fairness import group_table
from matcher.modelling.metrics import auc, calibration

# group a: 4 without the outcome (1 flagged), 2 with it (1 flagged)
# group b: 2 without the outcome (1 flagged), 2 with it (2 flagged)
Y = np.array([0, 0, 0, 0, 1, 1, 0, 0, 1, 1], dtype=bool)
FLAGGED = np.array([1, 0, 0, 0, 1, 0, 1, 0, 1, 1], dtype=bool)
GROUP = np.array(["a"] * 6 + ["b"] * 4)
PROBABILITY = np.array([0.5, 0.2, 0.2, 0.1, 0.6, 0.4, 0.7, 0.3, 0.8, 0.6])


def test_group_rates_match_hand_computed_values() -> None:
    table = group_table(Y, FLAGGED, PROBABILITY, GROUP)
    a, b = table["groups"]["a"], table["groups"]["b"]
    assert (a["n"], a["fpr"], a["fnr"], a["ppv"], a["observed"]) == (6, 0.25, 0.5, 0.5, 0.3333)
    assert (b["n"], b["fpr"], b["fnr"], b["ppv"], b["observed"]) == (4, 0.5, 0.0, 0.6667, 0.5)
    assert a["mean_predicted"] == pytest.approx(2.0 / 6, abs=1e-4) and b["mean_predicted"] == 0.6
    assert table["reference"] == "a"
    assert table["fpr_ratio"] == {"a": 1.0, "b": 2.0}
    assert table["fpr_gap"] == 0.25
    low, high = a["fpr_ci95"]
    assert 0 <= low <= 0.25 <= high <= 1


def test_auc_counts_ties_as_one_half_and_calibration_bins_are_exact() -> None:
    assert auc(np.array([0, 0, 1, 1], dtype=bool), np.array([0.1, 0.5, 0.5, 0.9])) == 0.875
    cal = calibration(Y, PROBABILITY)
    assert cal["brier"] == round(float(np.mean((PROBABILITY - Y) ** 2)), 4)
    assert cal["calibration_table"][0] == {"bin": "0.1-0.2", "n": 1, "mean_predicted": 0.1, "observed": 0.0}
    # ECE: sum over bins of share x |mean predicted - observed rate|
    bins = np.minimum((PROBABILITY * 10).astype(int), 9)
    expected = sum((bins == k).mean() * abs(PROBABILITY[bins == k].mean() - Y[bins == k].mean())
                   for k in np.unique(bins))
    assert cal["ece"] == round(expected, 4)
