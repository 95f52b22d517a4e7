"""Gate decisions on fixed figures: the mean of the policy's repeated cross-validation decides, fairness at the
policy's levels, small groups reported but not gating, a card made otherwise refused."""

import copy

import pytest

from matcher.modelling.registry import gate_failures
from matcher.rulebase.policy_schema import ModelGates

GATES = ModelGates(min_auc=0.64, max_calibration_error=0.05, max_fpr_ratio=1.2, max_fnr_ratio=1.2, min_group_size=50,
                   levels={"moderate": 0.3, "high": 0.5}, folds=5, repeats=5)


def _table(fpr_ratio: float, small_ratio: float) -> dict:
    return {"reference": "spanish", "fpr_gap": 0.05, "min_group": 50,
            "groups": {"spanish": {"n": 526}, "foreign": {"n": 332}, "other": {"n": 12}},
            "fpr_ratio": {"spanish": 1.0, "foreign": fpr_ratio, "other": small_ratio},
            "fnr_ratio": {"spanish": 1.0, "foreign": 0.9, "other": small_ratio}}


CARD = {"cross_validation": {"folds": 5, "repeats": 5, "levels_judged": {"moderate": 0.3, "high": 0.5},
                             "auc": 0.685, "ece": 0.025, "fairness": {"nationality": _table(1.1, 3.0)}}}


def _with(**changes) -> dict:
    card = copy.deepcopy(CARD)
    card["cross_validation"].update(changes)
    return card


def test_a_card_within_every_gate_passes_and_a_small_group_does_not_gate() -> None:
    assert gate_failures(CARD, GATES) == []


def test_each_failed_gate_is_named_with_its_figure_and_limit() -> None:
    card = _with(auc=0.63, ece=0.06, fairness={"nationality": _table(1.44, 3.0)})
    assert gate_failures(card, GATES) == [
        "cross-validated AUC 0.63 is below the minimum 0.64",
        "expected calibration error 0.06 is above the maximum 0.05",
        "'foreign' of 'nationality' is flagged high risk falsely 1.44 times as often as 'spanish' (at most 1.2)"]


def test_a_group_nobody_could_be_compared_with_fails() -> None:
    table = _table(1.1, 3.0)
    table["fpr_ratio"]["foreign"] = None  # no false positive in the reference group at the policy's levels
    assert gate_failures(_with(fairness={"nationality": table}), GATES) == [
        "'foreign' of 'nationality' is flagged high risk falsely – times as often as 'spanish' (at most 1.2)"]


@pytest.mark.parametrize("changes", [{"repeats": 1}, {"folds": 10},
                                     {"levels_judged": {"moderate": 0.3, "high": 0.95}}, {"levels_judged": None}])
def test_figures_not_from_the_policys_cross_validation_fail_until_trained_again(changes) -> None:
    assert gate_failures(_with(**changes), GATES) == [
        "the figures do not come from the policy's cross-validation (5 folds, 5 repeats, levels 0.3 and 0.5); "
        "train the model again"]


def test_the_gates_speak_swedish() -> None:
    assert gate_failures(_with(auc=0.63), GATES, "sv") == ["korsvaliderad AUC 0,63 är under lägsta tillåtna 0,64"]


def test_an_older_policy_still_loads_and_its_fpr_gap_gate_still_holds() -> None:
    older = ModelGates(min_auc=0.64, max_calibration_error=0.05, max_fpr_gap=0.04)  # the policy before issue 16
    assert (older.repeats, older.folds, older.max_fpr_ratio, older.min_group_size) == (5, 5, 1.2, 50)
    assert gate_failures(CARD, older) == ["false-positive-rate gap 0.05 by 'nationality' is above the maximum 0.04"]
