"""Insatsmatch in Streamlit: language, login, and the page router by role; nothing else."""

import streamlit as st

from matcher.i18n import LANGS, t
from ui.shared.context import USER
from ui.shared.login import login_page, logout
from ui.shared.pages import pages_for

st.set_page_config(page_title="Insatsmatch", page_icon="🧭", layout="wide")
lang = st.sidebar.radio("Språk / Language", LANGS, format_func=lambda code: t(code, "ui.language_name"), key="lang")
user = st.session_state.get(USER)
if user is None:
    login = st.Page(login_page, title=t(lang, "ui.login.title"), icon=":material/login:", url_path="login")
    page = st.navigation([login])
else:
    st.sidebar.caption(t(lang, "ui.signed_in", user=user.username, role=t(lang, f"role.{user.role}"),
                         unit=user.unit or "-"))
    st.sidebar.button(t(lang, "ui.logout"), on_click=logout, key="logout")
    page = st.navigation([st.Page(script, title=t(lang, title), icon=icon) for script, title, icon in
                          pages_for(user.role)])
page.run()
