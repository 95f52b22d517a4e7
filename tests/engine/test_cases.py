"""The case format: instruments map onto factors; bad input gets a located message."""

import json
from pathlib import Path

import pytest

from matcher import InputError, encode_cases, read_cases
from matcher.engine.cases import case_json_schema
from matcher.rulebase.factors import UNRATED

CONTEXT = {"age": 15, "placement": "home", "caregiver": "takes_part"}


def _column(rules, batch, name):
    index = {**rules.catalogue.factor_index, **rules.catalogue.context_index}
    return batch.values[:, index[name]].tolist()


def test_savry_items_by_number_or_code_map_onto_factors(rules) -> None:
    batch = encode_cases([("a", {"context": CONTEXT, "instruments": {"savry": {"11": "high", "I3": "måttlig",
                                                                              "P3": "present"}}})], rules)
    assert _column(rules, batch, "peer_delinquency") == [2]
    assert _column(rules, batch, "substance_use") == [1]
    assert _column(rules, batch, "strong_attachment") == [1]
    assert _column(rules, batch, "history_of_violence") == [UNRATED]


def test_yls_domain_rating_carries_to_each_factor_of_the_domain(rules) -> None:
    batch = encode_cases([("a", {"context": CONTEXT, "instruments": {"yls_cmi": {"family_circumstances": "high"}}})],
                         rules)
    assert _column(rules, batch, "poor_parental_management") == [2]
    assert _column(rules, batch, "family_conflict") == [2]


def test_several_sources_combine_by_the_highest_rating(rules) -> None:
    case = {"context": CONTEXT, "factors": {"peer_delinquency": 1},
            "instruments": {"savry": {"S1": "low"}, "yls_cmi": {"peer_relations": "high"}}}
    assert _column(rules, encode_cases([("a", case)], rules), "peer_delinquency") == [2]


def test_optional_context_takes_its_documented_default(rules) -> None:
    batch = encode_cases([("a", {"context": CONTEXT})], rules)
    assert _column(rules, batch, "suicidality") == [0]
    assert _column(rules, batch, "court_sanction") == [rules.catalogue.fact("court_sanction").values.index("none")]


BAD_CASES = [
    ("out_of_range", {"context": CONTEXT, "factors": {"peer_delinquency": 3}},
     "case.json: factors.peer_delinquency: Input should be 0, 1 or 2 (0 = low, 1 = moderate, 2 = high); found 3"),
    ("unknown_factor", {"context": CONTEXT, "factors": {"peer_delinquncy": 1}},
     "case.json: factors.peer_delinquncy: unknown factor 'peer_delinquncy'; did you mean 'peer_delinquency'?"),
    ("missing_required", {"context": {"placement": "home", "caregiver": "takes_part"}},
     "case.json: context.age: missing; this value is required (Ålder / Age)"),
    ("wrong_type", {"context": {**CONTEXT, "age": "fifteen"}},
     "case.json: context.age: Input should be a valid integer, unable to parse string as an integer; found 'fifteen'"),
    ("age_out_of_range", {"context": {**CONTEXT, "age": 30}},
     "case.json: context.age: Input should be less than or equal to 25; found 30"),
    ("unknown_enum", {"context": {**CONTEXT, "placement": "sis_home"}},
     "case.json: context.placement: Input should be 'home', 'family_home', 'hvb', 'sis_youth_home', "
     "'sluten_ungdomsvard' or 'independent'; found 'sis_home'; did you mean 'sis_youth_home'?"),
    ("unknown_item", {"context": CONTEXT, "instruments": {"savry": {"H11": "high"}}},
     "case.json: instruments.savry.H11: unknown item 'H11'; did you mean 'H1'?"),
    ("bad_answer", {"context": CONTEXT, "instruments": {"savry": {"H1": "very high"}}},
     "case.json: instruments.savry.H1: Input should be 'low', 'moderate', 'high', 'låg', 'måttlig' or 'hög'; "
     "found 'very high'"),
    ("not_an_object", 5, "case.json: expected a case object with context, factors and instruments "
                         "(docs/case-format.md); found a number 5"),
    ("unknown_top_key", {"context": CONTEXT, "instrument": {}},
     "case.json: instrument: unknown key 'instrument'; did you mean 'instruments'?"),
]


@pytest.mark.parametrize(("case", "message"), [b[1:] for b in BAD_CASES], ids=[b[0] for b in BAD_CASES])
def test_bad_case_gets_its_exact_message(rules, case, message) -> None:
    with pytest.raises(InputError) as caught:
        encode_cases([("case.json", case)], rules)
    assert str(caught.value) == message


def test_every_bad_case_in_a_file_is_reported(rules, tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps({"context": CONTEXT}) + "\n\n" + json.dumps({"context": {**CONTEXT, "age": 3}}) + "\n"
                    + json.dumps({"context": CONTEXT, "factors": {"impulsivity": -1}}) + "\n")
    with pytest.raises(InputError) as caught:
        read_cases(path, rules)
    assert str(caught.value) == (
        f"{path}:3: context.age: Input should be greater than or equal to 6; found 3\n"
        f"{path}:4: factors.impulsivity: Input should be 0, 1 or 2 (0 = low, 1 = moderate, 2 = high); found -1")


@pytest.mark.parametrize(("name", "text", "message"), [
    ("missing.csv", "case_id,age,caregiver\nX,15,takes_part\n",
     "{path}: missing required column placement; the file has: case_id, age, caregiver"),
    ("unknown.csv", "case_id,age,placement,caregiver,peer_delinquncy\nX,15,home,takes_part,2\n",
     "{path}: unknown column 'peer_delinquncy'; did you mean 'peer_delinquency'?"),
    ("bad.json", '{"context": {"age": 15,}}',
     "{path}: not valid JSON: Expecting property name enclosed in double quotes at line 1, column 24"),
    ("cases.txt", "x", "{path}: unknown file type '.txt'; expected .json, .jsonl or .csv"),
])
def test_bad_files_get_their_exact_message(rules, tmp_path: Path, name, text, message) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_cases(path, rules)
    assert str(caught.value) == message.format(path=path)


def test_csv_with_words_empty_cells_and_instrument_columns(rules, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("case_id,age,placement,caregiver,peer_delinquency,savry.H1\n"
                    "X,15,home,takes_part,2,high\nY,16,hvb,does_not_take_part,,\n", encoding="utf-8")
    batch = read_cases(path, rules)
    assert batch.ids == ("X", "Y")
    assert _column(rules, batch, "peer_delinquency") == [2, UNRATED]
    assert _column(rules, batch, "history_of_violence") == [2, UNRATED]
    assert _column(rules, batch, "caregiver") == [0, 1]


def test_json_schema_lists_every_factor_and_context_fact(rules) -> None:
    schema = case_json_schema(rules)
    defs = schema["$defs"]
    assert set(defs["Factors"]["properties"]) == set(rules.catalogue.factor_index)
    assert set(defs["Context"]["properties"]) == set(rules.catalogue.context_index)
    assert defs["Context"]["required"] == ["age", "caregiver", "placement"]
    assert schema["required"] == ["context"]


def test_a_key_given_twice_is_refused_at_its_line_never_resolved_to_the_last(rules, tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{\n  "context": {"age": 15, "placement": "home",\n    "caregiver": "takes_part", "age": 19}\n}\n')
    with pytest.raises(InputError) as caught:
        read_cases(path, rules)
    assert str(caught.value) == (f"{path}:3: context.age: the key 'age' is given twice (also on line 2); give it once, "
                                 f"so that no value silently replaces another")


@pytest.mark.parametrize(("case_id", "message"), [
    ("19121212-1212", "this holds a personnummer; a case code must never identify the young person. Use a code "
                      "such as EX-02; found '19121212-1212'"),
    ("Anna Svensson", "this looks like a name (two or more words of letters only); a case code must never identify "
                      "the young person. Use a code such as EX-02; found 'Anna Svensson'"),
    ("\x1b[2J", "a case code may not hold control or escape characters (tabs, line breaks, terminal codes); use "
                "letters, digits and dashes, such as EX-02; found '\\x1b[2J'"),
])
def test_a_case_code_that_identifies_or_moves_the_terminal_is_refused(rules, case_id, message) -> None:
    with pytest.raises(InputError) as caught:
        encode_cases([("case.json", {"case_id": case_id, "context": CONTEXT})], rules)
    assert str(caught.value) == f"case.json: case_id: {message}"


def test_true_is_not_a_rating(rules) -> None:
    with pytest.raises(InputError) as caught:
        encode_cases([("case.json", {"context": CONTEXT, "factors": {"peer_delinquency": True}})], rules)
    assert str(caught.value) == ("case.json: factors.peer_delinquency: expected a whole number, not true "
                                 "(0 = low, 1 = moderate, 2 = high); found True")


def test_each_field_of_a_json_list_is_located_at_its_line(rules, tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([{"context": CONTEXT}, {"context": {**CONTEXT, "age": 30}}], indent=1))
    with pytest.raises(InputError) as caught:
        read_cases(path, rules)
    assert str(caught.value) == f"{path}:11: [1].context.age: Input should be less than or equal to 25; found 30"


def test_the_registered_history_is_read_from_json_and_csv_and_checked_against_its_range(rules, tmp_path) -> None:
    case = {"context": CONTEXT, "factors": {"prior_records": 3, "age_at_offence": 15, "violent_main_offence": 1}}
    batch = encode_cases([("a", case)], rules)
    assert [_column(rules, batch, f)[0] for f in ("prior_records", "age_at_offence", "age_first_offence")] == \
        [3, 15, UNRATED]
    path = tmp_path / "cases.csv"
    path.write_text("case_id,age,placement,caregiver,prior_records,offences_in_matter\nEX-1,15,home,takes_part,3,2\n"
                    "EX-2,15,home,takes_part,61,\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_cases(path, rules)
    assert str(caught.value) == (f"{path}:3: factors.prior_records: Input should be less than or equal to 60 "
                                 f"(a whole number from 0 to 60, blank when not known); found 61")
