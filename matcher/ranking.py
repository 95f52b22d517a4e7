"""Top-k per case: prioritised first, then by score, ties by rule-base order; -1 where fewer are eligible.

Inputs are intervention-major (I x N). The fast path packs each (priority, score, order) into one
int64 whose order is exactly that ranking, so each rank is one vectorised maximum over I rows
instead of a sort: scores are never negative, so the bits of a float64 score order like the score;
counted from the bits of the lowest score an eligible pair can have (``lowest``), the eligible scores
fit in the bits left beside the priority flag and the index as long as they span fewer than about
2^7 binades. When they do not, an exact stable sort ranks the batch.
"""

from __future__ import annotations

import numpy as np


def top_k(score: np.ndarray, eligible: np.ndarray, priority: np.ndarray, k: int, lowest: float,
          key: np.ndarray | None = None) -> np.ndarray:
    """N x k intervention indices, best first; ``lowest`` bounds every eligible score from below.

    ``key`` is an optional C-contiguous I x N int64 work array (reused by bulk runs; it is overwritten).
    """
    n_items, n = score.shape
    index_bits = max(1, (n_items - 1).bit_length())
    key = np.subtract(score.view(np.int64), np.float64(lowest).view(np.int64),
                      out=np.empty(score.shape, dtype=np.int64) if key is None else key)
    if n_items == 0 or n == 0 or key.max() >= 1 << (62 - index_bits):
        return _top_k_sorted(score, eligible, priority, k)
    key <<= index_bits
    key |= np.arange(n_items - 1, -1, -1, dtype=np.int64)[:, np.newaxis]  # lower index, higher key
    key[priority] |= 1 << 62
    key |= eligible.view(np.int8) - 1  # -1 (all bits) where not eligible, below every eligible key
    top = np.empty((n, k), dtype=index_dtype(n_items))
    flat = key.reshape(-1)
    columns = np.arange(n)
    low_bits = (1 << index_bits) - 1
    for rank in range(k):
        best = key.max(axis=0)
        items = n_items - 1 - (best & low_bits)  # where best is -1, a row counted from the end: keys all -1 already
        top[:, rank] = np.where(best >= 0, items, -1)
        flat[items * n + columns] = -1
    return top


def _top_k_sorted(score: np.ndarray, eligible: np.ndarray, priority: np.ndarray, k: int) -> np.ndarray:
    """The same ranking by a stable sort (equal keys keep rule-base order)."""
    order = np.lexsort((-score, ~priority, ~eligible), axis=0)[:k]
    order = np.where(np.take_along_axis(eligible, order, axis=0), order, -1).T.astype(index_dtype(len(score)))
    if order.shape[1] < k:
        order = np.hstack([order, np.full((len(order), k - order.shape[1]), -1, dtype=order.dtype)])
    return order


def index_dtype(n_items: int) -> type[np.signedinteger]:
    return np.int8 if n_items < 128 else np.int16 if n_items < 32768 else np.int32
