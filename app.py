"""Insatsmatch in Streamlit: language choice and the page router; nothing else."""

import streamlit as st

from matcher.i18n import LANGS, t

st.set_page_config(page_title="Insatsmatch", page_icon="🧭", layout="wide")
lang = st.sidebar.radio("Språk / Language", LANGS, format_func=lambda code: t(code, "ui.language_name"), key="lang")
page = st.navigation([st.Page("ui/recommend.py", title=t(lang, "ui.page_recommend"), icon="🧭", default=True)])
page.run()
