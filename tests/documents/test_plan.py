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


def _plan_with(rules, goal: str, view: str) -> list[str]:
    from matcher.store.plans import PlanItemInput, SharedItem

    day = dt.date(2026, 12, 3)
    item = PlanItemInput("mst", "socialtjanst", goal, day, day + dt.timedelta(days=90))
    decision = {"youth_view": view, "youth_goals": "", "guardian_view": None}
    return plan_lines("C-3", True, [SharedItem(item, True, (), day)], rules, None, decision, day)


def test_user_text_stays_in_its_cell_and_line_and_reads_as_written(rules) -> None:
    import re

    goal = "färre konflikter | fler skoldagar *varje* vecka <b>"
    lines = _plan_with(rules, goal, "vill bo hemma\n# inte en rubrik\n- inte en punkt")
    row = next(line for line in lines if line.startswith("| Multisystemisk"))
    cells = [re.sub(r"\\(.)", r"\1", c.strip()) for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]
    assert len(cells) == 6 and cells[2] == goal
    view = next(line for line in lines if line.startswith("- Den unges synpunkter"))
    assert view == "- Den unges synpunkter: vill bo hemma # inte en rubrik - inte en punkt"  # one line, no heading
    assert plan_pdf(lines).startswith(b"%PDF")


def test_a_goal_of_100000_characters_is_printed_in_full_after_the_table(rules) -> None:
    for goal in ("x" * 100_000, "ord " * 25_000):
        pdf = plan_pdf(_plan_with(rules, goal, "-"))
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") >= 15  # about 5,000 characters a page
