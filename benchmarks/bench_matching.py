"""Matching throughput and memory at N = 1,000 / 100,000 / 1,000,000, single-case latency, and comparisons.

Input: a synthetic N x (F + C) int8 case matrix, column-major, drawn column by column with numpy
(``matcher.modelling.population.synthetic_batch``, the generative process of ``matcher.modelling.synth``; cast to int8,
which holds every code). Encoding a million cases through pydantic is not part of matching, so the
bulk figures time ``match_matrix`` on that matrix; the single-case figures time the public path
(``encode_cases`` of one dict, ``match``, ``explain``) on synthetic case dicts.
Time: best of a few runs (``time.perf_counter``; for the batches also ``time.process_time``, the CPU time, which
another process on the machine does not inflate as much), OMP/BLAS at one thread. Memory: ``tracemalloc``
peak of the allocations made during one ``match_matrix`` call (numpy reports its buffers to
tracemalloc), measured in a separate run because tracing slows the run down.
"""

from __future__ import annotations

import gc
import os
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from benchmarks.percase import ZenMatcher, python_loop
from matcher.engine.cases import encode_cases
from matcher.engine.explain import explain
from matcher.engine.matching import MatchResult, match, match_matrix
from matcher.engine.risk import load_scorecard
from matcher.modelling.population import synthetic_batch
from matcher.modelling.synth import synthetic_cases
from matcher.rulebase.loading import RuleBase, load_rule_base

SIZES = (1_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 20_000)
EXPLAINED = 100  # cases explained on demand from the largest batch result


def case_matrix(rules: RuleBase, n: int, seed: int = 0) -> np.ndarray:
    values = synthetic_batch(rules, n, seed).values
    return np.asfortranarray(values.astype(np.int8))


def best_time(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def best_times(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best wall (``perf_counter``) and best CPU (``process_time``) seconds of ``repeat`` runs: on a shared machine
    the CPU time is what the code costs, the wall time adds what the other processes took from it."""
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeat):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - start_wall), min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def traced_peak(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Peak bytes allocated while ``fn`` runs (its result included), by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        return tracemalloc.get_traced_memory()[1] - base, result
    finally:
        tracemalloc.stop()


def output_bytes(result: MatchResult) -> int:
    return sum(a.nbytes for a in (result.top, result.risk_score, result.level, result.leaf_bits))


def floors(values: np.ndarray, repeat: int) -> dict[str, float]:
    """Cases per second of reading the matrix once: np.sum over it, and OR-reducing its bytes as 64-bit words."""
    flat = values.ravel(order="K")
    words = flat[: len(flat) - len(flat) % 8].view(np.uint64)
    n = len(values)
    return {"sum_int8_cases_per_s": n / best_time(lambda: values.sum(), repeat),
            "read_u64_cases_per_s": n / best_time(lambda: np.bitwise_or.reduce(words), repeat)}


def batch(rules: RuleBase, model: Any, n: int, repeat: int) -> tuple[dict[str, Any], np.ndarray, MatchResult]:
    values = case_matrix(rules, n)
    match_matrix(np.asfortranarray(values[:1000]), rules, model)  # warm: tables, imports, the compiled loop's layout
    seconds, cpu_seconds = best_times(lambda: match_matrix(values, rules, model), repeat)
    peak, result = traced_peak(lambda: match_matrix(values, rules, model))
    floor = floors(values, repeat)
    inputs, outputs = values.nbytes, output_bytes(result)
    figures = {
        "seconds": round(seconds, 4),
        "cases_per_s": round(n / seconds),
        "cpu_seconds": round(cpu_seconds, 4),
        "cases_per_cpu_s": round(n / cpu_seconds),
        "input_mb": round(inputs / 1e6, 2),
        "output_mb": round(outputs / 1e6, 2),
        "peak_extra_mb": round(peak / 1e6, 2),
        "peak_total_mb": round((inputs + peak) / 1e6, 2),
        "peak_over_3x_input_plus_outputs": round((inputs + peak) / (3 * inputs + outputs), 3),
        "floor_sum_int8_cases_per_s": round(floor["sum_int8_cases_per_s"]),
        "floor_read_u64_cases_per_s": round(floor["read_u64_cases_per_s"]),
        "ratio_to_sum_floor": round(n / seconds / floor["sum_int8_cases_per_s"], 3),
        "ratio_to_read_floor": round(n / seconds / floor["read_u64_cases_per_s"], 4),
    }
    return figures, values, result


def explain_on_demand(result: MatchResult, count: int) -> dict[str, float]:
    """Turning stored results into words for single cases of a large batch (what a person looks at)."""
    rng = np.random.default_rng(1)
    times = []
    for n in rng.choice(len(result), size=min(count, len(result)), replace=False):
        start = time.perf_counter()
        explain(result, int(n), "sv")
        times.append(time.perf_counter() - start)
    return {"cases": len(times), "p50_ms": round(1000 * float(np.percentile(times, 50)), 3),
            "p95_ms": round(1000 * float(np.percentile(times, 95)), 3)}


def single_case(rules: RuleBase, model: Any, count: int) -> dict[str, Any]:
    """The public path for one case dict: encode_cases + match + explain, each timed; p50, p95 and p99 (the goal
    names p50 and p99: with 1,000 cases the p99 is the 10th slowest)."""
    cases = synthetic_cases(rules, count + 10, seed=5)
    for where, case in cases[:10]:  # warm
        explain(match(encode_cases([(where, case)], rules), rules, model), 0, "sv")
    stages: dict[str, list[float]] = {"encode": [], "match": [], "explain": [], "total": []}
    for where, case in cases[10:]:
        t0 = time.perf_counter()
        encoded = encode_cases([(where, case)], rules)
        t1 = time.perf_counter()
        result = match(encoded, rules, model)
        t2 = time.perf_counter()
        explain(result, 0, "sv")
        t3 = time.perf_counter()
        for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            stages[name].append(seconds)
    out: dict[str, Any] = {"cases": count, "target": "total p50 < 0.5 ms, p99 < 2 ms"}
    for name, times in stages.items():
        for q in (50, 95, 99):
            out[f"{name}_p{q}_ms"] = round(1000 * float(np.percentile(times, q)), 3)
    return out


def per_case(values: np.ndarray, engine_top: np.ndarray, engine_rate: float, name: str,
             top: Callable[[np.ndarray], list[list[int]]]) -> dict[str, Any]:
    """A per-case matcher on some rows: cases per second, the engine's speed-up over it (the engine's rate at the
    largest N), and how often its top k equals the engine's."""
    start = time.perf_counter()
    got = top(values)
    seconds = time.perf_counter() - start
    expected = [[int(i) for i in row if i >= 0] for row in engine_top[: len(values)]]
    same = sum(a == b for a, b in zip(got, expected, strict=True))
    same_sets = sum(set(a) == set(b) for a, b in zip(got, expected, strict=True))
    rate = len(values) / seconds
    return {"cases": len(values), "cases_per_s": round(rate), "engine_speedup": round(engine_rate / rate, 1),
            "same_top_k_in_order": f"{same}/{len(values)}", "same_top_k_as_set": f"{same_sets}/{len(values)}",
            "what": name}


def run(quick: bool) -> dict[str, Any]:
    rules = load_rule_base()
    model = load_scorecard(rules.catalogue)
    k = rules.policy.top_k
    out: dict[str, Any] = {"factors": len(rules.catalogue.factors), "context_facts": len(rules.catalogue.context),
                           "interventions": len(rules.interventions), "leaf_conditions": len(rules.leaves.leaves),
                           "top_k": k, "synthetic": True}
    sizes = QUICK_SIZES if quick else SIZES
    result = None
    for n in sizes:
        figures, values, result = batch(rules, model, n, repeat=2 if quick else 3)
        out[f"batch_{n}"] = figures
        if n == sizes[0]:
            small, small_top = values, result.top
    assert result is not None
    engine_rate = out[f"batch_{sizes[-1]}"]["cases_per_s"]
    out["explain_on_demand"] = explain_on_demand(result, 10 if quick else EXPLAINED)
    del result
    out["single_case"] = single_case(rules, model, 20 if quick else 1000)
    loop_n = 200 if quick else 1000
    out["python_loop"] = per_case(small[:loop_n], small_top, engine_rate,
                                  "plain Python loop over the compiled rule objects",
                                  lambda v: python_loop(v, rules, model, k))
    try:
        zen = ZenMatcher(rules, model)
    except ImportError:
        out["zen_engine"] = {"skipped": "zen-engine is not installed; `make bench` installs the bench extra"}
    else:
        out["zen_engine"] = per_case(small[:loop_n], small_top, engine_rate,
                                     "zen-engine: one JDM expression-node evaluation per case", lambda v: zen.top(v, k))
    out["rule_engine"] = {"skipped": "rule-engine 5.1 pins python-dateutil~=2.7; the project pins 4.0.0, so it "
                                     "is not in the bench extra (zen-engine is)"}
    return out


if __name__ == "__main__":
    print(run(quick=False))
