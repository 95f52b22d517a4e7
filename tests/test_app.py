"""The page in Streamlit's AppTest: renders, matches a case, shows errors as messages."""

import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture(autouse=True)
def clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_page_renders_in_both_languages(lang: str) -> None:
    at = _app()
    at.sidebar.radio(key="lang").set_value(lang).run()
    assert not at.exception
    assert at.title[0].value == ("Insatsmatch – matchning av insatser" if lang == "sv"
                                 else "Insatsmatch – matching insatser")


def test_matching_an_example_shows_ranked_recommendations() -> None:
    at = _app()
    at.button(key="run").click().run()
    assert not at.exception
    assert at.header[0].value == "Ärende EX-01 (syntetiskt exempel)"
    assert at.subheader[0].value.startswith("Risknivå: låg")
    texts = [m.value for m in at.markdown]
    assert any(text.startswith("**1. ") for text in texts)
    assert not at.error


def test_a_bad_case_is_a_message_and_the_page_keeps_working() -> None:
    at = _app()
    area = at.text_area[0]
    case = json.loads(area.value)
    case["factors"]["impulsivity"] = 7
    area.input(json.dumps(case)).run()
    at.button(key="run").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("Ärendet kunde inte läsas.")
    assert "factors.impulsivity: Input should be 0, 1 or 2" in at.error[0].value
    at.text_area[0].input("{not json").run()
    at.button(key="run").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("Ärendet är inte giltig JSON")


def test_a_broken_rule_change_keeps_the_last_good_rule_base_serving(edited_rules, monkeypatch) -> None:
    root = edited_rules("interventions/mst.yaml", "months: {min: 3, max: 5}", "months: {min: 3, max: 6}")
    monkeypatch.setenv("INSATSMATCH_RULES", str(root))
    at = _app()
    assert not at.warning
    edited_rules("interventions/mst.yaml", "intensity: high", "intensity: extreme")
    at.button(key="run").click().run()
    assert not at.exception
    assert at.warning[0].value.startswith("En ändring i regelbasen kunde inte läsas; den senast fungerande")
    assert "rules/interventions/mst.yaml:11: intensity: Input should be" in at.warning[0].value
    assert at.header[0].value == "Ärende EX-01 (syntetiskt exempel)"
