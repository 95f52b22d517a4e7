"""Signing in as a user meets it in the app: demo mode's banner and passwords, rights that change while a
user is signed in, and an unexpected error shown as a reference instead of a traceback."""

import re
import tomllib

import pytest

from matcher.auth import Role
from matcher.errors import InputError
from matcher.store.demo import demo_enabled
from tests.conftest import ROOT
from tests.ui.apptest import PASSWORD, app_as, sign_in, use_demo_database
from ui.shared.context import current_store


@pytest.fixture(autouse=True)
def demo(tmp_path):
    use_demo_database(tmp_path)  # a fresh database for each test: they change users


def _html(at) -> list[str]:
    return [node.proto.body for node in at.get("html")]


def test_demo_mode_shows_a_banner_and_the_passwords_on_the_login_page_and_never_prints_them(capfd) -> None:
    at = app_as(None)
    assert "DEMO – syntetiska uppgifter" in _html(at)[-1]
    demo_users = at.info[0].value
    assert demo_users.startswith("Demoläge med syntetiska uppgifter. Användare och lösenord:")
    assert f"- `anna` (socialsekreterare): `{PASSWORD}`" in demo_users
    out, err = capfd.readouterr()
    assert PASSWORD not in out + err
    signed_in = app_as(Role.SOCIAL_WORKER)
    assert any("DEMO – syntetiska uppgifter" in body for body in _html(signed_in))
    assert not signed_in.info or PASSWORD not in signed_in.info[0].value


def test_demo_mode_is_refused_on_postgresql_unless_forced(monkeypatch) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    monkeypatch.setenv("INSATSMATCH_DEMO", "1")
    with pytest.raises(InputError, match=r"^INSATSMATCH_DEMO: demo mode adds users with passwords shown on the login "
                                         r"page and synthetic cases; it is refused on the database in DATABASE_URL"):
        demo_enabled(url)
    monkeypatch.setenv("INSATSMATCH_DEMO", "force")
    assert demo_enabled(url)
    monkeypatch.setenv("INSATSMATCH_DEMO", "0")
    assert not demo_enabled(url)


def test_a_role_change_or_a_disabled_account_takes_effect_at_the_next_click() -> None:
    at = app_as(Role.SOCIAL_WORKER)
    assert at.sidebar.caption[0].value == "Inloggad: anna (socialsekreterare, enhet DEMO)"
    store = current_store("sv")
    admin = sign_in(Role.ADMIN)
    store.set_role(admin, "anna", "methodologist")
    at.run()
    assert not at.exception
    assert at.sidebar.caption[0].value == "Inloggad: anna (metodutvecklare, enhet DEMO)"
    # the case page she was on is closed to her now: it says so and leads to her new first page
    assert at.warning[0].value == "Sidan Ärenden ingår inte i din roll. Be en administratör om du behöver den."
    assert not at.dataframe and not at.selectbox
    store.disable_user(admin, "anna")
    at.run()
    assert at.title[0].value == "Logga in"
    assert at.info[0].value == "Logga in för att öppna sidan Ärenden."  # the page she was on, after login
    assert at.info[1].value.startswith("Du är utloggad: sessionen avslutades")


def test_an_unexpected_error_shows_a_reference_and_no_traceback(monkeypatch, caplog) -> None:
    def broken() -> None:
        raise RuntimeError("a secret detail that must stay in the server log")

    monkeypatch.setattr("ui.shared.pages.pages_for", lambda role: [(broken, "ui.page.cases", ":material/error:")])
    at = app_as(Role.SOCIAL_WORKER)
    assert not at.exception
    message = at.error[0].value
    reference = re.search(r"referensen ([0-9a-f]{8})\.$", message)
    assert message.startswith("Något gick fel på sidan. Inget av det du redan sparat har gått förlorat.")
    assert reference and "secret detail" not in message
    assert f"unexpected error, reference {reference.group(1)}" in caplog.text and "secret detail" in caplog.text


def test_the_browser_is_never_shown_a_traceback() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["address"] == "127.0.0.1" and config["browser"]["gatherUsageStats"] is False
