"""The methodologist's pages in AppTest: browsing the rule base (every role that may read rules) and changing a
rule (check, rule tests, impact, save); bad input is a message and the page keeps working."""

import shutil

import pytest

from matcher import load_rule_base
from matcher.auth import Role
from matcher.rulebase.loading import content_hash
from matcher.store.db import connect
from matcher.store.service import CaseStore
from tests.conftest import RULES
from tests.ui.apptest import app_as, sign_in, use_demo_database

READERS = [Role.METHODOLOGIST, Role.SOCIAL_WORKER, Role.EVALUATOR]
MST = (RULES / "interventions" / "mst.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module", autouse=True)
def demo(tmp_path_factory):
    use_demo_database(tmp_path_factory.mktemp("demo-rules"))


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _number(at, label: str):
    return next(n for n in at.number_input if n.label == label)


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("role", READERS)
def test_the_rule_base_renders_for_everyone_who_may_read_rules(role: Role, lang: str) -> None:
    at = app_as(role, "ui/rules/browse.py", lang)
    assert at.title[0].value == {"sv": "Regelbasen", "en": "The rule base"}[lang]
    assert at.caption[1].value == {"sv": "40 av 40 insatser matchar.", "en": "40 of 40 insatser match."}[lang]
    assert not at.error
    assert not at.exception


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_rule_editor_renders_and_checks_the_file(lang: str) -> None:
    at = app_as(Role.METHODOLOGIST, "ui/rules/edit.py", lang)
    assert at.title[0].value == {"sv": "Ändra regler", "en": "Change rules"}[lang]
    assert at.success[0].value.startswith({"sv": "Regelbasen med din ändring är giltig",
                                           "en": "The rule base with your change is valid"}[lang])
    assert not at.error
    assert not at.exception


def test_search_and_filters_narrow_the_list_and_a_card_reads_the_rule_in_words() -> None:
    at = app_as(Role.METHODOLOGIST, "ui/rules/browse.py", "en")
    at.multiselect(key="rules_browse_types").select("family_therapy")
    at.multiselect(key="rules_browse_strengths").select("strong").run()
    assert at.caption[1].value == "3 of 40 insatser match."
    assert at.dataframe[0].value["Insats"].tolist() == ["Functional Family Therapy (FFT)",
                                                        "Multidimensional Family Therapy (MDFT)",
                                                        "Multisystemic Therapy (MST)"]
    at.selectbox(key="rules_browse_pick").set_value("mst").run()
    assert at.subheader[0].value == "Multisystemic Therapy (MST) (mst)"
    texts = [m.value for m in at.markdown]
    assert any(text.startswith("- at least one of: Current suicidality: yes; Current homicidal thoughts or plans: yes: "
                               "MST does not accept young people referred mainly for current suicidality")
               and "- Acute psychosis: yes: MST does not accept young people whose main problem is psychotic "
                   "symptoms." in text and "*Source: MST Services" in text for text in texts)
    assert at.info[0].value == ("Socialstyrelsen's position: Socialstyrelsen national guidelines: may offer "
                                "(priority 4); Socialstyrelsen (knowledge support 2021): should offer")
    assert any("[Blueprints for Healthy Youth Development, programme criteria and Model list]"
               "(https://www.blueprintsprograms.org/criteria), read 2026-11-22." in text for text in texts)
    at.number_input(key="rules_browse_age").set_value(18).run()
    assert at.caption[1].value == "2 of 40 insatser match."  # FFT and MDFT go to 18; MST ends at 17
    assert "mst" not in at.selectbox(key="rules_browse_pick").options
    assert not at.exception


def test_a_do_not_offer_entry_shows_its_warning_first_and_an_empty_search_says_so() -> None:
    at = app_as(Role.SOCIAL_WORKER, "ui/rules/browse.py")
    at.text_input(key="rules_browse_search").input("scared straight").run()
    assert at.error[0].value.startswith("VARNING – ska inte erbjudas: Socialstyrelsen avråder från "
                                        "avskräckningsprogram av typen Scared Straight")
    assert at.dataframe[0].value["Insats"].tolist() == ["Avskräckningsprogram av typen Scared Straight "
                                                        "(ska inte erbjudas)"]
    at.text_input(key="rules_browse_search").input("no such insats").run()
    assert at.info[0].value == "Ingen insats matchar sökningen. Ta bort ett filter eller ändra söktexten."
    assert not at.exception


def test_a_form_change_is_checked_tested_and_its_impact_shown_before_saving() -> None:
    at = app_as(Role.METHODOLOGIST, "ui/rules/edit.py")
    at.selectbox(key="rules_edit_pick").set_value("mst").run()
    _number(at, "Högsta ålder").set_value(14)
    _button(at, "För in i texten").click().run()
    assert at.text_area(key="rules_edit_text_mst").value == MST.replace("max: 17}", "max: 14}", 1)
    assert at.success[0].value.startswith("Regelbasen med din ändring är giltig")
    at.button(key="rules_edit_run_tests").click().run()
    assert at.error[0].value == "3 regeltester misslyckades, 87 gick igenom:"
    assert "why:      Requires Age: at most 14 (recorded: 15)." in at.code[-1].value
    at.number_input(key="rules_edit_population").set_value(2000)
    at.button(key="rules_edit_impact").click().run()
    headings = [m.value for m in at.markdown if m.value.startswith("**")]
    assert "**Sparade ärenden: 4 (alla enheter)**" in headings
    assert "**Syntetisk population: 2000 fall (syntetiskt exempel)**" in headings
    tables = [df.value for df in at.dataframe if "Får den" in df.value.columns]
    stored, synthetic = (dict(zip(df["Insats"], zip(df["Får den"], df["Förlorar den"], strict=True), strict=True))
                         for df in tables)
    # the two seeded cases over 14 lose MST and get another insats; as `matcher rules diff --synthetic 2000` counts
    assert stored == {"Traumafokuserad KBT (TF-KBT)": (1, 0), "Multisystemisk terapi (MST)": (0, 2),
                      "Strukturerad individuell KBT-baserad beteende- och färdighetsträning": (1, 0)}
    assert synthetic["Multisystemisk terapi (MST)"] == (0, 1)  # the population draws the history too (issue 16)
    assert sum(gained for gained, _ in synthetic.values()) == 1
    assert (RULES / "interventions" / "mst.yaml").read_text(encoding="utf-8") == MST  # nothing saved
    assert not at.exception


def test_a_broken_edit_shows_where_and_cannot_be_saved_and_the_page_keeps_working() -> None:
    before = content_hash(RULES)
    at = app_as(Role.METHODOLOGIST, "ui/rules/edit.py")
    at.selectbox(key="rules_edit_pick").set_value("mst").run()
    at.text_area(key="rules_edit_text_mst").input(MST.replace("intensity: high", "intensity: extreme")).run()
    assert at.error[0].value == "Regelbasen med din ändring har 1 fel och kan inte sparas:"
    assert "- **fel** · rules/interventions/mst.yaml, rad 12 · `intensity`: värdet ska vara 'low', 'moderate', " \
           "'high' eller 'very_high'; fann 'extreme'" in [m.value for m in at.markdown]  # in Swedish, as the page
    assert at.info[0].value.startswith("Formuläret kan visas när filen är giltig.")
    at.text_input(key="rules_edit_reason").input("testing a broken change").run()
    assert at.button(key="rules_edit_save").disabled
    assert "Det går att spara när felen ovan (1) är rättade." in [c.value for c in at.caption]
    assert content_hash(RULES) == before
    at.text_area(key="rules_edit_text_mst").input(MST.replace("factor: ", "factor: family_", 1)).run()
    assert any(": okänd faktor 'family_" in m.value for m in at.markdown)  # a condition's error, in Swedish too
    at.button(key="rules_edit_reload").click().run()
    assert at.text_area(key="rules_edit_text_mst").value == MST
    assert not at.error
    assert not at.exception


def test_saving_needs_a_reason_writes_the_file_and_records_who_and_why(tmp_path, monkeypatch) -> None:
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    monkeypatch.setenv("INSATSMATCH_RULES", str(root))
    real = content_hash(RULES)
    at = app_as(Role.METHODOLOGIST, "ui/rules/edit.py")
    at.selectbox(key="rules_edit_pick").set_value("mst").run()
    edited = MST.replace("max: 17}", "max: 16}", 1)
    at.text_area(key="rules_edit_text_mst").input(edited).run()
    at.button(key="rules_edit_save").click().run()
    assert at.error[0].value.endswith("Skriv varför regeln ändras: en motivering krävs för att spara.")
    assert (root / "interventions" / "mst.yaml").read_text(encoding="utf-8") == MST
    at.text_input(key="rules_edit_reason").input("MST up to 16 in our municipality")
    at.button(key="rules_edit_save").click().run()
    saved = content_hash(root)
    assert at.success[-1].value == (f"rules/interventions/mst.yaml är sparad. Regelbasen är nu version {saved[:19]}, "
                                    f"och ändringen är registrerad med ditt namn, tid och motivering.")
    text = (root / "interventions" / "mst.yaml").read_text(encoding="utf-8")
    assert text == edited and text.startswith("# yaml-language-server: $schema=")
    log = CaseStore(connect(), load_rule_base(root)).rule_log(sign_in(Role.METHODOLOGIST))
    assert (log[0]["hash"], log[0]["author"], log[0]["reason"]) == (saved, "mona", "MST up to 16 in our municipality")
    assert at.text_area(key="rules_edit_text_mst").value == edited  # editing goes on from the saved file
    assert content_hash(RULES) == real  # the real rules/ is never touched
    browse = app_as(Role.SOCIAL_WORKER, "ui/rules/browse.py", "en")
    browse.number_input(key="rules_browse_age").set_value(17).run()
    assert "mst" not in browse.selectbox(key="rules_browse_pick").options  # the app serves the saved rule base
    assert not at.exception and not browse.exception


def test_the_rule_history_shows_who_changed_what_and_what_it_did(edited_rules) -> None:
    from ui.shared.context import current_store

    store, mona = current_store("sv"), sign_in(Role.METHODOLOGIST)
    assert store.save_rules(mona, RULES, "Regelbasen som den levererades")[1] is False  # the demo recorded it
    changed = edited_rules("interventions/mst.yaml", "min: 12", "min: 13")
    store.save_rules(mona, changed, "MST från 13 år enligt ny licens")
    at = app_as(Role.METHODOLOGIST, "ui/rules/history.py")
    assert not at.exception and not at.error
    log, changes = (d.value for d in at.dataframe)
    assert list(log.iloc[0])[1:3] == ["mona", "MST från 13 år enligt ny licens"]  # newest first
    assert list(log.iloc[-1])[1:3] == ["(registrerad när den först användes)",  # the demo's, in words
                                       "Regelbasen som gällde när en rekommendation sparades"]
    assert {"Insats eller del": "Multisystemisk terapi (MST)", "YAML-sökväg": "age.min", "Före": "12",
            "Efter": "13"} in changes.to_dict("records")  # against the version before (another test's, or the demo's)
    next(b for b in at.button if b.label == "Visa effekten av ändringen").click().run()
    assert not at.exception and not at.error
    assert any(m.value.startswith("**Syntetisk population: 10000 fall") for m in at.markdown)
    assert any(m.value.startswith("**Sparade ärenden: ") for m in at.markdown)
