"""The local effects page (managers, evaluators) and the methodologists' local context beside the evidence, on a demo
database with synthetic years of follow-ups."""

import pytest

from matcher.auth import Role
from tests.ui.apptest import app_as, use_demo_database

PAGE = "ui/local_offer/effects.py"


@pytest.fixture(scope="module", autouse=True)
def demo(tmp_path_factory):
    use_demo_database(tmp_path_factory.mktemp("demo-effects"), histories=300)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.EVALUATOR])
def test_the_effects_page_shows_groups_labelled_synthetic_with_the_caveat(role, monkeypatch) -> None:
    import matcher.documents.effects_report as effects_report

    drawn = []
    draw = effects_report.effects_chart
    monkeypatch.setattr(effects_report, "effects_chart", lambda *args: drawn.append(1) or draw(*args))
    at = app_as(role, PAGE)
    assert not at.exception and not at.error[1:]
    assert at.title[0].value == "Effekter lokalt"
    assert at.subheader[0].value.startswith("Effektrapport, enhet DEMO, ")
    # the 300 histories and the four example cases assessed today
    assert at.error[0].value == "SYNTETISKA DEMODATA: 304 av de unga är syntetiska exempel, inga riktiga personer."
    assert at.warning[0].value.startswith("Detta är observationsdata, inte bevis för effekt.")
    assert len(at.image) == 1  # the chart, labelled synthetic on the figure itself
    assert "#### Multisystemisk terapi (MST)" in [m.value for m in at.markdown]
    tables = [d.value for d in at.dataframe]  # one per insats with cells shown (dataframes carry no key here)
    assert tables and all(list(t.columns[:3]) == ["Grupp", "Antal (fick / jämförda)", "Nytt brott"] for t in tables)
    assert all(t.iloc[0]["Grupp"] == "Alla" for t in tables)
    assert any(" mot " in t.iloc[0]["Nytt brott"] for t in tables)
    assert {b.key for b in at.get("download_button")} == {"effects-md", "effects-html", "effects-json"}
    at.radio(key="effects-months").set_value(6).run()  # another horizon: the same report, not read again
    assert not at.exception
    assert (len(drawn), len(at.image)) == (1, 1)  # nor its chart drawn again


def test_the_effects_page_is_not_for_social_workers_or_admins() -> None:
    for role in (Role.SOCIAL_WORKER, Role.ADMIN, Role.METHODOLOGIST):
        at = app_as(role)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(PAGE)


def test_a_methodologist_reads_the_local_context_beside_the_evidence() -> None:
    at = app_as(Role.METHODOLOGIST, "ui/rules/browse.py")
    at.selectbox(key="rules_browse_pick").set_value("mst").run()
    toggle = at.toggle(key="local-context-mst")
    assert toggle.label == "Visa vad enhetens egna uppföljningar de senaste 4 åren säger"
    toggle.set_value(True).run()
    assert not at.exception
    line = at.info[-1].value
    assert line.startswith("Lokalt (DEMO, ") and "n = " in line and line.endswith("SYNTETISKA DEMODATA")
    assert "Observationsdata, inte bevis för effekt, och påverkar inte rangordningen." in line


def test_the_effects_page_in_english() -> None:
    at = app_as(Role.EVALUATOR, PAGE, "en")
    assert not at.exception
    assert at.title[0].value == "Local effects"
    assert at.error[0].value == "SYNTHETIC DEMO DATA: 304 of the young people are synthetic examples, no real persons."
    assert at.warning[0].value.startswith("This is observational data, not proof of effect.")
    assert all(list(d.value.columns[:3]) == ["Group", "Number (got it / compared)", "New offence"]
               for d in at.dataframe)
