"""Server-side time of one recommendation interaction (target: under 300 ms with the shipped rule base).

Streamlit's AppTest runs the app's script in this process exactly as the server does for a browser
session, so a rerun's wall time is the server-side time of that interaction: the social worker opens
the recommendations page of a case (the result, the what-if panel and the decision form are built).
The first run (imports, database, first-run seeding) is excluded; the median and the 95th percentile of
the following reruns are reported.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from matcher.auth import Role
from tests.ui.apptest import app_as, use_demo_database


def run(quick: bool) -> dict[str, object]:
    reruns = 5 if quick else 40
    with tempfile.TemporaryDirectory() as tmp:
        use_demo_database(Path(tmp))
        at = app_as(Role.SOCIAL_WORKER, "ui/case_work/cases.py")
        at.button(key="open-case").click().run()
        at.switch_page("ui/case_work/recommend.py").run()
        times = []
        for _ in range(reruns):
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
        assert not at.exception
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"reruns": reruns, "p50_ms": round(1000 * statistics.median(times), 1), "p95_ms": round(1000 * p95, 1),
            "target_ms": 300, "target_met": statistics.median(times) < 0.3}


if __name__ == "__main__":
    print(run(quick=False))
