"""Issue 13: the act-first screen runs on every case, before any ranking, at every --top including 1."""

from __future__ import annotations

import json

import pytest

from matcher import encode_cases, explain, match, result_text
from tests.conftest import run_cli

BASE = {"age": 15, "placement": "home", "caregiver": "takes_part"}
FACTORS = {"peer_delinquency": 2, "antisocial_attitudes": 2, "history_of_violence": 2, "family_conflict": 2}
TRIGGERS = [({"suicidality": True}, "suicide_risk"), ({"self_harm_recent": True}, "suicide_risk"),
            ({"acute_psychosis": True}, "psychosis"), ({"homicidality": True}, "homicidality"),
            ({"threat_situation": True}, "threat"), ({"violence_at_home": True}, "violence_at_home")]


def _result(rules, model, context: dict, top_k: int = 1) -> dict:
    case = {"context": {**BASE, **context}, "factors": FACTORS}
    return explain(match(encode_cases([("case", case)], rules), rules, model, top_k), 0, "sv")


@pytest.mark.parametrize(("context", "action"), TRIGGERS)
def test_each_trigger_gives_its_action_at_top_1_first_in_the_text(rules, model, context, action) -> None:
    res = _result(rules, model, context)
    assert [a["id"] for a in res["act_first"]] == [action]
    assert list(res)[:5] == ["case_id", "synthetic", "version", "act_first", "risk"]
    first = res["act_first"][0]
    assert first["trigger"] and first["action"] and first["who"] and first["sources"]
    lines = result_text(res, "sv").splitlines()
    assert lines[1] == "Gör först – före alla insatser:"
    assert lines[2] == f"  !! {first['trigger']}"


def test_no_trigger_no_action_and_the_text_starts_with_the_risk(rules, model) -> None:
    res = _result(rules, model, {}, top_k=5)
    assert res["act_first"] == []
    assert result_text(res, "sv").splitlines()[1].startswith("Risknivå:")


def test_a_threatened_16_year_old_without_a_gang_gets_the_threat_action(rules, model) -> None:
    res = _result(rules, model, {"age": 16, "threat_situation": True, "gang_involvement": False})
    assert [a["id"] for a in res["act_first"]] == ["threat"]
    assert "polis" in res["act_first"][0]["action"].lower()


def test_the_command_line_json_carries_act_first_at_top_1(monkeypatch, capsys, tmp_path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"case_id": "T-1", "context": {**BASE, "threat_situation": True,
                                                              "gang_involvement": True, "wants_to_leave_gang": True},
                                "factors": FACTORS}), encoding="utf-8")
    code, out, _err = run_cli(monkeypatch, capsys, "recommend", str(path), "--format", "json", "--top", "1")
    assert code == 0
    res = json.loads(out)
    assert [a["id"] for a in res["act_first"]] == ["threat"]
    assert [r["id"] for r in res["recommendations"]] == ["avhopparstod"]


def test_under_12_the_risk_score_does_not_gate_parent_training(rules, model) -> None:
    """A 9-year-old with daily aggression and willing parents: SAVRY is not for this age, so a low score does not
    block parent training (Socialstyrelsen 2021, 6-11)."""
    case = {"context": {"age": 9, "placement": "home", "caregiver": "takes_part"},
            "factors": {"anger_management": 2, "poor_compliance": 2, "poor_parental_management": 1}}
    res = explain(match(encode_cases([("c", case)], rules), rules, model), 0, "en")
    assert res["risk"]["level"] == "low"
    assert res["risk"]["note"].startswith("SAVRY is not made for children under 12.")
    assert {"pmto", "komet-3-11"} & {r["id"] for r in res["recommendations"]}
