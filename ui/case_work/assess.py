"""A new or changed assessment of the current case: the form by domain, SAVRY items, or a case file."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from matcher import InputError
from matcher.auth import AccessDenied
from matcher.engine.case_files import case_from_bytes
from ui.shared.case_choice import current_case
from ui.shared.context import page, report
from ui.shared.forms import context_inputs, factor_inputs, savry_inputs
from ui.shared.history_form import history_inputs

ctx = page()
st.title(ctx.t("ui.page.assess"))
code = current_case(ctx)
history = ctx.store.assessments(ctx.user, code)
latest: dict[str, Any] = history[-1]["data"] if history else {}
if history:
    st.caption(ctx.t("ui.assess.latest", version=history[-1]["version"], date=history[-1]["assessed_on"],
                     instrument=history[-1]["instrument"]))


def save(case: dict[str, Any], instrument: str, assessed_on: dt.date) -> None:
    try:
        version = ctx.store.add_assessment(ctx.user, code, {**case, "case_id": code}, assessed_on, instrument)
        st.session_state["assessment-saved"] = version
        st.switch_page("ui/case_work/recommend.py")
    except (InputError, AccessDenied) as exc:
        report(ctx, exc)


form_tab, savry_tab, upload_tab = st.tabs([ctx.t("ui.assess.form"), ctx.t("ui.assess.savry"),
                                           ctx.t("ui.assess.upload")])
with form_tab, st.form("assessment-form"):
    on = st.date_input(ctx.t("ui.assess.date"), dt.date.today(), key="form-date")
    st.markdown(f"**{ctx.t('ui.assess.context')}**")
    context = context_inputs(ctx, "form", latest.get("context", {}))
    st.markdown(f"**{ctx.t('ui.assess.factors')}**")
    factors = factor_inputs(ctx, "form", latest.get("factors", {}))
    st.markdown(f"**{ctx.t('ui.assess.history')}**")  # issue 16: the registered criminal history, numbers
    factors |= history_inputs(ctx, "form", latest.get("factors", {}))
    if st.form_submit_button(ctx.t("ui.assess.save"), type="primary"):
        save({"context": context, "factors": factors}, "factors", on)
with savry_tab, st.form("savry-form"):
    on = st.date_input(ctx.t("ui.assess.date"), dt.date.today(), key="savry-date")
    st.caption(ctx.t("ui.assess.savry_note"))
    context = context_inputs(ctx, "savry", latest.get("context", {}))
    answers = savry_inputs(ctx, "savry", latest.get("instruments", {}).get("savry", {}))
    st.markdown(f"**{ctx.t('ui.assess.history')}**")  # issue 16: the registered criminal history, numbers
    history = history_inputs(ctx, "savry", latest.get("factors", {}))
    if st.form_submit_button(ctx.t("ui.assess.save"), type="primary"):
        save({"context": context, "factors": history, "instruments": {"savry": answers}}, "savry", on)
with upload_tab:
    uploaded = st.file_uploader(ctx.t("ui.assess.upload_file"), type=["json"], key="case-file")
    if uploaded is not None and st.button(ctx.t("ui.assess.save"), key="save-upload", type="primary"):
        try:
            uploaded_case = case_from_bytes(uploaded.getvalue(), uploaded.name)
        except InputError as exc:
            report(ctx, exc)
        else:
            save(uploaded_case, "file", dt.date.today())
