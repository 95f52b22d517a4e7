"""The benchmark harness runs at small sizes and records every module's figures (timings are never asserted)."""

import json
from pathlib import Path

from benchmarks import run as harness


def test_the_harness_runs_every_benchmark_quickly_and_writes_json_and_markdown(tmp_path: Path) -> None:
    results = harness.run_all(quick=True, out=tmp_path)
    names = harness.modules()
    assert "bench_matching" in names
    assert set(names) <= set(results)
    assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8")) == results
    markdown = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert all(f"## {name.removeprefix('bench_')}" in markdown for name in names)
    matching = results["bench_matching"]

    def agreeing(figures: dict) -> int:  # zen-engine adds in float64, so a near tie may order otherwise
        same, total = map(int, figures["same_top_k_as_set"].split("/"))
        assert total == 200
        return same

    assert agreeing(matching["python_loop"]) == 200
    assert matching["python_loop"]["same_top_k_in_order"] == "200/200"  # the engine's arithmetic and tie rule
    zen = matching["zen_engine"]
    assert ("skipped" in zen and zen["skipped"].startswith("zen-engine is not installed")) or agreeing(zen) >= 198
    assert {"batch_1000", "batch_20000", "single_case", "explain_on_demand"} <= set(matching)


def test_a_partial_run_keeps_only_the_notes_of_figures_it_did_not_replace() -> None:
    meta = {"date": "morning", "matching+population+ui_run": {"date": "noon"}, "ui_run": {"date": "afternoon"},
            "bench_ui_seconds": 60.7}
    assert harness._notes_without(meta, ["matching", "ui"]) == {
        "date": "morning", "population_run": {"date": "noon"}, "bench_ui_seconds": 60.7}


def test_a_partial_run_on_another_machine_says_so() -> None:
    """Sessions get different hosts: a figure re-run on another processor is not comparable as it stands."""
    run = {"date": "evening", "quick": False, "machine": "x86_64, 2 cores, Intel(R) Xeon(R) Processor",
           "load_average_at_start": "0.2", "load_average_at_end": "0.5"}
    meta = {"date": "morning", "quick": False, "python": "3.11.7", "machine": "x86_64, 2 cores, AMD EPYC",
            "threads": "1", "versions": {"numpy": "2"}, "load_average_at_start": "1.5", "load_average_at_end": "1.1",
            "shared": "shared", "matching_run": run, "ui_run": {**run, "machine": "x86_64, 2 cores, AMD EPYC"}}
    text = harness.markdown({"_meta": meta})
    assert ("Re-run alone: matching, evening on another machine, x86_64, 2 cores, Intel(R) Xeon(R) Processor, load "
            "average at the start 0.2, at the end 0.5.") in text
    assert "Re-run alone: ui, evening, load average at the start 0.2, at the end 0.5." in text
