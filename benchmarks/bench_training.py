"""Training time on synthetic rows: the whole `matcher train` path (read, the policy's folds x repeats of
cross-validation with every inner choice, final fit, card). For the peak memory, run one kind under
/usr/bin/time -v with the BLAS threads pinned by the command (docs/model-evaluation.md, "Training cost"):

    env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 /usr/bin/time -v \
        .venv/bin/python benchmarks/bench_training.py binned
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from matcher.modelling.synth import TARGET, synthetic_training
from matcher.modelling.train import train
from matcher.modelling.training_data import frame_sha256, training_data
from matcher.rulebase.loading import load_rule_base

KINDS = ("binned", "logistic", "scorecard")


def run(quick: bool, kinds: tuple[str, ...] = KINDS) -> dict[str, object]:
    rules = load_rule_base()
    rows = 2_000 if quick else 100_000
    out: dict[str, object] = {"rows": rows, "synthetic": True}
    start = time.perf_counter()
    frame = synthetic_training(rules, rows, seed=0)
    out["generate_seconds"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    data = training_data(frame, rules, TARGET, source="synthetic", sha256=frame_sha256(frame),
                         groups=["sex", "born_abroad"])
    out["read_seconds"] = round(time.perf_counter() - start, 2)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            start = time.perf_counter()
            _, card = train(data, rules, kind, Path(tmp), trained_by="benchmark")
            out[f"{kind}_train_seconds"] = round(time.perf_counter() - start, 2)
            out[f"{kind}_cv_auc"] = card["cross_validation"]["auc"]
    return out


if __name__ == "__main__":
    print(run(quick=False, kinds=tuple(sys.argv[1:]) or KINDS))
