"""Figures on the public SAVRY data (docs/model-evaluation.md), recomputed whenever ../shared/data is present:
the policy's 5 x 5 repeated cross-validation, the mean and the spread across repeats."""

import pytest

from matcher.modelling.evaluate import evaluate_model
from matcher.modelling.public_data import CATALAN_TARGET, HUNAN_TARGET, load_public
from matcher.modelling.registry import gate_failures
from matcher.modelling.train import train
from matcher.modelling.training_data import frame_sha256, training_data
from tests.conftest import SHARED_DATA

CATALAN = SHARED_DATA / "catalonia_juvenile_recidivism.csv"
HUNAN = SHARED_DATA / "hunan_savry_2017.csv"
pytestmark = pytest.mark.skipif(not CATALAN.exists() or not HUNAN.exists(),
                                reason="../shared/data is not beside the repository")
HISTORY = ["prior_records", "age_at_offence", "offences_in_matter", "violent_main_offence"]


def _data(rules, source, path, target, groups, features=None):
    frame = load_public(source, path)
    return training_data(frame, rules, target, source=path.name, sha256=frame_sha256(frame), groups=groups,
                         features=features)


def test_catalan_figures_of_the_binned_model_with_the_registered_history(rules, model, tmp_path) -> None:
    data = _data(rules, "catalonia", CATALAN, CATALAN_TARGET, ["nationality", "sex"])
    assert (data.rows, round(data.base_rate, 3)) == (858, 0.374)
    assert [f for f in data.features if f in HISTORY] == HISTORY  # the data have no age at the first offence
    baseline = evaluate_model(model, None, data, rules)[0]
    assert baseline["auc"] == 0.6537 and baseline["fairness"]["nationality"]["fpr_ratio"]["foreign"] == 1.513
    card = train(data, rules, "binned", tmp_path, trained_by="test")[1]
    cv = card["cross_validation"]
    assert (cv["folds"], cv["repeats"], card["chosen"], card["non_monotone"]) == (5, 5, {"monotone": True, "bins": 8},
                                                                                    [])
    assert (cv["auc"], cv["auc_repeats"], cv["ece"], cv["ece_repeats"]) == (0.6852, [0.6774, 0.6901], 0.0253,
                                                                            [0.0185, 0.0288])
    nationality = cv["fairness"]["nationality"]
    assert (nationality["fpr_ratio"]["foreign"], nationality["fpr_ratio_ci95"]["foreign"],
            nationality["fpr_ratio_repeats"]["foreign"]) == (1.437, [0.9592, 2.3768], [1.215, 1.535])
    assert cv["baseline"]["auc"] == baseline["auc"]  # the baseline on the same rows, beside the card's figures
    # the goal of issue 16 (AUC 0.72, FPR ratio 1.2) is not reached: the gate says so
    assert gate_failures(card, rules.policy.model_gates) == [
        "'foreign' of 'nationality' is flagged high risk falsely 1.437 times as often as 'spanish' (at most 1.2)"]


def test_catalan_history_alone_is_fairer_and_a_little_less_accurate(rules, tmp_path) -> None:
    # docs/model-evaluation.md, "What limits the AUC and the FPR ratio": without the SAVRY-derived factors the FPR
    # ratio falls from 1.44 to 1.10 (every repeat under the 1.2 gate) for 0.006 of AUC
    data = _data(rules, "catalonia", CATALAN, CATALAN_TARGET, ["nationality", "sex"], HISTORY)
    cv = train(data, rules, "binned", tmp_path, trained_by="test")[1]["cross_validation"]
    assert (cv["auc"], cv["auc_repeats"], cv["ece"]) == (0.679, [0.673, 0.6819], 0.0197)
    nationality = cv["fairness"]["nationality"]
    assert (nationality["fpr_ratio"]["foreign"], nationality["fpr_ratio_repeats"]["foreign"]) == (1.098, [0.944, 1.186])


def test_hunan_figures(rules, model, tmp_path) -> None:
    data = _data(rules, "hunan", HUNAN, HUNAN_TARGET, [])
    assert (data.rows, round(data.base_rate, 3)) == (246, 0.256)
    assert evaluate_model(model, None, data, rules)[0]["auc"] == 0.7008
    cv = train(data, rules, "binned", tmp_path, trained_by="test")[1]["cross_validation"]
    assert (cv["auc"], cv["auc_repeats"], cv["ece"]) == (0.6876, [0.675, 0.6995], 0.0471)
