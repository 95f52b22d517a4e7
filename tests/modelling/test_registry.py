"""The registry: trusted entries only, file bytes read once and checked, nothing ever unpickled; promotion
gates; the active model in the engine."""

import json
import shutil

import pytest

from matcher import InputError, Scorecard, encode_cases, explain, match
from matcher.engine.risk import TrainedModel
from matcher.modelling.registry import (
    active_model,
    default_models_dir,
    load_model,
    promote,
    read_registry,
    register,
)
from matcher.modelling.synth import TARGET, synthetic_training
from matcher.modelling.train import train
from matcher.modelling.training_data import frame_sha256, training_data
from matcher.rulebase.policy_schema import ModelGates
from tests.conftest import EXAMPLES

LENIENT = ModelGates(min_auc=0.6, max_calibration_error=0.05, max_fpr_ratio=10, max_fnr_ratio=10, min_group_size=50,
                     levels={"moderate": 0.3, "high": 0.5}, folds=5, repeats=1)


@pytest.fixture(scope="module")
def trained(rules, tmp_path_factory):
    source = tmp_path_factory.mktemp("trained")
    # The synthetic process stands in for real outcome data here (labelled not synthetic) because a synthetic
    # model can never be promoted; these tests are about the promotion mechanics, not about the data.
    frame = synthetic_training(rules, 3000, seed=5).assign(synthetic=False)
    data = training_data(frame, rules, TARGET, source="outcomes.csv", sha256=frame_sha256(frame),
                         groups=["born_abroad"])
    model_id, _ = train(data, rules, "logistic", source, trained_by="tester")
    register(source, model_id, "tester")
    return source, model_id


@pytest.fixture
def models(trained, tmp_path):
    """A private copy of a registry with one candidate."""
    shutil.copytree(trained[0], tmp_path / "models")
    return tmp_path / "models"


def test_without_an_active_model_the_baseline_serves(rules, models) -> None:
    assert isinstance(active_model(rules, models), Scorecard)
    assert isinstance(active_model(rules, models / "empty"), Scorecard)


def test_a_promoted_model_serves_the_engine_with_its_id_and_probability(rules, models, trained) -> None:
    model_id = trained[1]
    assert promote(models, model_id, "better than the baseline on synthetic data", "tester", LENIENT, False) == []
    model = active_model(rules, models)
    assert isinstance(model, TrainedModel) and model.id == model_id
    case = json.loads((EXAMPLES / "02-high-risk-15-engaged-family.json").read_text())
    res = explain(match(encode_cases([("x", case)], rules), rules, model), 0, "en")
    assert res["version"]["model"] == model_id
    assert 0 < res["risk"]["probability"] < 1
    shown = sum(p["points"] for p in res["risk"]["points"])
    assert round(shown, 1) == round(res["risk"]["score"] - model.intercept, 1)
    history = read_registry(models)["models"][0]["history"]
    assert [h["action"] for h in history] == ["registered", "promoted"]
    assert history[1]["by"] == "tester" and history[1]["forced"] is False


def test_a_changed_model_file_or_card_and_an_unlisted_model_are_refused(rules, models, trained) -> None:
    model_id = trained[1]
    with pytest.raises(InputError, match=r"no model 'other'; listed: .* \(an unlisted model file is never loaded\)"):
        load_model(models, "other", rules)
    card = models / model_id / "card.json"
    card.write_text(card.read_text().replace('"moderate": 0.3', '"moderate": 0.1'))
    with pytest.raises(InputError, match=r"card\.json: SHA-256 [0-9a-f]{16}\.\.\. does not match the registry "
                                         r"\([0-9a-f]{16}\.\.\.\); the file changed after it was registered and is "
                                         r"not loaded"):
        load_model(models, model_id, rules)


def test_promotion_gates_hold_unless_forced_with_a_recorded_reason(rules, models, trained) -> None:
    model_id = trained[1]
    strict = ModelGates(min_auc=0.9, max_calibration_error=0.001, max_fpr_ratio=10, max_fnr_ratio=10, min_group_size=50,
                        levels={"moderate": 0.3, "high": 0.5}, folds=5, repeats=1)
    with pytest.raises(InputError) as caught:
        promote(models, model_id, "try", "tester", strict, False)
    message = str(caught.value)
    assert message.startswith(f"model {model_id} is not promoted: it fails the gates in rules/policy.yaml")
    assert "is below the minimum 0.9" in message and "is above the maximum 0.001" in message
    assert read_registry(models)["models"][0]["status"] == "candidate"
    failed = promote(models, model_id, "demo of a forced promotion", "tester", strict, True)
    entry = read_registry(models)["models"][0]
    assert entry["status"] == "active" and entry["history"][-1]["forced"] is True
    assert entry["history"][-1]["failed_gates"] == failed and len(failed) == 2


def test_promotion_needs_a_fairness_audit(rules, tmp_path) -> None:
    frame = synthetic_training(rules, 2000, seed=6).assign(synthetic=False)  # stands in for outcome data
    data = training_data(frame, rules, TARGET, source="s.csv", sha256=frame_sha256(frame))
    model_id, _ = train(data, rules, "logistic", tmp_path, trained_by="tester")
    register(tmp_path, model_id, "tester")
    with pytest.raises(InputError, match="no fairness audit: train with --group"):
        promote(tmp_path, model_id, "no audit", "tester", LENIENT, False)


def test_the_models_folder_can_be_moved_with_an_environment_variable(rules, models, trained, monkeypatch) -> None:
    monkeypatch.setenv("INSATSMATCH_MODELS", str(models))
    assert default_models_dir() == models
    promote(models, trained[1], "serves from a copy", "tester", LENIENT, False)
    assert active_model(rules).id == trained[1]


def test_a_model_trained_on_synthetic_data_is_never_promoted_not_even_forced(rules, tmp_path) -> None:
    frame = synthetic_training(rules, 1500, seed=9)
    data = training_data(frame, rules, TARGET, source="synth.csv", sha256=frame_sha256(frame), groups=["born_abroad"])
    model_id, card = train(data, rules, "logistic", tmp_path, trained_by="tester")
    register(tmp_path, model_id, "tester")
    assert card["synthetic"] is True
    with pytest.raises(InputError) as refused:
        promote(tmp_path, model_id, "it passes the gates", "tester", LENIENT, True)
    assert str(refused.value) == (f"model {model_id} was trained on synthetic data (synth.csv); it can never serve "
                                  f"real cases, and --force does not change that. Train on real outcome data "
                                  f"(docs/training-format.md) and promote that model")
    assert read_registry(tmp_path)["models"][0]["status"] == "candidate"
