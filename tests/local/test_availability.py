"""Availability beside each recommendation (``matcher.local.availability``): a status per recommended insats from the
unit's local catalogue, the nearest offered alternative for one the unit cannot give, and the fidelity warning
for a licensed programme offered without a valid licence. Availability never changes the ranking.

The cases are examples/02 (top 5: mst, mdft, fft, pmto, individual-cbt-skills-12-17) and examples/07 (top 5:
sis-homecoming, mst, tfco, mdft, fft); the catalogues are built here.
"""

import dataclasses
import datetime as dt
import json
import warnings
from typing import Any

import numpy as np
import pytest

from matcher import encode_cases, explain, match
from matcher.engine.matching import MatchResult
from matcher.local.availability import availability, fidelity_warning, nearest_alternative
from matcher.local.catalogue import Licence, LocalCatalogue, Offer
from tests.conftest import EXAMPLES

ON = dt.date(2026, 3, 1)
CASE_02 = "02-high-risk-15-engaged-family"
CASE_07 = "07-sis-homecoming"


def _result(rules, model, stem: str) -> MatchResult:
    raw = json.loads((EXAMPLES / f"{stem}.json").read_text(encoding="utf-8"))
    return match(encode_cases([(raw["case_id"], raw)], rules), rules, model)


@pytest.fixture(scope="module")
def case_02(rules, model) -> MatchResult:
    return _result(rules, model, CASE_02)


def _offered(insats: str, **fields: Any) -> Offer:
    return Offer(insats=insats, offered=True, provider=fields.pop("provider", "own"), **fields)


def _not_offered(insats: str) -> Offer:
    return Offer(insats=insats, offered=False)


def _catalogue(*offers: Offer) -> LocalCatalogue:
    return LocalCatalogue(unit="NORR", offers=list(offers))


def _items(result: MatchResult, catalogue: LocalCatalogue, lang: str = "sv") -> dict[str, dict[str, Any]]:
    return availability(result, 0, catalogue, 4, ON, lang)["items"]


def _alternative(result: MatchResult, catalogue: LocalCatalogue, missing: str = "mst") -> dict[str, Any]:
    return _items(result, catalogue)[missing]["alternative"]


# ------------------------------------------------------------------ status


def test_every_recommendation_gets_its_status_from_the_catalogue(rules, model) -> None:
    result = _result(rules, model, CASE_07)
    catalogue = _catalogue(_offered("sis-homecoming", provider="region", waiting_weeks=4),
                           _offered("mst", licence=Licence(kind="MST licence", valid_until=dt.date(2027, 1, 1))),
                           _not_offered("tfco"), _offered("fft", waiting_weeks=0), _offered("pmto"))
    shown = availability(result, 0, catalogue, 4, ON)
    assert (shown["unit"], shown["catalogue_version"], shown["on"]) == ("NORR", 4, "2026-03-01")
    assert {iid: entry["status"] for iid, entry in shown["items"].items()} == {
        "sis-homecoming": "waiting", "mst": "offered", "tfco": "not_offered", "mdft": "unlisted",
        "fft": "offered"}  # waiting_weeks 0 is no wait
    assert list(shown["items"]) == [r["id"] for r in explain(result, 0)["recommendations"]]


def test_the_offer_in_words(rules, case_02) -> None:
    catalogue = _catalogue(_not_offered("mst"),
                           _offered("pmto", provider="purchased", provider_name="Exempel AB", waiting_weeks=3.5,
                                    capacity=4, contact="intag@example.invalid", note="Grupp startar i april."))
    items = _items(case_02, catalogue)
    assert items["pmto"]["label"] == "erbjuds med väntetid"
    assert items["pmto"]["text"] == ("Finns i NORR: köpt av extern utförare (Exempel AB); väntetid 3,5 veckor; "
                                     "4 platser; kontakt: intag@example.invalid. Grupp startar i april.")
    assert items["mst"]["text"] == "Multisystemisk terapi (MST) erbjuds inte i NORR."
    assert items["mdft"]["text"] == ("Multidimensionell familjeterapi (MDFT) finns inte med i den lokala katalogen "
                                     "för NORR; fråga enheten om insatsen kan ges.")


def test_availability_never_changes_the_ranking(rules, model, case_02) -> None:
    before = explain(_result(rules, model, CASE_02), 0)
    for catalogue in (_catalogue(), _catalogue(*map(_not_offered, ("mst", "mdft", "fft", "pmto"))),
                      _catalogue(_offered("connect"), _offered("mi", waiting_weeks=30), _not_offered("mst"))):
        availability(case_02, 0, catalogue, 1, ON)
        assert explain(case_02, 0) == before
    assert [r["id"] for r in before["recommendations"]] == ["mst", "mdft", "fft", "pmto", "a-cra"]


# ------------------------------------------------------------------ the nearest alternative


def test_the_nearest_alternative_covers_most_of_the_missing_insats_needs(rules, case_02) -> None:
    """The case's needs on MST's targets, need x target weight:
    poor_parental_management 4 x 1.0 = 4.0, family_conflict 4 x 0.8 = 3.2, peer_delinquency 6 x 0.8 = 4.8,
    low_school_commitment 4 x 0.5 = 2.0, school_work_problems 4 x 0.5 = 2.0, substance_use 2 x 0.4 = 0.8,
    anger_management 2 x 0.4 = 0.8: in all 17.6.
    FFT (ppm 1.0, fc 1.0, su 0.5, swp 0.5, poor_compliance 0.3) gives ppm 4, fc 4, su 1, swp 2, pc 0.6; the
    minimum with MST's is ppm 4.0 + fc 3.2 + swp 2.0 + su 0.8 = 10.0, a share of 10.0 / 17.6 = 0.568.
    PMTO (ppm 1.0, pc 0.3) covers ppm 4.0 only: 4.0 / 17.6 = 0.227. FFT is nearer; it shares most on ppm, fc, swp.
    """
    case = case_02.detail(0)
    needs = {f.id: float(case.needs[j]) for j, f in enumerate(rules.catalogue.factors) if case.needs[j] > 0}
    assert {f: needs[f] for f in ("poor_parental_management", "family_conflict", "peer_delinquency",
                                  "low_school_commitment", "school_work_problems", "substance_use",
                                  "anger_management")} == {
        "poor_parental_management": 4, "family_conflict": 4, "peer_delinquency": 6, "low_school_commitment": 4,
        "school_work_problems": 4, "substance_use": 2, "anger_management": 2}
    alternative = _alternative(case_02, _catalogue(_not_offered("mst"), _offered("fft"), _offered("pmto")))
    assert {key: alternative[key] for key in ("id", "name", "share", "shared")} == {
        "id": "fft", "name": "Funktionell familjeterapi (FFT)", "share": 0.57,
        "shared": ["Bristande tillsyn och föräldraskap", "Konflikter och svaga relationer i familjen",
                   "Frånvaro från skola eller arbete"]}
    assert alternative["text"] == (
        "Närmaste alternativ som erbjuds lokalt: Funktionell familjeterapi (FFT). Det riktar sig mot 57 % av de behov "
        "som Multisystemisk terapi (MST) skulle möta för den unge (Bristande tillsyn och föräldraskap, Konflikter "
        "och svaga relationer i familjen, Frånvaro från skola eller arbete); det är rekommendation nummer 3 här. "
        "Finns i NORR: egen regi.")
    # MDFT's weighted targets (su 2, fc 2, ppm 2, pd 3, lsc 2, swp 2) cover 0.8 + 2 + 2 + 3 + 2 + 2 = 11.8: 0.67
    assert _alternative(case_02, _catalogue(_offered("fft"), _offered("mdft")))["id"] == "mdft"
    assert _alternative(case_02, _catalogue(_offered("fft"), _offered("mdft")))["share"] == 0.67


def test_an_alternative_outside_the_top_k_says_its_score(case_02) -> None:
    # BSFT (family_conflict, substance_use) covers fc 3.2 + su 0.8 of MST's 17.6: 0.23
    alternative = _alternative(case_02, _catalogue(_offered("bsft", waiting_weeks=2)))
    assert (alternative["id"], alternative["share"]) == ("bsft", 0.23)
    assert alternative["text"].endswith("(Konflikter och svaga relationer i familjen, Problem med alkohol eller "
                                        "droger); det passar den unge men rankas lägre (poäng 33,42). Finns i NORR: "
                                        "egen regi; väntetid 2 veckor.")


def test_only_an_insats_of_the_same_kind_stands_in(rules, model, case_02) -> None:
    """Issue 13: PMTO and Connect (parent programmes) share needs with MST but are not family therapy; defector
    support is never replaced by family therapy, however many needs they share."""
    assert _alternative(case_02, _catalogue(_offered("pmto"), _offered("connect")))["id"] is None
    case = {"context": {"age": 17, "placement": "home", "caregiver": "takes_part", "gang_involvement": True,
                        "wants_to_leave_gang": True},
            "factors": {"peer_delinquency": 2, "antisocial_attitudes": 2, "family_conflict": 2, "substance_use": 1}}
    gang_exit = match(encode_cases([("c", case)], rules), rules, model).detail(0)
    assert gang_exit.eligible[rules.index("mdft")] and gang_exit.eligible[rules.index("fft")]
    alternative = nearest_alternative(rules, gang_exit, rules.index("avhopparstod"),
                                      _catalogue(_offered("mdft"), _offered("fft")), "en")
    assert alternative["id"] is None


def test_equal_shares_go_to_the_higher_score_then_to_rule_base_order(rules, case_02) -> None:
    """mi, met-cbt and cannabis-program all target substance_use 1.0 only: each covers the same share of
    A-CRA's needs (substance use) for this case."""
    case = case_02.detail(0)
    score = {iid: case.score[rules.index(iid)] for iid in ("mi", "met-cbt", "cannabis-program")}
    assert score["mi"] == score["met-cbt"] > score["cannabis-program"]
    assert rules.index("cannabis-program") < rules.index("met-cbt") < rules.index("mi")
    higher = _alternative(case_02, _catalogue(_offered("cannabis-program"), _offered("mi")), missing="a-cra")
    assert (higher["id"], higher["share"], higher["shared"]) == ("mi", 0.33, ["Problem med alkohol eller droger"])
    assert _alternative(case_02, _catalogue(_offered("mi"), _offered("met-cbt")), missing="a-cra")["id"] == "met-cbt"


def test_ineligible_and_not_offered_insatser_are_never_proposed(rules, case_02) -> None:
    # TFCO would cover 14.8 of 17.6 (0.84) but is not eligible for this case; FFT is listed as not offered
    assert not case_02.detail(0).eligible[rules.index("tfco")]
    catalogue = _catalogue(_offered("tfco"), _not_offered("fft"), _offered("mdft"))
    assert (_alternative(case_02, catalogue)["id"], _alternative(case_02, catalogue)["share"]) == ("mdft", 0.67)


def test_no_alternative_when_nothing_offered_targets_the_same_needs(case_02) -> None:
    # kontaktperson (lack_of_social_support, unstructured_leisure) and bup-referral (stress) share nothing with MST
    catalogue = _catalogue(_not_offered("mst"), _offered("kontaktperson"), _offered("bup-referral"))
    assert _alternative(case_02, catalogue) == {
        "id": None, "text": "Ingen annan insats som enheten erbjuder och som passar den unge riktar sig mot samma "
                            "behov som Multisystemisk terapi (MST)."}
    assert _alternative(case_02, _catalogue())["id"] is None


def test_without_a_need_among_the_targets_every_target_counts_with_need_1(rules, case_02) -> None:
    # MST's weights sum to 4.4; FFT covers ppm 1.0 + fc 0.8 + swp 0.5 + su 0.4 = 2.7: 2.7 / 4.4 = 0.61
    case = dataclasses.replace(case_02.detail(0), needs=np.zeros_like(case_02.detail(0).needs))
    alternative = nearest_alternative(rules, case, rules.index("mst"), _catalogue(_offered("fft"), _offered("pmto")),
                                      "en")
    assert (alternative["id"], alternative["share"], alternative["shared"]) == (
        "fft", 0.61, ["Poor parental management", "Family conflict and poor relationships",
                      "Absence from school or work"])


def test_an_insats_without_targets_has_no_alternative_and_no_warning(rules, model) -> None:
    result = _result(rules, model, CASE_07)  # hvb-placement is eligible for this case; it targets no factor
    assert result.detail(0).eligible[rules.index("hvb-placement")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alternative = nearest_alternative(rules, result.detail(0), rules.index("hvb-placement"),
                                          _catalogue(_offered("fft")), "sv")
    assert alternative["id"] is None


def test_the_alternative_in_english(case_02) -> None:
    entry = _items(case_02, _catalogue(_not_offered("mst"), _offered("fft")), "en")["mst"]
    assert (entry["label"], entry["text"]) == ("not offered locally",
                                               "Multisystemic Therapy (MST) is not offered in NORR.")
    assert entry["alternative"]["text"] == (
        "Nearest alternative offered locally: Functional Family Therapy (FFT). It targets 57% of the needs "
        "Multisystemic Therapy (MST) would meet for this young person (Poor parental management, Family conflict and "
        "poor relationships, Absence from school or work); it is recommendation number 3 here. Available in NORR: "
        "own service.")


# ------------------------------------------------------------------ fidelity

ART_SV = ("ART (Aggression Replacement Training) erbjuds utan giltig licens eller certifiering (ingen licens eller "
          "certifiering är registrerad). Krav: Certifierade ART-tränare som följer manualen, med högst 6-8 deltagare "
          "och 2 tränare per grupp. Cirka 90 % av den ART som gavs i Sverige nådde inte programmets minimikrav, och "
          "WSIPP fann att forskningsbaserade program minskar återfall bara när de genomförs kompetent. Källa: "
          "Kaunitz & Strandberg, study of how ART is delivered in Sweden (programme fidelity); Washington State "
          "Institute for Public Policy (WSIPP) 2004, Outcome Evaluation of Washington State's Research-Based "
          "Programs for Juvenile Offenders.")
ART_EN = ("ART (Aggression Replacement Training) is offered without a valid licence or certification (no licence or "
          "certification is recorded). Required: Certified ART trainers who follow the manual, with at most 6-8 "
          "participants and 2 trainers per group. About 90% of the ART delivered in Sweden fell below the programme's "
          "minimum requirements, and WSIPP found that research-based programmes reduce reoffending only when "
          "competently delivered. Source: Kaunitz & Strandberg, study of how ART is delivered in Sweden (programme "
          "fidelity); Washington State Institute for Public Policy (WSIPP) 2004, Outcome Evaluation of Washington "
          "State's Research-Based Programs for Juvenile Offenders.")


def test_art_offered_without_a_licence_is_warned_about(rules) -> None:
    assert fidelity_warning(rules, "art", _offered("art"), ON, "sv") == ART_SV
    assert fidelity_warning(rules, "art", _offered("art"), ON, "en") == ART_EN


def test_the_warning_beside_the_recommendations(case_02) -> None:
    expired = Licence(kind="MDFT-utbildade behandlare", valid_until=ON - dt.timedelta(days=1))
    valid = Licence(kind="MST licence", valid_until=ON)  # valid through its last day
    items = _items(case_02, _catalogue(_offered("mst", licence=valid), _offered("mdft", licence=expired),
                                       _offered("fft"), _offered("pmto")))
    assert {iid for iid, entry in items.items() if "fidelity_warning" in entry} == {"mdft", "fft"}
    assert items["mdft"]["fidelity_warning"] == (
        "Multidimensionell familjeterapi (MDFT) erbjuds utan giltig licens eller certifiering (MDFT-utbildade "
        "behandlare gällde till 2026-02-28). Krav: Legitimerade behandlare med MDFT-utbildning. MDFT ska ges av "
        "behandlare med MDFT-utbildning, och WSIPP fann att forskningsbaserade program minskar återfall bara när de "
        "genomförs kompetent. Källa: California Evidence-Based Clearinghouse for Child Welfare, Multidimensional "
        "Family Therapy (https://cebc4cw.org/implementation/multidimensional-family-therapy); Washington State "
        "Institute for Public Policy (WSIPP) 2004, Outcome Evaluation of Washington State's Research-Based Programs "
        "for Juvenile Offenders.")
    assert items["fft"]["fidelity_warning"].startswith(
        "Funktionell familjeterapi (FFT) erbjuds utan giltig licens eller certifiering (ingen licens eller "
        "certifiering är registrerad). Krav: Terapeuter som är utbildade i FFT")


@pytest.mark.parametrize(("insats", "offer"), [
    ("art", Offer(insats="art", offered=True, provider="own",
                  licence=Licence(kind="certified ART trainers", valid_until=ON))),
    ("art", Offer(insats="art", offered=False)),
    ("art", None),
    ("pmto", Offer(insats="pmto", offered=True, provider="own")),  # no fidelity block in the rule base
])
def test_no_warning_with_a_valid_licence_when_not_offered_or_without_a_fidelity_block(rules, insats, offer) -> None:
    assert fidelity_warning(rules, insats, offer, ON, "sv") is None
