"""Insatsmatch in Streamlit: language, login, and the page router by role; nothing else.

An unexpected error on a page shows a short message with a reference; the details go to the server log only
(``client.showErrorDetails`` is off in .streamlit/config.toml)."""

import html
import logging
import secrets

import streamlit as st

from matcher.i18n import LANGS, t
from matcher.store.demo import demo_enabled
from ui.shared.context import current_store
from ui.shared.login import login_page, logout, signed_in
from ui.shared.pages import navigation

log = logging.getLogger("insatsmatch.app")

st.set_page_config(page_title="Insatsmatch", page_icon="🧭", layout="wide")
lang = st.sidebar.radio("Språk / Language", LANGS, format_func=lambda code: t(code, "ui.language_name"), key="lang")
user = signed_in(current_store(lang))
if user is not None:
    role = t(lang, f"role.{user.role}") + (f" – {t(lang, f'actor.{user.agency}')}" if user.agency else "")
    st.sidebar.caption(t(lang, "ui.signed_in", user=user.username, role=role, unit=user.unit or "-"))
    st.sidebar.button(t(lang, "ui.logout"), on_click=logout, key="logout")
page = navigation(lang, user, login_page)
if demo_enabled():
    st.html(f'<div role="status" style="background:#fff3cd;color:#5c4400;border:1px solid #e0b000;padding:6px 12px;'
            f'border-radius:6px;font-weight:600">{html.escape(t(lang, "ui.demo_banner"))}</div>')
try:
    page.run()
except Exception:  # the last line of defence; Streamlit's own stop and rerun are not Exceptions
    reference = secrets.token_hex(4)
    log.exception("unexpected error, reference %s, page %s", reference, page.title)
    st.error(t(lang, "ui.error.unexpected", reference=reference))
