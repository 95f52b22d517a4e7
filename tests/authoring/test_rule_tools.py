"""The methodologist's tools: lint, rule tests, JSON Schema, change history, diff and impact."""

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from matcher import load_rule_base, load_scorecard
from matcher.auth import Passwords
from matcher.authoring.diff import FieldChange, impact, resolve
from matcher.authoring.json_schema import HEADER, SCHEMA_FILE, rule_json_schema
from matcher.authoring.lint import lint
from matcher.authoring.rule_tests import run_rule_tests
from matcher.cli import main
from matcher.engine.cases import encode_cases
from matcher.errors import InputError
from matcher.store.db import connect, upgrade
from matcher.store.service import CaseStore
from tests.conftest import RULES

TODAY = dt.date(2026, 11, 22)
SHIPPED_WARNINGS = [
    "rules/interventions/bup-referral.yaml:38: evidence: warning: no confirmed or partly confirmed evidence source; "
    "every entry is unconfirmed or an inference",
    "rules/interventions/hvb-placement.yaml:18: evidence: warning: no confirmed or partly confirmed evidence source; "
    "every entry is unconfirmed or an inference",
    "rules/interventions/kontaktperson.yaml:21: evidence: warning: no confirmed or partly confirmed evidence source; "
    "every entry is unconfirmed or an inference",
    "rules/interventions/relapse-prevention-18-25.yaml:24: evidence: warning: no confirmed or partly confirmed "
    "evidence source; every entry is unconfirmed or an inference",
    "rules/interventions/school-support.yaml:25: evidence: warning: no confirmed or partly confirmed evidence "
    "source; every entry is unconfirmed or an inference",
]
MST_ANY = '''  any:
    - {factor: poor_parental_management, op: ">=", value: 1}'''


def _lint(root: Path) -> list[str]:
    return [str(f) for f in lint(load_rule_base(root), TODAY) if str(f) not in SHIPPED_WARNINGS]


def test_the_shipped_rule_base_has_only_its_known_warnings(rules) -> None:
    assert [str(f) for f in lint(rules, TODAY)] == SHIPPED_WARNINGS


@pytest.mark.parametrize(("file", "old", "new", "finding"), [
    ("interventions/mst.yaml", MST_ANY, '''  any:
    - {factor: poor_parental_management, op: ">", value: 2}''',
     "rules/interventions/mst.yaml:22: eligibility.any[0]: error: can never hold for any case"),
    ("interventions/mst.yaml", MST_ANY, '''  any:
    - {context: caregiver, op: in, value: [takes_part, does_not_take_part, none]}''',
     "rules/interventions/mst.yaml:20: eligibility: error: always holds, whatever the case; it decides nothing"),
    ("interventions/mst.yaml", MST_ANY, '''  all:
    - {context: age, op: "<", value: 12}
    - {factor: poor_parental_management, op: ">=", value: 1}''',
     "rules/interventions/mst.yaml:11: age: error: no case can be eligible: the age range, the prerequisites and "
     "the eligibility condition exclude each other"),
    ("interventions/mst.yaml", '{context: acute_psychosis, op: "==", value: true}',
     '{context: caregiver, op: "==", value: takes_part}',
     "rules/interventions/mst.yaml:29: contraindications: error: the contraindications exclude every case the "
     "eligibility admits"),
    ("interventions/mst.yaml", '{context: acute_psychosis, op: "==", value: true}',
     '{context: age, op: "<", value: 10}',
     "rules/interventions/mst.yaml:40: contraindications[1].when: warning: can never apply to a case the "
     "eligibility admits; remove it or correct it"),
    ("interventions/mst.yaml", MST_ANY, '''  all:
    - {factor: substance_use, op: "==", value: 0}
    - {factor: poor_parental_management, op: ">=", value: 1}''',
     "rules/interventions/mst.yaml:75: targets.substance_use: error: no eligible case can have this need: the "
     "eligibility excludes 'substance_use' rated moderate or high"),
    ("interventions/mst.yaml", "    read: 2026-11-22\n    confidence: confirmed\n  - clearinghouse: psc",
     "    read: 2019-05-01\n    confidence: confirmed\n  - clearinghouse: psc",
     "rules/interventions/mst.yaml:84: evidence[0].read: warning: read 2019-05-01, more than 5 years ago; read "
     "the source again and update the rating and date"),
])
def test_each_lint_finding_on_a_fixture_that_triggers_it(edited_rules, file, old, new, finding) -> None:
    assert _lint(edited_rules(file, old, new)) == [finding]


def test_an_untranslated_text_is_found(edited_rules) -> None:
    swedish = ("Intensiv familjebehandling i hemmet och närmiljön, där terapeuten arbetar med föräldrarna, skolan "
               "och kamratrelationerna. Ett alternativ till placering utanför hemmet.")
    english = ("Intensive family treatment at home and in the community, where the therapist works with the parents, "
               "the school and peer relations. An alternative to placement outside the home.")
    root = edited_rules("interventions/mst.yaml", f"  en: {english}", f"  en: {swedish}")
    assert _lint(root) == ["rules/interventions/mst.yaml:6: summary: error: the Swedish and the English text are "
                           "the same; one of them is not translated"]


def test_rule_tests_pass_on_the_shipped_rule_base(rules, model) -> None:
    report = run_rule_tests(rules, model)
    assert str(report) == "0 failed, 90 passed"


def test_a_wrong_example_fails_with_a_pytest_like_report(edited_rules) -> None:
    root = edited_rules("interventions/mst.yaml", "    expect: not_eligible\n    because: MST works through",
                        "    expect: eligible\n    because: MST works through")
    rules = load_rule_base(root)
    report = run_rule_tests(rules, load_scorecard(rules.catalogue))
    assert not report.ok
    assert str(report) == (
        "FAILED rules/interventions/mst.yaml:134: mst examples[1]\n"
        "  expected: eligible\n"
        "  got:      not eligible\n"
        "  because:  MST works through the caregivers; without one who takes part it cannot be delivered\n"
        "  why:      Requires Caregiver: takes part (recorded: does not take part).\n\n"
        "1 failed, 89 passed")


def test_a_wrong_scenario_fails_with_the_engines_reasons(edited_rules) -> None:
    root = edited_rules("tests/key-statements.yaml", "      top: [avhopparstod]", "      top: [avhopparstod, mst]")
    rules = load_rule_base(root)
    text = str(run_rule_tests(rules, load_scorecard(rules.catalogue)))
    assert text.startswith(
        "FAILED rules/tests/key-statements.yaml:91: a young person who wants to leave a criminal network is offered "
        "defector support\n"
        "  expected: recommended avhopparstod, mst; act first: threat\n"
        "  got:      recommended avhopparstod\n")
    assert "  why:      mst not recommended: Requires Caregiver: takes part (recorded: does not take part)." in text
    assert text.endswith("1 failed, 89 passed")


def test_a_scenario_naming_an_unknown_insats_is_reported(edited_rules) -> None:
    root = edited_rules("tests/key-statements.yaml", "      first: tfco", "      first: tfc0")
    rules = load_rule_base(root)
    report = run_rule_tests(rules, load_scorecard(rules.catalogue))
    assert [str(p) for p in report.problems] == [
        "rules/tests/key-statements.yaml:39: scenarios[2].expect.first: unknown intervention 'tfc0'; "
        "did you mean 'tfco'?"]


def test_the_rule_schema_file_is_current_and_every_rule_file_points_to_it() -> None:
    assert json.loads((RULES / SCHEMA_FILE).read_text(encoding="utf-8")) == rule_json_schema(), \
        "run: matcher rules schema --out rules/schema/intervention.schema.json"
    for path in sorted((RULES / "interventions").glob("*.yaml")):
        assert path.read_text(encoding="utf-8").splitlines()[0] == HEADER, path.name


# ------------------------------------------------------------------ diff and impact


def _impact_cases(rules):
    return encode_cases([(f"c{age}", {"case_id": f"C{age}", "synthetic": True,
                                      "context": {"age": age, "placement": "home", "caregiver": "takes_part"},
                                      "factors": {"peer_delinquency": 2, "antisocial_attitudes": 2,
                                                  "poor_parental_management": 2, "family_conflict": 2,
                                                  "history_of_violence": 2, "impulsivity": 2}})
                         for age in (14, 16, 17)], rules)


def test_diff_of_two_rule_bases_gives_an_exactly_known_impact(rules, model, edited_rules) -> None:
    new = load_rule_base(edited_rules("interventions/mst.yaml", "age: {min: 12, max: 17}", "age: {min: 12, max: 15}"))
    diff = impact(rules, new, _impact_cases(rules), _impact_cases(new), model, load_scorecard(new.catalogue))
    assert diff.changes == [FieldChange("mst", "age.max", 17, 15)]
    by_id = {i.intervention: (i.gained, i.lost) for i in diff.impacts}
    assert by_id["mst"] == (0, 2)  # the 16- and 17-year-old lose MST; the 14-year-old keeps it
    assert sum(gained for gained, _ in by_id.values()) == 2  # each of them gains the next in line instead
    lost = next(i for i in diff.impacts if i.intervention == "mst").examples
    assert [(e["case"], e["change"]) for e in lost] == [("C16", "loses"), ("C17", "loses")]
    assert lost[0]["why_after"] == ["Requires Age: at most 15 (recorded: 16)."]


def test_diff_on_a_synthetic_population_through_the_command_line(edited_rules, tmp_path, capsys) -> None:
    new = edited_rules("interventions/mst.yaml", "age: {min: 12, max: 17}", "age: {min: 12, max: 15}")
    assert main(["rules", "diff", str(RULES), str(new), "--synthetic", "2000", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cases"] == 2000
    mst = next(i for i in report["impact"] if i["intervention"] == "mst")
    assert mst["gained"] == 0 and mst["lost"] > 0
    assert all(e["synthetic"] for e in mst["examples"])
    out = tmp_path / "impact.html"
    assert main(["rules", "diff", str(RULES), str(new), "--synthetic", "500", "--format", "html",
                 "--out", str(out)]) == 0
    assert "<h2>Impact</h2>" in out.read_text(encoding="utf-8")


def test_a_git_revision_resolves_to_its_rule_base() -> None:
    root = resolve("HEAD", RULES.parent)
    assert (root / "factors.yaml").is_file() and len(list((root / "interventions").glob("*.yaml"))) >= 35
    with pytest.raises(InputError, match="'no-such-rev' is neither a rule base folder nor a git revision"):
        resolve("no-such-rev", RULES.parent)


# ------------------------------------------------------------------ change history


@pytest.fixture
def history(tmp_path, rules):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    store = CaseStore(engine, rules, key=b"k" * 32, passwords=Passwords(PasswordHasher(time_cost=1, memory_cost=8192)))
    store.add_user(None, "admin", "admin-password", "admin")
    admin = store.login("admin", "admin-password")
    store.add_user(admin, "mona", "mona-password", "methodologist")
    store.add_user(admin, "anna", "anna-password", "social_worker", "NORR")
    return store, store.login("mona", "mona-password"), store.login("anna", "anna-password")


def test_saved_changes_record_author_date_reason_and_give_back_the_exact_files(history, rules, tmp_path) -> None:
    store, mona, anna = history
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    digest, new = store.save_rules(mona, copy, "first published version")
    assert (digest, new) == (rules.content_hash, True)
    assert store.save_rules(mona, copy, "again") == (digest, False)
    path = copy / "interventions" / "mst.yaml"
    path.write_text(path.read_text().replace("max: 17}", "max: 16}"))
    second, _ = store.save_rules(mona, copy, "MST only to 16 here")
    log = store.rule_log(anna)
    assert [(r["hash"], r["author"], r["reason"], r["parent"]) for r in log] == [
        (second, "mona", "MST only to 16 here", digest), (digest, "mona", "first published version", None)]
    files = store.rule_version(anna, digest[7:19])
    assert files["interventions/mst.yaml"] == (RULES / "interventions" / "mst.yaml").read_text()
    assert set(files) == {p.relative_to(RULES).as_posix() for p in RULES.rglob("*.yaml")
                          if p.parts[-2] in ("rules", "instruments", "interventions")}
    with pytest.raises(InputError, match="give at least 8 hex digits"):
        store.rule_version(anna, "abc")


def test_a_saved_recommendation_records_the_rule_base_it_used(history, rules) -> None:
    store, _, anna = history
    code = store.create_case(anna)
    version = store.add_assessment(anna, code, {"context": {"age": 15, "placement": "home",
                                                            "caregiver": "takes_part"}}, TODAY)
    store.save_recommendation(anna, code, version, {"version": {"rule_base": rules.content_hash, "model": "m",
                                                                "evidence_snapshot": "2026-11-22"}})
    assert [(r["hash"], r["author"]) for r in store.rule_log(anna)] == [(rules.content_hash,
                                                                          "(recorded when first used)")]
    assert "policy.yaml" in store.rule_version(anna, rules.content_hash)


def test_methodologists_save_and_social_workers_only_read(history, tmp_path) -> None:
    from matcher.auth import AccessDenied

    store, _, anna = history
    with pytest.raises(AccessDenied, match=r"anna \(social_worker\) may not rules\.write"):
        store.save_rules(anna, RULES, "not mine to change")


WIDE = ["poor_parental_management", "family_conflict", "low_school_commitment", "school_work_problems",
        "peer_rejection", "substance_use", "unstructured_leisure", "impulsivity", "anger_management", "low_empathy",
        "antisocial_attitudes", "poor_compliance"]


def test_a_never_true_condition_over_more_combinations_than_a_grid_holds_is_found(edited_rules) -> None:
    """13 factors of 4 values each are 67 million combinations: the search splits on peer_delinquency and finds
    that its two comparisons exclude each other, so the eligibility can never hold."""
    wide = "\n".join(f"        - {{factor: {name}, op: \">=\", value: 1}}" for name in WIDE)
    root = edited_rules("interventions/mst.yaml", MST_ANY, f'''  all:
    - {{factor: peer_delinquency, op: ">=", value: 2}}
    - any:
{wide}
    - {{factor: peer_delinquency, op: "<=", value: 1}}''')
    assert _lint(root)[0] == "rules/interventions/mst.yaml:20: eligibility: error: can never hold for any case"
