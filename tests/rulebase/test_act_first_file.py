"""rules/act_first.yaml: it loads with the rule base; each kind of mistake gets its located message; no
mutation of the file gets anything but a loaded rule base or a RuleBaseError."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher import RuleBaseError, load_rule_base
from tests.conftest import RULES

ACT_FIRST = (RULES / "act_first.yaml").read_text(encoding="utf-8")
THREAT_WHEN = 'when: {context: threat_situation, op: "==", value: true}'
THREAT_LINE = ACT_FIRST.splitlines().index("  - id: threat") + 1  # the when is on the next line


def test_the_shipped_actions_load_with_their_sources(rules) -> None:
    assert [a.model.id for a in rules.act_first] == ["suicide_risk", "psychosis", "homicidality", "threat",
                                                     "violence_at_home"]
    assert all(a.model.sources and a.model.trigger.sv and a.model.action.sv and a.model.who.sv
               for a in rules.act_first)


@pytest.mark.parametrize(("old", "new", "message"), [
    (THREAT_WHEN, 'when: {context: threat_situaton, op: "==", value: true}',
     f"rules/act_first.yaml:{THREAT_LINE + 1}: actions[3].when.context: unknown context fact 'threat_situaton'; "
     "did you mean 'threat_situation'?"),
    (THREAT_WHEN, 'when: {context: sex, op: "==", value: female}',
     f"rules/act_first.yaml:{THREAT_LINE + 1}: actions[3].when.context: 'sex' is recorded for the evaluators' "
     "fairness audit only and may not be used in a rule; remove the condition"),
    ("  - id: threat\n", "  - id: psychosis\n",
     f"rules/act_first.yaml:{THREAT_LINE}: actions[3].id: the id 'psychosis' is used more than once"),
])
def test_a_broken_action_gets_its_located_message(edited_rules, old: str, new: str, message: str) -> None:
    root = edited_rules("act_first.yaml", old, new)
    with pytest.raises(RuleBaseError) as caught:
        load_rule_base(root)
    assert [str(p) for p in caught.value.problems] == [message]


def test_the_screen_is_required(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    (root / "act_first.yaml").unlink()
    with pytest.raises(RuleBaseError, match=r"rules/act_first\.yaml: no act_first\.yaml: the safety screen that "
                                            r"runs before any ranking is required"):
        load_rule_base(root)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_mutation_loads_or_gets_located_problems(tmp_path_factory, data) -> None:
    root = tmp_path_factory.mktemp("rules") / "rules"
    shutil.copytree(RULES, root)
    lines = ACT_FIRST.splitlines()
    i = data.draw(st.integers(0, len(lines) - 1), label="line")
    replacement = data.draw(st.one_of(st.just(""), st.text(max_size=40), st.sampled_from(
        ["when: {context: age, op: '<', value: 300}", "  - id: x", "actions: []", "&a [*a]", "\x00", "- {not: {}}",
         "    when_by: tomorrow", "    sources: []", "id: Threat!"])), label="replacement")
    lines[i] = replacement
    (root / "act_first.yaml").write_text("\n".join(lines), encoding="utf-8")
    try:
        rules = load_rule_base(root)
    except RuleBaseError as exc:
        assert exc.problems and all(str(p).startswith("rules/act_first.yaml") for p in exc.problems)
    else:
        assert rules.act_first  # a harmless change (a comment, a blank line) still gives the screen
