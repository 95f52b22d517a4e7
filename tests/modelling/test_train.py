"""Training: known coefficients recovered, exact per-factor points, the fitted estimator's predictions served
from model.json (numbers only)."""

import json

import numpy as np
import pytest
from scipy.stats import spearmanr

from matcher.errors import InputError
from matcher.modelling.additive import AdditiveLogistic
from matcher.modelling.registry import card_of, entry, load_model, plots_of, read_registry, register
from matcher.modelling.synth import COEFFICIENTS, TARGET, synthetic_training
from matcher.modelling.train import rating_levels, train
from matcher.modelling.training_data import frame_sha256, training_data
from matcher.rulebase.factors import UNRATED

GROUPS = ["sex", "born_abroad"]


def _data(rules, n, seed=1):
    frame = synthetic_training(rules, n, seed)
    return training_data(frame, rules, TARGET, source=f"synth-{n}.csv", sha256=frame_sha256(frame), groups=GROUPS)


@pytest.fixture(scope="module")
def trained(rules, tmp_path_factory):
    models = tmp_path_factory.mktemp("models")
    data = _data(rules, 20000)
    model_id, card = train(data, rules, "logistic", models, note="test", trained_by="tester")
    register(models, model_id, "tester")
    estimator = AdditiveLogistic(rating_levels(data.features, rules)).fit(data.X, data.y)  # the same fit again
    return models, model_id, card, data, estimator


def _top_level_points(card):
    """The points of each factor's highest rating (true effect: coefficient x highest rating)."""
    out = {}
    for p in card["points"]:
        out[p["factor"]] = p["points"]  # levels are listed low to high, so the last one stays
    return out


def test_training_recovers_the_signs_and_order_of_the_known_coefficients(rules, trained) -> None:
    card = trained[2]
    top = {"risk": 2, "protective": 1}
    truth = {f: c * top[rules.catalogue.factor(f).kind] for f, c in COEFFICIENTS.items()}
    learned = _top_level_points(card)
    assert all(np.sign(learned[f]) == np.sign(v) for f, v in truth.items())
    assert spearmanr([truth[f] for f in truth], [learned[f] for f in truth]).statistic == 1.0
    no_effect = [abs(v) for f, v in learned.items() if f not in COEFFICIENTS]
    assert max(no_effect) < 0.1 < min(abs(learned[f]) for f in COEFFICIENTS if abs(truth[f]) > 0.2)


def test_the_served_model_has_the_fitted_estimators_points_and_probabilities(rules, trained) -> None:
    models, model_id, _, data, estimator = trained
    model, _ = load_model(models, model_id, rules)
    assert json.loads((models / model_id / "model.json").read_text())["format"] == "insatsmatch-additive-1"
    ratings = np.full((500, len(rules.catalogue.factors)), UNRATED, dtype=np.int16)
    ratings[:, model.columns] = data.X[:500]
    risk = model.score(ratings)
    assert np.array_equal(risk.points[:, model.columns], estimator.points(data.X[:500]))
    assert np.allclose(risk.score, estimator.decision_function(data.X[:500]), rtol=0, atol=1e-12)
    assert np.array_equal(risk.score, risk.intercept + risk.points.sum(axis=1))
    assert np.allclose(risk.probability, estimator.predict_proba(data.X[:500])[:, 1], rtol=0, atol=1e-15)
    assert np.array_equal(risk.level, np.searchsorted([0.30, 0.50], risk.probability, side="right"))
    again, _ = load_model(models, model_id, rules)
    assert np.array_equal(again.score(ratings).probability, risk.probability)


def test_the_card_records_data_metrics_fairness_and_versions(trained) -> None:
    models, model_id, card, _, _ = trained
    assert json.loads((models / model_id / "card.json").read_text()) == card
    assert card["synthetic"] is True and card["trained_by"] == "tester" and card["target"] == TARGET
    assert card["data"]["rows"] == 20000 and len(card["data"]["sha256"]) == 64
    assert card["data"]["ignored_columns"] == ["age"]
    cv = card["cross_validation"]
    assert 0.70 < cv["auc"] < 0.76 and cv["auc_ci95"][0] < cv["auc"] < cv["auc_ci95"][1]
    assert cv["ece"] < 0.03 and 0.85 < cv["calibration_slope"] < 1.15
    assert set(cv["fairness"]) == set(GROUPS) and "sex" not in card["features"]
    assert card["versions"]["scikit-learn"]


def test_the_integer_scorecard_has_whole_points_that_sum_to_its_score(rules, tmp_path) -> None:
    data = _data(rules, 3000, seed=2)
    model_id, card = train(data, rules, "scorecard", tmp_path, trained_by="tester")
    points = [p["points"] for p in card["points"]]
    assert all(float(p).is_integer() for p in points) and max(map(abs, points)) == 5
    register(tmp_path, model_id, "tester")
    model, _ = load_model(tmp_path, model_id, rules)
    ratings = np.full((100, len(rules.catalogue.factors)), UNRATED, dtype=np.int16)
    ratings[:, model.columns] = data.X[:100]
    risk = model.score(ratings)
    assert risk.intercept == 0 and np.array_equal(risk.score, risk.points.sum(axis=1))
    assert np.all(risk.points == np.round(risk.points))


def test_training_reports_every_step_and_keeps_its_plots_checked_by_the_card(rules, tmp_path) -> None:
    steps: list[tuple[int, int]] = []
    model_id, _ = train(_data(rules, 600), rules, "logistic", tmp_path, trained_by="tester",
                        progress=lambda done, total: steps.append((done, total)))
    gates = rules.policy.model_gates
    total = gates.folds * gates.repeats + 2  # every fold of every repeat, the final fit, the files
    assert steps == [(done, total) for done in range(1, total + 1)] and total == 27
    register(tmp_path, model_id, "tester")
    item = entry(read_registry(tmp_path), model_id, tmp_path)
    plots = plots_of(tmp_path, item, card_of(tmp_path, item))
    assert [name for name, _ in plots] == ["roc.png", "calibration.png", "shapes.png"]
    assert all(png.startswith(b"\x89PNG") for _, png in plots)
    (tmp_path / model_id / "roc.png").write_bytes(b"another picture")
    with pytest.raises(InputError, match=r"roc.png: SHA-256 [0-9a-f]{16}\.\.\. does not match"):
        plots_of(tmp_path, item, card_of(tmp_path, item))


def test_binned_points_follow_the_direction_of_risk_and_unconstrained_ones_are_flagged(rules, tmp_path) -> None:
    from matcher.modelling.binned import BinnedAdditive
    from matcher.modelling.shapes import shapes
    from matcher.modelling.train import feature_specs

    frame = synthetic_training(rules, 3000, seed=3)
    features = ["prior_records", "age_at_offence", "peer_delinquency", "prosocial_involvement"]
    data = training_data(frame, rules, TARGET, source="s.csv", sha256=frame_sha256(frame), features=features)
    rng = np.random.default_rng(0)
    y = rng.random(data.rows) < 0.4  # an outcome unrelated to the features: free points wander both ways
    free = BinnedAdditive(feature_specs(features, rules), Cs=(100.0,), constraints=(False,), bins=(8,)).fit(data.X, y)
    bound = BinnedAdditive(feature_specs(features, rules), Cs=(100.0,), constraints=(True,), bins=(8,)).fit(data.X, y)
    assert np.allclose(free.decision_function(data.X), free.intercept_ + free.points(data.X).sum(axis=1))
    assert [s["factor"] for s in shapes(bound, features, rules) if not s["monotone"]] == []
    flagged = [s["factor"] for s in shapes(free, features, rules) if not s["monotone"]]
    assert flagged and set(flagged) <= set(features)
    ages = {b["label"]: b["points"] for b in shapes(bound, features, rules)[1]["bins"]}
    assert list(ages.values()) == sorted(ages.values(), reverse=True)  # younger never fewer points


def test_served_levels_never_change_the_fairness_verdict_and_evaluate_says_in_sample(rules, tmp_path) -> None:
    from matcher.modelling.evaluate import evaluate_model
    from matcher.modelling.registry import gate_failures

    data = _data(rules, 1500, seed=4)
    _, usual = train(data, rules, "logistic", tmp_path, trained_by="tester")
    model_id, lenient = train(data, rules, "logistic", tmp_path, cut_points=(0.30, 0.95), trained_by="tester")
    assert lenient["levels"] == {"moderate": 0.3, "high": 0.95}  # served: nobody would be high
    assert lenient["cross_validation"]["fairness"] == usual["cross_validation"]["fairness"]
    gates = rules.policy.model_gates
    assert gate_failures(lenient, gates) == gate_failures(usual, gates)
    register(tmp_path, model_id, "tester")
    model, card = load_model(tmp_path, model_id, rules)
    report, _ = evaluate_model(model, card, data, rules)
    assert report["in_sample"] is True and report["in_sample_note"].startswith("in-sample: these are the data")
    other = _data(rules, 1500, seed=5)
    assert evaluate_model(model, card, other, rules)[0]["in_sample"] is False
