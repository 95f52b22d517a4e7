"""The case the social worker is working on, chosen on the case list and kept in the session and in the page's
address (``?case=``), so that a reload comes back to the same case. The code is pseudonymous, and the store checks
on every read that the reader may open the case."""

from __future__ import annotations

import streamlit as st

from ui.shared.context import Page

CASE = "case"


def current_case(ctx: Page) -> str:
    """The chosen case's code; without one, a pointer to the case list and the page stops."""
    code = st.session_state.get(CASE) or st.query_params.get(CASE)
    if code is None:
        st.info(ctx.t("ui.case.choose_first"))
        st.page_link("ui/case_work/cases.py", label=ctx.t("ui.page.cases"), icon=":material/folder_open:")
        st.stop()
    st.session_state[CASE] = st.query_params[CASE] = str(code)
    st.caption(ctx.t("ui.case.current", code=code))
    return str(code)
