"""The audit log (admin): newest first, a page at a time, by case code or actor; and the chain check.
Actions are shown in words, times in Swedish time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from matcher import InputError
from matcher.auth import AccessDenied
from matcher.i18n import catalogue
from ui.shared.context import Page, page, report, swedish_time

SIZES = (25, 50, 100, 500)


def action_words(ctx: Page, code: str) -> str:
    """An action code of the log in words; a code that only older versions wrote is shown as it is."""
    if code.startswith("denied:"):
        return ctx.t("audit.denied", what=action_words(ctx, code.removeprefix("denied:")))
    return catalogue(ctx.lang).get(f"audit.action.{code}", code)


ctx = page()
st.title(ctx.t("ui.page.audit"))
st.caption(ctx.t("ui.audit.intro"))
if st.button(ctx.t("ui.audit.verify"), type="primary", key="audit-verify"):
    try:
        problems = ctx.store.verify_audit(ctx.user)
    except AccessDenied as exc:
        report(ctx, exc)
    else:
        if problems:
            st.error(ctx.t("ui.audit.broken", n=len(problems)) + "\n" + "".join(f"\n- {p}" for p in problems))
        else:
            st.success(ctx.t("ui.audit.intact"))

case_col, actor_col, size_col, page_col = st.columns([2, 2, 1, 1])
case_code = case_col.text_input(ctx.t("ui.audit.case"), key="audit-case").strip()
actor = actor_col.text_input(ctx.t("ui.audit.actor"), key="audit-actor").strip()
size = int(size_col.selectbox(ctx.t("ui.audit.size"), SIZES, key="audit-size") or SIZES[0])
number = int(page_col.number_input(ctx.t("ui.audit.page"), min_value=1, value=1, step=1, key="audit-page"))
try:
    entries, total = ctx.store.audit_entries(ctx.user, case_code=case_code or None, actor=actor or None,
                                             limit=size, offset=(number - 1) * size)
except (InputError, AccessDenied) as exc:
    report(ctx, exc)
    st.stop()
pages = max(1, -(-total // size))
if not entries:
    st.info(ctx.t("ui.audit.none", page=number, pages=pages))
else:
    offset = (number - 1) * size
    st.caption(ctx.t("ui.audit.shown", first=offset + 1, last=offset + len(entries), total=total, page=number,
                     pages=pages))
    rows = [{ctx.t("ui.audit.seq"): e["seq"], ctx.t("ui.audit.at"): swedish_time(e["at"], seconds=True),
             ctx.t("ui.audit.actor"): e["actor"], ctx.t("ui.audit.action"): action_words(ctx, e["action"]),
             ctx.t("ui.audit.case"): e["case_code"] or "", ctx.t("ui.audit.detail"): e["detail"]} for e in entries]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="audit-table",
                 height=36 * (min(len(entries), SIZES[0]) + 1))
