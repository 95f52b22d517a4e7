"""The SIG meeting page in AppTest: the coordinator sees the whole case and records a meeting; the school's
partner sees the same page cut to consent, reports on its own task, and every view is in the audit log."""

import datetime as dt

import pytest
from sqlalchemy import select

from matcher.auth import Role
from matcher.local.gaps import SWEDEN
from matcher.store.tables import AuditEntry
from tests.ui.apptest import PASSWORD, app_as, use_demo_database
from ui.shared.context import current_store

PAGE = "ui/case_work/sig_meeting.py"


@pytest.fixture(scope="module", autouse=True)
def demo(tmp_path_factory):
    use_demo_database(tmp_path_factory.mktemp("demo-sig"))


def _codes() -> list[str]:
    """The seeded cases, oldest first: the first is in SIG, the last is at a SiS youth home."""
    store = current_store("sv")
    return [c["code"] for c in store.list_cases(store.login("kim", PASSWORD))]


def _coordinator_on(code: str, lang: str = "sv"):
    at = app_as(Role.SIG_COORDINATOR, lang=lang)
    at.session_state["case"] = code
    return at.switch_page(PAGE).run()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_coordinator_sees_the_plan_the_tasks_the_consents_and_the_next_meeting(lang: str) -> None:
    at = _coordinator_on(_codes()[0], lang)
    assert not at.exception and not at.error
    today = dt.datetime.now(SWEDEN).date()
    assert at.title[0].value == {"sv": "SIG-möte", "en": "SIG meeting"}[lang]
    assert [m.value for m in at.metric][:2] == [(today - dt.timedelta(days=14)).isoformat(),
                                                (today + dt.timedelta(days=14)).isoformat()]
    tasks = at.dataframe[0].value
    assert len(tasks) == 3
    if lang == "sv":
        assert list(tasks["Ansvarig"]) == ["socialtjänsten", "socialtjänsten", "skolan"]
        consents = [m.value for m in at.markdown if m.value.startswith("- skolan ser:")]
        assert consents == ["- skolan ser: insatserna i planen som rör myndigheten, den unges mål, uppföljningens "
                            "resultat, det som ska göras först"]
        assert any(m.value.startswith("**Risknivå: ") for m in at.markdown)


def test_the_coordinator_records_a_meeting_and_the_next_date_shows() -> None:
    at = _coordinator_on(_codes()[0])
    today = dt.datetime.now(SWEDEN).date()
    at.date_input(key="sig-next").set_value(today + dt.timedelta(days=21))
    at.button(key="FormSubmitter:sig-meeting-form-Spara mötet").click().run()
    assert not at.exception and not at.error
    assert [m.value for m in at.metric][:2] == [today.isoformat(), (today + dt.timedelta(days=21)).isoformat()]
    at.date_input(key="sig-next").set_value(today)
    at.button(key="FormSubmitter:sig-meeting-form-Spara mötet").click().run()
    assert at.error[0].value.endswith(f"Nästa möte ({today}) måste ligga efter det här mötet.")


def test_the_homecoming_warns_of_the_missing_part_before_discharge() -> None:
    at = _coordinator_on(_codes()[-1])
    assert not at.exception
    discharge = dt.datetime.now(SWEDEN).date() + dt.timedelta(weeks=5)
    assert [w.value for w in at.warning] == [
        f"Sysselsättning saknas i hemgångsplanen: ingen ansvarig, inget mål och inget datum. Utskrivningen är "
        f"{discharge}."]
    assert list(at.dataframe[0].value["Del"]) == ["Skola", "Boende", "Stöd till föräldrarna"]


def test_the_schools_partner_sees_the_page_cut_to_consent_and_reports_on_its_task() -> None:
    code = _codes()[0]
    at = app_as(Role.PARTNER)  # the school's partner: the SIG meeting is its only page
    assert not at.exception
    assert at.sidebar.caption[0].value == "Inloggad: sara (samverkanspart – skolan, enhet DEMO)"
    at.selectbox(key="sig-case").set_value(code).run()
    assert at.info[0].value == (
        "Det här ser skolan enligt samtycket: insatserna i planen som rör myndigheten, den unges mål, uppföljningens "
        "resultat, det som ska göras först. Visas inte: den unges och vårdnadshavarnas synpunkter, sammanfattning av "
        "bedömningen, risknivån.")
    tasks = at.dataframe[0].value
    assert list(tasks["Ansvarig"]) == ["skolan"] and "Delas med myndigheten" not in tasks.columns
    assert not any("Risknivå" in m.value or "synpunkter" in m.value for m in at.markdown)
    assert "sig-meeting-form" not in str(at.main)  # a partner records no meeting
    at.radio(key="sig-report-done").set_value(False)
    at.button(key="FormSubmitter:sig-report-Spara rapporten").click().run()
    assert at.error[0].value.endswith("Skriv varför uppgiften inte blev gjord.")
    at.text_area(key="sig-report-why").input("Mentorn var sjukskriven (syntetiskt exempel).")
    at.button(key="FormSubmitter:sig-report-Spara rapporten").click().run()
    assert not at.error
    today = dt.datetime.now(SWEDEN).date()
    assert list(at.dataframe[0].value["Rapport"]) == [
        f"inte klar – Mentorn var sjukskriven (syntetiskt exempel). (sara, {today})"]
    with current_store("sv").engine.connect() as conn:
        viewed = conn.execute(select(AuditEntry.detail).where(AuditEntry.actor == "sara",
                                                              AuditEntry.action == "sig.partner_view")).scalars().all()
    assert len(viewed) >= 3 and set(viewed) == {
        "skola: shown plan_items, goals, follow_up, act_first; withheld views, assessment, risk_level"}
