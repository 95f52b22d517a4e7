"""The matching loop compiled (numba): leaves, eligibility, terms, score, top-k and leaf bits per case.

Cases go through in blocks of 64, copied into a small contiguous block (a row per column). Leaves and condition
trees work on bit planes (``kernel_tables``): a leaf's plane is one vector comparison of the column's 64 values
per interval (``_lanes_within``: on AVX-512 a mask register, elsewhere the same bits from narrower compares), and
the leaf bits stored per case are those planes transposed (64 x 64 bits at a time). Then only the eligible
(insats, case) pairs are scored and inserted into their case's top k. The arithmetic is ``scoring.match_terms``
and ``engine.evaluation`` operation by operation, in the same float32 and float64 steps and order (no
fast-math: no reassociation, no fused multiply-add), so a case gets the same bits here, alone or in any batch,
as in the explanation that recomputes it with numpy.
The ranking: prioritised first, then by score, ties by rule-base order; -1 where fewer are eligible. Every term
is at least 0 (the schema's weights and fits), so a score's float64 bits, read as an unsigned integer, order as
the scores do, and one integer key per pair (priority bit, then the score's bits) ranks it.
With a points scorecard (``match_scored``) the loop also computes each case's points, risk score, level and
the points its need profile reads, step by step as ``Scorecard.score`` and ``scoring.need_points`` do, for the
64 cases of a block side by side (each case's points still added in factor order).
The loop is one function on purpose: a call between compiled functions that passes arrays costs
reference counting per call, more than the work it would wrap.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

if TYPE_CHECKING:
    from matcher.engine.kernel_tables import KernelTables

# The tree program's operations. They live here, not in kernel_tables: numba's cache of a compiled function
# is renewed when this file changes, and the values are compiled in.
COPY, AND, OR, NOT, CONST = range(5)
BLOCK = 64  # cases per bit plane word
ELIGIBLE, PRIORITISED_PAIR, CONDITIONS_MET = 1, 2, 4  # PairArrays.flags
PRIORITISED = np.uint64(1 << 63)  # the key bit above a score's bits (a non-negative float64 never sets it)


def match_cases(tables: KernelTables, values: np.ndarray, start: int, stop: int, points: np.ndarray,
                level: np.ndarray, top: np.ndarray, top_score: np.ndarray, leaf_bits: np.ndarray,
                kept: PairArrays) -> None:
    """Match cases ``start:stop`` of the N x (F + C) ``values``, from the points their need profile reads and their
    gate levels (any risk model; rows from ``start``). Fills ``top`` (k per case), ``top_score`` (NaN where ``top``
    is -1; none kept when it has no rows), ``leaf_bits`` (``LeafTable.pack``) and ``kept`` (every pair's
    eligibility, fits and score, every case's need profile and gate level; none kept when it has no rows; the
    model's points are the caller's to keep), rows from ``start``."""
    card = ScorecardArrays.unused(points.shape[1])
    _run(tables, card, False, values, start, stop, points, level, card.risk, card.level, top, top_score, leaf_bits,
         kept)


def match_scored(tables: KernelTables, card: ScorecardArrays, values: np.ndarray, risk_score: np.ndarray,
                 level: np.ndarray, top: np.ndarray, top_score: np.ndarray, leaf_bits: np.ndarray,
                 kept: PairArrays) -> None:
    """As ``match_cases`` for all of ``values``, with a points scorecard computed in the loop (``Scorecard.score``
    step by step: float32 points, their float64 sum in factor order, the level by the cut points); fills
    ``risk_score`` and ``level``, and ``kept.points`` when it has rows."""
    no_points = np.empty((0, len(card.weights)), dtype=np.float32)
    _run(tables, card, True, values, 0, len(values), no_points, level, risk_score, level, top, top_score, leaf_bits,
         kept)


@dataclass(frozen=True)
class PairArrays:
    """What the loop computes for every (case, insats) pair and every case, kept when asked for: what one case's
    explanation reads (``MatchResult.detail``), from the same pass that ranked it rather than a second computation.
    17 bytes a pair and 1 + 8 F a case (985 bytes a case with 40 insatser and 38 factors)."""

    flags: np.ndarray  # N x I uint8: ELIGIBLE | PRIORITISED_PAIR | CONDITIONS_MET (its eligibility tree holds)
    fits: np.ndarray  # N x 2 x I float32: the weighted need fit, then the weighted leverage
    score: np.ndarray  # N x I float64: the sum of the four terms (also for a pair that is not eligible)
    # and per case what its explanation reads besides (a case alone would otherwise pay a numpy pass for each):
    needs: np.ndarray  # N x F float32: the need profile (``scoring.need`` of ``scoring.need_points``)
    gate: np.ndarray  # N int8: the gate level (``scoring.gate_levels``, clipped as the loop reads its tables)
    points: np.ndarray  # N x F: the risk model's points (the loop's own for a points scorecard, in float32)

    @classmethod
    def of(cls, n: int, n_items: int, n_factors: int, scorecard: bool) -> PairArrays:
        """Room for ``n`` cases; for the points only with a points ``scorecard`` (another model's points are kept in
        their own type by ``match_matrix``)."""
        return cls(np.zeros((n, n_items), np.uint8), np.empty((n, 2, n_items), np.float32),
                   np.empty((n, n_items), np.float64), np.zeros((n, n_factors), np.float32), np.empty(n, np.int8),
                   np.empty((n if scorecard else 0, n_factors), np.float32))

    def rows(self, part: slice) -> PairArrays:
        return PairArrays(*(getattr(self, field.name)[part] for field in fields(self)))


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


@lru_cache(maxsize=16)  # per rule base and input type: a case alone pays no numpy pass for them
def _bounds(t: KernelTables, dtype: np.dtype[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The leaf intervals in the input's own integer type: clipped to its range, and an interval no value of the
    type can meet (beyond the range, or empty) as (max, min), which no value meets either."""
    info = np.iinfo(dtype)
    low, high = np.maximum(t.interval_low, info.min), np.minimum(t.interval_high, info.max)
    empty = low > high
    return (np.where(empty, info.max, low).astype(dtype), np.where(empty, info.min, high).astype(dtype))


def _run(t: KernelTables, card: ScorecardArrays, fused: bool, values: np.ndarray, start: int, stop: int,
         points: np.ndarray, level: np.ndarray, risk_out: np.ndarray, level_out: np.ndarray, top: np.ndarray,
         top_score: np.ndarray, leaf_bits: np.ndarray, kept: PairArrays) -> None:
    low, high = _bounds(t, values.dtype)
    _match(values.T, start, stop, points, level, fused, card.weights, card.welfare, card.welfare_points,
           card.intercept, card.cuts, card.age_column, card.min_age, card.not_scored, risk_out, level_out,
           t.leaf_column, t.leaf_start, low, high, t.leaf_negated, t.op, t.target, t.argument, t.n_registers,
           t.eligible, t.priority, t.conditions, t.allowed, t.need_factors, t.target_start, t.target_factor,
           t.target_weight, t.leverage_start, t.leverage_factor, t.leverage_weight, t.leverage_divisor, t.intensity_fit,
           t.evidence, t.need_weight, t.leverage_policy_weight, top, top_score, leaf_bits, kept.flags, kept.fits,
           kept.score, kept.needs, kept.gate, kept.points)


@intrinsic
def _lanes_within(typingctx: Any, block: Any, row: Any, low: Any, high: Any) -> Any:
    """Bit c: ``low <= block[row, c] <= high``, over the 64 values of a row of a C-contiguous 2-D integer array
    (``BLOCK`` columns), as one vector comparison per bound."""
    if not (isinstance(block, types.Array) and block.ndim == 2 and block.layout == "C"
            and isinstance(block.dtype, types.Integer)):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        array = context.make_array(signature.args[0])(context, builder, args[0])
        lanes = ir.VectorType(context.get_value_type(signature.args[0].dtype), BLOCK)
        index = context.cast(builder, args[1], signature.args[1], types.intp)
        offset = builder.mul(index, cgutils.unpack_tuple(builder, array.strides)[0])
        address = builder.gep(builder.bitcast(array.data, ir.IntType(8).as_pointer()), [offset])
        row_values = builder.load(builder.bitcast(address, lanes.as_pointer()), align=1)
        spread = ir.Constant(ir.VectorType(ir.IntType(32), BLOCK), [0] * BLOCK)

        def splat(value: Any) -> Any:
            first = builder.insert_element(ir.Constant(lanes, ir.Undefined), value, ir.Constant(ir.IntType(32), 0))
            return builder.shuffle_vector(first, ir.Constant(lanes, ir.Undefined), spread)

        compare = builder.icmp_signed if signature.args[0].dtype.signed else builder.icmp_unsigned
        inside = builder.and_(compare(">=", row_values, splat(args[2])), compare("<=", row_values, splat(args[3])))
        return builder.bitcast(inside, ir.IntType(BLOCK))

    return types.uint64(block, row, block.dtype, block.dtype), codegen


@intrinsic
def _lowest_set_bit(typingctx: Any, word: Any) -> Any:
    """The index of the lowest set bit of a nonzero 64-bit word, unsigned (an index that needs no wraparound)."""
    if word != types.uint64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 1))

    return types.uint64(word), codegen


@njit(cache=True, nogil=True, inline="always")
def _transpose64(words: np.ndarray) -> None:
    """Bit c of word j to bit j of word c, in place (the 64 x 64 bit matrix transposed by swapping ever smaller
    blocks: 6 rounds of 32 word pairs)."""
    width, mask = 32, np.uint64(0x00000000FFFFFFFF)
    while width:
        shift = np.uint64(width)
        for first in range(0, BLOCK, 2 * width):
            for j in range(first, first + width):
                swapped = ((words[j] >> shift) ^ words[j + width]) & mask
                words[j] ^= swapped << shift
                words[j + width] ^= swapped
        width //= 2
        mask ^= mask << np.uint64(width)


@njit(cache=True, nogil=True, error_model="numpy")
def _match(columns, start, stop, points, level, fused, weights, welfare, welfare_points, intercept, cuts, age_column,
           min_age, not_scored, risk_out, level_out, leaf_column, leaf_start, interval_low, interval_high, leaf_negated,
           op, target, argument, n_registers, eligible, priority, conditions, allowed,
           need_factors, target_start, target_factor, target_weight, leverage_start, leverage_factor,
           leverage_weight, leverage_divisor, intensity_fit, evidence, need_weight,
           leverage_policy_weight, top, top_score, leaf_bits, pair_flags, pair_fits, pair_scores, pair_needs, pair_gate,
           pair_points):
    """One numba-compiled pass over cases ``start:stop`` (one function on purpose: a call per step would cost more
    than the step; see the module docstring and benchmarks/README.md). Outputs and ``points`` / ``level`` rows
    count from ``start``. Case indices are unsigned where they can be (numba checks a signed index for
    wraparound), divisions follow numpy's error model (no check for a zero divisor: none is ever zero)."""
    n_columns, n_leaves, n_items, n_factors = columns.shape[0], len(leaf_column), len(eligible), len(weights)
    n_levels, k, n_bytes, keep_scores = allowed.shape[0], top.shape[1], leaf_bits.shape[1], top_score.shape[0] > 0
    keep_pairs = pair_scores.shape[0] > 0
    keep_points = fused and pair_points.shape[0] > 0  # a points scorecard's, in the loop's own arithmetic
    block = np.zeros((n_columns, BLOCK), dtype=columns.dtype)  # the block's values, a row per column
    registers = np.empty(n_registers, dtype=np.uint64)
    case_words = np.empty(BLOCK, dtype=np.uint64)
    level_planes = np.empty(n_levels, dtype=np.uint64)
    case_level = np.zeros(BLOCK, dtype=np.uint64)
    risk = np.empty(BLOCK, dtype=np.float64)
    need_total = np.empty(BLOCK, dtype=np.float32)
    need_points = np.zeros((n_factors, BLOCK), dtype=np.float32)  # the positive points the need reads, per case
    need_sum = np.empty(BLOCK, dtype=np.float32)
    lever_sum = np.empty(BLOCK, dtype=np.float32)
    pair_score = np.empty((n_items, BLOCK), dtype=np.float64)
    best_key = np.empty((BLOCK, k), dtype=np.uint64)  # 0: empty (a pair's key is at least 1)
    best_item = np.empty((BLOCK, k), dtype=np.int64)
    zero, one = np.float32(0), np.float32(1)
    for base in range(start, stop, BLOCK):
        size, row = np.uint64(min(BLOCK, stop - base)), np.uint64(base - start)
        for f in range(n_columns):
            for c in range(size):
                block[f, c] = columns[f, np.uint64(base) + c]
        if fused:  # Scorecard.score and need_points, operation by operation, the block's cases side by side
            risk[:] = 0.0
            for f in range(n_factors):
                weight = weights[f]
                if welfare[f]:
                    for c in range(BLOCK):
                        rating = np.float32(max(block[f, c], 0))
                        risk[c] += np.float64(rating * weight)
                        need_points[f, c] = max(rating * welfare_points, zero)
                else:
                    for c in range(BLOCK):
                        p = np.float32(max(block[f, c], 0)) * weight
                        risk[c] += np.float64(p)
                        need_points[f, c] = max(p, zero)
        else:
            for f in range(n_factors):
                for c in range(size):
                    need_points[f, c] = np.float32(max(points[row + c, f], 0))
        need_total[:] = zero  # added in factor order as match_terms does
        for f in need_factors:
            for c in range(BLOCK):
                need_total[c] += need_points[f, c]
        for c in range(BLOCK):
            need_total[c] = need_total[c] if need_total[c] > 0 else one
        level_planes[:] = 0
        for c in range(size):
            if fused:
                score = intercept + risk[c]
                risk_level = 0
                for cut in cuts:
                    risk_level += score >= cut
                risk_out[row + c], level_out[row + c] = score, risk_level
                lv = not_scored if block[age_column, c] < min_age else risk_level
            else:
                lv = level[row + c]
            lv = min(max(np.int64(lv), 0), n_levels - 1)  # np.take(..., mode="clip")
            case_level[c] = np.uint64(lv)
            level_planes[lv] |= np.uint64(1) << c
            best_key[c, :] = 0
        if keep_pairs:  # the case's need profile, gate level and (a points scorecard's) points, for its explanation
            for c in range(size):
                pair_gate[row + c] = case_level[c]
                for f in need_factors:  # the others stay 0
                    pair_needs[row + c, f] = need_points[f, c]
                if keep_points:
                    for f in range(n_factors):
                        pair_points[row + c, f] = np.float32(max(block[f, c], 0)) * weights[f]
        for j in range(n_leaves):  # no branch on a case's values: leaf outcomes are unpredictable
            plane = np.uint64(0)
            for v in range(leaf_start[j], leaf_start[j + 1]):
                plane |= _lanes_within(block, leaf_column[j], interval_low[v], interval_high[v])
            registers[j] = ~plane if leaf_negated[j] else plane
        for group in range(0, n_bytes, 8):  # leaf bits per case: 64 planes at a time transposed to 64 case words
            for j in range(BLOCK):
                leaf = 8 * group + j
                case_words[j] = registers[leaf] if leaf < n_leaves else np.uint64(0)
            _transpose64(case_words)
            for c in range(size):
                for b in range(group, min(group + 8, n_bytes)):
                    leaf_bits[row + c, b] = np.uint8((case_words[c] >> np.uint64(8 * (b - group))) & np.uint64(0xFF))
        for p in range(len(op)):
            code, into, arg = op[p], target[p], argument[p]
            if code == COPY:
                registers[into] = registers[arg]
            elif code == AND:
                registers[into] &= registers[arg]
            elif code == NOT:
                registers[into] = ~registers[arg]
            elif code == CONST:
                registers[into] = ~np.uint64(0) if arg else np.uint64(0)
            else:
                registers[into] |= registers[arg]
        for i in range(n_items):
            permitted = np.uint64(0)
            for lv in range(n_levels):
                if allowed[lv, i]:
                    permitted |= level_planes[lv]
            ok = registers[eligible[i]] & permitted
            if not ok and not keep_pairs:
                continue
            first = registers[priority[i]] & ok
            # the need fit and leverage of every case of the block side by side (the eligible ones are read)
            need_sum[:] = zero
            for w in range(target_start[i], target_start[i + 1]):
                f, weight = target_factor[w], target_weight[w]
                for c in range(BLOCK):
                    need_sum[c] += need_points[f, c] * weight
            lever_sum[:] = zero
            for w in range(leverage_start[i], leverage_start[i + 1]):
                f, weight = leverage_factor[w], leverage_weight[w]
                for c in range(BLOCK):
                    lever_sum[c] += np.float32(block[f, c] > 0) * weight
            divisor = leverage_divisor[i]
            for c in range(BLOCK):
                need_sum[c] = need_sum[c] / need_total[c] * need_weight  # the need fit
                lever_sum[c] = lever_sum[c] / divisor * leverage_policy_weight  # the leverage
            item_evidence = np.float64(evidence[i])
            if keep_pairs:  # every pair of the block, eligible or not, in the arithmetic of the loop below (written
                # out twice: as a shared inline function it was 1-9% slower at 10^6 cases in five A/B rounds)
                met = registers[conditions[i]]
                for c in range(size):
                    bit = np.uint64(1) << c
                    pair_flags[row + c, i] = (ELIGIBLE if ok & bit else 0) | (PRIORITISED_PAIR if first & bit else 0) \
                        | (CONDITIONS_MET if met & bit else 0)
                    pair_fits[row + c, 0, i], pair_fits[row + c, 1, i] = need_sum[c], lever_sum[c]
                    s = np.float64(need_sum[c]) + np.float64(intensity_fit[case_level[c], i])
                    s += item_evidence
                    pair_scores[row + c, i] = s + np.float64(lever_sum[c])
            while ok:  # the eligible cases of the block, by their bits: the score, then into the case's top
                c = _lowest_set_bit(ok)
                lowest = np.uint64(1) << c
                ok ^= lowest
                s = np.float64(need_sum[c]) + np.float64(intensity_fit[case_level[c], i])
                s += item_evidence
                s += np.float64(lever_sum[c])
                pair_score[i, c] = s
                # the pair's key: priority, then the score (+ 0.0: -0.0 ranks as 0.0); + 1 keeps 0 for empty
                key = np.float64(s + 0.0).view(np.uint64) + np.uint64(1)
                key |= PRIORITISED if first & lowest else np.uint64(0)
                # its place is the number of entries ranked ahead of it (earlier items win ties), counted without
                # branching on their values; entries from the place on move one down
                place = 0
                for m in range(k):
                    place += best_key[c, m] >= key
                for m in range(k - 1, 0, -1):
                    move = m > place
                    best_key[c, m] = best_key[c, m - 1] if move else best_key[c, m]
                    best_item[c, m] = best_item[c, m - 1] if move else best_item[c, m]
                at, enters = min(place, k - 1), place < k
                best_key[c, at] = key if enters else best_key[c, at]
                best_item[c, at] = i if enters else best_item[c, at]
        for c in range(size):
            for m in range(k):
                taken = best_key[c, m] != 0
                top[row + c, m] = best_item[c, m] if taken else -1
                if keep_scores:
                    top_score[row + c, m] = pair_score[best_item[c, m], c] if taken else np.nan
