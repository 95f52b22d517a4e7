"""Editing one intervention file: checked in a copy of the rule base, saved only when usable, never half-written."""

import shutil

import pytest
from argon2 import PasswordHasher

from matcher import InputError
from matcher.auth import AccessDenied, Passwords
from matcher.authoring.edit import apply_form, candidate, form_values, save
from matcher.errors import ConflictError, Problem
from matcher.rulebase.loading import content_hash
from matcher.store.db import connect, upgrade
from matcher.store.service import CaseStore
from tests.conftest import RULES

MST = (RULES / "interventions" / "mst.yaml").read_text(encoding="utf-8")


def test_the_unchanged_file_checks_clean_with_the_rule_base_warnings(rules) -> None:
    checked = candidate(RULES, "mst", MST)
    assert checked.ok and checked.problems == () and checked.rules is not None
    assert checked.rules.content_hash == rules.content_hash
    assert {f.severity for f in checked.findings} == {"warning"}


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("intensity: high", "intensity: extreme",
     Problem("rules/interventions/mst.yaml", 12, "intensity",
             "Input should be 'low', 'moderate', 'high' or 'very_high'; found 'extreme'")),
    ("{factor: peer_delinquency, op", "{factor: peer_delinquncy, op",
     Problem("rules/interventions/mst.yaml", 23, "eligibility.any[1].factor",
             "unknown factor 'peer_delinquncy'; did you mean 'peer_delinquency'?")),
    ("# yaml-language-server: $schema=../schema/intervention.schema.json\n", "",
     Problem("rules/interventions/mst.yaml", 1, "", "the first line must be the schema header '# yaml-language-"
             "server: $schema=../schema/intervention.schema.json' (editors check the file against the rule format "
             "with it)")),
])
def test_problems_name_file_line_and_yaml_path(old, new, problem) -> None:
    checked = candidate(RULES, "mst", MST.replace(old, new, 1))
    assert checked.problems == (problem,)
    assert not checked.ok and checked.rules is None


def test_a_lint_error_blocks_saving() -> None:
    summary = MST.split("summary:\n", 1)[1].splitlines()[:2]
    same = summary[0] + "\n" + summary[0].replace("  sv:", "  en:")
    checked = candidate(RULES, "mst", MST.replace("\n".join(summary), same, 1))
    assert checked.rules is not None and not checked.ok
    assert checked.errors == ["rules/interventions/mst.yaml:6: summary: error: the Swedish and the English text are "
                              "the same; one of them is not translated"]


def test_the_form_changes_only_the_fields_it_changed_and_keeps_the_layout() -> None:
    values = form_values(MST)
    assert (values["age.min"], values["age.max"], values["prerequisites"]) == (12, 17, ["caregiver", "licensed_team"])
    edited = apply_form(MST, {**values, "age.max": 15, "prerequisites": ["caregiver", "licensed_team", "youth_consent"],
                              "group_format": True})
    expected = MST.replace("age: {min: 12, max: 17}", "age: {min: 12, max: 15}") \
        .replace("[caregiver, licensed_team]", "[caregiver, licensed_team, youth_consent]") \
        .replace("actor: socialtjanst\n", "actor: socialtjanst\ngroup_format: true\n")
    assert edited == expected
    assert apply_form(MST, values) == MST
    with pytest.raises(InputError, match="the form needs a valid intervention file; correct the YAML first"):
        form_values(MST.replace("intensity: high", "intensity: extreme"))


@pytest.mark.parametrize("text", [MST.replace("intensity: high", "intensity: " + "[" * 5000),
                                  MST.replace("intensity: high", "intensity: !!int"),
                                  MST.replace("intensity: high", "intensity: high\nintensity: low")],
                         ids=["nested 5,000 deep", "a tag with no value", "a key twice"])
def test_the_form_of_a_hostile_text_asks_for_valid_yaml(text: str) -> None:
    """The editor's form reads the text as the rule base does (``parse_yaml``): a text it refuses gets the editor's
    message, never an exception from the YAML parser."""
    with pytest.raises(InputError, match="the form needs a valid intervention file; correct the YAML first"):
        form_values(text)


@pytest.fixture
def served(tmp_path):
    """A copy of the rule base being served, and a store with a methodologist and a social worker."""
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    from matcher import load_rule_base

    store = CaseStore(engine, load_rule_base(root), key=b"k" * 32,
                      passwords=Passwords(PasswordHasher(time_cost=1, memory_cost=8192)))
    store.add_user(None, "admin", "admin-password", "admin")
    admin = store.login("admin", "admin-password")
    store.add_user(admin, "mona", "mona-password", "methodologist")
    store.add_user(admin, "anna", "anna-password", "social_worker", "NORR")
    return root, store, store.login("mona", "mona-password"), store.login("anna", "anna-password")


def test_a_saved_change_is_written_and_recorded_with_who_and_why(served) -> None:
    root, store, mona, anna = served
    edited = MST.replace("age: {min: 12, max: 17}", "age: {min: 12, max: 15}")
    digest, new = save(store, mona, root, "mst", edited, MST, "MST only to 15 in our municipality")
    assert new and digest == content_hash(root)
    assert (root / "interventions" / "mst.yaml").read_text(encoding="utf-8") == edited
    assert [(r["hash"], r["author"], r["reason"]) for r in store.rule_log(anna)] == [
        (digest, "mona", "MST only to 15 in our municipality")]
    assert [p.name for p in (root / "interventions").iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(("who", "text", "base", "reason", "error", "message"), [
    ("mona", MST.replace("intensity: high", "intensity: extreme"), MST, "why", InputError,
     r"^rules/interventions/mst\.yaml was not saved: the rule base with this change is not usable:\n"
     r"rules/interventions/mst\.yaml:12: intensity: Input should be"),
    ("mona", MST, MST, "  ", InputError, r"^say why the rule changed: a reason is required to save$"),
    ("mona", MST, MST.replace("max: 17}", "max: 16}"), "why", ConflictError,
     r"^rules/interventions/mst\.yaml was changed by someone else after you opened it; nothing was saved"),
    ("anna", MST, MST, "why", AccessDenied, r"^anna \(social_worker\) may not rules\.write"),
])
def test_a_refused_save_writes_nothing(served, who, text, base, reason, error, message) -> None:
    root, store, mona, anna = served
    before = content_hash(root)
    with pytest.raises(error, match=message):
        save(store, {"mona": mona, "anna": anna}[who], root, "mst", text, base, reason)
    assert content_hash(root) == before
    assert store.rule_log(anna) == []


def test_a_failure_while_recording_puts_the_old_file_back(served, monkeypatch) -> None:
    root, store, mona, _ = served

    def broken(*args, **kwargs):
        raise OSError("database is locked")

    monkeypatch.setattr(store, "save_rules", broken)
    with pytest.raises(OSError, match="database is locked"):
        save(store, mona, root, "mst", MST.replace("max: 17}", "max: 15}"), MST, "why")
    assert (root / "interventions" / "mst.yaml").read_text(encoding="utf-8") == MST
    assert [p.name for p in (root / "interventions").iterdir() if p.name.startswith(".")] == []
