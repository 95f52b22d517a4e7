"""The plan document: the act-first actions of the latest saved recommendation come first (issue 13)."""

from __future__ import annotations

import datetime as dt

from matcher import encode_cases, explain, match
from matcher.documents.plan import plan_lines, plan_pdf

VERSION = {"rule_base": "sha256:abc", "model": "baseline-scorecard-1", "evidence_snapshot": "2026-11-22"}


def _threatened(rules, model, lang: str) -> dict:
    case = {"context": {"age": 16, "placement": "home", "caregiver": "takes_part", "threat_situation": True},
            "factors": {"peer_delinquency": 2}}
    return explain(match(encode_cases([("c", case)], rules), rules, model, 1), 0, lang)


def test_act_first_comes_before_the_plan_items_in_swedish_whatever_language_it_was_saved_in(rules, model) -> None:
    saved = _threatened(rules, model, "en")
    lines = plan_lines("C-1", True, [], rules, saved, None, dt.date(2026, 12, 3))
    heading = lines.index("## Gör först – före alla insatser")
    assert heading == 4 and heading < lines.index("## Insatser")
    action = lines[heading + 2]
    threat = next(a.model for a in rules.act_first if a.model.id == "threat")
    assert action.startswith(f"- {threat.trigger.sv} {threat.action.sv} Vem: {threat.who.sv}")
    assert plan_pdf(lines).startswith(b"%PDF")


def test_no_act_first_section_without_a_trigger(rules) -> None:
    lines = plan_lines("C-2", True, [], rules, {"version": VERSION, "act_first": []}, None, dt.date(2026, 12, 3))
    assert not any(line.startswith("## Gör först") for line in lines)
