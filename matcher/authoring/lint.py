"""Checks beyond validity, run by `matcher rules check`: rules that load but cannot do what they say.

Conditions are decided exactly: a tree is evaluated, with the engine's own leaf code, over every
combination of the values its columns can take (a factor's ratings and "not rated"; a yes/no or enum
fact's values; for a whole-number fact, its bounds and the values either side of each threshold used).
Errors make `rules check` fail; warnings are printed for the methodologist to judge.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel

from matcher.errors import Problem
from matcher.rulebase.conditions import Node, evaluate
from matcher.rulebase.factors import UNRATED
from matcher.rulebase.loading import CompiledIntervention, RuleBase
from matcher.rulebase.schema import AllOf, AnyOf, Condition, NotOf, Text
from matcher.rulebase.yamlsource import load_yaml

MAX_GRID = 2_000_000
MIN_TRANSLATED_LENGTH = 25  # shorter texts (acronyms, terms) may well be the same in both languages


Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    problem: Problem

    def __str__(self) -> str:
        p = self.problem
        where = f"{p.file}:{p.line}" if p.line else p.file
        return f"{where}: {p.path}: {self.severity}: {p.message}" if p.path else \
            f"{where}: {self.severity}: {p.message}"


def lint(rules: RuleBase, today: dt.date | None = None) -> list[Finding]:
    today = today or dt.date.today()
    findings = []
    for iv in rules.interventions:
        path = rules.root / "interventions" / f"{iv.id}.yaml"
        doc = load_yaml(path, path.relative_to(rules.root.parent).as_posix())
        for severity, where, message in _check(rules, iv, today):
            findings.append(Finding(severity, doc.problem(where, message)))
    return findings


def _check(rules: RuleBase, iv: CompiledIntervention, today: dt.date) -> Iterator[tuple[Severity, tuple, str]]:
    model = iv.model
    if not model.do_not_offer:
        yield from _conditions(rules, iv)
    counted = [e for e in model.evidence if e.confidence in rules.policy.counted_confidence]
    if not counted:
        yield "warning", ("evidence",), "no confirmed or partly confirmed evidence source; every entry is " \
                                         "unconfirmed or an inference"
    limit = rules.policy.lint.max_evidence_age_years
    for i, entry in enumerate(model.evidence):
        if (today - entry.read).days > 365.25 * limit:
            yield "warning", ("evidence", i, "read"), f"read {entry.read}, more than {limit} years ago; " \
                                                      f"read the source again and update the rating and date"
    for where, text in _texts(model):
        if where != ("name",) and text.sv == text.en and len(text.sv) >= MIN_TRANSLATED_LENGTH:
            yield "error", where, "the Swedish and the English text are the same; one of them is not translated"


def _texts(model: object, where: tuple = ()) -> Iterator[tuple[tuple, Text]]:
    if isinstance(model, Text):
        yield where, model
    elif isinstance(model, list):
        for i, item in enumerate(model):
            yield from _texts(item, (*where, i))
    elif isinstance(model, BaseModel):
        for name in type(model).model_fields:
            yield from _texts(getattr(model, name), (*where, name))


def _conditions(rules: RuleBase, iv: CompiledIntervention) -> Iterator[tuple[Severity, tuple, str]]:
    model = iv.model
    eligibility = iv.eligibility
    own = eligibility.children[-1] if model.eligibility is not None else None
    contras = [node for node, _ in iv.contraindications]
    nodes = [eligibility, *contras, *(n for n, _ in iv.warnings if n is not None),
             *([iv.priority[0]] if iv.priority else [])]
    grid = _grid(rules, nodes, list(model.targets))
    if grid is None:
        return
    leaves = rules.leaves.evaluate(grid)

    def holds(node: Node) -> np.ndarray:
        return evaluate(node, leaves)

    if own is not None and model.eligibility is not None:
        yield from _never_or_always(own, model.eligibility, ("eligibility",), holds)
    for i, (node, _reason) in enumerate(iv.contraindications):
        yield from _never_or_always(node, model.contraindications[i].when, ("contraindications", i, "when"), holds)
    admitted = holds(eligibility)
    if not admitted.any():
        yield "error", ("age",), "no case can be eligible: the age range, the prerequisites and the " \
                                 "eligibility condition exclude each other"
        return
    contraindicated = np.logical_or.reduce([holds(n) for n in contras]) if contras else np.zeros_like(admitted)
    if not (admitted & ~contraindicated).any():
        yield "error", ("contraindications",), "the contraindications exclude every case the eligibility admits"
        return
    for i, node in enumerate(contras):
        if not (admitted & holds(node)).any():
            yield "warning", ("contraindications", i, "when"), "can never apply to a case the eligibility " \
                                                               "admits; remove it or correct it"
    cat = rules.catalogue
    for name in model.targets:
        needs = grid[:, cat.factor_index[name]] >= 1
        if not (admitted & ~contraindicated & needs).any():
            yield "error", ("targets", name), f"no eligible case can have this need: the eligibility excludes " \
                                              f"'{name}' rated moderate or high"


def _never_or_always(node: Node, cond: Condition, where: tuple, holds: Callable[[Node], np.ndarray]) \
        -> Iterator[tuple[Severity, tuple, str]]:
    value = holds(node)
    if not value.any():
        yield "error", where, "can never hold for any case"
        return
    if value.all():
        yield "error", where, "always holds, whatever the case; it decides nothing"
        return
    if isinstance(cond, AllOf | AnyOf):
        items = cond.all if isinstance(cond, AllOf) else cond.any
        key = "all" if isinstance(cond, AllOf) else "any"
        for i, (child, child_cond) in enumerate(zip(node.children, items, strict=True)):
            yield from _never_or_always(child, child_cond, (*where, key, i), holds)
    elif isinstance(cond, NotOf):
        yield from _never_or_always(node.children[0], cond.not_, (*where, "not"), holds)


def _columns(rules: RuleBase, node: Node) -> set[int]:
    if node.kind == "leaf":
        return {rules.leaves.leaves[node.leaf].column}
    return set().union(*(_columns(rules, child) for child in node.children))


def _grid(rules: RuleBase, nodes: list[Node], targets: list[str]) -> np.ndarray | None:
    """Every combination of the values the involved columns can take; None when there are too many."""
    cat = rules.catalogue
    columns = sorted(set().union(*(_columns(rules, n) for n in nodes)) | {cat.factor_index[t] for t in targets})
    domains = []
    for column in columns:
        if column < len(cat.factors):
            domains.append([UNRATED, *cat.scale(cat.factors[column]).values])
            continue
        fact = cat.context[column - len(cat.factors)]
        if fact.type == "bool":
            domains.append([0, 1])
        elif fact.type == "enum":
            domains.append(list(range(len(fact.values or []))))
        else:
            cuts = {v + d for leaf in rules.leaves.leaves if leaf.column == column for v in leaf.values
                    for d in (-1, 0, 1)}
            low, high = int(fact.min or 0), int(fact.max or 0)
            domains.append(sorted({low, high} | {c for c in cuts if low <= c <= high}))
    sizes = [len(d) for d in domains]
    total = int(np.prod(sizes, dtype=np.float64))
    if total > MAX_GRID:
        return None
    grid = np.empty((total, cat.n_columns), dtype=np.int16, order="F")
    grid[:] = cat.default_row()
    for k, (column, domain) in enumerate(zip(columns, domains, strict=True)):  # itertools.product's order
        inner, outer = math.prod(sizes[k + 1:]), math.prod(sizes[:k])
        grid[:, column] = np.tile(np.repeat(np.array(domain, dtype=np.int16), inner), outer)
    return grid
