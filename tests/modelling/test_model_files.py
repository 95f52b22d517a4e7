"""Hostile model files: the registry, model.json and card.json loaders either load a file the same as its clean
twin or raise InputError naming the file, the place in it and the value found; never another exception."""

import json
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.cli import main
from matcher.errors import InputError
from matcher.modelling.artefact import read_artefact
from matcher.modelling.card_format import read_card
from matcher.modelling.registry import parse_registry
from matcher.modelling.strict_json import MAX_DEPTH, json_path

MODEL = "logistic-20261203-abcdef12"
REGISTRY = {"models": [{
    "id": MODEL, "status": "candidate", "file": f"{MODEL}/model.json", "sha256": "a" * 64, "card_sha256": "b" * 64,
    "synthetic": True, "signature": "hmac-sha256:" + "c" * 64,
    "history": [{"action": "registered", "by": "eva", "at": "2026-12-03T20:25:38+00:00", "reason": "trained"},
                {"action": "promoted", "by": "eva", "at": "2026-12-04T08:00:00+00:00", "reason": "better, försök 2",
                 "forced": True, "failed_gates": ["cross-validated AUC 0.6298 is below the minimum 0.64"]}]}]}
ARTEFACT = {"format": "insatsmatch-additive-1", "id": MODEL, "kind": "scorecard", "intercept": 0.0,
            "probability": {"a": 0.41, "b": -1.9}, "cut_points": [0.3, 0.5],
            "points": [{"factor": "peer_delinquency", "rating": 1, "points": 2.0},
                       {"factor": "peer_delinquency", "rating": 2, "points": 5.0},
                       {"factor": "school_commitment", "rating": 1, "points": -3.0}]}
CARD = {"id": MODEL, "model": "scorecard", "synthetic": True, "created": "2026-12-03T20:25:38+00:00",
        "trained_by": "eva", "note": "syntetiska data", "features": ["peer_delinquency", "school_commitment"],
        "levels": {"moderate": 0.3, "high": 0.5}, "intercept": 0.0,
        "points": [{"factor": "peer_delinquency", "name": "Peer delinquency", "rating": "moderate", "points": 2.0}],
        "cross_validation": {"folds": 5, "auc": 0.71, "brier": 0.2, "ece": 0.02, "fairness": {"sex": {
            "reference": "male", "fpr_gap": 0.04, "fpr_ratio": {"male": 1.0, "female": None},
            "groups": {"male": {"n": 300}, "female": {"n": 12}}}}},
        "plots": {"roc.png": "d" * 64}}
FILES = {"registry.json": (REGISTRY, parse_registry), "model.json": (ARTEFACT, read_artefact),
         "card.json": (CARD, read_card)}
NON_FINITE = [math.nan, math.inf, -math.inf]
HOSTILE = st.one_of(
    st.sampled_from([*NON_FINITE, None, True, "", "x" * 20_000, -1, 0, 10**30, -(10**30), 1e308, [], {},
                     "../../etc/passwd", "\u0000", "é", {"__class__": "os.system"}]),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.text(max_size=20),
    st.recursive(st.integers(), lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                           max_size=3), max_leaves=8))


def _paths(value, loc=()):
    yield loc
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, (*loc, key))


def _replaced(value, loc, new):
    if not loc:
        return new
    copy = json.loads(json.dumps(value))
    parent = copy
    for key in loc[:-1]:
        parent = parent[key]
    if new is _DELETE:
        del parent[loc[-1]]
    else:
        parent[loc[-1]] = new
    return copy


_DELETE = object()


def _load(name: str, data: bytes):
    """The loader's result, or the InputError it raised (any other exception fails the test)."""
    try:
        return FILES[name][1](data, f"/m/{name}")
    except InputError as exc:
        message = str(exc)
        assert message.startswith(f"/m/{name}: "), message
        return exc


def _twin(doc, seed: int) -> bytes:
    """The same document written differently: key order, indentation, escaping."""
    rng = random.Random(seed)

    def shuffled(value):
        if isinstance(value, dict):
            items = list(value.items())
            rng.shuffle(items)
            return {k: shuffled(v) for k, v in items}
        return [shuffled(v) for v in value] if isinstance(value, list) else value

    return json.dumps(shuffled(doc), indent=rng.choice([None, 1, 4, "\t"]), ensure_ascii=rng.random() < 0.5).encode()


def _mutations(examples: int):
    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(name=st.sampled_from(sorted(FILES)), data=st.data(), new=st.one_of(HOSTILE, st.just(_DELETE)))
    def run(name, data, new) -> None:
        doc = FILES[name][0]
        loc = data.draw(st.sampled_from(list(_paths(doc))[1:]))
        mutated = _replaced(doc, loc, new)
        text = json.dumps(mutated, allow_nan=True).encode()
        result = _load(name, text)
        if isinstance(result, InputError):
            if isinstance(new, float) and not math.isfinite(new):
                assert f": {json_path(loc)}: expected a finite number; found {new}" in str(result)
            return
        assert new is _DELETE or not (isinstance(new, float) and not math.isfinite(new))
        assert _load(name, _twin(mutated, len(text))) == result  # a valid file loads the same as its twin

    return run


def _noise(examples: int):
    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(name=st.sampled_from(sorted(FILES)), data=st.binary(max_size=400), cut=st.integers(0, 4000),
           encoding=st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252"]))
    def run(name, data, cut, encoding) -> None:
        assert isinstance(_load(name, data), InputError)
        clean = json.dumps(FILES[name][0], ensure_ascii=False).encode("utf-8")
        assert isinstance(_load(name, clean[:cut % len(clean)]), InputError)  # a truncated file
        text = clean.decode("utf-8")
        if encoding in ("utf-16", "utf-32") or not text.isascii():
            assert isinstance(_load(name, text.encode(encoding, errors="replace")), InputError)

    return run


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_valid_file_loads_the_same_as_its_clean_twin(name: str) -> None:
    clean = _load(name, json.dumps(FILES[name][0]).encode())
    assert not isinstance(clean, InputError)
    assert all(_load(name, _twin(FILES[name][0], seed)) == clean for seed in range(20))


def test_mutated_model_files_load_as_valid_or_raise_a_located_input_error() -> None:
    _mutations(300)()


def test_random_truncated_and_wrongly_encoded_bytes_raise_input_error() -> None:
    _noise(200)()


@pytest.mark.slow
def test_five_thousand_hostile_mutations_and_byte_strings() -> None:
    _mutations(5000)()
    _noise(5000)()


@pytest.mark.parametrize(("name", "text", "message"), [
    ("registry.json", '{"models": [], "models": [1]}',
     '/m/registry.json: models: the key is given twice in one object (found [] and [1])'),
    ("model.json", json.dumps(ARTEFACT).replace('"intercept": 0.0', '"intercept": NaN'),
     "/m/model.json: intercept: expected a finite number; found nan"),
    ("model.json", json.dumps(ARTEFACT).replace('"points": 5.0', '"points": 1e400'),
     "/m/model.json: points[1].points: expected a finite number; found inf"),
    ("card.json", json.dumps(CARD).replace('"auc": 0.71', '"auc": 7.1'),
     "/m/card.json: cross_validation.auc: Input should be less than or equal to 1; found 7.1"),
    ("registry.json", json.dumps(REGISTRY).replace(f'"{MODEL}/model.json"', '"../../etc/model.json"'),
     "/m/registry.json: models[0]: Value error, file must be 'logistic-20261203-abcdef12/model.json' (the model's "
     "own folder); found '../../etc/model.json'"),
    ("registry.json", "[" * 100_000 + "]" * 100_000, "/m/registry.json: $: nested too deeply to read"),
    ("card.json", '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1),
     f"/m/card.json: {'.'.join(['a'] * MAX_DEPTH)}: nested more than {MAX_DEPTH} levels deep"),
])
def test_each_refusal_names_the_file_the_place_and_the_value(name, text, message) -> None:
    result = _load(name, text.encode())
    assert isinstance(result, InputError) and str(result).startswith(message)


def test_a_broken_registry_is_exit_code_2_with_its_message(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "registry.json").write_text('{"models": [], "models": []}')
    monkeypatch.setenv("INSATSMATCH_MODELS", str(tmp_path))
    assert main(["models", "list"]) == 2
    assert capsys.readouterr().err == (f"matcher: {tmp_path / 'registry.json'}: models: the key is given twice in one "
                                       f"object (found [] and []); a duplicate key could hide a value, so the file is "
                                       f"not read. Keep one\n")
