"""The service-gap report for managers: recommended insatser the unit could not offer or only after a wait,
waiting times and under-dosing, for a period; as a table, charts, CSV and PDF. Counts only, no cases."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from matcher import InputError
from matcher.auth import AccessDenied
from matcher.documents.gap_report import (
    AVAILABILITY_COLUMNS,
    DOSE_COLUMNS,
    cell,
    gap_charts,
    gap_csv,
    gap_pdf,
    gap_rows,
    heading,
)
from matcher.i18n import swedish_today
from ui.shared.context import page, report
from ui.shared.remembered import remembered
from ui.shared.unit_choice import current_unit

ctx = page()
st.title(ctx.t("ui.page.gaps"))
unit = current_unit(ctx)
today = swedish_today()  # the report counts Swedish calendar days
left, middle, right = st.columns(3)
start = left.date_input(ctx.t("ui.gaps.from"), today.replace(month=1, day=1), key="gaps-from")
end = middle.date_input(ctx.t("ui.gaps.to"), today, key="gaps-to")
top_k = right.number_input(ctx.t("ui.gaps.top_k"), 1, ctx.rules.policy.top_k, ctx.rules.policy.top_k,
                           key="gaps-top")
try:
    gaps = ctx.store.gap_report(ctx.user, unit, start, end, int(top_k))
except (InputError, AccessDenied) as exc:
    report(ctx, exc)
    st.stop()
title, *intro = heading(gaps, ctx.lang)
st.subheader(title)
st.markdown("  \n".join([*intro, ctx.t("gaps.how")]))
if not gaps.rows:
    st.info(ctx.t("gaps.empty"))
    st.stop()
rows = gap_rows(gaps, ctx.rules, ctx.lang)
dosed = [row for row in rows if row["dose_compared"] or row["dose_not_recorded"]]
# two static tables that fit the page and wrap their headings: what the unit could offer, and the dose given;
# the figures written as in the PDF (Swedish decimal comma, blank where a figure does not apply)
for columns, shown in ((AVAILABILITY_COLUMNS, rows), (DOSE_COLUMNS, dosed)):
    if shown:
        st.table(pd.DataFrame([[cell(row[c], c, ctx.lang) for c in columns] for row in shown],
                              columns=[ctx.t(f"gaps.column.{c}") for c in columns]).set_index(
            ctx.t("gaps.column.name")))
charts = remembered("gaps-charts", (gaps, ctx.lang, ctx.rules.content_hash),
                    lambda: gap_charts(gaps, ctx.rules, ctx.lang))
for png in charts:
    st.image(png)
stem = f"tjanstegap-{unit}-{start}-{end}"
left, right = st.columns(2)
left.download_button(ctx.t("ui.gaps.download_csv"), gap_csv(gaps, ctx.rules, ctx.lang), file_name=f"{stem}.csv",
                     mime="text/csv", key="gaps-csv", on_click="ignore")
# the PDF (about 1.5 s for 30 insatser) is laid out only when it is asked for
right.download_button(ctx.t("ui.gaps.download_pdf"), lambda: gap_pdf(gaps, ctx.rules, ctx.lang, charts),
                      file_name=f"{stem}.pdf", mime="application/pdf", key="gaps-pdf", on_click="ignore")
