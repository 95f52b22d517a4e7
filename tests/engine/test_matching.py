"""Invariants of the engine over many generated cases, and batch/single agreement."""

import numpy as np
import pytest

from matcher import encode_cases, explain, match
from matcher.engine.scoring import TERMS
from matcher.modelling.synth import synthetic_cases
from matcher.rulebase.factors import RISK_LEVELS

FAMILY_TYPES = ("family_therapy", "parent_training")


@pytest.fixture(scope="module")
def result(rules, model):
    return match(encode_cases(synthetic_cases(rules, 3000, seed=7), rules), rules, model)


def _recommended(result):
    rows, ranks = np.nonzero(result.top >= 0)
    return rows, result.top[rows, ranks]


def test_generated_cases_cover_every_risk_level(result) -> None:
    counts = np.bincount(result.risk.level, minlength=len(RISK_LEVELS))
    assert (counts > 100).all(), counts


def test_an_ineligible_intervention_is_never_recommended(result) -> None:
    rows, items = _recommended(result)
    assert result.eligible[rows, items].all()


def test_a_do_not_offer_entry_is_never_recommended_nor_eligible(rules, result) -> None:
    dno = [i for i, iv in enumerate(rules.interventions) if iv.model.do_not_offer]
    assert not result.eligible[:, dno].any()
    assert not np.isin(result.top, dno).any()


def test_intensive_crime_programmes_are_never_recommended_at_low_risk(rules, result) -> None:
    """The RNR risk principle gates criminogenic insatser from the age the risk score is made for; welfare
    insatser (indicated by a clinical need) and court sanctions are not gated by it."""
    intensive = [i for i, iv in enumerate(rules.interventions) if iv.model.intensity in ("high", "very_high")
                 and iv.model.indication == "criminogenic" and iv.model.type != "legal_sanction"]
    assert {"mst", "tfco", "sis-placement"} <= {rules.interventions[i].id for i in intensive}
    age = result.cases.values[:, rules.catalogue.context_index["age"]]
    low = (result.risk.level == RISK_LEVELS.index("low")) & (age >= rules.policy.risk_score_min_age)
    assert low.sum() > 0
    assert not np.isin(result.top[low], intensive).any()


def test_family_and_parent_programmes_need_a_caregiver_who_takes_part(rules, result) -> None:
    family = [i for i, iv in enumerate(rules.interventions) if iv.model.type in FAMILY_TYPES]
    column = rules.catalogue.context_index["caregiver"]
    without = result.cases.values[:, column] != 0  # 0: takes part; 1: does not take part; 2: none
    assert without.sum() > 0 and len(family) >= 8
    assert not np.isin(result.top[without], family).any()


def test_every_score_is_the_sum_of_its_terms(result) -> None:
    total = np.zeros_like(result.score)
    for name in TERMS:
        total = total + result.terms[name]
    assert np.array_equal(total, result.score)


def test_explained_scores_equal_the_sum_of_the_shown_terms(result) -> None:
    for n in range(0, len(result), 150):
        for rec in explain(result, n, "en")["recommendations"]:
            assert rec["score"] == round(sum(rec["terms"].values()), 2)


def test_risk_points_sum_to_the_risk_score(result) -> None:
    assert np.allclose(result.risk.points.sum(axis=1) + result.risk.intercept, result.risk.score)


def test_ranking_is_priority_first_then_by_score_and_nothing_better_is_left_out(result) -> None:
    assert result.priority.any() and not (result.priority & ~result.eligible).any()
    for n in range(len(result)):
        top = [i for i in result.top[n] if i >= 0]
        keys = [(bool(result.priority[n, i]), result.score[n, i]) for i in top]
        assert keys == sorted(keys, reverse=True)
        others = result.eligible[n].copy()
        others[top] = False
        if top and len(top) == result.top.shape[1]:
            assert all((bool(result.priority[n, i]), result.score[n, i]) <= keys[-1] for i in np.flatnonzero(others))
        else:
            assert not others.any()


def test_one_case_alone_gets_the_same_result_as_in_a_batch(rules, model, result) -> None:
    cases = synthetic_cases(rules, 3000, seed=7)  # the same cases as the batch (drawn factor by factor)
    for n in (0, 13, 39):
        alone = match(encode_cases([cases[n]], rules), rules, model)
        assert explain(alone, 0, "sv") == explain(result, n, "sv")


def test_top_k_is_a_parameter(rules, model) -> None:
    batch = encode_cases(synthetic_cases(rules, 20, seed=1), rules)
    assert match(batch, rules, model, top_k=3).top.shape == (20, 3)
    with pytest.raises(ValueError, match=r"The 'top_k' parameter of match must be at least 1\. Got 0 instead\."):
        match(batch, rules, model, top_k=0)
