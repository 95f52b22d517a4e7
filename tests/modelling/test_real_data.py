"""Figures on the public SAVRY data (docs/model-evaluation.md); skipped when ../shared/data is absent."""

import pytest

from matcher.modelling.evaluate import evaluate_model
from matcher.modelling.public_data import CATALAN_TARGET, HUNAN_TARGET, load_public
from matcher.modelling.train import train
from matcher.modelling.training_data import frame_sha256, training_data
from tests.conftest import SHARED_DATA

CATALAN = SHARED_DATA / "catalonia_juvenile_recidivism.csv"
HUNAN = SHARED_DATA / "hunan_savry_2017.csv"
pytestmark = pytest.mark.skipif(not CATALAN.exists() or not HUNAN.exists(),
                                reason="../shared/data is not beside the repository")


def _data(rules, source, path, target, groups):
    frame = load_public(source, path)
    return training_data(frame, rules, target, source=path.name, sha256=frame_sha256(frame), instrument="savry",
                         groups=groups)


def test_catalan_figures_behind_the_shipped_choice_of_the_baseline(rules, model, tmp_path) -> None:
    data = _data(rules, "catalonia", CATALAN, CATALAN_TARGET, ["nationality"])
    assert (data.rows, round(data.base_rate, 3)) == (858, 0.374)
    baseline = evaluate_model(model, None, data, rules)[0]
    assert baseline["auc"] == 0.6537 and baseline["fairness"]["nationality"]["fpr_ratio"]["foreign"] == 1.513
    cv = train(data, rules, "logistic", tmp_path, trained_by="test")[1]["cross_validation"]
    assert cv["auc"] == 0.6298 and cv["auc_ci95"][1] > baseline["auc"]  # not better than the baseline
    assert (cv["brier"], cv["ece"], cv["fairness"]["nationality"]["fpr_ratio"]["foreign"]) == (0.2239, 0.0366, 1.097)


def test_hunan_figures(rules, model, tmp_path) -> None:
    data = _data(rules, "hunan", HUNAN, HUNAN_TARGET, [])
    assert (data.rows, round(data.base_rate, 3)) == (246, 0.256)
    assert evaluate_model(model, None, data, rules)[0]["auc"] == 0.7008
    assert train(data, rules, "logistic", tmp_path, trained_by="test")[1]["cross_validation"]["auc"] == 0.6938
