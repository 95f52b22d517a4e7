"""Synthetic cases and outcomes from a generative process written down in docs/training-format.md.

A latent severity ``z ~ N(0, 1)`` drives every factor: a risk factor's rating counts how many of
its two thresholds ``z_j = LOADING * z + sqrt(1 - LOADING**2) * e_j`` passes; a protective factor is
present when ``-z_j`` passes its threshold; a number of the registered history (a count, an age) grows or falls
with ``z_j`` (``numeric_values``) and never enters the outcome. Being born abroad raises the latent value of
community disorganisation only (a proxy correlation the fairness audit should see), never the
outcome. The outcome (a new offence within 12 months) is drawn from the known additive logit
``INTERCEPT + sum(COEFFICIENTS[f] * rating_f)``. Everything made here is labelled synthetic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from matcher.modelling.training_data import write_training
from matcher.rulebase.factors import UNRATED
from matcher.rulebase.loading import RuleBase
from matcher.rulebase.schema import ContextFact

LOADING = 0.6
RISK_THRESHOLDS = (0.25, 1.05)  # about 40% rated moderate or high, 15% high
PROTECTIVE_THRESHOLD = 0.0  # about 50% present (and a yes/no risk factor about 50% yes)
COUNT_LOG_MEAN, COUNT_LOG_SLOPE = 0.4, 0.8  # numeric counts (prior records): log-normal in the latent value
AGE_MEAN, AGE_SLOPE = 15.0, 2.0  # numeric ages: younger with a higher latent value
UNRATED_SHARE = 0.03
BORN_ABROAD_SHARE = 0.35
BORN_ABROAD_SHIFT = {"community_disorganization": 0.5}
FEMALE_SHARE = 0.15
TARGET = "reoffended_12m"
INTERCEPT = -1.0
COEFFICIENTS = {  # log-odds per rating step; every other factor has no effect
    "antisocial_attitudes": 0.50,
    "peer_delinquency": 0.40,
    "history_of_violence": 0.30,
    "substance_use": 0.20,
    "impulsivity": 0.10,
    "strong_attachment": -0.30,
    "prosocial_involvement": -0.60,
}


def synthetic_ratings(rules: RuleBase, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(N x F int16 ratings with UNRATED cells, N bool born abroad)."""
    cat = rules.catalogue
    z = rng.standard_normal(n)
    abroad = rng.random(n) < BORN_ABROAD_SHARE
    ratings = np.empty((n, len(cat.factors)), dtype=np.int16)
    for j, factor in enumerate(cat.factors):
        latent = LOADING * z + np.sqrt(1 - LOADING**2) * rng.standard_normal(n)
        latent += BORN_ABROAD_SHIFT.get(factor.id, 0.0) * abroad
        scale = cat.scale(factor)
        if scale.numeric:
            ratings[:, j] = numeric_values(factor.monotone == "increasing", scale.values, latent)
        elif factor.kind == "risk" and len(scale.values) == 2:
            ratings[:, j] = latent > PROTECTIVE_THRESHOLD
        elif factor.kind == "risk":
            ratings[:, j] = (latent[:, None] > np.array(RISK_THRESHOLDS)).sum(axis=1)
        else:
            ratings[:, j] = -latent > PROTECTIVE_THRESHOLD
    ratings[rng.random(ratings.shape) < UNRATED_SHARE] = UNRATED
    return ratings, abroad


def numeric_values(increasing: bool, values: list[int], latent: np.ndarray) -> np.ndarray:
    """A count that grows with the latent value (about 1.5 above the scale's lowest at z = 0, a long tail), or an
    age that falls with it (about 15 at z = 0, two years per standard deviation), within the scale."""
    raw = values[0] + np.floor(np.exp(COUNT_LOG_MEAN + COUNT_LOG_SLOPE * latent)) if increasing \
        else np.round(AGE_MEAN - AGE_SLOPE * latent)
    return np.clip(raw, values[0], values[-1])


def true_logit(rules: RuleBase, ratings: np.ndarray) -> np.ndarray:
    """The known logit of the outcome (unrated cells count as 0, as they did when drawn)."""
    beta = np.array([COEFFICIENTS.get(f.id, 0.0) for f in rules.catalogue.factors])
    return INTERCEPT + np.maximum(ratings, 0) @ beta


def synthetic_training(rules: RuleBase, n: int, seed: int) -> pd.DataFrame:
    """Rows in the training format (docs/training-format.md), labelled synthetic."""
    rng = np.random.default_rng(seed)
    ratings, abroad = synthetic_ratings(rules, rng, n)
    outcome = rng.random(n) < expit(true_logit(rules, ratings))
    frame = pd.DataFrame({"case_id": [f"SYN-{seed}-{i}" for i in range(n)], "synthetic": True,
                          "age": rng.integers(12, 18, n), "sex": np.where(rng.random(n) < FEMALE_SHARE, "F", "M"),
                          "born_abroad": np.where(abroad, "yes", "no")})
    factors = pd.DataFrame({f.id: pd.array(ratings[:, j], dtype="Int16")
                            for j, f in enumerate(rules.catalogue.factors)})
    factors = factors.mask(factors == UNRATED)
    return pd.concat([frame, factors, pd.DataFrame({TARGET: outcome.astype(np.int8)})], axis=1)


def fitting_values(fact: ContextFact, ages: np.ndarray) -> np.ndarray:
    """N x V: which of an enum fact's values fit each age (``value_ages``; a value without limits fits all)."""
    fits = np.ones((len(ages), len(fact.values or ())), dtype=bool)
    for k, value in enumerate(fact.values or ()):
        limit = fact.value_ages.get(value)
        if limit is not None:
            fits[:, k] = (ages >= limit.min) & (ages <= limit.max)
    return fits


def synthetic_cases(rules: RuleBase, n: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """Whole cases (factors from the same process, context facts drawn uniformly) for the engine."""
    rng = np.random.default_rng(seed)
    cat = rules.catalogue
    ratings, _ = synthetic_ratings(rules, rng, n)
    out = []
    for i in range(n):
        context: dict[str, Any] = {}
        for fact in sorted(cat.context, key=lambda f: f.id != "age"):  # the age first: some values depend on it
            if fact.type == "bool":
                context[fact.id] = bool(rng.random() < 0.4)
            elif fact.type == "int":
                context[fact.id] = int(rng.integers(int(fact.min or 0), int(fact.max or 0) + 1))
            else:
                fits = fitting_values(fact, np.array([context["age"]]))[0]
                context[fact.id] = str(rng.choice([v for v, ok in zip(fact.values or (), fits, strict=True) if ok]))
        factors = {f.id: int(ratings[i, j]) for j, f in enumerate(cat.factors) if ratings[i, j] != UNRATED}
        out.append((f"synthetic[{i}]", {"case_id": f"SYN-{seed}-{i}", "synthetic": True, "context": context,
                                        "factors": factors}))
    return out


def write_synthetic(rules: RuleBase, n: int, seed: int, out: Path, dialect: str = "standard") -> int:
    """``n`` synthetic rows to a .parquet file, or else to CSV in ``dialect`` (``matcher.textfiles``)."""
    frame = synthetic_training(rules, n, seed)
    if out.suffix.lower() == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        write_training(out, frame, dialect)
    return len(frame)
