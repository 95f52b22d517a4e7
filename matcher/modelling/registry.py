"""The model registry (models/registry.json): versions, file digests, status, promotion history; safe loading.

Nothing in the models folder is ever unpickled: a trained model is served from ``model.json``, numbers only
(``artefact.py``). Before any file is parsed, its registry entry must be trusted (``signing.py``: signed with
the outside key on this machine, or shipped with Insatsmatch and pinned in the package), the file must lie in
its model's folder, and its bytes, read once, must match the SHA-256 in the entry; those same bytes are then
parsed, strictly (``strict_json.py``). Anything else is refused with a message that names the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from matcher.engine.risk import RiskModel, TrainedModel, load_scorecard
from matcher.errors import InputError
from matcher.i18n import number, t
from matcher.modelling.artefact import read_artefact, served_model
from matcher.modelling.card_format import read_card
from matcher.modelling.signing import signed, unsigned, verify
from matcher.modelling.strict_json import parse, validated
from matcher.rulebase.loading import RuleBase
from matcher.rulebase.policy_schema import ModelGates
from matcher.rulebase.yamlsource import did_you_mean

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "models"
REGISTRY = "registry.json"
MODEL_FILE = "model.json"
LEGACY_FILE = "model.joblib"  # a pickle, written before issue 14: listed, never loaded
SHA256 = r"^[0-9a-f]{64}$"
TEXT = 5000  # characters of a reason or a name


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["registered", "promoted", "retired"]
    by: str = Field(min_length=1, max_length=200)
    at: dt.datetime
    reason: str = Field(max_length=TEXT)
    forced: bool | None = None
    failed_gates: list[str] | None = Field(None, max_length=50)


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    status: Literal["candidate", "active", "retired"]
    file: str
    sha256: str = Field(pattern=SHA256)
    card_sha256: str = Field(pattern=SHA256)
    synthetic: bool
    history: list[Event] = Field(min_length=1, max_length=10_000)
    signature: str | None = Field(None, pattern=r"^hmac-sha256:[0-9a-f]{64}$")
    scikit_learn: str | None = Field(None, max_length=50)  # entries of pickled models (before issue 14) had it

    @model_validator(mode="after")
    def _own_folder(self) -> Entry:
        if ".." in self.id or self.file not in (f"{self.id}/{MODEL_FILE}", f"{self.id}/{LEGACY_FILE}"):
            raise ValueError(f"file must be '{self.id}/{MODEL_FILE}' (the model's own folder); found {self.file!r}")
        return self


class RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: list[Entry] = Field(max_length=10_000)

    @model_validator(mode="after")
    def _one_each(self) -> RegistryFile:
        ids = [e.id for e in self.models]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"model ids listed twice: {', '.join(twice)}")
        active = [e.id for e in self.models if e.status == "active"]
        if len(active) > 1:
            raise ValueError(f"more than one active model: {', '.join(active)}; at most one serves")
        return self


def default_models_dir() -> Path:
    return Path(os.environ.get("INSATSMATCH_MODELS", DEFAULT_MODELS))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_registry(data: bytes, display: str) -> dict[str, Any]:
    """The registry in ``data`` (the bytes of ``display``), checked against its schema."""
    value = parse(data, display)
    validated(RegistryFile, value, display)
    registry: dict[str, Any] = value
    return registry


def read_registry(models: Path) -> dict[str, Any]:
    path = models / REGISTRY
    if not path.is_file():
        return {"models": []}
    return parse_registry(path.read_bytes(), str(path))


def registry_digest(models: Path) -> str:
    path = models / REGISTRY
    return sha256(path) if path.is_file() else ""


def _write(models: Path, registry: dict[str, Any]) -> None:
    path = models / REGISTRY
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(registry, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _event(action: str, by: str, reason: str, **extra: Any) -> dict[str, Any]:
    return {"action": action, "by": by, "at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "reason": reason, **extra}


def register(models: Path, model_id: str, by: str) -> dict[str, Any]:
    """List a freshly trained model as a candidate, with the SHA-256 of its files, signed on this machine."""
    registry = read_registry(models)
    folder = models / model_id
    item = signed({"id": model_id, "status": "candidate", "file": f"{model_id}/{MODEL_FILE}",
                   "sha256": sha256(folder / MODEL_FILE), "card_sha256": sha256(folder / "card.json"),
                   "synthetic": read_card((folder / "card.json").read_bytes(), str(folder / "card.json"))["synthetic"],
                   "history": [_event("registered", by, "trained")]})
    registry["models"].append(item)
    _write(models, registry)
    return item


def entry(registry: dict[str, Any], model_id: str, models: Path) -> dict[str, Any]:
    ids = [e["id"] for e in registry["models"]]
    if model_id not in ids:
        raise InputError(f"{models / REGISTRY}: no model '{model_id}'{did_you_mean(model_id, ids)}; "
                         f"listed: {', '.join(ids) or 'none'} (an unlisted model file is never loaded)")
    return next(e for e in registry["models"] if e["id"] == model_id)


def trusted(models: Path, item: dict[str, Any], registry: dict[str, Any]) -> dict[str, Any]:
    """``item`` after its signature or pin was checked (``signing.verify``)."""
    verify(item, f"{models / REGISTRY}: models[{registry['models'].index(item)}]")
    return item


def verified_bytes(models: Path, name: str, expected: str) -> bytes:
    """The bytes of ``models/name``, read once, after the path and the SHA-256 were checked."""
    path = models / name
    if not path.resolve().is_relative_to(models.resolve()):
        raise InputError(f"{path}: outside the models folder {models}; not loaded")
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise InputError(f"{path}: missing; the registry lists it. Restore it or retire the model") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise InputError(f"{path}: SHA-256 {actual[:16]}... does not match the registry ({expected[:16]}...); "
                         f"the file changed after it was registered and is not loaded. Restore the registered "
                         f"file or train and register a new version")
    return data


def card_of(models: Path, item: dict[str, Any], registry: dict[str, Any] | None = None) -> dict[str, Any]:
    """The card of a trusted entry, from bytes that match its digest."""
    trusted(models, item, registry or read_registry(models))
    name = f"{item['id']}/card.json"
    return read_card(verified_bytes(models, name, item["card_sha256"]), str(models / name))


def plots_of(models: Path, item: dict[str, Any], card: dict[str, Any]) -> list[tuple[str, bytes]]:
    """The card's out-of-fold ROC and calibration plots (name, PNG bytes), each checked against the SHA-256
    in the card (none for a model trained before plots were kept; `matcher evaluate --out` draws them)."""
    return [(name, verified_bytes(models, f"{item['id']}/{name}", expected))
            for name, expected in card.get("plots", {}).items()]


def gate_failures(card: dict[str, Any], gates: ModelGates, lang: str = "en") -> list[str]:
    """The gates (rules/policy.yaml ``model_gates``) a card fails, in ``lang``; empty when it passes all. The
    figures must come from the policy's repeated cross-validation at the policy's levels: a card made otherwise
    (fewer repeats, other levels, an older card) fails until the model is trained again."""
    def n(value: float) -> str:
        return number(lang, value)

    cv = card["cross_validation"]
    judged = cv.get("levels_judged")
    if cv.get("repeats", 1) < gates.repeats or cv.get("folds") != gates.folds or judged != dict(gates.levels):
        return [t(lang, "gate.not_policy_cv", folds=gates.folds, repeats=gates.repeats,
                  moderate=n(gates.levels["moderate"]), high=n(gates.levels["high"]))]
    out = []
    if cv["auc"] < gates.min_auc:
        out.append(t(lang, "gate.auc", value=n(cv["auc"]), limit=n(gates.min_auc)))
    if cv["ece"] > gates.max_calibration_error:
        out.append(t(lang, "gate.ece", value=n(cv["ece"]), limit=n(gates.max_calibration_error)))
    if not cv["fairness"]:
        out.append(t(lang, "gate.no_fairness"))
    for column, table in cv["fairness"].items():
        reference = table["reference"]
        gap = table["fpr_gap"]
        if gates.max_fpr_gap is not None and (gap is None or gap > gates.max_fpr_gap):
            out.append(t(lang, "gate.fpr_gap", value="–" if gap is None else n(gap), column=column,
                         limit=n(gates.max_fpr_gap)))
        for rate, limit in (("fpr", gates.max_fpr_ratio), ("fnr", gates.max_fnr_ratio)):
            for group, row in table["groups"].items():
                if group == reference or row["n"] < gates.min_group_size:
                    continue
                ratio = table[f"{rate}_ratio"].get(group)
                if ratio is None or ratio > limit:
                    out.append(t(lang, f"gate.{rate}_ratio", column=column, group=group, reference=reference,
                                 value="–" if ratio is None else n(ratio), limit=n(limit)))
    return out


def promote(models: Path, model_id: str, reason: str, by: str, gates: ModelGates, force: bool) -> list[str]:
    """Make ``model_id`` the active model (the previous one is retired); returns the gates it failed."""
    if not reason.strip():
        raise InputError("--reason: say why this model is promoted; the reason is kept in the registry")
    registry = read_registry(models)
    item = entry(registry, model_id, models)
    if item["file"].endswith(LEGACY_FILE):
        raise InputError(_legacy(models, item))
    card = card_of(models, item, registry)
    if item["synthetic"] or card["synthetic"]:
        raise InputError(f"model {model_id} was trained on synthetic data ({card['data']['source']}); it can never "
                         f"serve real cases, and --force does not change that. Train on real outcome data "
                         f"(docs/training-format.md) and promote that model")
    failures = gate_failures(card, gates)
    if failures and not force:
        raise InputError(f"model {model_id} is not promoted: it fails the gates in rules/policy.yaml "
                         f"(model_gates):\n  " + "\n  ".join(failures)
                         + "\nPromote it anyway only with --force and a --reason that says why.")
    for n, other in enumerate(registry["models"]):
        if other["status"] == "active" and other["id"] != model_id:
            registry["models"][n] = _changed(models, registry, other, "retired",
                                             _event("retired", by, f"replaced by {model_id}"))
    n = registry["models"].index(item)
    registry["models"][n] = _changed(models, registry, item, "active",
                                     _event("promoted", by, reason, forced=bool(failures), failed_gates=failures))
    _write(models, registry)
    return failures


def retire(models: Path, model_id: str, reason: str, by: str) -> None:
    registry = read_registry(models)
    item = entry(registry, model_id, models)
    n = registry["models"].index(item)
    registry["models"][n] = _changed(models, registry, item, "retired", _event("retired", by, reason))
    _write(models, registry)


def _changed(models: Path, registry: dict[str, Any], item: dict[str, Any], status: str,
             event: dict[str, Any]) -> dict[str, Any]:
    """The entry with its new status and event: signed again when it was trusted. An untrusted entry may be
    retired (a retired model never serves) but stays unsigned, so retiring never makes it trusted."""
    try:
        trusted(models, item, registry)
    except InputError:
        if status != "retired":
            raise
        return unsigned({**item, "status": status, "history": [*item["history"], event]})
    return signed({**item, "status": status, "history": [*item["history"], event]})


def _legacy(models: Path, item: dict[str, Any]) -> str:
    return (f"{models / item['file']}: model {item['id']} was saved as a pickle, which could run code when "
            f"loaded; pickles are never loaded since issue 14. Train it again (`matcher train`, the card names "
            f"its data and options) and promote the new version")


def load_model(models: Path, model_id: str, rules: RuleBase) -> tuple[TrainedModel, dict[str, Any]]:
    """A registered model from its trusted entry and checked files; its factors must be criminogenic ones
    of the catalogue."""
    registry = read_registry(models)
    item = entry(registry, model_id, models)
    if item["file"].endswith(LEGACY_FILE):
        raise InputError(_legacy(models, item))
    card = card_of(models, item, registry)
    display = str(models / item["file"])
    artefact = read_artefact(verified_bytes(models, item["file"], item["sha256"]), display)
    if artefact.id != model_id:
        raise InputError(f"{display}: id: the file is model {artefact.id!r}, but the registry lists it as "
                         f"{model_id!r}; restore the registered file")
    factors = list(dict.fromkeys(p.factor for p in artefact.points))
    unknown = [f for f in factors if f not in rules.catalogue.factor_index]
    if unknown:
        raise InputError(f"model {model_id} uses factors the rule base does not have: {', '.join(unknown)}; "
                         f"retrain it on the current factor catalogue")
    welfare = [f for f in factors if rules.catalogue.factor(f).need == "welfare"]
    if welfare:
        raise InputError(f"model {model_id} uses welfare needs as crime-risk factors: {', '.join(welfare)}; it is not "
                         f"loaded. Retrain it: a risk model uses criminogenic factors only (rules/README.md)")
    return served_model(artefact, rules.catalogue, display), card


def active_model(rules: RuleBase, models: Path | None = None) -> RiskModel:
    """The promoted model, loaded only after every check; the baseline scorecard when none is active."""
    models = models or default_models_dir()
    active = [e["id"] for e in read_registry(models)["models"] if e["status"] == "active"]
    if not active:
        return load_scorecard(rules.catalogue)
    return load_model(models, active[0], rules)[0]
