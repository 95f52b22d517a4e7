"""The rule editor's waits (ui/rules/edit.py): checking an edited file, the rule tests, and the impact preview.

The edit is the one a methodologist might make (MST only up to age 15). Measured with time.perf_counter, best
of 3 (1 in quick mode): checking = copying the rule base, loading it and linting all of it
(``matcher.authoring.edit.candidate``); rule tests = ``run_rule_tests`` on the edited copy; synthetic impact = drawing
the page's default population (10,000 cases, labelled synthetic) and ``rulediff.impact`` with its examples;
stored-case impact = ``CaseStore.stored_case_impact`` over stored cases in a temporary SQLite store (each case
one synthetic assessment).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from argon2 import PasswordHasher

from matcher.auth import Passwords
from matcher.authoring.diff import impact, translate
from matcher.authoring.edit import candidate, current_text
from matcher.authoring.rule_tests import run_rule_tests
from matcher.modelling.population import synthetic_batch
from matcher.modelling.registry import active_model
from matcher.modelling.synth import synthetic_cases
from matcher.rulebase.loading import default_rules_dir, load_rule_base
from matcher.store.db import connect, upgrade
from matcher.store.service import CaseStore

POPULATION = 10_000  # the page's default size


def _best(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return round(min(times), 3), result


def run(quick: bool) -> dict[str, object]:
    runs, stored_cases = (1, 50) if quick else (3, 1_000)
    root = default_rules_dir()
    old = load_rule_base(root)
    old_model = active_model(old)
    text = current_text(root, "mst").replace("max: 17}", "max: 15}", 1)
    check_seconds, checked = _best(runs, lambda: candidate(root, "mst", text))
    new = checked.rules
    new_model = active_model(new)
    tests_seconds, report = _best(runs, lambda: run_rule_tests(new, new_model))

    def synthetic() -> Any:
        population = synthetic_batch(new, POPULATION, seed=1)
        return impact(old, new, translate(population, new, old), population, old_model, new_model, lang="sv")

    synthetic_seconds, diff = _best(runs, synthetic)
    with tempfile.TemporaryDirectory() as tmp:
        engine = connect(f"sqlite:///{Path(tmp) / 'store.db'}")
        upgrade(engine)
        store = CaseStore(engine, old, key=b"b" * 32, passwords=Passwords(PasswordHasher(time_cost=1,
                                                                                         memory_cost=8192)))
        store.add_user(None, "admin", "admin-password", "admin")
        admin = store.login("admin", "admin-password")
        store.add_user(admin, "worker", "worker-password", "social_worker", "BENCH")
        store.add_user(admin, "mona", "mona-password", "methodologist")
        worker, mona = store.login("worker", "worker-password"), store.login("mona", "mona-password")
        for _, case in synthetic_cases(old, stored_cases, seed=2):
            code = store.create_case(worker, synthetic=True)
            store.add_assessment(worker, code, case, dt.date(2026, 11, 1))
        stored_seconds, stored = _best(runs, lambda: store.stored_case_impact(mona, old, new, old_model, new_model))
        engine.dispose()
    mst = next(i for i in diff.impacts if i.intervention == "mst")
    return {"check_seconds": check_seconds, "check_ok": checked.ok, "rule_tests_seconds": tests_seconds,
            "rule_tests_passed": report.passed, "rule_tests_failed": len(report.failures),
            "synthetic_cases": POPULATION, "synthetic": True, "synthetic_impact_seconds": synthetic_seconds,
            "synthetic_mst_lost": mst.lost, "stored_cases": stored["cases"],
            "stored_impact_seconds": stored_seconds, "runs": runs}


if __name__ == "__main__":
    print(run(quick=False))
