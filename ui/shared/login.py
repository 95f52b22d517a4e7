"""Login: a username and password checked against the case store; or the organisation's OIDC provider
when `[auth]` is configured in Streamlit's secrets (docs/app.md).

The signed-in user is re-read from the store on every rerun (``signed_in``), so a user who is disabled or given
another role or unit works with the new rights from the next click. A browser tab keeps its session across a
reload through a signed cookie that only names the server-side session; logging out ends that session.
"""

from __future__ import annotations

import json

import streamlit as st

from matcher.auth import AccessDenied, Principal
from matcher.i18n import t
from matcher.store.demo import demo_enabled, demo_passwords
from matcher.store.service import CaseStore
from matcher.store.sessions import LoginThrottled
from ui.shared.context import USER, current_store

TOKEN = "session_token"
COOKIE = "insatsmatch_session"
_PENDING_COOKIE = "pending_cookie"
_ENDED = "session_ended"


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def _client() -> str:
    return f"app:{st.context.ip_address or 'localhost'}"


def _write_cookie(value: str, max_age: int) -> None:
    """Set or clear the session cookie in this browser (Streamlit can read cookies but not write them)."""
    secure = "; Secure" if str(st.context.url).startswith("https") else ""
    script = (f"<script>document.cookie = {json.dumps(f'{COOKIE}={value}')} + "
              f"'; Path=/; Max-Age={max_age}; SameSite=Strict{secure}';</script>")
    st.html(script, unsafe_allow_javascript=True, width="content")


def _cookie() -> str | None:
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) and value else None  # AppTest has no browser and no cookies


def signed_in(store: CaseStore) -> Principal | None:
    """The user of this browser tab as the store knows it now, or None (never signed in, logged out, idle too
    long, disabled). Keeps ``st.session_state[USER]`` in step."""
    token = st.session_state.get(TOKEN)
    if token:
        user = store.resume(token)
    else:
        cookie = _cookie()
        user = store.resume_cookie(cookie) if cookie else None
    if user is None:
        if token:
            st.session_state[_ENDED] = True
        st.session_state.pop(TOKEN, None)
        st.session_state.pop(USER, None)
        return None
    st.session_state[TOKEN] = user.token
    st.session_state[USER] = user
    if _PENDING_COOKIE in st.session_state:
        _write_cookie(st.session_state.pop(_PENDING_COOKIE), store.login_policy.idle_minutes * 60)
    return user


def _start(store: CaseStore, user: Principal) -> None:
    st.session_state[TOKEN] = user.token
    st.session_state[USER] = user
    st.session_state[_PENDING_COOKIE] = store.cookie(user)
    st.rerun()


def login_page() -> None:
    lang = st.session_state.get("lang", "sv")
    st.title(t(lang, "ui.login.title"))
    st.caption(t(lang, "text.decision_note"))
    store = current_store(lang)
    if st.session_state.pop(_ENDED, False):
        st.info(t(lang, "ui.login.ended", minutes=store.login_policy.idle_minutes))
    if _cookie():
        _write_cookie("", 0)  # a cookie that no longer opens a session: forget it
    if oidc_configured():
        if st.user.is_logged_in:
            try:
                _start(store, store.sign_in_vouched(str(st.user.get("email", "")), _client()))
            except AccessDenied as exc:
                st.error(t(lang, "ui.login.oidc_unknown") + f"\n\n{exc}")
        elif st.button(t(lang, "ui.login.oidc"), key="oidc"):
            st.login()
    with st.form("login"):
        username = st.text_input(t(lang, "ui.login.username"), key="login_user")
        password = st.text_input(t(lang, "ui.login.password"), type="password", key="login_password")
        if st.form_submit_button(t(lang, "ui.login.submit")):
            try:
                _start(store, store.login(username.strip(), password, _client()))
            except LoginThrottled as exc:
                st.error(t(lang, "ui.login.throttled", minutes=exc.wait_minutes))
            except AccessDenied:
                st.error(t(lang, "ui.login.failed"))
    if demo_enabled():
        _demo_users(lang)


def _demo_users(lang: str) -> None:
    """In demo mode only: the demo users and their passwords, so anyone trying the app can sign in."""
    passwords = demo_passwords()
    if passwords:
        st.info(t(lang, "ui.login.demo_users") + "\n\n" + "\n".join(
            f"- `{name}` ({t(lang, f'role.{role}')}): `{password}`" for name, role, password in passwords))


def logout() -> None:
    """End the session on the server, then forget everything this tab held (the language stays)."""
    user = st.session_state.get(USER)
    if user is not None:
        current_store(st.session_state.get("lang", "sv")).logout(user)
    for key in [k for k in st.session_state if k != "lang"]:
        del st.session_state[key]
