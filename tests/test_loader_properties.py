"""Property-based tests of every loader: a valid file gives exactly what its clean twin gives, whatever its
encoding, separator or layout; a broken one (mutated bytes, generated structures, odd sizes) gives an input
error whose every line names the file, never another exception, a hang or a gigabyte of memory.

``make test`` runs ``FAST`` examples per loader; ``pytest -m slow`` runs ``SLOW``. (The model registry's
loader is tested with the registry, in tests/modelling.)"""

from __future__ import annotations

import json
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from matcher import InputError, encode_cases, read_cases
from matcher.local.catalogue import load_catalogue, parse_catalogue
from matcher.modelling.training_data import read_training
from matcher.rulebase.loading import validation_problems
from matcher.rulebase.policy_schema import Policy
from matcher.rulebase.schema import Intervention
from matcher.rulebase.yamlsource import YamlSyntaxError, load_yaml
from tests.conftest import EXAMPLES, RULES

FAST, SLOW = 200, 5000
RUNS = [pytest.param(FAST, id="fast"), pytest.param(SLOW, id="slow", marks=pytest.mark.slow)]
GIGABYTE_KB = 1024 * 1024  # ru_maxrss is in kilobytes on Linux
FACTORS = ["peer_delinquency", "impulsivity", "substance_use", "strong_attachment", "family_conflict"]
BOOLS = ["suicidality", "consent_youth", "threat_situation"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]
SEPARATORS = [",", ";", "\t"]
NOTE = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))  # PyYAML's dump and load keep these texts
HOSTILE_TEXT = st.sampled_from(["", "\x00", "\x1b[2J", "\ufeff", "å", "\udcff", "9" * 5000, "x" * 200_000, "NaN",
                                "&a [*a]", "!!python/object:os.system", "[" * 500, "\r\n", '"', ";", "\t"])


def _run(examples: int, strategy: st.SearchStrategy, check: Callable[[Any], None]) -> None:
    """``check`` over ``examples`` generated inputs, with a per-example deadline (no hang) and a memory bound."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    test = settings(max_examples=examples, deadline=10_000, database=None,
                    suppress_health_check=list(HealthCheck))(given(strategy)(check))
    test()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < GIGABYTE_KB


def _mutated(data: bytes) -> st.SearchStrategy[bytes]:
    """``data`` with bytes replaced, inserted or deleted, cut short, or with a hostile text spliced in."""

    def apply(edits: list[tuple[int, int, bytes]]) -> bytes:
        out = bytearray(data)
        for kind, at, chunk in edits:
            at %= max(len(out), 1)
            if kind == 0:
                out[at:at + len(chunk)] = chunk
            elif kind == 1:
                out[at:at] = chunk
            else:
                del out[at:at + len(chunk) + 1]
        return bytes(out)

    chunk = st.one_of(st.binary(min_size=1, max_size=8), HOSTILE_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")))
    return st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10**6), chunk), min_size=1, max_size=4).map(apply)


def _located(error: Exception, file: str) -> None:
    """Every line of an input error names the file (a summary line of the rule base or catalogue aside)."""
    lines = str(error).splitlines()
    assert lines and all(line.startswith(file) or " problem" in line or line.startswith("...") for line in lines), \
        str(error)[:500]


# ------------------------------------------------------------------ cases: JSON, JSON lines, CSV

CASES = st.fixed_dictionaries(
    {"context": st.fixed_dictionaries(
        {"age": st.integers(6, 25), "placement": st.sampled_from(["home", "hvb", "family_home"]),
         "caregiver": st.sampled_from(["takes_part", "does_not_take_part", "none"])},
        optional={b: st.booleans() for b in BOOLS}),
     "factors": st.fixed_dictionaries({}, optional={f: st.integers(0, 1) for f in FACTORS})},
    optional={"case_id": st.from_regex(r"[A-Z]{1,3}-[0-9]{1,4}", fullmatch=True)})


def _same(batch: Any, twin: Any) -> None:
    assert batch.ids == twin.ids and np.array_equal(batch.values, twin.values)


def _read(path: Path, rules: Any) -> Any:
    try:
        return read_cases(path, rules)
    except InputError as exc:
        _located(exc, str(path))
        return None


@pytest.mark.parametrize("examples", RUNS)
def test_case_json(examples, rules, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("json")

    def check(given_: tuple[list[dict[str, Any]], int | None, str, bytes | None]) -> None:
        cases, indent, encoding, mutation = given_
        path = folder / "case.json"
        text = json.dumps(cases if len(cases) > 1 else cases[0], indent=indent, ensure_ascii=encoding != "cp1252")
        path.write_bytes(text.encode(encoding) if mutation is None else mutation)
        batch = _read(path, rules)
        if mutation is None:
            _same(batch, encode_cases([("twin", c) for c in cases], rules))

    valid = st.tuples(st.lists(CASES, min_size=1, max_size=4), st.sampled_from([None, 1, 4]),
                      st.sampled_from(ENCODINGS), st.none())
    broken = valid.flatmap(lambda v: _mutated(json.dumps(v[0]).encode()).map(lambda m: (v[0], None, "utf-8", m)))
    structures = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text() | HOSTILE_TEXT,
                              lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                                  st.sampled_from(["context", "factors", "age", "case_id", *FACTORS]) | st.text(),
                                  inner, max_size=4), max_leaves=20)
    generated = structures.map(lambda s: ([{}], None, "utf-8", json.dumps(s).encode()))
    _run(examples, st.one_of(valid, broken, generated), check)


@pytest.mark.parametrize("examples", RUNS)
def test_case_json_lines(examples, rules, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("jsonl")

    def check(given_: tuple[list[dict[str, Any]], str, bytes | None]) -> None:
        cases, newline, mutation = given_
        path = folder / "cases.jsonl"
        text = newline.join(json.dumps(c) for c in cases) + newline
        path.write_bytes(text.encode() if mutation is None else mutation)
        batch = _read(path, rules)
        if mutation is None:
            _same(batch, encode_cases([("twin", c) for c in cases], rules))

    valid = st.tuples(st.lists(CASES, min_size=1, max_size=5), st.sampled_from(["\n", "\r\n", "\n\n"]), st.none())
    broken = valid.flatmap(lambda v: _mutated("\n".join(json.dumps(c) for c in v[0]).encode()).map(
        lambda m: (v[0], "\n", m)))
    _run(examples, st.one_of(valid, broken), check)


def _csv_bytes(cases: list[dict[str, Any]], separator: str, encoding: str, newline: str) -> bytes:
    columns = ["case_id", "age", "placement", "caregiver", *BOOLS, *FACTORS]
    lines = [separator.join(columns)]
    for case in cases:
        values = {**case["context"], **case["factors"], "case_id": case.get("case_id", "")}
        lines.append(separator.join("" if values.get(c) is None else str(values[c]).lower() for c in columns))
    return (newline.join(lines) + newline).encode(encoding)


@pytest.mark.parametrize("examples", RUNS)
def test_case_csv(examples, rules, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("csv")

    def check(given_: tuple[list[dict[str, Any]], bytes, bytes | None]) -> None:
        cases, data, mutation = given_
        path = folder / "cases.csv"
        path.write_bytes(data if mutation is None else mutation)
        batch = _read(path, rules)
        if mutation is None:
            twin = encode_cases([("twin", c) for c in cases], rules)
            assert batch.values.tolist() == twin.values.tolist()

    valid = st.lists(CASES, min_size=1, max_size=5).flatmap(lambda cases: st.tuples(
        st.just(cases), st.builds(lambda s, e, n: _csv_bytes(cases, s, e, n), st.sampled_from(SEPARATORS),
                                  st.sampled_from(ENCODINGS), st.sampled_from(["\n", "\r\n"])), st.none()))
    broken = valid.flatmap(lambda v: _mutated(v[1]).map(lambda m: (v[0], v[1], m)))
    _run(examples, st.one_of(valid, broken), check)


# ------------------------------------------------------------------ training data

@pytest.mark.parametrize("examples", RUNS)
def test_training_csv(examples, rules, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("training")
    rows = st.lists(st.tuples(st.sampled_from(["", "0", "1", "2"]), st.sampled_from(["0", "1", "2"]),
                              st.sampled_from(["0", "1"])), min_size=4, max_size=12)

    def text_of(table: list[tuple[str, str, str]], separator: str, newline: str) -> str:
        lines = [separator.join(["peer_delinquency", "impulsivity", "y"]), *(separator.join(r) for r in table)]
        return newline.join(lines) + newline

    def check(given_: tuple[list[tuple[str, str, str]], str, str, str, bytes | None]) -> None:
        table, separator, encoding, newline, mutation = given_
        path = folder / "data.csv"
        path.write_bytes(text_of(table, separator, newline).encode(encoding) if mutation is None else mutation)
        try:
            data = read_training(path, rules, "y")
        except InputError as exc:
            _located(exc, path.name if not str(exc).startswith(str(path)) else str(path))
            return
        if mutation is None:
            (folder / "twin.csv").write_text(text_of(table, ",", "\n"), encoding="utf-8")
            twin = read_training(folder / "twin.csv", rules, "y")
            assert (data.X.tolist(), data.y.tolist(), data.features) == (twin.X.tolist(), twin.y.tolist(),
                                                                        twin.features)

    valid = st.tuples(rows, st.sampled_from(SEPARATORS), st.sampled_from(ENCODINGS), st.sampled_from(["\n", "\r\n"]),
                      st.none())
    broken = valid.flatmap(lambda v: _mutated(text_of(v[0], ",", "\n").encode()).map(
        lambda m: (v[0], ",", "utf-8", "\n", m)))
    _run(examples, st.one_of(valid, broken), check)


# ------------------------------------------------------------------ rule files and catalogues

def _rule_file(path: Path, display: str, model: type) -> Any:
    """One rule file as the rule base loads it: YAML with lines, then the schema; None when it has problems."""
    try:
        doc = load_yaml(path, display)
    except YamlSyntaxError as exc:
        assert exc.problems and all(p.file == display for p in exc.problems)
        return None
    if not isinstance(doc.data, dict):
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:  # made located problems as the loader does
        problems = validation_problems(doc, exc)
        assert problems and all(p.file == display for p in problems)
        return None


@pytest.mark.parametrize("examples", RUNS)
@pytest.mark.parametrize(("file", "model"), [("policy.yaml", Policy), ("interventions/mst.yaml", Intervention)])
def test_rule_yaml(examples, file, model, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("rules")
    original = (RULES / file).read_bytes()
    shipped = model.model_validate(yaml.safe_load(original))
    data = yaml.safe_load(original)

    def check(given_: tuple[bytes, bool]) -> None:
        content, valid = given_
        path = folder / "rule.yaml"
        path.write_bytes(content)
        loaded = _rule_file(path, "rules/rule.yaml", model)
        if valid:
            assert loaded == shipped

    layouts = st.builds(lambda flow, width: (yaml.safe_dump(data, default_flow_style=flow, width=width,
                                                            allow_unicode=True, sort_keys=False).encode(), True),
                        st.sampled_from([False, True, None]), st.sampled_from([40, 80, 1000]))
    broken = _mutated(original).map(lambda m: (m, False))
    _run(examples, st.one_of(layouts, broken), check)


@pytest.mark.parametrize("examples", RUNS)
def test_catalogue_yaml(examples, rules, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("catalogues")
    offers = st.lists(st.one_of(
        st.fixed_dictionaries({"insats": st.sampled_from(["fft", "mdft", "pmto", "art"]), "offered": st.just(True),
                               "provider": st.sampled_from(["own", "purchased", "region"])},
                              optional={"capacity": st.integers(1, 50), "waiting_weeks": st.floats(0, 104),
                                        "cost_per_case": st.integers(0, 500_000), "note": st.text(NOTE, max_size=30)}),
        st.fixed_dictionaries({"insats": st.sampled_from(["mst", "tfco"]), "offered": st.just(False)})),
        max_size=4, unique_by=lambda o: o["insats"])
    catalogues = st.fixed_dictionaries({"unit": st.from_regex(r"[A-Z]{2,6}", fullmatch=True), "offers": offers})

    def check(given_: tuple[dict[str, Any], bytes | None]) -> None:
        data, mutation = given_
        path = folder / "catalogue.yaml"
        path.write_bytes(yaml.safe_dump(data, allow_unicode=True).encode() if mutation is None else mutation)
        try:
            loaded = load_catalogue(path, rules)
        except InputError as exc:
            _located(exc, str(path))
            assert mutation is not None, str(exc)
            return
        if mutation is None:
            assert loaded == parse_catalogue(data, rules)

    valid = st.tuples(catalogues, st.none())
    demo = (EXAMPLES / "catalogue-DEMO.yaml").read_bytes()
    broken = _mutated(demo).map(lambda m: ({}, m))
    _run(examples, st.one_of(valid, broken), check)

