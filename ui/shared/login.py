"""Login: a username and password checked against the case store; or the organisation's OIDC provider
when `[auth]` is configured in Streamlit's secrets (docs/app.md)."""

from __future__ import annotations

import streamlit as st

from matcher.auth import AccessDenied
from matcher.i18n import t
from ui.shared.context import USER, case_store
from ui.shared.loading import served


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def login_page() -> None:
    lang = st.session_state.get("lang", "sv")
    st.title(t(lang, "ui.login.title"))
    st.caption(t(lang, "text.decision_note"))
    rules, _, _ = served()
    store = case_store(rules.content_hash, rules)
    if oidc_configured():
        if st.user.is_logged_in:
            try:
                st.session_state[USER] = store.principal(str(st.user.get("email", "")))
                st.rerun()
            except AccessDenied as exc:
                st.error(t(lang, "ui.login.oidc_unknown") + f"\n\n{exc}")
        elif st.button(t(lang, "ui.login.oidc"), key="oidc"):
            st.login()
    with st.form("login"):
        username = st.text_input(t(lang, "ui.login.username"), key="login_user")
        password = st.text_input(t(lang, "ui.login.password"), type="password", key="login_password")
        if st.form_submit_button(t(lang, "ui.login.submit")):
            try:
                st.session_state[USER] = store.login(username.strip(), password)
                st.rerun()
            except AccessDenied:
                st.error(t(lang, "ui.login.failed"))


def logout() -> None:
    st.session_state.pop(USER, None)
    for key in [k for k in st.session_state if k not in ("lang",)]:
        del st.session_state[key]
