"""The frame in AppTest: login, the pages each role sees (and cannot reach), first-run seeding, and the
last good rule base kept serving after a broken change."""

import pytest

from matcher.auth import Role
from tests.ui.apptest import PASSWORD, app_as, use_demo_database
from ui.shared.pages import PAGES, pages_for


@pytest.fixture(scope="module", autouse=True)
def demo(tmp_path_factory):
    use_demo_database(tmp_path_factory.mktemp("demo-frame"))


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_login_page_in_both_languages(lang: str) -> None:
    at = app_as(None, lang=lang)
    assert not at.exception
    assert at.title[0].value == {"sv": "Logga in", "en": "Log in"}[lang]


def test_a_wrong_password_is_a_message_and_the_right_one_logs_in() -> None:
    at = app_as(None)
    at.text_input(key="login_user").input("anna")
    at.text_input(key="login_password").input("wrong")
    at.button(key="FormSubmitter:login-Logga in").click().run()
    assert at.error[0].value == "Fel användarnamn eller lösenord, eller så är kontot avstängt."
    at.text_input(key="login_password").input(PASSWORD)
    at.button(key="FormSubmitter:login-Logga in").click().run()
    assert not at.exception
    assert at.title[0].value == "Ärenden"
    assert at.sidebar.caption[0].value == "Inloggad: anna (socialsekreterare, enhet DEMO)"


def test_the_first_run_seeded_one_user_per_role_and_synthetic_cases() -> None:
    from ui.shared.context import case_store
    from ui.shared.loading import served

    rules, _, _ = served()
    store = case_store(rules.content_hash, rules)
    admin = store.login("admin", PASSWORD)
    assert {u["username"]: u["role"] for u in store.list_users(admin)} == {
        "admin": "admin", "anna": "social_worker", "mona": "methodologist", "eva": "evaluator", "maja": "manager",
        "kim": "sig_coordinator", "sara": "partner", "siv": "partner"}
    cases = store.list_cases(store.login("anna", PASSWORD))
    assert len(cases) == 4 and all(c["synthetic"] for c in cases)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_exactly_its_pages_and_cannot_reach_the_others(role: Role) -> None:
    at = app_as(role)
    assert not at.exception
    allowed = {script for script, _, _ in pages_for(role)}
    for script, _, _, _ in PAGES:
        if script in allowed:
            at.switch_page(script).run()
            assert not at.exception, script
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(script)


def test_pages_are_unreachable_before_login() -> None:
    at = app_as(None)
    for script, _, _, _ in PAGES:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(script)


def test_logout_returns_to_the_login_page() -> None:
    at = app_as(Role.EVALUATOR)
    at.sidebar.button(key="logout").click().run()
    assert not at.exception
    assert at.title[0].value == "Logga in"


def test_a_broken_rule_change_keeps_the_last_good_rule_base_serving(edited_rules, monkeypatch) -> None:
    root = edited_rules("interventions/mst.yaml", "months: {min: 3, max: 5}", "months: {min: 3, max: 6}")
    monkeypatch.setenv("INSATSMATCH_RULES", str(root))
    at = app_as(Role.SOCIAL_WORKER, "ui/case_work/cases.py")
    assert not at.warning
    edited_rules("interventions/mst.yaml", "intensity: high", "intensity: extreme")
    at.button(key="open-case").click().run()
    at.switch_page("ui/case_work/recommend.py").run()
    assert not at.exception
    assert at.warning[0].value.startswith("Reglerna som gäller är versionen från ")  # the social worker: the version
    assert at.warning[0].value.endswith(": en senare ändring i regelfilerna kunde inte läsas; metodstödet ser vad "
                                        "som är fel.")
    assert at.subheader[0].value.startswith("Risknivå:")
