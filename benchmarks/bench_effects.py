"""The effects report's waits: drawing the synthetic histories, writing them to a store, and the report itself.

Synthetic young people (``matcher.store.effects_demo``, labelled synthetic) over four years in a temporary SQLite
store; the report as the page and ``matcher report effects`` read it (every insats, 200 bootstrap resamples,
the propensity model refitted on each), and the one-insats context line a methodologist asks for. Measured with
time.perf_counter, best of 3 (1 in quick mode, with fewer young people and resamples).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from argon2 import PasswordHasher

from matcher.auth import Passwords
from matcher.modelling.registry import active_model
from matcher.rulebase.loading import load_rule_base
from matcher.store.db import connect, upgrade
from matcher.store.effects_demo import PLANTED, synthetic_histories
from matcher.store.service import CaseStore

FIRST, LAST, TODAY = dt.date(2022, 1, 1), dt.date(2025, 12, 31), dt.date(2026, 12, 1)


def _seconds(work, runs: int = 1):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return round(min(times), 2), result


def run(quick: bool) -> dict[str, object]:
    people, bootstrap, runs = (150, 20, 1) if quick else (1_000, 200, 3)
    rules = load_rule_base()
    model = active_model(rules)
    draw_seconds, (histories, truth) = _seconds(lambda: synthetic_histories(rules, model, people, 7, FIRST, LAST,
                                                                             TODAY))
    with tempfile.TemporaryDirectory() as tmp:
        engine = connect(f"sqlite:///{Path(tmp) / 'store.db'}")
        upgrade(engine)
        store = CaseStore(engine, rules, key=b"e" * 32, passwords=Passwords(PasswordHasher(time_cost=1,
                                                                                           memory_cost=8192)),
                          checkpoints=Path(tmp) / "checkpoints.jsonl")
        store.add_user(None, "admin", "admin-password", "admin")
        admin = store.login("admin", "admin-password")
        store.add_user(admin, "worker", "worker-password", "social_worker", "BENCH")
        store.add_user(admin, "eva", "evaluator-password", "evaluator")
        worker, eva = store.login("worker", "worker-password"), store.login("eva", "evaluator-password")
        write_seconds, _ = _seconds(lambda: store.add_synthetic_histories(worker, histories))
        report_seconds, report = _seconds(lambda: store.effects_report(eva, "BENCH", FIRST, LAST, bootstrap), runs)
        context_seconds, _ = _seconds(lambda: store.effects_report(eva, "BENCH", FIRST, LAST, bootstrap,
                                                                   interventions=[PLANTED]), runs)
        engine.dispose()
    return {"young_people": people, "synthetic": True, "bootstrap": bootstrap, "insatser": len(report.insatser),
            "draw_seconds": draw_seconds, "write_seconds": write_seconds, "report_seconds": report_seconds,
            "context_line_seconds": context_seconds, "planted_treated": truth.treated[PLANTED], "runs": runs}


if __name__ == "__main__":
    print(run(quick=False))
