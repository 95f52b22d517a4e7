"""Structured conditions compiled to boolean masks over the case matrix, with words for each leaf.

A condition tree (``all`` / ``any`` / ``not`` over factor and context comparisons) is resolved
against the catalogue once, when the rule base loads: names become column numbers, enum words
become codes, and every distinct comparison becomes one leaf in a shared ``LeafTable``. Evaluating
a batch computes each leaf once (an N x L boolean matrix); a tree is then a few logical reductions
over leaf columns. The same leaf results explain, for one case, which comparisons held and failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from matcher.i18n import Message, message, t
from matcher.rulebase.factors import FactorCatalogue
from matcher.rulebase.schema import AllOf, AnyOf, Condition, ContextLeaf, FactorLeaf, NotOf
from matcher.rulebase.yamlsource import did_you_mean

ORDER_OPS: dict[str, np.ufunc] = {
    ">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less, "==": np.equal, "!=": np.not_equal,
}
SET_OPS = ("in", "not_in")
BIT_SHIFTS = np.arange(8, dtype=np.uint8)


@dataclass(frozen=True)
class Leaf:
    """One comparison of one matrix column with encoded values."""

    column: int
    op: str
    values: tuple[int, ...]

    def evaluate(self, column: np.ndarray, out: np.ndarray) -> None:
        """Write the comparison for every case into ``out``; a set is a few equality tests (lists are short)."""
        if self.op not in SET_OPS:
            ORDER_OPS[self.op](column, self.values[0], out=out)
            return
        np.equal(column, self.values[0], out=out)
        for value in self.values[1:]:
            out |= column == value
        if self.op == "not_in":
            np.logical_not(out, out=out)


@dataclass(frozen=True)
class Node:
    """A compiled condition: ``kind`` is all, any, not or leaf."""

    kind: str
    children: tuple[Node, ...] = ()
    leaf: int = -1


class Describer(Protocol):
    def describe(self, leaf_id: int, row: np.ndarray, lang: str) -> str: ...


class LeafTable:
    """Every distinct leaf of a rule base, numbered; evaluated together per batch."""

    def __init__(self, catalogue: FactorCatalogue):
        self.catalogue = catalogue
        self.leaves: list[Leaf] = []
        self._index: dict[Leaf, int] = {}
        self._described: dict[tuple[int, int, str], str] = {}  # (leaf, recorded value, lang) -> describe's text

    def add(self, leaf: Leaf) -> int:
        if leaf not in self._index:
            self._index[leaf] = len(self.leaves)
            self.leaves.append(leaf)
        return self._index[leaf]

    def evaluate(self, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """N x L boolean matrix, column-major (into ``out`` when given): leaf l holds for case n."""
        if out is None:
            out = np.empty((values.shape[0], len(self.leaves)), dtype=bool, order="F")
        for i, leaf in enumerate(self.leaves):
            leaf.evaluate(values[:, leaf.column], out[:, i])
        return out

    def pack(self, leaf_results: np.ndarray) -> np.ndarray:
        """N x ceil(L / 8) bytes: one bit per leaf outcome, the whole record of why a case met or failed a rule.

        Bit ``l % 8`` of byte ``l // 8`` is leaf ``l`` (the layout of ``np.packbits(..., bitorder="little")``,
        which is several times slower on a column-major leaf matrix than these shifts).
        """
        flags = leaf_results.T.view(np.uint8)  # L x N
        out = np.empty((-(-len(flags) // 8), flags.shape[1]), dtype=np.uint8)
        for byte in range(len(out)):
            block = flags[8 * byte: 8 * byte + 8]
            np.bitwise_or.reduce(block << BIT_SHIFTS[: len(block), np.newaxis], axis=0, out=out[byte])
        return out.T

    def unpack(self, bits: np.ndarray) -> np.ndarray:
        """The N x L boolean matrix back from ``pack``."""
        return np.unpackbits(bits, axis=1, count=len(self.leaves), bitorder="little").view(bool)

    # ------------------------------------------------------------ words

    def describe(self, leaf_id: int, row: np.ndarray, lang: str) -> str:
        """One leaf in words with the recorded value, e.g. 'Ålder: minst 12 (registrerat: 9)'."""
        key = (leaf_id, int(row[self.leaves[leaf_id].column]), lang)
        if key not in self._described:  # the same few texts come back in every explanation
            name, requirement, label = self._words(leaf_id, lang)
            self._described[key] = t(lang, "condition.leaf", name=name, requirement=requirement, recorded=label(key[1]))
        return self._described[key]

    def requirement(self, leaf_id: int, lang: str) -> str:
        """One leaf in words as the rule states it, e.g. 'Ålder: minst 12'."""
        name, requirement, _ = self._words(leaf_id, lang)
        return t(lang, "condition.requirement", name=name, requirement=requirement)

    def _words(self, leaf_id: int, lang: str) -> tuple[str, str, Callable[[int], str]]:
        """(the column's name, the requirement, the label of a value of that column)."""
        leaf = self.leaves[leaf_id]
        cat = self.catalogue
        n_factors = len(cat.factors)
        if leaf.column < n_factors:
            factor = cat.factors[leaf.column]
            name = factor.name.get(lang)

            def label(v: int) -> str:
                return cat.factor_label(factor, v, lang)
        else:
            fact = cat.context[leaf.column - n_factors]
            name = fact.name.get(lang)

            def label(v: int) -> str:
                return cat.context_label(fact, v, lang)
        wanted = ", ".join(label(v) for v in leaf.values)
        op = t(lang, f"op.{leaf.op}")
        return name, f"{op} {wanted}" if op else wanted, label


def evaluate(node: Node, leaf_results: np.ndarray) -> np.ndarray:
    """The tree's value for every case, from the N x L leaf matrix (read-only: it may be a view of a leaf column)."""
    if node.kind == "leaf":
        return leaf_results[:, node.leaf]
    parts = [evaluate(child, leaf_results) for child in node.children]
    if node.kind == "not":
        return ~parts[0]
    if len(parts) == 1:
        return parts[0]
    fold = np.logical_and if node.kind == "all" else np.logical_or
    out = fold(parts[0], parts[1])
    for part in parts[2:]:
        fold(out, part, out=out)
    return out


def holds(node: Node, leaf_row: np.ndarray) -> bool:
    """The tree's value for one case from its leaf outcomes (what ``evaluate`` gives, without numpy per node)."""
    if node.kind == "leaf":
        return bool(leaf_row[node.leaf])
    if node.kind == "not":
        return not holds(node.children[0], leaf_row)
    if node.kind == "all":
        return all(holds(child, leaf_row) for child in node.children)
    return any(holds(child, leaf_row) for child in node.children)


def failed_parts(node: Node, leaf_row: np.ndarray, row: np.ndarray, table: Describer, lang: str) -> list[str]:
    """Why a tree that does not hold fails, in words: one text per unmet requirement."""
    if node.kind == "leaf":
        return [table.describe(node.leaf, row, lang)]
    if node.kind == "all":
        return [text for child in node.children if not holds(child, leaf_row)
                for text in failed_parts(child, leaf_row, row, table, lang)]
    if node.kind == "any":
        options = [" + ".join(failed_parts(child, leaf_row, row, table, lang)) for child in node.children]
        return [t(lang, "condition.any_of", options="; ".join(options))]
    return [t(lang, "condition.must_not", inner=" + ".join(met_parts(node.children[0], leaf_row, row,
                                                                        table, lang)))]


def met_parts(node: Node, leaf_row: np.ndarray, row: np.ndarray, table: Describer, lang: str) -> list[str]:
    """What made a tree that holds hold, in words (for an ``any``, only the options that held)."""
    if node.kind == "leaf":
        return [table.describe(node.leaf, row, lang)]
    if node.kind in ("all", "any"):
        return [text for child in node.children if holds(child, leaf_row)
                for text in met_parts(child, leaf_row, row, table, lang)]
    return [t(lang, "condition.must_not", inner=" + ".join(failed_parts(node.children[0], leaf_row, row,
                                                                        table, lang)))]


def in_words(node: Node, table: LeafTable, lang: str) -> str:
    """A whole tree in words as the rule states it, without a case (for reading the rule itself)."""
    if node.kind == "leaf":
        return table.requirement(node.leaf, lang)
    parts = [in_words(child, table, lang) for child in node.children]
    if node.kind == "all":
        return " + ".join(parts)
    if node.kind == "any":
        return t(lang, "condition.any_of", options="; ".join(parts))
    return t(lang, "condition.must_not", inner=parts[0])


# ---------------------------------------------------------------- compiling


class ConditionError(ValueError):
    """A condition that does not fit the catalogue; ``path`` is relative to the condition."""

    def __init__(self, path: tuple[str | int, ...], said: Message):
        self.path = path
        self.said = said
        super().__init__(str(said))


def compile_condition(cond: Condition, table: LeafTable) -> Node:
    """Resolve names and values against the catalogue; raise ``ConditionError`` on the first misfit."""
    if isinstance(cond, AllOf | AnyOf):
        key = "all" if isinstance(cond, AllOf) else "any"
        items = cond.all if isinstance(cond, AllOf) else cond.any
        children = []
        for i, child in enumerate(items):
            try:
                children.append(compile_condition(child, table))
            except ConditionError as exc:
                raise ConditionError((key, i, *exc.path), exc.said) from None
        return Node(key, tuple(children))
    if isinstance(cond, NotOf):
        try:
            return Node("not", (compile_condition(cond.not_, table),))
        except ConditionError as exc:
            raise ConditionError(("not", *exc.path), exc.said) from None
    if isinstance(cond, FactorLeaf):
        return Node("leaf", leaf=table.add(_factor_leaf(cond, table.catalogue)))
    return Node("leaf", leaf=table.add(_context_leaf(cond, table.catalogue)))


def _values(op: str, value: Any, key: str) -> list[Any]:
    if op in SET_OPS:
        if not isinstance(value, list) or not value:
            raise ConditionError(("value",), message("condition.needs_list", op=op, value=repr(value)))
        return value
    if isinstance(value, list):
        raise ConditionError(("value",), message("condition.one_value", op=op, value=repr(value)))
    return [value]


def _factor_leaf(cond: FactorLeaf, cat: FactorCatalogue) -> Leaf:
    if cond.factor not in cat.factor_index:
        raise ConditionError(("factor",), message("condition.unknown_factor", name=cond.factor,
                                                  suggestion=did_you_mean(cond.factor, cat.factor_index)))
    factor = cat.factor(cond.factor)
    scale = cat.scale(factor)
    values = _values(cond.op, cond.value, "factor")
    for v in values:
        if isinstance(v, bool) or v not in scale.values:
            allowed = {lang: ", ".join(f"{x} ({label})" for x, label in zip(scale.values, labels, strict=True))
                       for lang, labels in scale.labels.items()}
            raise ConditionError(("value",), message("condition.not_on_scale", value=repr(v), factor=factor.id,
                                                     allowed=allowed))
    return Leaf(cat.factor_index[factor.id], cond.op, tuple(values))


def _context_leaf(cond: ContextLeaf, cat: FactorCatalogue) -> Leaf:
    if cond.context not in cat.context_index:
        raise ConditionError(("context",), message("condition.unknown_fact", name=cond.context,
                                                   suggestion=did_you_mean(cond.context, cat.context_index)))
    fact = cat.fact(cond.context)
    if not fact.matching:
        raise ConditionError(("context",), message("condition.audit_only", fact=fact.id))
    values = _values(cond.op, cond.value, "context")
    if fact.type in ("bool", "enum") and cond.op in (">=", ">", "<=", "<"):
        raise ConditionError(("op",), message("condition.cannot_order", op=cond.op, fact=fact.id, type=fact.type))
    for v in values:
        if fact.type == "bool" and not isinstance(v, bool):
            raise ConditionError(("value",), message("condition.yes_no", fact=fact.id, value=repr(v)))
        if fact.type == "int" and (isinstance(v, bool) or not isinstance(v, int)
                                   or not fact.min <= v <= fact.max):  # type: ignore[operator]
            raise ConditionError(("value",), message("condition.whole_number", fact=fact.id, min=fact.min,
                                                     max=fact.max, value=repr(v)))
        if fact.type == "enum" and v not in fact.values:  # type: ignore[operator]
            raise ConditionError(("value",), message("condition.not_a_value", value=repr(v), fact=fact.id,
                                                     expected=", ".join(fact.values),  # type: ignore[arg-type]
                                                     suggestion=did_you_mean(str(v), fact.values)))  # type: ignore[arg-type]
    return Leaf(cat.context_index[fact.id], cond.op, tuple(cat.encode_context(fact, v) for v in values))
