"""Impact analysis time: `matcher rules diff` on a synthetic population (target: 10^6 cases under 10 s).

The change measured is a real one a methodologist might make (MST only up to age 15). The time covers
drawing the population, translating it to the old catalogue, matching it with both rule bases, and
counting who gains or loses each insats with example cases; not loading the rule bases.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from matcher.authoring.diff import impact, translate
from matcher.modelling.population import synthetic_batch
from matcher.modelling.registry import active_model
from matcher.rulebase.loading import default_rules_dir, load_rule_base


def run(quick: bool) -> dict[str, object]:
    n = 10_000 if quick else 1_000_000
    old = load_rule_base()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "rules"
        shutil.copytree(default_rules_dir(), root)
        path = root / "interventions" / "mst.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("max: 17}", "max: 15}", 1), encoding="utf-8")
        new = load_rule_base(root)
        old_model, new_model = active_model(old), active_model(new)
        start = time.perf_counter()
        population = synthetic_batch(new, n, seed=1)
        drawn = time.perf_counter()
        diff = impact(old, new, translate(population, new, old), population, old_model, new_model)
        done = time.perf_counter()
    mst = next(i for i in diff.impacts if i.intervention == "mst")
    return {"cases": n, "synthetic": True, "draw_seconds": round(drawn - start, 2),
            "impact_seconds": round(done - drawn, 2), "total_seconds": round(done - start, 2),
            "cases_per_second": round(n / (done - start)), "mst_lost": mst.lost,
            "target_seconds": 10, "target_met": done - start < 10}


if __name__ == "__main__":
    print(run(quick=False))
