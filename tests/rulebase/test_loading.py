"""Every shipped rule file loads; each kind of broken rule file gets its exact, located message."""

import shutil
from pathlib import Path

import pytest
import yaml

from matcher import RuleBaseError, load_rule_base
from tests.conftest import RULES

INTERVENTION_FILES = sorted(p.name for p in (RULES / "interventions").glob("*.yaml"))
REQUIRED_IDS = [
    "mst", "fft", "mdft", "bsft", "tfco", "pmto", "komet-3-11", "connect", "multimodal-skills-6-11",
    "individual-cbt-skills-12-17", "art", "mi", "met-cbt", "a-cra", "tf-cbt", "dbt-a", "skkp", "kontaktperson",
    "mentoring", "ips-youth", "school-support", "sis-homecoming", "avhopparstod", "sig-coordination",
    "ungdomstjanst", "ungdomsvard", "bup-referral",
]
DO_NOT_OFFER = ["scared-straight", "boot-camp", "high-risk-peer-grouping", "low-fidelity-art", "komet-12-18"]


@pytest.mark.parametrize("name", INTERVENTION_FILES)
def test_each_intervention_file_loads_on_its_own(name: str, tmp_path: Path) -> None:
    root = tmp_path / "rules"
    shutil.copytree(RULES, root, ignore=shutil.ignore_patterns("interventions"))
    (root / "interventions").mkdir()
    shutil.copy(RULES / "interventions" / name, root / "interventions" / name)
    policy = yaml.safe_load((root / "policy.yaml").read_text(encoding="utf-8"))
    limits = policy["municipal_age_limits"]  # the municipality's own limits name other insatser: keep this one's
    policy["municipal_age_limits"] = {iid: limit for iid, limit in limits.items() if iid == name[:-5]}
    (root / "policy.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    rules = load_rule_base(root)
    assert rules.ids == [name.removesuffix(".yaml")]


def test_the_shipped_rule_base_has_what_the_brief_requires(rules) -> None:
    assert set(REQUIRED_IDS) <= set(rules.ids)
    assert sum(not iv.model.do_not_offer for iv in rules.interventions) >= 30
    assert {iv.id for iv in rules.interventions if iv.model.do_not_offer} == set(DO_NOT_OFFER)
    assert 30 <= len(rules.catalogue.factors) <= 45
    assert set(rules.instruments) == {"savry", "yls_cmi"}


def test_every_do_not_offer_entry_explains_itself_with_evidence(rules) -> None:
    for iv in rules.interventions:
        if iv.model.do_not_offer:
            codes = [w.code for w in iv.model.warnings]
            assert "do_not_offer" in codes, iv.id
            assert all(e.source for e in iv.model.evidence)


def test_savry_adapter_covers_items_1_to_24_and_p1_to_p6(rules) -> None:
    keys = rules.instruments["savry"].item_keys
    assert {str(i) for i in range(1, 25)} <= set(keys)
    coded = {f"H{i}" for i in range(1, 11)} | {f"S{i}" for i in range(1, 7)} | {f"I{i}" for i in range(1, 9)}
    assert coded <= set(keys)
    assert {f"P{i}" for i in range(1, 7)} <= set(keys)
    assert keys["11"] == "S1" and keys["24"] == "I8"


def test_content_hash_changes_with_any_rule_file(rules, edited_rules) -> None:
    root = edited_rules("interventions/mst.yaml", "months: {min: 3, max: 5}", "months: {min: 3, max: 6}")
    assert load_rule_base(root).content_hash != rules.content_hash


BROKEN = [
    ("malformed_yaml", "interventions/mst.yaml", "age: {min: 12, max: 17}", "age: {min: 12, max: 17",
     "rules/interventions/mst.yaml:12: not valid YAML: expected ',' or '}', but got ':'"),
    ("unknown_factor", "interventions/mst.yaml", '- {factor: peer_delinquency, op', '- {factor: peer_delinquncy, op',
     "rules/interventions/mst.yaml:23: eligibility.any[1].factor: unknown factor 'peer_delinquncy'; "
     "did you mean 'peer_delinquency'?"),
    ("unknown_key", "interventions/mst.yaml", "intensity: high", "intensty: high",
     "rules/interventions/mst.yaml:2: missing required key 'intensity'\n"
     "rules/interventions/mst.yaml:12: intensty: unknown key 'intensty'; did you mean 'intensity'?"),
    ("unknown_enum_value", "interventions/tfco.yaml", "value: [hvb, sis_youth_home]", "value: [hvb, sis_home]",
     "rules/interventions/tfco.yaml:22: eligibility.any[1].value: 'sis_home' is not a value of 'placement'; "
     "expected one of home, family_home, hvb, sis_youth_home, sluten_ungdomsvard, independent; "
     "did you mean 'sis_youth_home'?"),
    ("value_off_scale", "interventions/mst.yaml", '{factor: peer_delinquency, op: ">=", value: 1}',
     '{factor: peer_delinquency, op: ">=", value: 3}',
     "rules/interventions/mst.yaml:23: eligibility.any[1].value: 3 is not on the scale of 'peer_delinquency'; "
     "expected 0 (low), 1 (moderate), 2 (high)"),
    ("unknown_rating", "interventions/mst.yaml", "rating: Model\n", "rating: Modell\n",
     "rules/interventions/mst.yaml:81: evidence[0].rating: 'Modell' is not a rating of blueprints; "
     "expected one of 'Model Plus', 'Model', 'Promising'; did you mean 'Model'?"),
    ("id_not_stem", "interventions/mst.yaml", "id: mst", "id: mst2",
     "rules/interventions/mst.yaml:2: id: the id 'mst2' must equal the file name 'mst'"),
    ("static_target", "interventions/mst.yaml", "  peer_delinquency: 0.8", "  history_of_violence: 0.8",
     "rules/interventions/mst.yaml:71: targets.history_of_violence: 'history_of_violence' is a static risk factor; "
     "targets takes a dynamic risk factor (a need an insats can change)"),
    ("wrong_type", "interventions/mst.yaml", "age: {min: 12, max: 17}", "age: {min: twelve, max: 17}",
     "rules/interventions/mst.yaml:11: age.min: Input should be a valid integer, unable to parse string as an "
     "integer; found 'twelve'"),
    ("duplicate_key", "interventions/mst.yaml", "type: family_therapy", "type: family_therapy\ntype: individual",
     "rules/interventions/mst.yaml:10: type: duplicate key"),
    ("two_condition_keys", "interventions/mst.yaml", '- {factor: peer_delinquency, op: ">=", value: 1}',
     '- {factor: peer_delinquency, context: age, op: ">=", value: 1}',
     "rules/interventions/mst.yaml:23: eligibility.any[1]: a condition needs exactly one of the keys all, any, not, "
     "factor, context"),
    ("bool_as_word", "interventions/mst.yaml", '{context: acute_psychosis, op: "==", value: true}',
     '{context: acute_psychosis, op: "==", value: "yes"}',
     "rules/interventions/mst.yaml:40: contraindications[1].when.value: 'acute_psychosis' is yes/no; "
     "expected true or false, found 'yes'"),
    ("weight_out_of_range", "interventions/mst.yaml", "  poor_parental_management: 1.0",
     "  poor_parental_management: 1.5",
     "rules/interventions/mst.yaml:69: targets.poor_parental_management: Input should be less than or equal to 1; "
     "found 1.5"),
    ("unknown_scale", "factors.yaml", "    scale: risk3\n    name: {sv: Kriminella kamrater",
     "    scale: risk4\n    name: {sv: Kriminella kamrater",
     "rules/factors.yaml:218: factors[14].scale: unknown scale 'risk4'; did you mean 'risk3'?"),
    ("policy_out_of_range", "policy.yaml", "top_k: 5", "top_k: 0",
     "rules/policy.yaml:7: top_k: Input should be greater than or equal to 1; found 0"),
    ("ordering_a_yes_no_fact", "interventions/mst.yaml", '{context: acute_psychosis, op: "=="',
     '{context: acute_psychosis, op: ">="',
     "rules/interventions/mst.yaml:40: contraindications[1].when.op: op '>=' cannot order 'acute_psychosis' "
     "(bool); use '==', '!=', 'in' or 'not_in'"),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_rule_file_gets_its_exact_message(edited_rules, file, old, new, message) -> None:
    root = edited_rules(file, old, new)
    with pytest.raises(RuleBaseError) as caught:
        load_rule_base(root)
    assert "\n".join(str(p) for p in caught.value.problems) == message


def test_all_problems_are_reported_at_once(edited_rules) -> None:
    edited_rules("interventions/mst.yaml", "id: mst", "id: mst2")
    root = edited_rules("interventions/fft.yaml", "intensity: moderate", "intensity: extreme")
    with pytest.raises(RuleBaseError) as caught:
        load_rule_base(root)
    assert [p.file for p in caught.value.problems] == ["rules/interventions/fft.yaml", "rules/interventions/mst.yaml"]


def test_a_folder_without_factors_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleBaseError, match=r"no factors\.yaml here"):
        load_rule_base(tmp_path)


def test_a_municipal_age_limit_overrides_the_programme_s_own_range(edited_rules) -> None:
    """policy.yaml municipal_age_limits: the limit in force gates, and the card names both (issue 13)."""
    from matcher import encode_cases, explain, intervention_card, load_scorecard, match

    root = edited_rules("policy.yaml", "  kontaktperson: {min: 12, max: 20}", "  kontaktperson: {min: 12, max: 18}")
    rules = load_rule_base(root)
    case = {"context": {"age": 19, "placement": "home", "caregiver": "none"},
            "factors": {"lack_of_social_support": 2, "unstructured_leisure": 2}}
    res = explain(match(encode_cases([("c", case)], rules), rules, load_scorecard(rules.catalogue)), 0, "sv")
    why_not = next(r["reasons"] for r in res["not_recommended"] if r["id"] == "kontaktperson")
    assert "Kräver Ålder: högst 18 (bedömt: 19)." in why_not
    assert intervention_card(rules, "kontaktperson", "sv")["facts"]["Ålder"] == \
        "12-18 (kommunens gräns; programmet självt 12-20)"


def test_a_municipal_age_limit_for_an_unknown_insats_is_refused(edited_rules) -> None:
    root = edited_rules("policy.yaml", "  kontaktperson: {min: 12, max: 20}", "  kontaktpersn: {min: 12, max: 20}")
    with pytest.raises(RuleBaseError) as caught:
        load_rule_base(root)
    assert [str(p) for p in caught.value.problems] == [
        "rules/policy.yaml: municipal_age_limits.kontaktpersn: unknown insats 'kontaktpersn'; did you mean "
        "'kontaktperson'?"]
