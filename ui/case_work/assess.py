"""A new or changed assessment of the current case: the form by domain, SAVRY items, or a case file. What is
filled in but not saved is kept as a draft across a page reload (``ui.shared.drafts``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from matcher import InputError
from matcher.auth import AccessDenied
from matcher.engine.case_files import case_from_bytes
from matcher.i18n import swedish_today
from ui.shared import drafts
from ui.shared.case_choice import current_case
from ui.shared.context import page, report
from ui.shared.forms import context_inputs, factor_inputs, rated_count, savry_inputs
from ui.shared.history_form import history_inputs

ctx = page()
st.title(ctx.t("ui.page.assess"))
code = current_case(ctx)
history = ctx.store.assessments(ctx.user, code)
latest: dict[str, Any] = history[-1]["data"] if history else {}
if history:
    st.caption(ctx.t("ui.assess.latest", version=history[-1]["version"], date=history[-1]["assessed_on"],
                     instrument=ctx.t(f"ui.assess.instrument.{history[-1]['instrument']}")))


def save(case: dict[str, Any], instrument: str, assessed_on: dt.date, form: str) -> None:
    if instrument != "file" and case["context"].get("age") is None:  # asked for, never assumed
        st.error(ctx.t("ui.assess.age_missing"))
        return
    try:
        version = ctx.store.add_assessment(ctx.user, code, {**case, "case_id": code}, assessed_on, instrument)
        drafts.drop(ctx, code, form)
        st.session_state["assessment-saved"] = version
        st.switch_page("ui/case_work/recommend.py")
    except (InputError, AccessDenied) as exc:
        report(ctx, exc)


form_tab, savry_tab, upload_tab = st.tabs([ctx.t("ui.assess.form"), ctx.t("ui.assess.savry"),
                                           ctx.t("ui.assess.upload")])
with form_tab:
    saved = {"context": latest.get("context", {}), "factors": latest.get("factors", {})}
    start = drafts.restored(ctx, code, "assessment", "form-") or saved
    on = st.date_input(ctx.t("ui.assess.date"), swedish_today(), max_value=swedish_today(), key="form-date")
    with st.expander(ctx.t("ui.assess.context"), expanded=True, key="form-context"):
        context = context_inputs(ctx, "form", start["context"])
    st.markdown(f"**{ctx.t('ui.assess.factors')}**")
    factors = factor_inputs(ctx, "form", start["factors"])
    with st.expander(ctx.t("ui.assess.history"), expanded=True, key="form-history"):  # numbers, not ratings
        factors |= history_inputs(ctx, "form", start["factors"])
    drafts.keep(ctx, code, "assessment", {"context": context, "factors": factors})
    st.markdown(rated_count(ctx, factors))
    if st.button(ctx.t("ui.assess.save"), type="primary", key="save-form"):
        save({"context": context, "factors": factors}, "factors", on, "assessment")
with savry_tab:
    saved = {"context": latest.get("context", {}), "savry": latest.get("instruments", {}).get("savry", {}),
             "history": latest.get("factors", {})}
    start = drafts.restored(ctx, code, "savry", "savry-") or saved
    on = st.date_input(ctx.t("ui.assess.date"), swedish_today(), max_value=swedish_today(), key="savry-date")
    st.caption(ctx.t("ui.assess.savry_note"))
    with st.expander(ctx.t("ui.assess.context"), expanded=True, key="savry-context"):
        context = context_inputs(ctx, "savry", start["context"])
    answers = savry_inputs(ctx, "savry", start["savry"])
    with st.expander(ctx.t("ui.assess.history"), expanded=True, key="savry-history"):
        history = history_inputs(ctx, "savry", start["history"])
    drafts.keep(ctx, code, "savry", {"context": context, "savry": answers, "history": history})
    if st.button(ctx.t("ui.assess.save"), type="primary", key="save-savry"):
        save({"context": context, "factors": history, "instruments": {"savry": answers}}, "savry", on, "savry")
with upload_tab:
    uploaded = st.file_uploader(ctx.t("ui.assess.upload_file"), type=["json"], key="case-file")
    if uploaded is not None and st.button(ctx.t("ui.assess.save"), key="save-upload", type="primary"):
        try:
            uploaded_case = case_from_bytes(uploaded.getvalue(), uploaded.name)
        except InputError as exc:
            report(ctx, exc)
        else:
            save(uploaded_case, "file", swedish_today(), "upload")
