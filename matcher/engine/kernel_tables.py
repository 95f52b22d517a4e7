"""The rule base as flat arrays for the compiled matching loop (``matcher.engine.kernel``).

The loop works on blocks of 64 cases with one bit per case in a 64-bit word ("bit planes"): leaf l
is register l, one word per block, and a condition tree is a straight program of word operations over
the registers (copy, and, or, not, a constant), about one instruction per tree node, so a block of 64
cases costs one pass over the program whatever each case's outcome (no branch depends on a case).
Per insats the program leaves three registers: eligible (its tree, no contraindication holding, not
do-not-offer), priority condition, and its tree alone (read only by explanations). The intensity rule is
applied in the loop, from the risk level.

The scoring arrays repeat ``scoring.match_terms`` operation by operation (float32 terms, nonzero
weights added in factor order, the same divisors and weights), so the compiled loop gives the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from matcher.engine.kernel import AND, CONST, COPY, NOT, OR
from matcher.engine.scoring import scoring_tables
from matcher.rulebase.conditions import SET_OPS, Leaf, Node
from matcher.rulebase.loading import RuleBase

LOWEST, HIGHEST = -(2**62), 2**62  # beyond every code


@dataclass(frozen=True, eq=False)  # hashed by identity: one per rule base (``kernel_tables``)
class KernelTables:
    # leaves: the column's value in one of the leaf's intervals interval_low/high[start[l]: start[l + 1]], xor negated
    leaf_column: np.ndarray  # L int64
    leaf_start: np.ndarray  # L + 1 int64
    interval_low: np.ndarray  # int64
    interval_high: np.ndarray  # int64
    leaf_negated: np.ndarray  # L bool
    # the program over bit planes: op (COPY, AND, OR, NOT, CONST), destination register, argument
    op: np.ndarray  # P int64
    target: np.ndarray  # P int64
    argument: np.ndarray  # P int64: a register (COPY, AND, OR, NOT) or 0 / 1 (CONST)
    n_registers: int  # the leaves' first, then one per instruction
    eligible: np.ndarray  # I int64: register of "tree holds, no contraindication holds, offered"
    priority: np.ndarray  # I int64: register of the priority condition (constant 0 without one)
    conditions: np.ndarray  # I int64: register of the eligibility tree alone (what an explanation says was met)
    allowed: np.ndarray  # levels x I bool
    # terms
    need_factors: np.ndarray  # the dynamic risk factors, summed in this order for the total need
    target_start: np.ndarray  # I + 1 int64: target weights of i are target_factor/weight[start[i]: start[i + 1]]
    target_factor: np.ndarray  # int64, ascending per insats
    target_weight: np.ndarray  # float32
    leverage_start: np.ndarray  # I + 1 int64, like target_start
    leverage_factor: np.ndarray  # int64
    leverage_weight: np.ndarray  # float32
    leverage_divisor: np.ndarray  # I float32: the leverage total, or 1 where it is 0
    intensity_fit: np.ndarray  # levels x I float32, weighted
    evidence: np.ndarray  # I float32, weighted
    need_weight: np.float32
    leverage_policy_weight: np.float32


class _Program:
    def __init__(self, n_leaves: int) -> None:
        self.code: list[tuple[int, int, int]] = []
        self.registers = n_leaves

    def _new(self, op: int, argument: int) -> int:
        self.code.append((op, self.registers, argument))
        self.registers += 1
        return self.registers - 1

    def constant(self, value: bool) -> int:
        return self._new(CONST, int(value))

    def emit(self, node: Node) -> int:
        """Append the instructions of ``node``; return the register that holds its value."""
        if node.kind == "leaf":
            return node.leaf
        if node.kind == "not":
            return self._new(NOT, self.emit(node.children[0]))
        if not node.children:
            return self.constant(node.kind == "all")
        return self.combine(node.kind, [self.emit(child) for child in node.children])

    def combine(self, kind: str, parts: list[int]) -> int:
        """The register holding the registers ``parts`` combined by ``kind`` ("all" or "any")."""
        if len(parts) == 1:
            return parts[0]
        out = self._new(COPY, parts[0])
        self.code += [(AND if kind == "all" else OR, out, part) for part in parts[1:]]
        return out


def _intervals(leaf: Leaf) -> tuple[list[tuple[int, int]], bool]:
    """A leaf as intervals and negated: the value holds it when it lies in one of the intervals [low, high], xor
    negated (a set is one interval per run of consecutive values)."""
    if leaf.op in SET_OPS:
        spans: list[tuple[int, int]] = []
        for value in sorted(set(leaf.values)):
            if spans and spans[-1][1] == value - 1:
                spans[-1] = (spans[-1][0], value)
            else:
                spans.append((value, value))
        return spans, leaf.op == "not_in"
    value = leaf.values[0]
    return {">=": ([(value, HIGHEST)], False), ">": ([(value + 1, HIGHEST)], False), "<=": ([(LOWEST, value)], False),
            "<": ([(LOWEST, value - 1)], False), "==": ([(value, value)], False),
            "!=": ([(value, value)], True)}[leaf.op]


def _weights(matrix: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per insats its nonzero weights among the masked factors, in factor order: (start, factor, weight)."""
    per_item = [np.flatnonzero(mask & (matrix[:, i] != 0)) for i in range(matrix.shape[1])]
    start = np.zeros(len(per_item) + 1, dtype=np.int64)
    start[1:] = np.cumsum([len(rows) for rows in per_item])
    factors = np.concatenate([np.zeros(0, dtype=np.int64), *per_item]).astype(np.int64)
    weights = matrix[factors, np.repeat(np.arange(len(per_item)), np.diff(start))].astype(np.float32)
    return start, factors, weights


@cache
def kernel_tables(rules: RuleBase) -> KernelTables:
    leaves = rules.leaves.leaves
    parts = [_intervals(leaf) for leaf in leaves]
    intervals = np.array([bounds for spans, _negated in parts for bounds in spans], dtype=np.int64).reshape(-1, 2)
    leaf_start = np.zeros(len(leaves) + 1, dtype=np.int64)
    leaf_start[1:] = np.cumsum([len(spans) for spans, _negated in parts])
    program = _Program(len(leaves))
    eligible, priority, conditions = [], [], []
    for iv in rules.interventions:
        conditions.append(program.emit(iv.eligibility))  # its tree, then with no contraindication holding
        eligible.append(program.constant(False) if iv.model.do_not_offer else program.combine("all", [
            conditions[-1], *(program.emit(Node("not", (node,))) for node, _reason in iv.contraindications)]))
        priority.append(program.emit(iv.priority[0]) if iv.priority else program.constant(False))
    code = np.array(program.code, dtype=np.int64).reshape(-1, 3)
    tables = scoring_tables(rules)
    weights = rules.policy.weights
    target = _weights(tables.targets, tables.need_mask)
    leverage = _weights(tables.leverages, tables.protective_mask)
    return KernelTables(
        np.array([leaf.column for leaf in leaves], dtype=np.int64), leaf_start, intervals[:, 0].copy(),
        intervals[:, 1].copy(), np.array([negated for _spans, negated in parts], dtype=bool),
        code[:, 0].copy(), code[:, 1].copy(), code[:, 2].copy(), program.registers,
        np.array(eligible, dtype=np.int64), np.array(priority, dtype=np.int64), np.array(conditions, dtype=np.int64),
        tables.intensity_allowed,
        np.flatnonzero(tables.need_mask).astype(np.int64), *target, *leverage,
        np.where(tables.leverage_totals > 0, tables.leverage_totals, np.float32(1)),
        (weights.intensity_fit * tables.intensity_fit).astype(np.float32),
        (weights.evidence * tables.evidence).astype(np.float32),
        np.float32(weights.need_fit), np.float32(weights.protective_leverage))

