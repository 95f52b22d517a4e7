"""Top-k ranking (packed keys and the exact sort agree) and bulk matching in chunks (same as one batch)."""

import numpy as np
import pytest

from matcher import encode_cases, explain, match
from matcher.engine import match_matrix
from matcher.ranking import _top_k_sorted, top_k
from matcher.synth import synthetic_cases


def _brute(score, eligible, priority, k):
    out = []
    for n in range(score.shape[1]):
        ranked = sorted((not priority[i, n], -score[i, n], i) for i in range(len(score)) if eligible[i, n])
        out.append([i for _, _, i in ranked[:k]] + [-1] * (k - len(ranked[:k])))
    return np.array(out)


@pytest.mark.parametrize("k", [1, 5, 9])
def test_packed_keys_rank_like_a_sort_with_ties_priority_and_too_few_eligible(k: int) -> None:
    rng = np.random.default_rng(3)
    score = rng.choice([10.0, 12.5, 12.5 + 2**-40, 30.0, 99.75], size=(7, 400))  # many exact and near ties
    eligible = rng.random((7, 400)) < 0.6
    priority = eligible & (rng.random((7, 400)) < 0.2)
    expected = _brute(score, eligible, priority, k)
    assert np.array_equal(top_k(score, eligible, priority, k, lowest=10.0), expected)
    assert np.array_equal(_top_k_sorted(score, eligible, priority, k), expected)


def test_scores_too_spread_for_packed_keys_are_ranked_by_the_exact_sort() -> None:
    score = np.array([[0.0, 1e-300], [5.0, 0.0], [5.0, 1e-299]])
    eligible = np.ones_like(score, dtype=bool)
    priority = np.zeros_like(eligible)
    assert top_k(score, eligible, priority, 2, lowest=0.0).tolist() == [[1, 2], [2, 0]]


def test_bulk_matching_in_small_chunks_equals_one_batch(rules, model) -> None:
    batch = encode_cases(synthetic_cases(rules, 300, seed=11), rules)
    whole = match(batch, rules, model)
    chunked = match_matrix(batch.values.astype(np.int8), rules, model, chunk=64, ids=batch.ids,
                           synthetic=batch.synthetic)
    assert whole.kept is not None and chunked.kept is None
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
    with pytest.raises(ValueError, match=r"must be an N x 49 case matrix \(33 factor and 16 context columns\)\. "
                                         r"Got shape \(3, 40\) instead\."):
        match_matrix(np.zeros((3, 40), dtype=np.int8), rules, model)
