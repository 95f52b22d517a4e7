"""The factor catalogue and the instrument adapters that map instrument items onto it.

Cases are encoded as one integer matrix: a column per factor (the rating, or ``UNRATED``),
then a column per context fact (bool as 0/1, enum as the index of its value, int as is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from matcher.rulebase.schema import Catalogue, ContextFact, Factor, Instrument, Scale

UNRATED = -1
RISK_LEVELS = ("low", "moderate", "high")
HISTORY = "criminal_history"  # the domain of the registered criminal history: numbers, asked for on their own


@dataclass(frozen=True)
class FactorCatalogue:
    """Indexes over ``factors.yaml``: columns, scales and the encoding of context values."""

    model: Catalogue
    factors: tuple[Factor, ...] = field(init=False)
    context: tuple[ContextFact, ...] = field(init=False)
    factor_index: dict[str, int] = field(init=False)
    context_index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "factors", tuple(self.model.factors))
        object.__setattr__(self, "context", tuple(self.model.context))
        object.__setattr__(self, "factor_index", {f.id: i for i, f in enumerate(self.factors)})
        n = len(self.factors)
        object.__setattr__(self, "context_index", {c.id: n + i for i, c in enumerate(self.context)})

    @property
    def n_columns(self) -> int:
        return len(self.factors) + len(self.context)

    def scale(self, factor: Factor) -> Scale:
        return self.model.scales[factor.scale]

    def factor(self, factor_id: str) -> Factor:
        return self.factors[self.factor_index[factor_id]]

    def fact(self, fact_id: str) -> ContextFact:
        return self.context[self.context_index[fact_id] - len(self.factors)]

    def rated(self) -> np.ndarray:
        """Which factor columns are ratings that should be rated (the registered history is counts and ages,
        blank when not known, and is never warned about as unrated)."""
        return np.array([f.domain != HISTORY for f in self.factors])

    def mask(self, *, kind: str | None = None, dynamic: bool | None = None) -> np.ndarray:
        return np.array([(kind is None or f.kind == kind) and (dynamic is None or f.dynamic == dynamic)
                         for f in self.factors])

    def encode_context(self, fact: ContextFact, value: Any) -> int:
        if fact.type == "bool":
            return int(bool(value))
        if fact.type == "enum":
            return fact.values.index(value)  # type: ignore[union-attr]
        return int(value)

    def context_label(self, fact: ContextFact, code: int, lang: str) -> str:
        if fact.type == "bool":
            return ("ja" if code else "nej") if lang == "sv" else ("yes" if code else "no")
        if fact.type == "enum":
            return fact.labels[lang][code]  # type: ignore[index]
        return str(code)

    def factor_label(self, factor: Factor, rating: int, lang: str) -> str:
        if rating == UNRATED:
            return "ej bedömd" if lang == "sv" else "not rated"
        return self.scale(factor).label(rating, lang)

    def default_row(self) -> np.ndarray:
        """A row with every factor unrated and every optional context fact at its default."""
        return np.array(self.default_codes, dtype=np.int16)

    @cached_property
    def aged(self) -> tuple[ContextFact, ...]:
        """The enum facts with values that fit only some ages (``value_ages``)."""
        return tuple(fact for fact in self.context if fact.value_ages)

    @cached_property
    def default_codes(self) -> tuple[int, ...]:
        """``default_row`` as Python ints, made once (a case read alone starts from it)."""
        row = [UNRATED] * self.n_columns
        for fact in self.context:
            if not fact.required:
                default = False if fact.type == "bool" else fact.default
                row[self.context_index[fact.id]] = self.encode_context(fact, default)
        return tuple(row)


@dataclass(frozen=True)
class InstrumentAdapter:
    """Maps the items of one instrument onto catalogue factors; combined by the maximum."""

    model: Instrument
    item_keys: dict[str, str] = field(init=False)  # every accepted key -> item id

    def __post_init__(self) -> None:
        keys = {}
        for item in self.model.items:
            for key in (item.id, *item.aliases):
                keys[key] = item.id
        object.__setattr__(self, "item_keys", keys)

    def accepted_words(self, scale: str) -> list[str]:
        s = self.model.scales[scale]
        return [*s.values, *s.aliases]

    def ratings(self, items: Mapping[str, str]) -> dict[str, int]:
        """Factor ratings from validated item answers: the highest answer wins per factor."""
        by_id = {item.id: item for item in self.model.items}
        out: dict[str, int] = {}
        for key, answer in items.items():
            item = by_id[self.item_keys[key]]
            scale = self.model.scales[item.scale]
            value = scale.values[scale.aliases.get(answer, answer)]
            for factor_id in item.factors:
                out[factor_id] = max(out.get(factor_id, UNRATED), value)
        return out
