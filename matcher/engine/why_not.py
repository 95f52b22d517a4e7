"""Why an insats is not eligible, in words, and the keys its texts are kept by.

A why-not reads the outcomes of an insats's conditions (its eligibility and contraindications) and the recorded
values of the leaves it describes. ``LeafKeys`` makes those into bytes to cache a text by; ``Template`` words a
why-not once per pattern of outcomes, leaving each leaf's description open, so that the many cases that share the
pattern but differ in recorded values only fill it in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.engine.matching import CaseDetail
from matcher.i18n import t
from matcher.rulebase.conditions import Describer, LeafTable, failed_parts, holds, met_parts
from matcher.rulebase.loading import RuleBase


class LeafKeys:
    """What a text about some condition trees of each insats depends on, as bytes to cache it by: the outcomes of
    the trees' leaves and the recorded value of every leaf the text can describe. ``failed_parts`` describes the
    leaves that failed, ``met_parts`` those that held, each turned round under a ``not``; a leaf is counted as
    describable when its outcome is the one flagged for it (a superset of those described, so the key is exact).
    Two cases with the same key get the same text; a value nothing describes (an age that met its bound) does
    not make a new one."""

    def __init__(self, rules: RuleBase, trees: list[list[tuple[Any, bool]]]):
        per_insats = [[pair for node, described_if in nodes for pair in flagged(node, described_if)]
                      for nodes in trees]
        self.leaves = np.array([leaf for pairs in per_insats for leaf, _ in pairs], dtype=np.intp)
        self.columns = np.array([rules.leaves.leaves[leaf].column for leaf in self.leaves.tolist()], dtype=np.intp)
        self.described_if = np.array([flag for pairs in per_insats for _, flag in pairs], dtype=bool)
        self.bounds = np.cumsum([0, *(len(pairs) for pairs in per_insats)]).tolist()

    def of(self, case: CaseDetail) -> Callable[[int], bytes]:
        """The key of insats ``i`` for this case (one pass over every insats's leaves, then slices)."""
        outcomes = case.leaf_row[self.leaves]
        values = np.where(outcomes == self.described_if, case.values[self.columns], 0)
        seen, recorded, width, bounds = outcomes.tobytes(), values.tobytes(), values.itemsize, self.bounds
        return lambda i: seen[bounds[i]: bounds[i + 1]] + recorded[bounds[i] * width: bounds[i + 1] * width]


def flagged(node: Any, described_if: bool) -> list[tuple[int, bool]]:
    """The leaves of a tree, each with the outcome for which its text can be shown (turned round under a not)."""
    if node.kind == "leaf":
        return [(node.leaf, described_if)]
    inner = not described_if if node.kind == "not" else described_if
    return [pair for child in node.children for pair in flagged(child, inner)]


SLOT = "\x00"  # where a leaf's description goes in a why-not template


@dataclass(frozen=True)
class Template:
    """A why-not's texts for one pattern of leaf outcomes, with each leaf description left open: the texts split at
    its slots, and the leaves to describe, in order. Many cases share a pattern but differ in recorded values."""

    pieces: tuple[tuple[str, ...], ...]
    leaves: tuple[int, ...]

    @classmethod
    def of(cls, rules: RuleBase, case: CaseDetail, i: int, level: str, lang: str) -> Template | None:
        """Insats ``i``'s why-not for the leaf outcomes of ``case``; None when a rule's own text holds a SLOT (the
        slots would not match the leaves)."""
        slots = _Slots()
        pieces = tuple(tuple(text.split(SLOT)) for text in why_not_texts(rules, case, i, level, lang, slots))
        if sum(len(parts) - 1 for parts in pieces) != len(slots.leaves):
            return None
        return cls(pieces, tuple(slots.leaves))

    def filled(self, table: LeafTable, row: np.ndarray, lang: str) -> list[str]:
        described = iter([table.describe(leaf, row, lang) for leaf in self.leaves])
        return ["".join([parts[0], *(next(described) + part for part in parts[1:])]) for parts in self.pieces]


class _Slots:
    """Stands in for the leaf table while a template is worded: records each leaf it is asked to describe and
    leaves a SLOT in its place."""

    def __init__(self) -> None:
        self.leaves: list[int] = []

    def describe(self, leaf_id: int, row: np.ndarray, lang: str) -> str:
        self.leaves.append(leaf_id)
        return SLOT


def why_not_texts(rules: RuleBase, case: CaseDetail, i: int, level: str, lang: str,
                  table: Describer) -> list[str]:
    """Why insats ``i`` is not eligible for this case: its conditions not met, an intensity its risk level does
    not allow, the contraindications that hold; each leaf described by ``table`` (the rule base's leaf table, or
    a template's ``_Slots``)."""
    iv = rules.interventions[i]
    if iv.model.do_not_offer:
        return [t(lang, "why_not.do_not_offer", message=w.message.get(lang))
                for w in iv.model.warnings if w.code == "do_not_offer"]
    row = case.values
    leaf_row = case.leaf_row
    reasons = requirements_unmet(rules, case, i, lang, table)
    if not case.intensity_allowed[i]:
        reasons.append(t(lang, "why_not.intensity", intensity=t(lang, f"intensity.{iv.model.intensity}"),
                         level=t(lang, f"risk.{level}")))
    for node, contra in iv.contraindications:
        if holds(node, leaf_row):
            facts = "; ".join(met_parts(node, leaf_row, row, table, lang))
            reasons.append(t(lang, "why_not.contraindication", reason=contra.reason.get(lang), facts=facts))
    return reasons


def requirements_unmet(rules: RuleBase, case: CaseDetail, i: int, lang: str, table: Describer) -> list[str]:
    """The first reasons of ``why_not_texts``: one per requirement of insats ``i``'s eligibility the case fails."""
    return [t(lang, "why_not.requires", requirement=text)
            for text in failed_parts(rules.interventions[i].eligibility, case.leaf_row, case.values, table, lang)]
