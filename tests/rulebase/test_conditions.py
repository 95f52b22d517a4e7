"""Truth tables for compiled conditions, and the words that explain a leaf."""

import itertools

import numpy as np
import pytest

from matcher.rulebase.conditions import ConditionError, LeafTable, compile_condition, evaluate, failed_parts, met_parts
from matcher.rulebase.schema import Intervention


def _cond(raw):
    """Validate a raw condition through the real schema (as eligibility of a minimal intervention)."""
    return Intervention.model_validate({
        "id": "x", "name": {"sv": "x", "en": "x"}, "summary": {"sv": "x", "en": "x"}, "type": "individual",
        "indication": "criminogenic", "actor": "socialtjanst", "age": {"min": 6, "max": 25}, "intensity": "low",
        "eligibility": raw,
        "evidence": [{"clearinghouse": "none", "rating": "not rated", "source": "s", "read": "2026-11-22",
                      "confidence": "inference"}],
    }).eligibility


@pytest.fixture
def table(rules):
    return LeafTable(rules.catalogue)


def _rows(rules, **columns):
    """A matrix with one row per combination of the given column values."""
    names = list(columns)
    combos = list(itertools.product(*columns.values()))
    values = np.tile(rules.catalogue.default_row(), (len(combos), 1))
    index = {**rules.catalogue.factor_index, **rules.catalogue.context_index}
    for r, combo in enumerate(combos):
        for name, v in zip(names, combo, strict=True):
            values[r, index[name]] = v
    return combos, values


@pytest.mark.parametrize(("op", "value", "expected"), [
    (">=", 1, [False, True, True, False]),
    (">", 1, [False, False, True, False]),
    ("<=", 1, [True, True, False, True]),
    ("<", 1, [True, False, False, True]),
    ("==", 1, [False, True, False, False]),
    ("!=", 1, [True, False, True, True]),
    ("in", [0, 2], [True, False, True, False]),
    ("not_in", [0, 2], [False, True, False, True]),
])
def test_factor_comparison_truth_table(rules, table, op, value, expected) -> None:
    # ratings 0, 1, 2 and not rated (-1): an unrated factor never meets "at least" and never equals a rating
    node = compile_condition(_cond({"factor": "peer_delinquency", "op": op, "value": value}), table)
    _, values = _rows(rules, peer_delinquency=[0, 1, 2, -1])
    assert evaluate(node, table.evaluate(values)).tolist() == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ({"all": [{"context": "suicidality", "op": "==", "value": True},
              {"context": "autism", "op": "==", "value": True}]}, [False, False, False, True]),
    ({"any": [{"context": "suicidality", "op": "==", "value": True},
              {"context": "autism", "op": "==", "value": True}]}, [False, True, True, True]),
    ({"not": {"context": "suicidality", "op": "==", "value": True}}, [True, True, False, False]),
    ({"not": {"any": [{"context": "suicidality", "op": "==", "value": True},
                      {"context": "autism", "op": "==", "value": True}]}}, [True, False, False, False]),
    ({"all": [{"context": "suicidality", "op": "!=", "value": True},
              {"any": [{"context": "autism", "op": "==", "value": True}]}]}, [False, True, False, False]),
])
def test_all_any_not_truth_tables(rules, table, raw, expected) -> None:
    # rows: (suicidality, autism) = (0,0), (0,1), (1,0), (1,1)
    node = compile_condition(_cond(raw), table)
    _, values = _rows(rules, suicidality=[0, 1], autism=[0, 1])
    assert evaluate(node, table.evaluate(values)).tolist() == expected


def test_enum_and_int_context(rules, table) -> None:
    node = compile_condition(_cond({"all": [
        {"context": "placement", "op": "in", "value": ["hvb", "sis_youth_home"]},
        {"context": "age", "op": ">=", "value": 12}]}), table)
    placement = rules.catalogue.fact("placement").values
    combos, values = _rows(rules, placement=range(len(placement)), age=[11, 12])
    got = evaluate(node, table.evaluate(values)).tolist()
    assert got == [placement[p] in ("hvb", "sis_youth_home") and age >= 12 for p, age in combos]


def test_identical_leaves_are_shared(rules, table) -> None:
    compile_condition(_cond({"factor": "substance_use", "op": ">=", "value": 1}), table)
    compile_condition(_cond({"any": [{"factor": "substance_use", "op": ">=", "value": 1}]}), table)
    assert len(table.leaves) == 1


def test_why_not_and_why_in_words(rules, table) -> None:
    node = compile_condition(_cond({"all": [
        {"context": "caregiver", "op": "==", "value": "takes_part"},
        {"any": [{"factor": "peer_delinquency", "op": ">=", "value": 2},
                 {"context": "placement", "op": "in", "value": ["hvb", "sis_youth_home"]}]},
        {"not": {"context": "autism", "op": "==", "value": True}}]}), table)
    _, values = _rows(rules, caregiver=[1], peer_delinquency=[1], autism=[1], placement=[0])
    leaf_row = table.evaluate(values)[0]
    assert failed_parts(node, leaf_row, values[0], table, "sv") == [
        "Vårdnadshavare eller annan omsorgsperson: deltar (bedömt: deltar inte)",
        "minst ett av: Kriminella kamrater: minst hög (bedömt: måttlig); "
        "Nuvarande boende eller placering: en av HVB, SiS särskilda ungdomshem (bedömt: hemma)",
        "inte: Autism: ja (bedömt: ja)",
    ]
    _, values = _rows(rules, caregiver=[0], peer_delinquency=[2], autism=[0])
    leaf_row = table.evaluate(values)[0]
    assert met_parts(node, leaf_row, values[0], table, "en") == [
        "Caregiver: takes part (recorded: takes part)",
        "Peer delinquency: at least high (recorded: high)",
        "not: Autism: yes (recorded: no)",
    ]


@pytest.mark.parametrize(("raw", "path", "message"), [
    ({"factor": "peer", "op": ">=", "value": 1}, ("factor",), "unknown factor 'peer'"),
    ({"context": "ages", "op": ">=", "value": 1}, ("context",), "unknown context fact 'ages'; did you mean 'age'?"),
    ({"context": "age", "op": ">=", "value": 40}, ("value",), "'age' is a whole number from 6 to 25, found 40"),
    ({"context": "age", "op": "in", "value": 12}, ("value",), "op 'in' needs a non-empty list, found 12"),
    ({"any": [{"factor": "impulsivity", "op": "==", "value": [1, 2]}]}, ("any", 0, "value"),
     "op '==' compares with one value, found the list [1, 2]; use 'in' for a list"),
])
def test_compile_errors_are_located(table, raw, path, message) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(_cond(raw), table)
    assert (caught.value.path, str(caught.value)) == (path, message)
