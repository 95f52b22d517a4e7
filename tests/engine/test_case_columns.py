"""The population loader (stream_csv + encode_rows) under hostile input: the same cases as the small-file reader
for every valid file, whatever its separator, encoding or line ends; for a broken one, located problems only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st

from matcher import InputError, read_cases
from matcher.engine.population_run import run_population
from tests.test_loader_properties import CASES, ENCODINGS, RUNS, SEPARATORS, _csv_bytes, _located, _mutated, _run


class _Collected:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def __call__(self, problem: str) -> None:
        self.problems.append(problem)


@pytest.mark.parametrize("examples", RUNS)
def test_population_loader(examples, rules, model, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("population")

    def check(given_: tuple[list[dict[str, Any]], bytes, bytes | None, int]) -> None:
        _cases, data, mutation, chunk = given_
        path, out = folder / "cases.csv", folder / "out.jsonl"
        path.write_bytes(data if mutation is None else mutation)
        problems = _Collected()
        try:
            summary = run_population(path, out, rules, model, fmt="jsonl", chunk=chunk, report=problems)
        except InputError as exc:
            _located(exc, str(path))
            assert mutation is not None
            return
        for problem in problems.problems:
            assert problem.startswith(f"{path}:"), problem
        try:
            small = read_cases(path, rules)
        except InputError:
            assert problems.problems or mutation is not None
            return
        assert not problems.problems  # the small-file reader and the population loader accept the same rows
        written = [line for line in out.read_text(encoding="utf-8").splitlines() if line]
        assert summary.cases == len(small) == len(written)
        if mutation is None:
            ids = [json.loads(line)["case_id"] for line in written]
            assert tuple(ids) == small.ids

    valid = st.lists(CASES, min_size=1, max_size=5).flatmap(lambda cases: st.tuples(
        st.just(cases), st.builds(lambda s, e, n: _csv_bytes(cases, s, e, n), st.sampled_from(SEPARATORS),
                                  st.sampled_from(ENCODINGS), st.sampled_from(["\n", "\r\n"])), st.none(),
        st.integers(1, 4)))
    broken = valid.flatmap(lambda v: _mutated(v[1]).map(lambda m: (v[0], v[1], m, v[3])))
    _run(examples, st.one_of(valid, broken), check)


def test_the_same_values_as_the_small_file_reader(rules, model, tmp_path: Path) -> None:
    from matcher.engine.case_columns import encode_rows
    from matcher.modelling.population import write_population
    from matcher.textfiles import stream_csv

    path = tmp_path / "population.csv"
    write_population(rules, 300, seed=9, out=path)
    stream = stream_csv(path)
    (lines, batch), = list(stream.blocks())
    rows = encode_rows(batch, stream.header, lines, 0, str(path), rules)
    small = read_cases(path, rules)
    assert rows.values.tolist() == small.values.tolist() and tuple(rows.ids) == small.ids
    assert rows.lines.tolist() == list(range(2, 302)) and np.all(rows.synthetic)
