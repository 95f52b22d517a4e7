"""`matcher train`: fit an additive model, measure it by repeated cross-validation, write the model and its card.

The card's figures are out-of-fold, over ``folds`` x ``repeats`` of the policy (``model_gates``; seeds 0 ..
repeats - 1): each fold is predicted by a model fitted, every inner choice included (penalty, bins, constraint:
nested cross-validation), on the other folds. The headline figures are the means over the repeats, with their
spread (lowest and highest repeat) and the 95% bootstrap interval of the first repeat. Fairness is judged at the
policy's levels, whatever levels the model is trained to serve. The saved model is then fitted on every row.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from matcher.engine.risk import load_scorecard
from matcher.errors import InputError
from matcher.modelling.additive import AdditiveLogistic, IntegerScorecard
from matcher.modelling.artefact import artefact
from matcher.modelling.binned import BinnedAdditive, FeatureSpec, spec_of
from matcher.modelling.evaluate import assessment, catalogue_ratings
from matcher.modelling.registry import sha256
from matcher.modelling.report import write_plots
from matcher.modelling.shapes import shapes, write_shape_plot
from matcher.modelling.training_data import TrainingData
from matcher.rulebase.factors import RISK_LEVELS
from matcher.rulebase.loading import RuleBase
from matcher.rulebase.policy_schema import ModelGates

MODEL_KINDS = ("binned", "logistic", "scorecard")
UNRATED_NOTE = ("a factor not rated, or a number not known, counts as 0 points (a rating as its lowest level, a "
                "number as its lowest-risk bin), in training and in use")
GROUP_NOTE = "group columns are used only for the fairness audit, never as features"
SPREAD = ("auc", "brier", "ece")


def feature_specs(features: Sequence[str], rules: RuleBase) -> tuple[FeatureSpec, ...]:
    cat = rules.catalogue
    return tuple(spec_of(cat.factor(name), cat.scale(cat.factor(name))) for name in features)


def rating_levels(features: Sequence[str], rules: RuleBase) -> tuple[tuple[int, ...], ...]:
    cat = rules.catalogue
    return tuple(tuple(v for v in cat.scale(cat.factor(f)).values if v > 0) for f in features)


def estimator_of(kind: str, features: Sequence[str], rules: RuleBase) -> Any:
    if kind == "binned":
        return BinnedAdditive(feature_specs(features, rules))
    return {"logistic": AdditiveLogistic, "scorecard": IntegerScorecard}[kind](rating_levels(features, rules))


Progress = Callable[[int, int], None]  # (steps done, of all steps)


def out_of_fold(estimator: Any, X: np.ndarray, y: np.ndarray, folds: int, seed: int,
                tick: Callable[[], None] | None = None) -> np.ndarray:
    """Out-of-fold log-odds from stratified ``folds``-fold cross-validation shuffled with ``seed``."""
    score = np.empty(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        fitted = clone(estimator).fit(X[train], y[train])
        score[test] = fitted.decision_function(X[test])
        if isinstance(fitted, IntegerScorecard):  # each fold keeps its own score-to-probability curve
            score[test] = fitted.a_ * score[test] + fitted.b_
        if tick:
            tick()
    return score


def cross_validation(estimator: Any, data: TrainingData, gates: ModelGates,
                     tick: Callable[[], None] | None = None) -> tuple[dict[str, Any], np.ndarray]:
    """The card's ``cross_validation`` and the first repeat's out-of-fold scores (for the plots)."""
    cuts = np.array([gates.levels["moderate"], gates.levels["high"]])
    runs = []
    for seed in range(gates.repeats):
        score = out_of_fold(estimator, data.X, data.y, gates.folds, seed, tick)
        probability = 1 / (1 + np.exp(-score))
        level = np.searchsorted(cuts, probability, side="right")
        runs.append((score, assessment(data.y, score, probability, level, data.groups, seed, gates.min_group_size)))
    first = runs[0][1]
    out = {"folds": gates.folds, "repeats": gates.repeats, "seeds": list(range(gates.repeats)),
           "levels_judged": dict(gates.levels), "in_sample": False, **first}
    for name in SPREAD:
        values = [run[name] for _, run in runs]
        out[name] = round(float(np.mean(values)), 4)
        out[f"{name}_repeats"] = [round(min(values), 4), round(max(values), 4)]
    for column, table in first["fairness"].items():
        for rate in ("fpr_ratio", "fnr_ratio"):
            per_group: dict[str, list[float]] = {g: [] for g in table["groups"]}
            for _, run in runs:
                for g, value in run["fairness"][column][rate].items():
                    if value is not None:
                        per_group[g].append(value)
            table[rate] = {g: (round(float(np.mean(v)), 3) if len(v) == len(runs) else None)
                           for g, v in per_group.items()}
            table[f"{rate}_repeats"] = {g: ([round(min(v), 3), round(max(v), 3)] if v else [None, None])
                                        for g, v in per_group.items()}
    return out, runs[0][0]


def train(data: TrainingData, rules: RuleBase, kind: str, out: Path, *, cut_points: Sequence[float] | None = None,
          note: str = "", trained_by: str | None = None,
          progress: Progress | None = None) -> tuple[str, dict[str, Any]]:
    """Fit, cross-validate and write ``out/<id>/`` (model.json: the points, nothing that runs; card.json; the
    out-of-fold ROC, calibration and feature-shape plots, whose SHA-256 the card records); returns (id, card).
    ``cut_points`` are the levels the model serves (default: the policy's); ``progress`` hears of each step."""
    gates = rules.policy.model_gates
    cut_points = tuple(cut_points or (gates.levels["moderate"], gates.levels["high"]))
    if len(cut_points) != 2 or not 0 < cut_points[0] < cut_points[1] < 1:
        raise InputError(f"--levels: expected two probabilities with 0 < moderate < high < 1; "
                         f"found {' '.join(map(str, cut_points))}")
    if int(data.y.sum()) < gates.folds or int((~data.y).sum()) < gates.folds:
        raise InputError(f"{data.source}: target '{data.target}' needs at least {gates.folds} rows of each outcome "
                         f"for {gates.folds}-fold cross-validation; found {int(data.y.sum())} with and "
                         f"{int((~data.y).sum())} without")
    estimator = estimator_of(kind, data.features, rules)
    total, done = gates.repeats * gates.folds + 2, [0]

    def tick() -> None:
        done[0] += 1
        if progress:
            progress(done[0], total)

    try:
        cv, score = cross_validation(estimator, data, gates, tick)
        estimator.fit(data.X, data.y)
    except ValueError as exc:
        raise InputError(f"{data.source}: --model {kind}: {exc}") from None
    tick()
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    model_id = _free_id(out, f"{kind}-{created:%Y%m%d}-{data.sha256[:8]}")
    folder = out / model_id
    folder.mkdir(parents=True)
    shape = shapes(estimator, data.features, rules)
    baseline = load_scorecard(rules.catalogue).score(catalogue_ratings(data, rules))  # hand-set: nothing fitted
    cv["baseline"] = {"model": "baseline-scorecard-1", **assessment(
        data.y, baseline.score, None, baseline.level, data.groups, 0, gates.min_group_size)}
    plotted = {**cv, "model": model_id, "data": data.fingerprint()}
    names = write_plots(data.y, score, plotted, folder) + write_shape_plot(shape, model_id, data.synthetic, folder)
    plots = {name: sha256(folder / name) for name in names}
    card = _card(model_id, kind, data, rules, estimator, cv, cut_points, note, created,
                 trained_by or getpass.getuser(), plots, shape)
    numbers = artefact(model_id, kind, list(data.features), estimator, (cut_points[0], cut_points[1]))
    (folder / "model.json").write_text(json.dumps(numbers, indent=2) + "\n", encoding="utf-8")
    (folder / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tick()
    return model_id, card


def _free_id(out: Path, stem: str) -> str:
    candidate, n = stem, 1
    while (out / candidate).exists():
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


def _card(model_id: str, kind: str, data: TrainingData, rules: RuleBase, estimator: Any, cv: dict[str, Any],
          cut_points: Sequence[float], note: str, created: dt.datetime, trained_by: str,
          plots: dict[str, str], shape: list[dict[str, Any]]) -> dict[str, Any]:
    points = [{"factor": s["factor"], "name": s["name"], "rating": b["label"], "points": b["points"]}
              for s in shape for b in s["bins"] if b["points"] != 0 or s["numeric"]]
    probability = ("1 / (1 + exp(-score))" if kind != "scorecard"
                   else f"1 / (1 + exp(-({estimator.a_:.6f} * score + {estimator.b_:.6f})))")
    chosen = ({"monotone": estimator.monotone_, "bins": estimator.bins_} if kind == "binned" else {})
    return {
        "id": model_id,
        "model": kind,
        "synthetic": data.synthetic,
        "created": created.isoformat(),
        "trained_by": trained_by,
        "note": note,
        "target": data.target,
        "instrument": data.instrument,
        "features": list(data.features),
        "unrated": UNRATED_NOTE,
        "groups": {"columns": list(data.groups), "note": GROUP_NOTE},
        "levels": dict(zip(RISK_LEVELS[1:], map(float, cut_points), strict=True)),
        "data": {**data.fingerprint(), "ignored_columns": list(data.ignored)},
        "penalty_C": estimator.C_,
        "chosen": chosen,
        "intercept": round(float(estimator.intercept_), 6),
        "probability": probability,
        "points": points,
        "shapes": shape,
        "non_monotone": [s["factor"] for s in shape if not s["monotone"]],
        "cross_validation": cv,
        "plots": plots,
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__},
    }
