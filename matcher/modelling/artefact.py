"""A trained model as data: ``model.json``, the points of every factor level, the intercept and the curve from
score to probability. Nothing in it can run: the engine serves a model from these numbers alone.

Every model here is additive (``additive.py``, ``binned.py``): the points of a factor are those of its rating
level or of its number's bin (listed value by value), so the
numbers below reproduce the fitted estimator's score and probability exactly (``TrainedModel``).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, model_validator

from matcher.engine.risk import TrainedModel
from matcher.errors import InputError
from matcher.modelling.strict_json import parse, validated
from matcher.rulebase.factors import FactorCatalogue

FORMAT = "insatsmatch-additive-1"
MAX_POINTS = 1e6  # far beyond any fitted log-odds or scorecard points


class LevelPoints(BaseModel):
    """The points of one rating level of one factor (the reference level, lowest or unrated, has 0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    factor: str = Field(min_length=1, max_length=100)
    rating: int = Field(ge=0, le=99)  # a rating level, or a value of a numeric factor (a count, an age)
    points: FiniteFloat = Field(ge=-MAX_POINTS, le=MAX_POINTS)


class ModelArtefact(BaseModel):
    """The schema of ``model.json``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["insatsmatch-additive-1"]
    id: str = Field(min_length=1, max_length=100)
    kind: Literal["binned", "logistic", "scorecard"]
    intercept: FiniteFloat = Field(ge=-MAX_POINTS, le=MAX_POINTS)
    probability: dict[Literal["a", "b"], FiniteFloat] = Field(description="probability = 1 / (1 + exp(-(a * score "
                                                                          "+ b)))")
    cut_points: tuple[FiniteFloat, FiniteFloat] = Field(description="probabilities where moderate, then high, begin")
    points: list[LevelPoints] = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> ModelArtefact:
        if sorted(self.probability) != ["a", "b"] or not 0 < self.probability["a"] <= MAX_POINTS \
                or abs(self.probability["b"]) > MAX_POINTS:
            raise ValueError("probability needs 'a' (above 0) and 'b', each within +/-1e6")
        if not 0 < self.cut_points[0] < self.cut_points[1] < 1:
            raise ValueError(f"cut_points must satisfy 0 < moderate < high < 1; found {list(self.cut_points)}")
        pairs = [(p.factor, p.rating) for p in self.points]
        twice = sorted({f"{f} {r}" for f, r in pairs if pairs.count((f, r)) > 1})
        if twice:
            raise ValueError(f"a factor's rating listed twice: {', '.join(twice)}")
        return self


def artefact(model_id: str, kind: str, features: list[str], estimator: Any, cut_points: tuple[float, float]) \
        -> dict[str, Any]:
    """``model.json`` of a fitted additive estimator (``BinnedAdditive``, ``AdditiveLogistic`` or
    ``IntegerScorecard``): the points of every value that has any."""
    points = [{"factor": features[column], "rating": int(level), "points": float(value)}
              for column, level, value in estimator.level_points()]
    a, b = (float(estimator.a_), float(estimator.b_)) if kind == "scorecard" else (1.0, 0.0)
    return {"format": FORMAT, "id": model_id, "kind": kind, "intercept": float(estimator.intercept_),
            "probability": {"a": a, "b": b}, "cut_points": [float(c) for c in cut_points],
            "points": points}


def read_artefact(data: bytes, display: str) -> ModelArtefact:
    """The artefact in ``data`` (the bytes of ``display``), checked, or a located InputError."""
    return validated(ModelArtefact, parse(data, display), display)


def served_model(model: ModelArtefact, catalogue: FactorCatalogue, display: str) -> TrainedModel:
    """The engine's model from a checked artefact whose factors and ratings the catalogue knows."""
    by_factor: dict[str, dict[int, float]] = {}
    for n, entry in enumerate(model.points):
        if entry.factor not in catalogue.factor_index:
            raise InputError(f"{display}: points[{n}].factor: the factor catalogue has no factor "
                             f"{entry.factor!r}; retrain the model on the current catalogue")
        scale = catalogue.scale(catalogue.factor(entry.factor)).values
        if entry.rating not in scale:
            raise InputError(f"{display}: points[{n}].rating: {entry.rating} is not on the scale of {entry.factor} "
                             f"({', '.join(map(str, scale))}); retrain the model")
        by_factor.setdefault(entry.factor, {})[entry.rating] = entry.points
    return TrainedModel(model.id, np.array([catalogue.factor_index[f] for f in by_factor], dtype=np.intp),
                        tuple(tuple(levels) for levels in by_factor.values()),
                        tuple(tuple(levels.values()) for levels in by_factor.values()), model.intercept,
                        model.probability["a"], model.probability["b"], np.array(model.cut_points))
