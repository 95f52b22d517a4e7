"""The compiled loop (matcher.engine.kernel) against the numpy evaluation: the ranking, eligibility and leaf bits,
in chunks and blocks of any size (same as one batch)."""

import numpy as np
import pytest

from matcher import encode_cases, explain, match
from matcher.engine.matching import evaluation, match_matrix
from matcher.engine.scoring import need, need_points, scoring_tables
from matcher.modelling.population import synthetic_batch
from matcher.modelling.registry import load_model
from matcher.modelling.synth import synthetic_cases
from matcher.rulebase.conditions import evaluate


def _brute(score, eligible, priority, k):
    out = []
    for n in range(score.shape[1]):
        ranked = sorted((not priority[i, n], -score[i, n], i) for i in range(len(score)) if eligible[i, n])
        out.append([i for _, _, i in ranked[:k]] + [-1] * (k - len(ranked[:k])))
    return np.array(out)


@pytest.mark.parametrize(("dtype", "k"), [(np.int8, 5), (np.int16, 1), (np.int8, 9), (np.int16, 37)])
def test_the_compiled_ranking_is_the_sorted_numpy_evaluation(rules, model, dtype, k: int) -> None:
    """k = 37 ranks every eligible insats, so the whole eligibility is compared; exact score ties occur here."""
    values = np.asfortranarray(synthetic_batch(rules, 3000, 4).values.astype(dtype))
    result = match_matrix(values, rules, model, k)
    risk = model.score(np.ascontiguousarray(values[:, : len(rules.catalogue.factors)]))
    leaf_results = rules.leaves.evaluate(values)
    assert np.array_equal(result.leaf_bits, rules.leaves.pack(leaf_results))
    assert np.array_equal(result.risk_score, risk.score) and np.array_equal(result.level, risk.level)
    ev = evaluation(rules, values, risk.points, risk.level, leaf_results)
    assert np.array_equal(result.top, _brute(ev.score, ev.eligible, ev.priority, k))
    assert k != 37 or np.array_equal((result.top >= 0).sum(axis=1), ev.eligible.sum(axis=0))


def test_a_trained_model_in_chunks_ranks_as_the_sorted_numpy_evaluation(rules, committed_models) -> None:
    """A risk model other than the points scorecard is scored with numpy chunk by chunk (here 100 cases: full and
    partial blocks of 64 within each chunk) before the compiled loop; the ranking and scores are those of the
    numpy evaluation."""
    model, _card = load_model(committed_models, "logistic-20261203-4276f2cb", rules)
    values = np.asfortranarray(synthetic_batch(rules, 1000, 6).values.astype(np.int8))
    result = match_matrix(values, rules, model, 9, chunk=100, scores=True)
    risk = model.score(values[:, : len(rules.catalogue.factors)])
    leaf_results = rules.leaves.evaluate(values)
    assert np.array_equal(result.leaf_bits, rules.leaves.pack(leaf_results))
    assert np.array_equal(result.risk_score, risk.score) and np.array_equal(result.level, risk.level)
    ev = evaluation(rules, values, risk.points, risk.level, leaf_results)
    assert np.array_equal(result.top, _brute(ev.score, ev.eligible, ev.priority, 9))
    assert result.top_score is not None
    taken = result.top >= 0
    assert np.array_equal(result.top_score[taken], ev.score[result.top[taken], np.nonzero(taken)[0]])
    assert np.isnan(result.top_score[~taken]).all()


def test_bulk_matching_in_small_chunks_equals_one_batch(rules, model) -> None:
    batch = encode_cases(synthetic_cases(rules, 300, seed=11), rules)
    whole = match(batch, rules, model)
    chunked = match_matrix(batch.values.astype(np.int8), rules, model, chunk=100, ids=batch.ids,
                           synthetic=batch.synthetic)  # chunks of 100: full and partial blocks of 64 cases
    assert np.array_equal(whole.top, chunked.top) and np.array_equal(whole.leaf_bits, chunked.leaf_bits)
    assert np.array_equal(whole.score, chunked.score)  # bit-identical, whatever the chunk
    for n in (0, 77, 299):
        assert explain(chunked, n, "en") == explain(whole, n, "en")


def test_a_case_alone_scores_bit_identically_to_the_same_case_in_a_batch(rules, model) -> None:
    batch = encode_cases(synthetic_cases(rules, 50, seed=2), rules)
    whole = match(batch, rules, model)
    for n in (3, 31):
        alone = match_matrix(batch.values[n: n + 1], rules, model)
        assert np.array_equal(alone.score[0], whole.score[n]) and np.array_equal(alone.top[0], whole.top[n])


def test_a_case_matrix_of_the_wrong_width_is_refused(rules, model) -> None:
    with pytest.raises(ValueError, match=r"must be an N x 60 case matrix \(38 factor and 22 context columns\)\. "
                                         r"Got shape \(3, 40\) instead\."):
        match_matrix(np.zeros((3, 40), dtype=np.int8), rules, model)


@pytest.mark.parametrize("trained", [False, True])
def test_one_case_detail_equals_its_row_of_the_numpy_evaluation(rules, model, committed_models, trained) -> None:
    """``detail`` reads the pairs the compiled loop kept (``match``) or matches the case again alone, keeping them
    (a batch without them); both are the numpy evaluation's row, bit for bit."""
    if trained:
        model, _card = load_model(committed_models, "logistic-20261203-4276f2cb", rules)
    batch = encode_cases(synthetic_cases(rules, 400, seed=12), rules)
    kept, unkept = match(batch, rules, model), match_matrix(batch.values, rules, model)
    assert kept.pairs is not None and unkept.pairs is None
    risk = model.score(batch.values[:, : len(rules.catalogue.factors)])
    leaf_results = rules.leaves.evaluate(batch.values)
    ev = evaluation(rules, batch.values, risk.points, risk.level, leaf_results)
    met = np.array([evaluate(iv.eligibility, leaf_results) for iv in rules.interventions])
    needs = need(need_points(rules, batch.values[:, : len(rules.catalogue.factors)], risk.points),
                 scoring_tables(rules))
    for n in range(0, 400, 3):
        for case in (kept.detail(n), unkept.detail(n)):
            assert np.array_equal(case.eligible, ev.eligible[:, n]) and np.array_equal(case.priority, ev.priority[:, n])
            assert np.array_equal(case.intensity_allowed, ev.intensity_allowed[:, n])
            assert np.array_equal(case.conditions_met, met[:, n])
            assert np.array_equal(case.score, ev.score[:, n]) and np.array_equal(case.leaf_row, leaf_results[n])
            assert np.array_equal(case.points, risk.points[n]) and case.points.dtype == risk.points.dtype
            assert np.array_equal(case.needs, needs[n])
            assert list(case.terms) == list(ev.terms)
            assert all(np.array_equal(case.terms[name], term[:, n]) for name, term in ev.terms.items())
