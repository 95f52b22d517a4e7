"""Case list of the own unit; open a case, start a new one, or find one by personnummer."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from matcher import InputError
from matcher.auth import AccessDenied
from matcher.i18n import swedish_today
from ui.shared.case_choice import CASE
from ui.shared.context import page, report

ctx = page()
st.title(ctx.t("ui.page.cases"))
cases = ctx.store.list_cases(ctx.user)
if cases:
    table = pd.DataFrame([{ctx.t("ui.cases.code"): c["code"],
                           ctx.t("ui.cases.synthetic"): ctx.t("ui.yes") if c["synthetic"] else "",
                           ctx.t("ui.cases.created"): f"{c['created_at']:%Y-%m-%d}"} for c in cases])
    st.dataframe(table, hide_index=True, key="case-table")
    codes = [c["code"] for c in cases]
    chosen = st.selectbox(ctx.t("ui.cases.open"), codes, index=codes.index(st.session_state[CASE])
                          if st.session_state.get(CASE) in codes else 0, key="case-select",
                          format_func=lambda code: code + (f" {ctx.t('text.synthetic')}" if next(
                              c for c in cases if c["code"] == code)["synthetic"] else ""))
    if st.button(ctx.t("ui.cases.open_button"), key="open-case", type="primary"):
        st.session_state[CASE] = chosen
        st.switch_page("ui/case_work/assess.py")
else:
    st.info(ctx.t("ui.cases.none"))

left, right = st.columns(2)
with left, st.form("new-case"):
    st.subheader(ctx.t("ui.cases.new"))
    pnr = st.text_input(ctx.t("ui.cases.personnummer"), help=ctx.t("ui.cases.personnummer_help"), key="new-pnr")
    today = swedish_today()
    born_on = st.date_input(ctx.t("ui.cases.born_on"), value=None, help=ctx.t("ui.cases.born_on_help"),
                            min_value=dt.date(today.year - 26, 1, 1), max_value=today, format="YYYY-MM-DD",
                            key="new-born")
    sex = st.selectbox(ctx.t("ui.cases.sex"), ["", "F", "M", "X"], key="new-sex",
                       format_func=lambda v: ctx.t(f"ui.cases.sex_{v or 'unknown'}"))
    abroad = st.selectbox(ctx.t("ui.cases.born_abroad"), ["", "yes", "no"], key="new-abroad",
                          format_func=lambda v: ctx.t(f"ui.cases.abroad_{v or 'unknown'}"))
    st.caption(ctx.t("ui.cases.groups_note"))
    if st.form_submit_button(ctx.t("ui.cases.create")):
        try:
            code = ctx.store.create_case(ctx.user, personnummer=pnr.strip() or None, sex=sex or None,
                                         born_abroad={"yes": True, "no": False}.get(abroad), born_on=born_on)
            st.session_state[CASE] = code
            st.switch_page("ui/case_work/assess.py")
        except (InputError, AccessDenied) as exc:
            report(ctx, exc)
with right, st.form("find-case"):
    st.subheader(ctx.t("ui.cases.find"))
    wanted = st.text_input(ctx.t("ui.cases.personnummer"), key="find-pnr")
    if st.form_submit_button(ctx.t("ui.cases.find_button")):
        try:
            found = ctx.store.find_case(ctx.user, wanted)
            if found is None:
                st.warning(ctx.t("ui.cases.not_found"))
            else:
                st.session_state[CASE] = found
                st.success(ctx.t("ui.cases.found", code=found))
        except (InputError, AccessDenied) as exc:
            report(ctx, exc)
