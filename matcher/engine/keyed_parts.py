"""Parts of bulk explanations made once per key (``explained_lines``): the rows of a numpy key that differ, and a
bounded cache of the parts made for them."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from matcher.rulebase.loading import RuleBase


class Fragments:
    """Encoded parts of explanations by kind and key, for one rule base and language, kept across batches (the
    conditions a why-not failed recur: 20,000 synthetic cases have about 15,000 distinct ones, a batch of 4,096
    about 6,000). A kind is cleared when it holds ``CACHED`` parts (a few hundred bytes each with its key)."""

    CACHED = 50_000

    def __init__(self) -> None:
        self.kinds: dict[str, dict[tuple[Any, ...], bytes]] = {}

    def get(self, kind: str, key: tuple[Any, ...], make: Callable[[], bytes]) -> bytes:
        parts = self.kinds.setdefault(kind, {})
        part = parts.get(key)
        if part is None:
            if len(parts) >= self.CACHED:
                parts.clear()
            part = parts[key] = make()
        return part

    def clear(self) -> None:
        self.kinds.clear()


@lru_cache(maxsize=4)
def fragments(rules: RuleBase, lang: str) -> Fragments:
    """The parts of one rule base and language (a rule base edited in the app is a new one)."""
    return Fragments()


def distinct_rows(key: np.ndarray, dtype: Any = np.int16) -> tuple[list[int], list[int], list[bytes]]:
    """The distinct rows of ``key`` (as ``dtype``: every code, index and share fits the default), in order of first
    appearance: the first case of each, every case's row number and each row as bytes (dicts of the rows' bytes:
    several times sooner than ``np.unique(axis=0)``, which sorts them)."""
    key = np.ascontiguousarray(key, dtype=dtype)  # N x width
    width = key.shape[1] * key.itemsize
    rows: list[bytes] = key.view(np.dtype((np.void, width))).ravel().tolist() if width else \
        [b""] * len(key)  # type: ignore[assignment]  # numpy types a void's tolist loosely
    distinct = list(dict.fromkeys(rows))
    first_of = dict(zip(reversed(rows), range(len(rows) - 1, -1, -1), strict=True))  # the first wins: written last
    number_of = {row: number_ for number_, row in enumerate(distinct)}
    return [first_of[row] for row in distinct], list(map(number_of.__getitem__, rows)), distinct
