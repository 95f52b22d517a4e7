"""The model registry (models/registry.json): versions, SHA-256, status, promotion history; safe loading.

joblib files are pickles, and unpickling runs code, so a model is only unpickled when its file and its
card match the SHA-256 recorded when it was registered, it lies inside the models folder, and it was
saved by the scikit-learn version installed now. Anything else is refused before it is opened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn

from matcher.engine.risk import RiskModel, TrainedModel, load_scorecard
from matcher.errors import InputError
from matcher.i18n import t
from matcher.rulebase.loading import RuleBase
from matcher.rulebase.policy_schema import ModelGates
from matcher.rulebase.yamlsource import did_you_mean

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "models"


def default_models_dir() -> Path:
    return Path(os.environ.get("INSATSMATCH_MODELS", DEFAULT_MODELS))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_registry(models: Path) -> dict[str, Any]:
    path = models / "registry.json"
    if not path.is_file():
        return {"models": []}
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}; restore it from version "
                         f"control") from None
    return data


def registry_digest(models: Path) -> str:
    path = models / "registry.json"
    return sha256(path) if path.is_file() else ""


def _write(models: Path, registry: dict[str, Any]) -> None:
    path = models / "registry.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(registry, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _event(action: str, by: str, reason: str, **extra: Any) -> dict[str, Any]:
    return {"action": action, "by": by, "at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "reason": reason, **extra}


def register(models: Path, model_id: str, by: str) -> dict[str, Any]:
    """List a freshly trained model as a candidate, with the SHA-256 of its files."""
    registry = read_registry(models)
    card = json.loads((models / model_id / "card.json").read_text(encoding="utf-8"))
    folder = models / model_id
    entry = {"id": model_id, "status": "candidate", "file": f"{model_id}/model.joblib",
             "sha256": sha256(folder / "model.joblib"), "card_sha256": sha256(folder / "card.json"),
             "scikit_learn": card["versions"]["scikit-learn"], "synthetic": card["synthetic"],
             "history": [_event("registered", by, "trained")]}
    registry["models"].append(entry)
    _write(models, registry)
    return entry


def entry(registry: dict[str, Any], model_id: str, models: Path) -> dict[str, Any]:
    ids = [e["id"] for e in registry["models"]]
    if model_id not in ids:
        raise InputError(f"{models / 'registry.json'}: no model '{model_id}'{did_you_mean(model_id, ids)}; "
                         f"listed: {', '.join(ids) or 'none'} (an unlisted model file is never loaded)")
    return next(e for e in registry["models"] if e["id"] == model_id)


def card_of(models: Path, item: dict[str, Any]) -> dict[str, Any]:
    path = models / item["id"] / "card.json"
    _check_file(models, path, item["card_sha256"])
    card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return card


def plots_of(models: Path, item: dict[str, Any], card: dict[str, Any]) -> list[Path]:
    """The card's out-of-fold ROC and calibration plots, each checked against the SHA-256 in the card
    (none for a model trained before plots were kept; `matcher evaluate --out` draws them)."""
    paths = []
    for name, expected in card.get("plots", {}).items():
        path = models / item["id"] / name
        _check_file(models, path, expected)
        paths.append(path)
    return paths


def gate_failures(card: dict[str, Any], gates: ModelGates, lang: str = "en") -> list[str]:
    """The promotion gates (rules/policy.yaml) the card fails, in words."""
    cv = card["cross_validation"]
    out = []
    if cv["auc"] < gates.min_auc:
        out.append(t(lang, "gate.auc", value=cv["auc"], limit=gates.min_auc))
    if cv["ece"] > gates.max_calibration_error:
        out.append(t(lang, "gate.ece", value=cv["ece"], limit=gates.max_calibration_error))
    if not cv["fairness"]:
        out.append(t(lang, "gate.no_fairness"))
    for column, table in cv["fairness"].items():
        if table["fpr_gap"] is None or table["fpr_gap"] > gates.max_fpr_gap:
            out.append(t(lang, "gate.fpr_gap", value=table["fpr_gap"], column=column, limit=gates.max_fpr_gap))
    return out


def promote(models: Path, model_id: str, reason: str, by: str, gates: ModelGates, force: bool) -> list[str]:
    """Make ``model_id`` the active model (the previous one is retired); returns the gates it failed."""
    if not reason.strip():
        raise InputError("--reason: say why this model is promoted; the reason is kept in the registry")
    registry = read_registry(models)
    item = entry(registry, model_id, models)
    failures = gate_failures(card_of(models, item), gates)
    if failures and not force:
        raise InputError(f"model {model_id} is not promoted: it fails the gates in rules/policy.yaml "
                         f"(model_gates):\n  " + "\n  ".join(failures)
                         + "\nPromote it anyway only with --force and a --reason that says why.")
    for other in registry["models"]:
        if other["status"] == "active" and other["id"] != model_id:
            other["status"] = "retired"
            other["history"].append(_event("retired", by, f"replaced by {model_id}"))
    item["status"] = "active"
    item["history"].append(_event("promoted", by, reason, forced=bool(failures), failed_gates=failures))
    _write(models, registry)
    return failures


def retire(models: Path, model_id: str, reason: str, by: str) -> None:
    registry = read_registry(models)
    item = entry(registry, model_id, models)
    item["status"] = "retired"
    item["history"].append(_event("retired", by, reason))
    _write(models, registry)


def _check_file(models: Path, path: Path, expected: str) -> None:
    if not path.resolve().is_relative_to(models.resolve()):
        raise InputError(f"{path}: outside the models folder {models}; not loaded")
    if not path.is_file():
        raise InputError(f"{path}: missing; the registry lists it. Restore it or retire the model")
    actual = sha256(path)
    if actual != expected:
        raise InputError(f"{path}: SHA-256 {actual[:16]}... does not match the registry ({expected[:16]}...); "
                         f"the file changed after it was registered and is not loaded. Restore the registered "
                         f"file or train and register a new version")


def load_model(models: Path, model_id: str, rules: RuleBase) -> tuple[TrainedModel, dict[str, Any]]:
    """A registered model, after its files, scikit-learn version and features were checked."""
    item = entry(read_registry(models), model_id, models)
    card = card_of(models, item)
    if item["scikit_learn"] != sklearn.__version__:
        raise InputError(f"model {model_id} was saved with scikit-learn {item['scikit_learn']}, but "
                         f"{sklearn.__version__} is installed; it is not loaded. Install scikit-learn "
                         f"{item['scikit_learn']} or retrain the model")
    unknown = [f for f in card["features"] if f not in rules.catalogue.factor_index]
    if unknown:
        raise InputError(f"model {model_id} uses factors the rule base does not have: {', '.join(unknown)}; "
                         f"retrain it on the current factor catalogue")
    welfare = [f for f in card["features"] if rules.catalogue.factor(f).need == "welfare"]
    if welfare:
        raise InputError(f"model {model_id} uses welfare needs as crime-risk factors: {', '.join(welfare)}; it is not "
                         f"loaded. Retrain it: a risk model uses criminogenic factors only (rules/README.md)")
    path = models / item["file"]
    _check_file(models, path, item["sha256"])
    estimator = joblib.load(path)
    columns = np.array([rules.catalogue.factor_index[f] for f in card["features"]])
    cuts = np.array([card["levels"]["moderate"], card["levels"]["high"]])
    return TrainedModel(model_id, estimator, columns, cuts), card


def active_model(rules: RuleBase, models: Path | None = None) -> RiskModel:
    """The promoted model, loaded only after every check; the baseline scorecard when none is active."""
    models = models or default_models_dir()
    active = [e["id"] for e in read_registry(models)["models"] if e["status"] == "active"]
    if not active:
        return load_scorecard(rules.catalogue)
    return load_model(models, active[0], rules)[0]
