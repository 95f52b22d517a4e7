"""An intervention's card in words, and the search over the rule base."""

import pytest

from matcher import InputError
from matcher.engine.cards import STRENGTHS, TYPES, evidence_level, find_interventions, intervention_card
from matcher.engine.render import card_text
from matcher.i18n import catalogue
from matcher.rulebase.schema import Confidence, Prerequisite


def test_the_card_says_the_rule_in_words(rules) -> None:
    card = intervention_card(rules, "mst", "en")
    assert card["facts"] == {
        "Type": "family therapy", "Responsible actor": "social services", "Age": "12-17", "Intensity": "high",
        "Dose": "3–5 months; Teams of 3-4 therapists with 4-6 families each; on call around the clock.",
        "Fidelity": "A licensed MST team (licence through MST Sverige). MST requires a licensed team, and WSIPP found "
                    "that research-based programmes reduce reoffending only when competently delivered.",
        "Prerequisites": "a caregiver who takes part, a licensed team"}
    assert card["eligibility"] == ["at least one of: Poor parental management: at least moderate; Peer delinquency: "
                                   "at least moderate; Family conflict and poor relationships: at least moderate; "
                                   "Low interest or commitment to school: at least high"]
    psychosis = card["contraindications"][1]
    assert (psychosis["when"], psychosis["confidence_label"]) == ("Acute psychosis: yes", "partly confirmed")
    assert psychosis["reason"].startswith("MST does not accept young people whose main problem is psychotic symptoms.")
    assert psychosis["source"].startswith("MST Services")
    assert [c["when"] for c in card["contraindications"]] == [
        "at least one of: Current suicidality: yes; Current homicidal thoughts or plans: yes", "Acute psychosis: yes",
        "Autism spectrum is the main problem: yes", "Sexual offending: sexual offending only",
        "Current placement: lives on their own"]
    assert card["targets"][0] == {"factor": "Poor parental management", "weight": 1.0}
    assert card["status"] == ["Socialstyrelsen national guidelines: may offer (priority 4)",
                              "Socialstyrelsen (knowledge support 2021): should offer"]
    assert (card["strength"], card["strength_label"]) == ("strong", "strong support")
    first = card["evidence"][0]
    assert (first["source"], first["url"], first["read"], first["confidence_label"]) == (
        "Blueprints for Healthy Youth Development, programme criteria and Model list",
        "https://www.blueprintsprograms.org/criteria", "2026-11-22", "confirmed")


def test_a_do_not_offer_entry_leads_with_its_warning(rules) -> None:
    card = intervention_card(rules, "scared-straight", "sv")
    assert card["do_not_offer"] and card["strength"] == "harmful"
    assert card["facts"]["Ålder"] == "6-18 (slutsats, inte uttalad av källan)"
    text = card_text(card, "sv")
    assert text.startswith("VARNING – ska inte erbjudas: Socialstyrelsen avråder från avskräckningsprogram")
    assert "  Evidensstyrka: skadlig" in text.splitlines()


def test_search_by_text_type_age_and_evidence(rules) -> None:
    assert find_interventions(rules, "FAMILJ", types=["family_therapy"]) == ["bsft", "fft", "mdft", "mst"]
    assert find_interventions(rules, types=["family_therapy"], strengths=["strong"]) == ["fft", "mdft", "mst"]
    assert find_interventions(rules, "scared straight") == ["scared-straight"]
    assert "mst" not in find_interventions(rules, age=18) and "mst" in find_interventions(rules, age=17)
    assert find_interventions(rules, strengths=["harmful"]) == sorted(
        iv.id for iv in rules.interventions if evidence_level(rules, iv) == "harmful")
    assert find_interventions(rules, "no such insats") == []
    with pytest.raises(InputError, match=r"unknown type 'famly_therapy'; did you mean 'family_therapy'\?"):
        find_interventions(rules, types=["famly_therapy"])


def test_every_word_a_card_uses_exists_in_both_languages() -> None:
    from typing import get_args

    needed = {f"card.type.{v}" for v in TYPES} | {f"strength.{v}" for v in STRENGTHS}
    needed |= {f"card.confidence.{v}" for v in get_args(Confidence)}
    needed |= {f"card.prerequisite.{v}" for v in get_args(Prerequisite)}
    assert needed <= set(catalogue("sv")) and needed <= set(catalogue("en"))
