"""The risk models on the public SAVRY data (../shared/data), next to the published anchors.

Trained models: out-of-fold figures from `matcher train` (the policy's 5 x 5 repeated cross-validation, every choice
made inside each fold; the mean, and the lowest and highest repeat). On the Catalan data `binned` is also trained on
the registered history alone and on the SAVRY-derived factors alone (docs/model-evaluation.md, "What limits the AUC
and the FPR ratio"). The baseline scorecard is not trained, so it is scored on every row as it stands. Flagged =
high level.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from matcher.engine.risk import load_scorecard
from matcher.modelling.evaluate import evaluate_model
from matcher.modelling.public_data import CATALAN_TARGET, HUNAN_TARGET, load_public
from matcher.modelling.train import train
from matcher.modelling.training_data import TrainingData, frame_sha256, training_data
from matcher.rulebase.loading import load_rule_base

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = {"catalonia": ("catalonia_juvenile_recidivism.csv", CATALAN_TARGET, ["nationality", "sex"]),
        "hunan": ("hunan_savry_2017.csv", HUNAN_TARGET, [])}
HISTORY = ("prior_records", "age_at_offence", "offences_in_matter", "violent_main_offence")
ANCHORS = {"catalonia": {"auc_savry_sum": 0.64, "auc_assessor_rating": 0.66, "auc_ml_savry_items": 0.66,
                         "auc_ml_static": 0.70, "auc_ml_static_and_savry": 0.71,
                         "fpr_ratio_foreign_spanish_static_models": [1.7, 2.1],
                         "fpr_ratio_foreign_spanish_savry_sum": [0.88, 0.90],
                         "source": "Tolan et al. 2019 (ICAIL), AUC on the 855 with SAVRY"},
           "hunan": {"auc_savry_total": 0.67, "source": "Zhou et al. 2017, PLoS ONE 12(1): e0169251"}}


def _summary(figures: dict[str, Any]) -> dict[str, Any]:
    keep = ("auc", "auc_ci95", "brier", "calibration_slope", "calibration_intercept", "ece")
    keep += ("auc_repeats", "ece_repeats")
    out = {k: figures[k] for k in keep if k in figures}
    out["high_level_share"] = round(next(r["n"] for r in figures["levels"] if r["level"] == "high")
                                    / figures["rows"], 3)
    if "nationality" in figures["fairness"]:
        table = figures["fairness"]["nationality"]
        out["fpr_foreign"] = table["groups"]["foreign"]["fpr"]
        out["fpr_spanish"] = table["groups"]["spanish"]["fpr"]
        out["fpr_ratio_foreign_spanish"] = table["fpr_ratio"]["foreign"]
        if "fpr_ratio_repeats" in table:
            out["fpr_ratio_foreign_spanish_repeats"] = table["fpr_ratio_repeats"]["foreign"]
    return out


def _only(data: TrainingData, features: Sequence[str]) -> TrainingData:
    keep = [data.features.index(f) for f in features]
    return dataclasses.replace(data, features=tuple(features), X=data.X[:, keep])


def run(quick: bool) -> dict[str, object]:
    if not DATA.is_dir():
        return {"skipped": f"{DATA} is absent (public data is read from there, never copied)"}
    rules = load_rule_base()
    baseline = load_scorecard(rules.catalogue)
    out: dict[str, object] = {}
    for name, (file, target, groups) in SETS.items():
        frame = load_public(name, DATA / file)
        data = training_data(frame, rules, target, source=file, sha256=frame_sha256(frame), instrument="savry",
                             groups=groups)
        result: dict[str, Any] = {"rows": data.rows, "base_rate": round(data.base_rate, 4),
                                  "anchors": ANCHORS[name],
                                  "baseline_scorecard": _summary(evaluate_model(baseline, None, data, rules)[0])}
        with tempfile.TemporaryDirectory() as tmp:
            for kind in ("binned",) if quick else ("binned", "logistic", "scorecard"):
                card = train(data, rules, kind, Path(tmp), trained_by="benchmark")[1]
                result[f"{kind}_cv"] = _summary(card["cross_validation"])
            if name == "catalonia" and not quick:
                for label, features in (("history_only", HISTORY),
                                        ("savry_only", [f for f in data.features if f not in HISTORY])):
                    card = train(_only(data, features), rules, "binned", Path(tmp), trained_by="benchmark")[1]
                    result[f"binned_{label}_cv"] = _summary(card["cross_validation"])
        out[name] = result
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=False), indent=1))
