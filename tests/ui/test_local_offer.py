"""What a unit offers, in AppTest: availability beside each recommendation, the catalogue page for every role
that may read it (editing for methodologists and admins), delivered dose on the plan and follow-up pages, and
the managers' service-gap page. The demo unit's catalogue is examples/catalogue-DEMO.yaml (synthetic)."""

import json
import shutil
from pathlib import Path

import pytest

from matcher.auth import Role
from tests.conftest import EXAMPLES, RULES
from tests.ui.apptest import app_as, shown, use_demo_database

READERS = [Role.SOCIAL_WORKER, Role.METHODOLOGIST, Role.ADMIN, Role.MANAGER]
FFT_WARNING = ("Funktionell familjeterapi (FFT) erbjuds utan giltig licens eller certifiering (FFT-certifiering "
               "gällde till 2026-06-30). Krav: Terapeuter som är utbildade i FFT och arbetar med handledning enligt "
               "modellen. WSIPP fann att forskningsbaserade program för unga lagöverträdare, FFT bland dem, minskar "
               "återfall bara när de genomförs kompetent och troget modellen. Källa: Washington State Institute for "
               "Public Policy (WSIPP) 2004, Outcome Evaluation of Washington State's Research-Based Programs for "
               "Juvenile Offenders.")


@pytest.fixture(scope="module", autouse=True)
def demo(tmp_path_factory):
    use_demo_database(tmp_path_factory.mktemp("demo-catalogue"))


def _first_case(page: str, lang: str = "sv"):
    at = app_as(Role.SOCIAL_WORKER, "ui/case_work/cases.py", lang)
    at.button(key="open-case").click().run()  # the seeded case 02-high-risk-15-engaged-family
    return at.switch_page(page).run()


def _table(at, column: str):
    """The table on the page that has ``column`` (st.dataframe elements carry no key in AppTest)."""
    return next(table for table in map(shown, at.dataframe) if column in table.columns)


def test_each_recommendation_says_what_the_unit_offers_without_changing_the_ranking() -> None:
    at = _first_case("ui/case_work/recommend.py")
    assert not at.exception
    ranked = [m.value.split("**")[1] for m in at.markdown if m.value.startswith("**") and ". " in m.value[:6]]
    assert ranked == ["1. Multisystemisk terapi (MST)", "2. Multidimensionell familjeterapi (MDFT)",
                      "3. Funktionell familjeterapi (FFT)",
                      "4. PMTO / GenerationPMTO (Parent Management Training - Oregon)",
                      "5. A-CRA (Adolescent Community Reinforcement Approach) eller ACC (Assertive Continuing Care)"]
    badges = [m.value.split(" · ")[1] for m in at.markdown if "-badge[" in m.value]  # on the first screen
    assert badges[:3] == ["poäng 67 :red-badge[erbjuds inte lokalt]", "poäng 65 :orange-badge[erbjuds med väntetid]",
                          "poäng 53 :green-badge[erbjuds lokalt]"]
    offers = [m.value for m in at.markdown if " i DEMO" in m.value]  # one click away, in each card's details
    assert offers[0] == "Multisystemisk terapi (MST) erbjuds inte i DEMO. Inget licensierat MST-team i kommunen " \
                        "(syntetiskt exempel)."
    assert offers[1] == ("Finns i DEMO: köpt av extern utförare (Behandlingsföretaget Exempel AB, syntetiskt); "
                         "väntetid 6 veckor; 3 platser; kontakt: intag@example.invalid.")
    assert offers[2].startswith("Finns i DEMO: egen regi (Familjeteamet, syntetiskt)")
    alternative = next(c.value for c in at.caption if c.value.startswith("Närmaste alternativ"))
    assert alternative.startswith("Närmaste alternativ som erbjuds lokalt: Multidimensionell familjeterapi (MDFT). "
                                  "Det riktar sig mot ")
    assert "det är rekommendation nummer 2 här" in alternative
    assert FFT_WARNING in [w.value for w in at.warning]
    assert ("Tillgänglighet enligt den lokala katalogen för DEMO, version 1. Den påverkar inte rangordningen."
            in [c.value for c in at.caption])


def test_the_catalogue_page_renders_for_every_role_that_may_read_it_in_both_languages() -> None:
    for role in READERS:
        for lang in ("sv", "en"):
            at = app_as(role, "ui/local_offer/catalogue.py", lang)
            assert not at.exception, (role, lang)
            assert not at.error, (role, lang)
            assert at.caption[0].value == {"sv": "Enhet: DEMO", "en": "Unit: DEMO"}[lang]  # the only unit


def test_readers_see_the_table_and_the_licence_warnings_editors_get_the_editor() -> None:
    at = app_as(Role.SOCIAL_WORKER, "ui/local_offer/catalogue.py")
    table = _table(at, "Erbjuds")
    assert list(table["Insats"])[:2] == ["Multisystemisk terapi (MST)", "Funktionell familjeterapi (FFT)"]
    assert list(table["Erbjuds"])[:2] == ["nej", "ja"]
    assert at.warning[0].value == FFT_WARNING
    assert any(w.value.startswith("ART (Aggression Replacement Training) erbjuds utan giltig licens eller "
                                  "certifiering (ingen licens eller certifiering är registrerad).")
               for w in at.warning)
    assert "catalogue-editor" not in [d.key for d in at.dataframe]
    editor = app_as(Role.METHODOLOGIST, "ui/local_offer/catalogue.py")
    assert "catalogue-editor" in [d.key for d in editor.dataframe]


def test_saving_the_table_unchanged_keeps_the_version() -> None:
    at = app_as(Role.METHODOLOGIST, "ui/local_offer/catalogue.py")
    at.text_input(key="catalogue-reason").input("kontroll")
    at.button(key="catalogue-save").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == "Katalogen är oförändrad; den är kvar som version 1."


def test_a_file_is_read_in_as_a_new_version_and_a_bad_file_saves_nothing() -> None:
    text = (EXAMPLES / "catalogue-DEMO.yaml").read_text(encoding="utf-8").replace("waiting_weeks: 6",
                                                                                    "waiting_weeks: 10")
    at = app_as(Role.ADMIN, "ui/local_offer/catalogue.py")
    at.file_uploader(key="catalogue-file").set_value(("ny-katalog.yaml", text.encode(), "application/yaml")).run()
    at.text_input(key="catalogue-file-reason").input("MDFT-avtalet har längre kö")
    at.button(key="catalogue-file-save").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == "Katalogen är sparad som version 2."
    bad = text.replace("insats: pmto", "insats: pmt0").replace("unit: DEMO", "unit: DEMO\nsynthetic: true")
    at.file_uploader(key="catalogue-file").set_value(("trasig.yaml", bad.encode(), "application/yaml")).run()
    at.button(key="catalogue-file-save").click().run()
    assert not at.exception
    assert at.error[0].value == (
        "Uppgifterna kunde inte sparas eller visas. Rätta och försök igen:\n\n"
        "2 problems in the local catalogue trasig.yaml:\n"
        "trasig.yaml:6: synthetic: unknown key 'synthetic'\n"
        "trasig.yaml:33: offers[3].insats: unknown insats 'pmt0' (the ids are the file names in "
        "rules/interventions/); did you mean 'pmto'?")
    at = app_as(Role.ADMIN, "ui/local_offer/catalogue.py")
    assert at.caption[1].value.startswith("Version 2, sparad ")
    assert at.caption[1].value.endswith(" av admin: MDFT-avtalet har längre kö")
    history = _table(at, "Version")
    assert list(history["Version"]) == [2, 1]


def test_a_file_for_another_unit_is_refused() -> None:
    text = (EXAMPLES / "catalogue-DEMO.yaml").read_text(encoding="utf-8").replace("unit: DEMO", "unit: NORR")
    at = app_as(Role.METHODOLOGIST, "ui/local_offer/catalogue.py")
    at.file_uploader(key="catalogue-file").set_value(("norr.yaml", text.encode(), "application/yaml")).run()
    at.text_input(key="catalogue-file-reason").input("fel fil")
    at.button(key="catalogue-file-save").click().run()
    assert at.error[0].value.endswith("Filen norr.yaml gäller enhet NORR, men sidan visar enhet DEMO. Välj enhet NORR "
                                      "eller ändra 'unit' i filen.")


def test_a_saved_catalogue_that_no_longer_fits_the_rule_base_is_pointed_out_by_row(tmp_path, monkeypatch) -> None:
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    (root / "interventions" / "art.yaml").unlink()  # the methodologists removed ART after the catalogue was saved
    monkeypatch.setenv("INSATSMATCH_RULES", str(root))
    at = app_as(Role.METHODOLOGIST, "ui/local_offer/catalogue.py")
    assert not at.exception
    assert at.warning[0].value == (
        "Den sparade katalogen passar inte längre regelbasen (den har ändrats sedan katalogen sparades). Rätta "
        "raderna nedan och spara en ny version:\n\n"
        "- Rad 8, Insats: unknown insats 'art' (the ids are the file names in rules/interventions/)")


def test_the_plan_records_delivered_dose_and_the_follow_up_flags_under_dosing() -> None:
    at = _first_case("ui/case_work/plan.py")
    assert not at.exception
    editor = next(d for d in at.dataframe if d.key == "plan-editor")
    assert list(editor.value.columns)[-2:] == ["sessions_delivered", "hours_delivered"]
    labels = {column["label"] for column in json.loads(editor.proto.columns).values() if "label" in column}
    assert {"Tillfällen givna", "Timmar givna"} <= labels
    at.switch_page("ui/case_work/follow_up.py").run()
    assert not at.exception
    table = _table(at, "Borde ha getts")
    assert table.to_dict("records") == [
        {"Insats": "Multidimensionell familjeterapi (MDFT)", "Mått": "timmar", "Givet": 4.0, "Borde ha getts": 6.4,
         "Programmets minimum": 9.8, "Andel": "62 %", "Bedömning": "underdoserad"},
        {"Insats": "Funktionell familjeterapi (FFT)", "Mått": "tillfällen", "Givet": 4.0, "Borde ha getts": 3.3,
         "Programmets minimum": 10.0, "Andel": "121 %", "Bedömning": "enligt plan"},
        {"Insats": "Funktionell familjeterapi (FFT)", "Mått": "timmar", "Givet": 10.0, "Borde ha getts": 9.9,
         "Programmets minimum": 30.0, "Andel": "101 %", "Bedömning": "enligt plan"}]
    assert at.warning[0].value == (
        "Multidimensionell familjeterapi (MDFT) är underdoserad: 4 av 6,4 timmar som borde ha getts hittills (62 %). "
        "Effekten förutsätter att programmet ges i sin fulla omfattning.")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_gap_page_counts_the_seeded_cases_and_offers_csv_and_pdf(lang: str) -> None:
    at = app_as(Role.MANAGER, "ui/local_offer/gaps.py", lang)
    assert not at.exception and not at.error
    name, recommended, not_offered, waiting = (
        {"sv": "Insats", "en": "Insats"}[lang], {"sv": "Rekommenderad", "en": "Recommended"}[lang],
        {"sv": "Erbjuds inte", "en": "Not offered"}[lang], {"sv": "Väntetid", "en": "Waiting"}[lang])
    availability, dose = (table.value for table in at.table)  # static tables: they fit the page, headings wrap
    assert availability.index.name == name
    pmto = "PMTO / GenerationPMTO (Parent Management Training - Oregon)"
    assert (availability.loc[pmto, recommended], availability.loc[pmto, waiting]) == ("2", "2")
    mst = next(key for key in availability.index if key.startswith("Multisystemi"))
    assert (availability.loc[mst, recommended], availability.loc[mst, not_offered]) == ("2", "2")
    assert availability.loc[mst, {"sv": "Väntetid medel (v)", "en": "Mean wait (wk)"}[lang]] == ""  # not "None"
    assert len(dose) == 2  # only MDFT and FFT have a recorded dose
    assert len(at.image) == 2
    assert {b.key for b in at.get("download_button")} == {"gaps-csv", "gaps-pdf"}


def test_the_gap_page_draws_its_charts_once_for_the_same_report(monkeypatch) -> None:
    """A click on the page (a rerun) shows the charts drawn for the same report; another period draws them anew."""
    import matcher.documents.gap_report as gap_report

    drawn = []
    draw = gap_report.gap_charts
    monkeypatch.setattr(gap_report, "gap_charts", lambda *args: drawn.append(1) or draw(*args))
    at = app_as(Role.MANAGER, "ui/local_offer/gaps.py")
    at.run()
    assert (len(drawn), len(at.image)) == (1, 2)
    start = at.date_input(key="gaps-from")
    start.set_value(start.value.replace(year=start.value.year - 1)).run()
    assert (len(drawn), len(at.image)) == (2, 2) and not at.exception


def test_the_gap_page_is_only_for_managers() -> None:
    for role in (Role.SOCIAL_WORKER, Role.METHODOLOGIST, Role.EVALUATOR, Role.ADMIN):
        at = app_as(role)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("ui/local_offer/gaps.py")


def test_the_demo_catalogue_file_is_labelled_synthetic() -> None:
    text = Path(EXAMPLES / "catalogue-DEMO.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("# Local service catalogue of the demo unit DEMO. SYNTHETIC")
