"""The matching loop compiled (numba): leaves, eligibility, terms, score, top-k and leaf bits per case.

Cases go through in blocks of 64: leaves and condition trees as bit planes (``kernel_tables``), then
only the eligible (insats, case) pairs are scored and inserted into their case's top k. The arithmetic
is ``scoring.match_terms`` and ``engine.evaluation`` operation by operation, in the same float32 and
float64 steps and order (no fast-math: no reassociation, no fused multiply-add), so a case gets the
same bits here, alone or in any batch, as in the explanation that recomputes it with numpy.
The ranking: prioritised first, then by score, ties by rule-base order; -1 where fewer are eligible.
With a points scorecard (``match_scored``) the loop also computes each case's points, risk score, level and
the points its need profile reads, step by step as ``Scorecard.score`` and ``scoring.need_points`` do.
The loop is one function on purpose: a call between compiled functions that passes arrays costs
reference counting per call, more than the work it would wrap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from matcher.engine.kernel_tables import KernelTables

# The tree program's operations. They live here, not in kernel_tables: numba's cache of a compiled function
# is renewed when this file changes, and the values are compiled in.
COPY, AND, OR, NOT, CONST = range(5)
BLOCK = 64  # cases per bit plane word
PACK_BYTES = np.uint64(0x0102040810204080)  # (8 bytes of 0 or 1) * this >> 56: byte i becomes bit i
LOWEST_BIT = np.uint64(0x03F79D71B4CB0A89)  # de Bruijn: (b & -b) * this >> 58 numbers the lowest set bit of b
LOWEST_BIT_INDEX = np.zeros(64, dtype=np.int64)
for _bit in range(64):
    LOWEST_BIT_INDEX[((int(LOWEST_BIT) << _bit) % 2**64) >> 58] = _bit


def match_cases(tables: KernelTables, values: np.ndarray, points: np.ndarray, level: np.ndarray,
                top: np.ndarray, top_score: np.ndarray, leaf_bits: np.ndarray) -> None:
    """Fill ``top`` (N x k), ``top_score`` (N x k, NaN where ``top`` is -1) and ``leaf_bits`` (N x ceil(L / 8),
    ``LeafTable.pack``) for N cases, from the points the need profile reads and the gate levels (any risk model)."""
    card = ScorecardArrays.unused(points.shape[1])
    _run(tables, card, False, values, points, level, card.risk, card.level, top, top_score, leaf_bits)


def match_scored(tables: KernelTables, card: ScorecardArrays, values: np.ndarray, risk_score: np.ndarray,
                 level: np.ndarray, top: np.ndarray, top_score: np.ndarray, leaf_bits: np.ndarray) -> None:
    """As ``match_cases``, with a points scorecard computed in the loop (``Scorecard.score`` step by step: float32
    points, their float64 sum in factor order, the level by the cut points); fills ``risk_score`` and ``level``."""
    no_points = np.empty((0, len(card.weights)), dtype=np.float32)
    _run(tables, card, True, values, no_points, level, risk_score, level, top, top_score, leaf_bits)


@dataclass(frozen=True)
class ScorecardArrays:
    weights: np.ndarray  # F float32
    welfare: np.ndarray  # F bool: the need reads rating x welfare_points, not the points
    welfare_points: np.float32
    intercept: float
    cuts: np.ndarray  # float64, ascending
    age_column: int
    min_age: int  # below it the gate level is not_scored
    not_scored: int
    risk: np.ndarray = field(default_factory=lambda: np.empty(0))  # scratch for match_cases
    level: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int8))

    @classmethod
    def unused(cls, n_factors: int) -> ScorecardArrays:
        return cls(np.zeros(n_factors, np.float32), np.zeros(n_factors, bool), np.float32(0), 0.0, np.zeros(0),
                   0, 0, 0)


def _run(t: KernelTables, card: ScorecardArrays, fused: bool, values: np.ndarray, points: np.ndarray,
         level: np.ndarray, risk_out: np.ndarray, level_out: np.ndarray, top: np.ndarray, top_score: np.ndarray,
         leaf_bits: np.ndarray) -> None:
    _match(values.T, points, level, fused, card.weights, card.welfare, card.welfare_points, card.intercept, card.cuts,
           card.age_column, card.min_age, card.not_scored, risk_out, level_out, t.leaf_column, t.leaf_low,
           t.leaf_high, t.leaf_values, t.leaf_count, t.leaf_negated, t.op, t.target, t.argument, t.n_registers,
           t.eligible, t.priority, t.allowed, t.need_factors, t.target_start, t.target_factor, t.target_weight,
           t.leverage_start, t.leverage_factor, t.leverage_weight, t.leverage_divisor, t.intensity_fit, t.evidence,
           t.need_weight, t.leverage_policy_weight, top, top_score, leaf_bits)


@njit(cache=True, nogil=True, inline="always")
def _transpose8(x: np.uint64) -> np.uint64:
    """Bit 8i + j to bit 8j + i: an 8 x 8 bit matrix transposed (Hacker's Delight, transpose8)."""
    t = (x ^ (x >> np.uint64(7))) & np.uint64(0x00AA00AA00AA00AA)
    x = x ^ t ^ (t << np.uint64(7))
    t = (x ^ (x >> np.uint64(14))) & np.uint64(0x0000CCCC0000CCCC)
    x = x ^ t ^ (t << np.uint64(14))
    t = (x ^ (x >> np.uint64(28))) & np.uint64(0x00000000F0F0F0F0)
    return x ^ t ^ (t << np.uint64(28))


@njit(cache=True, nogil=True)
def _match(columns, points, level, fused, weights, welfare, welfare_points, intercept, cuts, age_column, min_age,
           not_scored, risk_out, level_out, leaf_column, leaf_low, leaf_high, leaf_values, leaf_count, leaf_negated,
           op, target, argument, n_registers, eligible, priority, allowed,
           need_factors, target_start, target_factor, target_weight, leverage_start, leverage_factor,
           leverage_weight, leverage_divisor, intensity_fit, evidence, need_weight,
           leverage_policy_weight, top, top_score, leaf_bits):
    """One numba-compiled pass over the cases (one function on purpose: a call per step would cost more than
    the step; see the module docstring and benchmarks/README.md)."""
    n_cases, n_leaves, n_items = columns.shape[1], len(leaf_column), len(eligible)
    n_levels, k = allowed.shape[0], top.shape[1]
    held = np.zeros((n_leaves, BLOCK), dtype=np.uint8)  # 0 / 1 per leaf and case of the block
    held_words = held.view(np.uint64)  # the same bytes, eight cases a word
    registers = np.empty(n_registers, dtype=np.uint64)
    level_planes = np.empty(n_levels, dtype=np.uint64)
    case_level = np.empty(BLOCK, dtype=np.int64)
    need_divisor = np.empty(BLOCK, dtype=np.float32)
    n_factors = len(weights)
    need_points = np.empty((BLOCK, n_factors), dtype=np.float32)  # the positive points the need reads, per case
    chosen = np.empty(BLOCK, dtype=np.int64)
    best_item = np.empty((BLOCK, k), dtype=np.int64)
    best_score = np.empty((BLOCK, k), dtype=np.float64)
    best_priority = np.empty((BLOCK, k), dtype=np.int64)
    zero, one, all_ones = np.float32(0), np.float32(1), ~np.uint64(0)
    for base in range(0, n_cases, BLOCK):
        size = min(BLOCK, n_cases - base)
        level_planes[:] = 0
        for c in range(size):
            n = base + c
            if fused:  # Scorecard.score and need_points, operation by operation
                score = 0.0
                for f in range(n_factors):
                    rating = np.float32(max(columns[f, n], 0))
                    p = rating * weights[f]
                    score += np.float64(p)
                    need_points[c, f] = max(rating * welfare_points if welfare[f] else p, zero)
                score = intercept + score
                risk_level = 0
                for cut in cuts:
                    risk_level += score >= cut
                risk_out[n], level_out[n] = score, risk_level
                lv = not_scored if columns[age_column, n] < min_age else risk_level
            else:
                for f in range(n_factors):
                    need_points[c, f] = np.float32(max(points[n, f], 0))
                lv = level[n]
            lv = min(max(np.int64(lv), 0), n_levels - 1)  # np.take(..., mode="clip")
            case_level[c] = lv
            level_planes[lv] |= np.uint64(1) << np.uint64(c)
            total = zero  # the need total, added in factor order as match_terms does
            for f in need_factors:
                total += need_points[c, f]
            need_divisor[c] = total if total > 0 else one
            chosen[c] = 0
        for j in range(n_leaves):  # no branch on a case's values: leaf outcomes are unpredictable
            column, low, high = leaf_column[j], leaf_low[j], leaf_high[j]
            if leaf_count[j] == 0:
                for c in range(size):
                    value = columns[column, base + c]
                    held[j, c] = (value >= low) & (value <= high)
            else:
                for c in range(size):
                    found = False
                    for v in range(leaf_count[j]):
                        found |= columns[column, base + c] == leaf_values[j, v]
                    held[j, c] = found
            for c in range(size, BLOCK):
                held[j, c] = 0
            plane = np.uint64(0)
            for w in range(BLOCK // 8):  # eight 0/1 bytes -> eight bits
                plane |= ((held_words[j, w] * PACK_BYTES) >> np.uint64(56)) << np.uint64(8 * w)
            registers[j] = ~plane if leaf_negated[j] else plane
        for b in range(leaf_bits.shape[1]):  # per 8 leaves and 8 cases, an 8 x 8 bit transposition
            for first in range(0, size, 8):
                square = np.uint64(0)  # byte t: leaf 8b + t for the 8 cases
                for j in range(8 * b, min(8 * b + 8, n_leaves)):
                    square |= ((registers[j] >> np.uint64(first)) & np.uint64(0xFF)) << np.uint64(8 * (j & 7))
                square = _transpose8(square)  # byte c: the 8 leaves for case first + c
                for c in range(min(8, size - first)):
                    leaf_bits[base + first + c, b] = np.uint8((square >> np.uint64(8 * c)) & np.uint64(0xFF))
        for p in range(len(op)):
            code, into, arg = op[p], target[p], argument[p]
            if code == COPY:
                registers[into] = registers[arg]
            elif code == AND:
                registers[into] &= registers[arg]
            elif code == NOT:
                registers[into] = ~registers[arg]
            elif code == CONST:
                registers[into] = all_ones if arg else np.uint64(0)
            else:
                registers[into] |= registers[arg]
        for i in range(n_items):
            permitted = np.uint64(0)
            for lv in range(n_levels):
                if allowed[lv, i]:
                    permitted |= level_planes[lv]
            ok = registers[eligible[i]] & permitted
            first = registers[priority[i]] & ok
            while ok:  # the eligible cases of the block, by their bits
                lowest = ok & (~ok + np.uint64(1))
                ok ^= lowest
                c = LOWEST_BIT_INDEX[(lowest * LOWEST_BIT) >> np.uint64(58)]
                n = base + c
                need_sum = zero
                for w in range(target_start[i], target_start[i + 1]):
                    need_sum += need_points[c, target_factor[w]] * target_weight[w]
                lever_sum = zero
                for w in range(leverage_start[i], leverage_start[i + 1]):
                    lever_sum += np.float32(columns[leverage_factor[w], n] > 0) * leverage_weight[w]
                need_fit = need_sum / need_divisor[c] * need_weight
                leverage = lever_sum / leverage_divisor[i] * leverage_policy_weight
                s = np.float64(need_fit) + np.float64(intensity_fit[case_level[c], i])
                s += np.float64(evidence[i])
                s += np.float64(leverage)
                # into the case's top: its place is the number of entries ranked ahead of it (earlier items
                # win ties), counted without branching on their values
                prioritised, had, place = np.int64((first & lowest) != 0), chosen[c], 0
                for m in range(k):
                    ahead_priority, ahead_score = best_priority[c, m], best_score[c, m]
                    place += (m < had) & ((ahead_priority > prioritised)
                                          | ((ahead_priority == prioritised) & (ahead_score >= s)))
                for m in range(k - 1, 0, -1):  # entries from the place on move one down (selects, not branches)
                    move = m > place
                    best_item[c, m] = best_item[c, m - 1] if move else best_item[c, m]
                    best_score[c, m] = best_score[c, m - 1] if move else best_score[c, m]
                    best_priority[c, m] = best_priority[c, m - 1] if move else best_priority[c, m]
                at, enters = min(place, k - 1), place < k
                best_item[c, at] = i if enters else best_item[c, at]
                best_score[c, at] = s if enters else best_score[c, at]
                best_priority[c, at] = prioritised if enters else best_priority[c, at]
                chosen[c] = min(had + 1, k)
        for c in range(size):
            for m in range(k):
                top[base + c, m] = best_item[c, m] if m < chosen[c] else -1
                top_score[base + c, m] = best_score[c, m] if m < chosen[c] else np.nan
