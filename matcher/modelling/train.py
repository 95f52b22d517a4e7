"""`matcher train`: fit an additive model, measure it by cross-validation, write the model and its card.

The card's figures are out-of-fold: each of the five folds is predicted by a model fitted, penalty
search included, on the other four. The saved model is then fitted on every row.
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

from matcher.errors import InputError
from matcher.modelling.additive import AdditiveLogistic, IntegerScorecard
from matcher.modelling.artefact import artefact
from matcher.modelling.evaluate import assessment
from matcher.modelling.registry import sha256
from matcher.modelling.report import write_plots
from matcher.modelling.training_data import TrainingData
from matcher.rulebase.factors import RISK_LEVELS
from matcher.rulebase.loading import RuleBase

MODEL_KINDS = {"logistic": AdditiveLogistic, "scorecard": IntegerScorecard}
CUT_POINTS = (0.30, 0.50)  # probability where moderate, then high, begins
FOLDS = 5
SEED = 0
STEPS = FOLDS + 2  # progress steps: each fold, the final fit, then the figures, plots and card
UNRATED_NOTE = "a factor not rated counts as its lowest rating (0 points), in training and in use"
GROUP_NOTE = "group columns are used only for the fairness audit, never as features"


def rating_levels(features: Sequence[str], rules: RuleBase) -> tuple[tuple[int, ...], ...]:
    cat = rules.catalogue
    return tuple(tuple(v for v in cat.scale(cat.factor(f)).values if v > 0) for f in features)


Progress = Callable[[int, int], None]  # (steps done, of STEPS)


def out_of_fold(estimator: Any, X: np.ndarray, y: np.ndarray,
                progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold scores and probabilities from stratified five-fold cross-validation."""
    score = np.empty(len(y))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(X, y)
    for done, (train, test) in enumerate(folds, start=1):
        fitted = clone(estimator).fit(X[train], y[train])
        score[test] = fitted.decision_function(X[test])
        if isinstance(fitted, IntegerScorecard):  # each fold keeps its own score-to-probability curve
            score[test] = fitted.a_ * score[test] + fitted.b_
        if progress:
            progress(done, STEPS)
    probability = 1 / (1 + np.exp(-score))
    return score, probability


def train(data: TrainingData, rules: RuleBase, kind: str, out: Path, *, cut_points: Sequence[float] = CUT_POINTS,
          note: str = "", trained_by: str | None = None,
          progress: Progress | None = None) -> tuple[str, dict[str, Any]]:
    """Fit, cross-validate and write ``out/<id>/`` (model.json: the points, nothing that runs; card.json; the
    out-of-fold ROC and calibration plots, whose SHA-256 the card records); returns (id, card). ``progress``
    hears of each step."""
    if len(cut_points) != 2 or not 0 < cut_points[0] < cut_points[1] < 1:
        raise InputError(f"--levels: expected two probabilities with 0 < moderate < high < 1; "
                         f"found {' '.join(map(str, cut_points))}")
    if int(data.y.sum()) < FOLDS or int((~data.y).sum()) < FOLDS:
        raise InputError(f"{data.source}: target '{data.target}' needs at least {FOLDS} rows of each outcome for "
                         f"{FOLDS}-fold cross-validation; found {int(data.y.sum())} with and "
                         f"{int((~data.y).sum())} without")
    estimator = MODEL_KINDS[kind](rating_levels(data.features, rules))
    try:
        score, probability = out_of_fold(estimator, data.X, data.y, progress)
        estimator.fit(data.X, data.y)
    except ValueError as exc:
        raise InputError(f"{data.source}: --model {kind}: {exc}") from None
    if progress:
        progress(FOLDS + 1, STEPS)
    level = np.searchsorted(np.asarray(cut_points), probability, side="right")
    cv = assessment(data.y, score, probability, level, data.groups, SEED)
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    model_id = _free_id(out, f"{kind}-{created:%Y%m%d}-{data.sha256[:8]}")
    folder = out / model_id
    folder.mkdir(parents=True)
    plotted = {**cv, "model": model_id, "data": data.fingerprint()}
    plots = {name: sha256(folder / name) for name in write_plots(data.y, score, plotted, folder)}
    card = _card(model_id, kind, data, rules, estimator, cv, cut_points, note, created,
                 trained_by or getpass.getuser(), plots)
    numbers = artefact(model_id, kind, list(data.features), estimator, (cut_points[0], cut_points[1]))
    (folder / "model.json").write_text(json.dumps(numbers, indent=2) + "\n", encoding="utf-8")
    (folder / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if progress:
        progress(STEPS, STEPS)
    return model_id, card


def _free_id(out: Path, stem: str) -> str:
    candidate, n = stem, 1
    while (out / candidate).exists():
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


def _card(model_id: str, kind: str, data: TrainingData, rules: RuleBase, estimator: Any, cv: dict[str, Any],
          cut_points: Sequence[float], note: str, created: dt.datetime, trained_by: str,
          plots: dict[str, str]) -> dict[str, Any]:
    cat = rules.catalogue
    points = [{"factor": data.features[j], "name": cat.factor(data.features[j]).name.en,
               "rating": cat.scale(cat.factor(data.features[j])).label(v, "en"), "points": round(c, 4)}
              for j, v, c in estimator.level_points()]
    probability = ("1 / (1 + exp(-score))" if kind == "logistic"
                   else f"1 / (1 + exp(-({estimator.a_:.6f} * score + {estimator.b_:.6f})))")
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
        "intercept": round(float(estimator.intercept_), 6),
        "probability": probability,
        "points": points,
        "cross_validation": {"folds": FOLDS, "seed": SEED, **cv},
        "plots": plots,
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__},
    }
