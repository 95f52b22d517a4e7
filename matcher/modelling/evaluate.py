"""The same figures for any model on any data with the right columns: quality, calibration, fairness.

A model with a probability (a trained model) gets every figure; the hand-set baseline scorecard has a
score and levels but no probability, so it gets discrimination and the fairness of its high level.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.engine.risk import RiskModel, RiskScores
from matcher.errors import InputError
from matcher.modelling.fairness import fairness
from matcher.modelling.metrics import auc_with_interval, calibration
from matcher.modelling.training_data import TrainingData
from matcher.rulebase.factors import RISK_LEVELS, UNRATED
from matcher.rulebase.loading import RuleBase

HIGH = RISK_LEVELS.index("high")
IN_SAMPLE_NOTE = ("in-sample: these are the data the model was trained on, so the figures are better than the "
                  "model will do on new young people; the card's cross-validated figures are the honest ones")


def assessment(y: np.ndarray, score: np.ndarray, probability: np.ndarray | None, level: np.ndarray,
               groups: dict[str, np.ndarray], seed: int = 0, min_group: int = 1) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": len(y), "base_rate": round(float(y.mean()), 4),
                           **auc_with_interval(y, score, seed)}
    if probability is not None:
        out.update(calibration(y, probability))
    out["levels"] = [{"level": name, "n": int((level == code).sum()),
                      "observed": round(float(y[level == code].mean()), 4) if (level == code).any() else None}
                     for code, name in enumerate(RISK_LEVELS)]
    out["fairness"] = fairness(y, level == HIGH, probability, groups, seed, min_group)
    return out


def catalogue_ratings(data: TrainingData, rules: RuleBase) -> np.ndarray:
    """The data's ratings as the engine sees them: N x F catalogue columns, UNRATED where absent."""
    ratings = np.full((data.rows, len(rules.catalogue.factors)), UNRATED, dtype=np.int16)
    for k, name in enumerate(data.features):
        ratings[:, rules.catalogue.factor_index[name]] = data.X[:, k]
    return ratings


def evaluate_model(model: RiskModel, card: dict[str, Any] | None, data: TrainingData,
                   rules: RuleBase) -> tuple[dict[str, Any], RiskScores]:
    """Score ``data`` with ``model`` exactly as the engine would and assess the result. A trained model (with a
    probability) is judged at the policy's levels, like its card; ``in_sample`` says when ``data`` is the very
    file the model was trained on (its card's SHA-256), whose figures flatter the model."""
    missing = [f for f in (card or {}).get("features", []) if f not in data.features]
    if missing:
        raise InputError(f"{data.source}: no ratings for {', '.join(missing)}, which model {model.id} uses; "
                         f"the data rates: {', '.join(data.features)}")
    risk = model.score(catalogue_ratings(data, rules))
    gates = rules.policy.model_gates
    cuts = np.array([gates.levels["moderate"], gates.levels["high"]])
    level = risk.level if risk.probability is None else np.searchsorted(cuts, risk.probability, side="right")
    in_sample = bool(card and card["data"].get("sha256") == data.sha256)
    report = {"model": model.id, "data": data.fingerprint(), "target": data.target, "in_sample": in_sample,
              **({"in_sample_note": IN_SAMPLE_NOTE} if in_sample else {}),
              **assessment(data.y, risk.score, risk.probability, level, data.groups, 0, gates.min_group_size)}
    return report, risk
