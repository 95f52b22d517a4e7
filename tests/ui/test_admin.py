"""The admin's pages in AppTest: users and roles, the audit log and its chain check."""

import re

import pytest
from sqlalchemy import text

from matcher.auth import Role
from matcher.i18n import catalogue
from matcher.store.db import connect
from tests.conftest import ROOT
from tests.ui.apptest import app_as, use_demo_database

PAGES = ["ui/admin/users.py", "ui/admin/audit.py"]


@pytest.fixture(scope="module", autouse=True)
def demo(tmp_path_factory):
    use_demo_database(tmp_path_factory.mktemp("demo-admin"))


def _users(at) -> dict[str, dict[str, str]]:
    table = at.dataframe[0].value
    return {row.pop("Username"): row for row in table.to_dict("records")}


def _add(at, username: str, role: str, unit: str, password: str) -> None:
    at.text_input(key="users-add-name").input(username)
    at.selectbox(key="users-add-role").set_value(role)
    at.text_input(key="users-add-unit").input(unit)
    at.text_input(key="users-add-password").input(password)
    at.button(key="users-add-submit").click().run()


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_admin_page_renders_in_both_languages(page: str, lang: str) -> None:
    at = app_as(Role.ADMIN, page, lang)
    assert not at.exception
    assert not at.error
    assert at.title[0].value == {"sv": {"ui/admin/users.py": "Användare", "ui/admin/audit.py": "Granskningslogg"},
                                 "en": {"ui/admin/users.py": "Users", "ui/admin/audit.py": "Audit log"}}[lang][page]



def test_the_demo_users_are_listed() -> None:
    at = app_as(Role.ADMIN, "ui/admin/users.py", "en")
    assert _users(at) == {"admin": {"Role": "admin", "Unit": "", "Agency": "", "Active": "yes"},
                          "anna": {"Role": "social worker", "Unit": "DEMO", "Agency": "", "Active": "yes"},
                          "eva": {"Role": "evaluator", "Unit": "", "Agency": "", "Active": "yes"},
                          "maja": {"Role": "unit manager", "Unit": "DEMO", "Agency": "", "Active": "yes"},
                          "mona": {"Role": "methodologist", "Unit": "", "Agency": "", "Active": "yes"},
                          "kim": {"Role": "SIG coordinator", "Unit": "DEMO", "Agency": "", "Active": "yes"},
                          "sara": {"Role": "partner agency", "Unit": "DEMO", "Agency": "the school", "Active": "yes"},
                          "siv": {"Role": "partner agency", "Unit": "DEMO", "Agency": "SiS", "Active": "yes"}}
    assert not at.exception


def test_add_change_and_disable_a_user_with_errors_as_messages() -> None:
    at = app_as(Role.ADMIN, "ui/admin/users.py", "en")
    _add(at, "nils", "social_worker", "", "long-enough-password")
    assert at.error[0].value.endswith("user nils: a social worker needs a unit (--unit CODE)")
    _add(at, "nils", "social_worker", "NORR", "short")
    assert at.error[0].value.endswith("password for nils: a password needs at least 12 characters; this one has 5")
    _add(at, "nils", "social_worker", "NORR", "long-enough-password")
    assert not at.exception
    assert at.success[0].value == "nils is added as social worker."
    assert _users(at)["nils"] == {"Role": "social worker", "Unit": "NORR", "Agency": "", "Active": "yes"}
    _add(at, "nils", "evaluator", "", "long-enough-password")
    assert at.error[0].value.endswith("user nils already exists; use set-role to change the role")

    at.selectbox(key="users-change-name").set_value("nils")
    at.selectbox(key="users-change-role").set_value("evaluator")
    at.button(key="users-change-submit").click().run()
    assert at.success[0].value == "nils is now evaluator."
    assert _users(at)["nils"] == {"Role": "evaluator", "Unit": "NORR", "Agency": "", "Active": "yes"}

    at.selectbox(key="users-disable-name").set_value("nils")
    at.button(key="users-disable-submit").click().run()
    assert at.error[0].value == "Tick the box to confirm disabling the user."
    at.selectbox(key="users-disable-name").set_value("nils")
    at.checkbox(key="users-disable-sure").check()
    at.button(key="users-disable-submit").click().run()
    assert at.success[0].value == "nils can no longer log in."
    assert _users(at)["nils"]["Active"] == "disabled"
    at.selectbox(key="users-disable-name").set_value("admin")
    at.checkbox(key="users-disable-sure").check()
    at.button(key="users-disable-submit").click().run()
    assert at.error[0].value.endswith("you cannot disable yourself; ask another admin")
    assert not at.exception


def test_the_audit_log_is_newest_first_filtered_by_actor_and_case_and_paged() -> None:
    at = app_as(Role.ADMIN, "ui/admin/audit.py", "en")
    log = at.dataframe[0].value
    assert list(log.columns) == ["No.", "Time (Stockholm)", "User", "Action", "Case", "Detail"]
    assert list(log["No."]) == sorted(log["No."], reverse=True)
    assert at.caption[1].value.startswith(f"Entries 1–{len(log)} of ")  # positions in the list, not entry numbers
    newest = int(log["No."].iloc[0])
    at.text_input(key="audit-actor").input("anna").run()
    log = at.dataframe[0].value
    assert set(log["User"]) == {"anna"}
    case = log["Case"].iloc[-1]
    at.text_input(key="audit-actor").input("").run()
    at.text_input(key="audit-case").input(case).run()
    assert set(at.dataframe[0].value["Case"]) == {case}
    at.run()
    newest_of_case = at.dataframe[0].value.iloc[0]
    assert (newest_of_case["User"], newest_of_case["Action"]) == ("admin", "Audit log read")  # reading is logged
    at.text_input(key="audit-case").input("").run()
    at.number_input(key="audit-page").set_value(99).run()
    assert at.info[0].value.startswith("No entries on page 99 of ")
    at.number_input(key="audit-page").set_value(1).run()
    assert int(at.dataframe[0].value["No."].iloc[0]) > newest  # the reads above were logged
    assert not at.exception


def test_verify_says_intact_then_names_every_problem_after_tampering() -> None:
    at = app_as(Role.ADMIN, "ui/admin/audit.py", "en")
    at.button(key="audit-verify").click().run()
    assert at.success[0].value == "The log is intact: no entry was changed, inserted or deleted."
    engine = connect()
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
        conn.execute(text("DELETE FROM audit_log WHERE seq = 5"))
    engine.dispose()
    at.button(key="audit-verify").click().run()
    assert at.error[0].value == (
        "The log is not intact: 3 problem(s).\n\n"
        "- audit entry 3: changed after it was written (user.add by mallory)\n"
        "- audit entry 5: missing: entries 5 were deleted\n"
        "- audit entry 6: does not follow the entry before it: an entry before it was changed, inserted or deleted")
    assert not at.exception


def test_every_action_the_store_logs_has_words_in_both_languages() -> None:
    codes = set()
    for path in (ROOT / "matcher" / "store").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'_tx\([^,()]+, "([a-z_.]+)"', source))
        codes |= set(re.findall(r'audit\.append\([^)]*?"([a-z_.]+)"', source))
        codes |= set(re.findall(r'_open\([^)]*"(login[a-z_.]*)"\)', source))
    assert {"login", "login.oidc", "login.failed", "plan.read", "consent.check"} <= codes
    for lang in ("sv", "en"):
        assert [c for c in sorted(codes) if f"audit.action.{c}" not in catalogue(lang)] == [], lang
