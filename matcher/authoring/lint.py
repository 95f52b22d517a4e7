"""Checks beyond validity, run by `matcher rules check`: rules that load but cannot do what they say.

Conditions are decided exactly: a tree is evaluated, with the engine's own leaf code, over every
combination of the values its columns can take (a factor's ratings and "not rated"; a yes/no or enum
fact's values; for a whole-number fact, its bounds and the values either side of each threshold used).
When the combinations exceed ``MAX_GRID``, the search fixes one column at a time (the one most comparisons
use), drops every branch where a tree is already decided against what is wanted, and evaluates the rest as a
grid once it is small enough. A check that still exceeds ``MAX_BRANCHES`` is an error that says so: no
condition is ever reported fine without having been checked.
Errors make `rules check` fail; warnings are printed for the methodologist to judge.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from matcher.errors import Problem
from matcher.i18n import swedish_today, t
from matcher.rulebase.conditions import Node, evaluate
from matcher.rulebase.factors import UNRATED
from matcher.rulebase.loading import CompiledIntervention, RuleBase
from matcher.rulebase.schema import AllOf, AnyOf, Condition, NotOf, Text
from matcher.rulebase.yamlsource import load_yaml

MAX_GRID = 2_000_000
MAX_BRANCHES = 20_000
MIN_TRANSLATED_LENGTH = 25  # shorter texts (acronyms, terms) may well be the same in both languages


Severity = Literal["error", "warning"]
Found = tuple[Severity, tuple, str, dict[str, Any]]  # severity, YAML path, message key (lint.*), its values


@dataclass(frozen=True)
class Finding:
    """One lint finding; ``problem`` carries the English message (the command line's), ``text`` gives it in the
    reader's language."""

    severity: Severity
    problem: Problem
    key: str
    values: dict[str, Any]

    def text(self, lang: str) -> str:
        return t(lang, self.key, **self.values)

    def __str__(self) -> str:
        p = self.problem
        where = f"{p.file}:{p.line}" if p.line else p.file
        return f"{where}: {p.path}: {self.severity}: {p.message}" if p.path else \
            f"{where}: {self.severity}: {p.message}"


def lint(rules: RuleBase, today: dt.date | None = None) -> list[Finding]:
    today = today or swedish_today()
    findings = []
    for iv in rules.interventions:
        path = rules.root / "interventions" / f"{iv.id}.yaml"
        doc = load_yaml(path, path.relative_to(rules.root.parent).as_posix())
        for severity, where, key, values in _check(rules, iv, today):
            findings.append(Finding(severity, doc.problem(where, t("en", key, **values)), key, values))
    return findings


def _check(rules: RuleBase, iv: CompiledIntervention, today: dt.date) -> Iterator[Found]:
    model = iv.model
    if not model.do_not_offer:
        yield from _conditions(rules, iv)
    counted = [e for e in model.evidence if e.confidence in rules.policy.counted_confidence]
    if not counted:
        yield "warning", ("evidence",), "lint.no_counted_evidence", {}
    limit = rules.policy.lint.max_evidence_age_years
    for i, entry in enumerate(model.evidence):
        if (today - entry.read).days > 365.25 * limit:
            yield "warning", ("evidence", i, "read"), "lint.evidence_old", {"read": entry.read, "limit": limit}
    for where, text in _texts(model):
        if where != ("name",) and text.sv == text.en and len(text.sv) >= MIN_TRANSLATED_LENGTH:
            yield "error", where, "lint.untranslated", {}


def _texts(model: object, where: tuple = ()) -> Iterator[tuple[tuple, Text]]:
    if isinstance(model, Text):
        yield where, model
    elif isinstance(model, list):
        for i, item in enumerate(model):
            yield from _texts(item, (*where, i))
    elif isinstance(model, BaseModel):
        for name in type(model).model_fields:
            yield from _texts(getattr(model, name), (*where, name))


def _conditions(rules: RuleBase, iv: CompiledIntervention) -> Iterator[Found]:
    model = iv.model
    eligibility = iv.eligibility
    contras = [node for node, _ in iv.contraindications]
    if model.eligibility is not None:
        yield from _never_or_always(rules, eligibility.children[-1], model.eligibility, ("eligibility",))
    for i, node in enumerate(contras):
        yield from _never_or_always(rules, node, model.contraindications[i].when, ("contraindications", i, "when"))
    admitted = _possible(rules, [(eligibility, True)])
    if admitted is not True:
        yield _unchecked(("age",)) if admitted is None else ("error", ("age",), "lint.never_eligible", {})
        return
    offered = [(eligibility, True), *((node, False) for node in contras)]
    answer = _possible(rules, offered)
    if answer is not True:
        yield _unchecked(("contraindications",)) if answer is None else (
            "error", ("contraindications",), "lint.contraindications_exclude_all", {})
        return
    for i, node in enumerate(contras):
        answer = _possible(rules, [(eligibility, True), (node, True)])
        if answer is not True:
            yield _unchecked(("contraindications", i, "when")) if answer is None else (
                "warning", ("contraindications", i, "when"), "lint.contraindication_never", {})
    for name in model.targets:
        answer = _possible(rules, offered, rules.catalogue.factor_index[name])
        if answer is not True:
            yield _unchecked(("targets", name)) if answer is None else (
                "error", ("targets", name), "lint.target_unreachable", {"factor": name})


def _unchecked(where: tuple) -> Found:
    return "error", where, "lint.unchecked", {"grid": MAX_GRID, "branches": MAX_BRANCHES}


def _possible(rules: RuleBase, terms: list[tuple[Node, bool]], need: int | None = None) -> bool | None:
    """Whether some case gives every tree its wanted value (and rates factor column ``need`` moderate or high);
    None when the search could not decide it within ``MAX_BRANCHES``.

    Trees that share no column are independent, so each group of trees linked by shared columns is searched on
    its own: the conjunction holds for some case exactly when every group's part does."""
    groups: list[tuple[set[int], list[tuple[Node, bool]]]] = []
    pieces = [({rules.leaves.leaves[i].column for i in _leaves(node)}, [(node, wanted)]) for node, wanted in terms]
    for columns, members in [*pieces, *([({need}, [])] if need is not None else [])]:
        joined = [g for g in groups if g[0] & columns]
        groups = [g for g in groups if not g[0] & columns]
        groups.append((columns.union(*(g[0] for g in joined)), [t for g in joined for t in g[1]] + members))
    answer: bool | None = True
    for columns, members in groups:
        leaf_ids = sorted({leaf for node, _ in members for leaf in _leaves(node)})
        domains = {column: _domain(rules, column, leaf_ids) for column in columns}
        if need is not None and need in domains:
            domains[need] = [v for v in domains[need] if v >= 1]
        found = _search(rules, members, domains, leaf_ids, [MAX_BRANCHES])
        if found is False:
            return False
        if found is None:
            answer = None
    return answer


def _search(rules: RuleBase, members: list[tuple[Node, bool]], domains: dict[int, list[int]], leaf_ids: list[int],
            budget: list[int]) -> bool | None:
    """Some case within ``domains`` (column -> the values left) where every tree has its wanted value."""
    budget[0] -= 1
    if budget[0] < 0:
        return None
    known = {i: _leaf_value(rules, i, domains) for i in leaf_ids
             if len(domains[rules.leaves.leaves[i].column]) == 1}
    decided = [_partial(node, known) for node, _ in members]
    if any(value is not None and value != wanted for value, (_, wanted) in zip(decided, members, strict=True)):
        return False
    if all(value is not None for value in decided):
        return True
    if math.prod(len(d) for d in domains.values()) <= MAX_GRID:
        return _on_grid(rules, members, domains)
    uses: dict[int, int] = {}
    for i in leaf_ids:
        column = rules.leaves.leaves[i].column
        if len(domains[column]) > 1:
            uses[column] = uses.get(column, 0) + 1
    column = max(uses, key=lambda c: uses[c])
    answer: bool | None = False
    for value in domains[column]:
        found = _search(rules, members, {**domains, column: [value]}, leaf_ids, budget)
        if found:
            return True
        if found is None:
            answer = None
    return answer


def _leaf_value(rules: RuleBase, leaf_id: int, domains: dict[int, list[int]]) -> bool:
    leaf = rules.leaves.leaves[leaf_id]
    out = np.empty(1, dtype=bool)
    leaf.evaluate(np.array(domains[leaf.column], dtype=np.int16), out)
    return bool(out[0])


def _partial(node: Node, known: dict[int, bool]) -> bool | None:
    """A tree's value when only the ``known`` leaves are known: True, False, or None (still open)."""
    if node.kind == "leaf":
        return known.get(node.leaf)
    if node.kind == "not":
        value = _partial(node.children[0], known)
        return None if value is None else not value
    values = [_partial(child, known) for child in node.children]
    decisive = node.kind == "any"  # any: one True decides; all: one False decides
    if decisive in values:
        return decisive
    return None if None in values else not decisive


def _on_grid(rules: RuleBase, members: list[tuple[Node, bool]], domains: dict[int, list[int]]) -> bool:
    grid = _grid(rules, domains)
    leaves = rules.leaves.evaluate(grid)
    ok = np.ones(len(grid), dtype=bool)
    for node, wanted in members:
        ok &= evaluate(node, leaves) == wanted
    return bool(ok.any())


def _never_or_always(rules: RuleBase, node: Node, cond: Condition, where: tuple) -> Iterator[Found]:
    can_hold, can_fail = _possible(rules, [(node, True)]), _possible(rules, [(node, False)])
    if can_hold is None or can_fail is None:
        yield _unchecked(where)
        return
    if not can_hold:
        yield "error", where, "lint.never_holds", {}
        return
    if can_fail is False:
        yield "error", where, "lint.always_holds", {}
        return
    if isinstance(cond, AllOf | AnyOf):
        items = cond.all if isinstance(cond, AllOf) else cond.any
        key = "all" if isinstance(cond, AllOf) else "any"
        for i, (child, child_cond) in enumerate(zip(node.children, items, strict=True)):
            yield from _never_or_always(rules, child, child_cond, (*where, key, i))
    elif isinstance(cond, NotOf):
        yield from _never_or_always(rules, node.children[0], cond.not_, (*where, "not"))


def _leaves(node: Node) -> set[int]:
    if node.kind == "leaf":
        return {node.leaf}
    return set().union(*(_leaves(child) for child in node.children))


def _domain(rules: RuleBase, column: int, leaf_ids: list[int]) -> list[int]:
    """The values of a column that can change a comparison: a factor's ratings and "not rated"; a yes/no or enum
    fact's values; a whole number's bounds and the values either side of each threshold the given leaves use."""
    cat = rules.catalogue
    if column < len(cat.factors):
        return [UNRATED, *cat.scale(cat.factors[column]).values]
    fact = cat.context[column - len(cat.factors)]
    if fact.type == "bool":
        return [0, 1]
    if fact.type == "enum":
        return list(range(len(fact.values or [])))
    used = [rules.leaves.leaves[i] for i in leaf_ids]
    cuts = {v + d for leaf in used if leaf.column == column for v in leaf.values for d in (-1, 0, 1)}
    low, high = int(fact.min or 0), int(fact.max or 0)
    return sorted({low, high} | {c for c in cuts if low <= c <= high})


def _grid(rules: RuleBase, domains: dict[int, list[int]]) -> np.ndarray:
    """Every combination of the columns' values, the other columns at their defaults."""
    cat = rules.catalogue
    columns = sorted(domains)
    sizes = [len(domains[c]) for c in columns]
    total = math.prod(sizes)
    grid = np.empty((total, cat.n_columns), dtype=np.int16, order="F")
    grid[:] = cat.default_row()
    for k, column in enumerate(columns):  # itertools.product's order
        inner, outer = math.prod(sizes[k + 1:]), math.prod(sizes[:k])
        grid[:, column] = np.tile(np.repeat(np.array(domains[column], dtype=np.int16), inner), outer)
    return grid
