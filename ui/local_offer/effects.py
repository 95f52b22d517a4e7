"""Local effects for managers and evaluators: how young people who got an insats fared at 6 and 12 months against
similar young people in the unit who did not, per profile group; groups only, observational, labelled synthetic."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import streamlit as st

from matcher import InputError
from matcher.auth import AccessDenied
from matcher.documents.effects_report import (
    effects_chart,
    effects_html,
    effects_json,
    effects_markdown,
    heading,
    insats_intro,
    table_rows,
)
from matcher.i18n import swedish_today
from matcher.local.effects import HORIZONS, EffectsReport
from ui.shared.context import Page, page, report
from ui.shared.remembered import remembered

READ = "effects-report"  # the report last read in this session (``remembered``: unit, period, user)


def read(ctx: Page, unit: str, start: dt.date, end: dt.date) -> EffectsReport | None:
    """The report, read once per unit and period in a session (each read is audited); switching the horizon or
    the language does not read it again."""
    def audited() -> EffectsReport:
        with st.spinner(ctx.t("ui.effects.reading")):
            return ctx.store.effects_report(ctx.user, unit, start, end)

    try:
        return remembered(READ, (unit, start, end, ctx.user.username), audited)
    except (InputError, AccessDenied) as exc:
        report(ctx, exc)
        return None


ctx = page()
st.title(ctx.t("ui.page.effects"))
st.caption(ctx.t("ui.effects.intro"))
units = ctx.store.effects_units(ctx.user)
if not units:
    st.info(ctx.t("ui.catalogue.no_units"))
    st.stop()
unit = units[0] if len(units) == 1 else str(st.selectbox(ctx.t("ui.catalogue.unit"), units, key="effects-unit"))
today = swedish_today()
left, middle, right = st.columns(3)
start = left.date_input(ctx.t("ui.effects.from"), dt.date(today.year - 4, 1, 1), max_value=today,
                        format="YYYY-MM-DD", key="effects-from")
end = middle.date_input(ctx.t("ui.effects.to"), today, max_value=today, format="YYYY-MM-DD", key="effects-to")
months = right.radio(ctx.t("ui.effects.months"), HORIZONS, index=1, horizontal=True, key="effects-months",
                     format_func=lambda m: ctx.t("ui.effects.months_value", months=m))
effects = read(ctx, unit, start, end)
if effects is None:
    st.stop()
title, *intro = heading(effects, ctx.lang)
st.subheader(title)
synthetic = ctx.t("effects.synthetic", synthetic=effects.synthetic)
for line in intro:
    (st.error if line == synthetic else st.markdown)(line)
st.warning(ctx.t("effects.caveat"))
st.markdown(ctx.t("effects.how"))
if not effects.insatser:
    st.info(ctx.t("effects.empty"))
    st.stop()
chart = remembered("effects-chart", (effects, ctx.lang, ctx.rules.content_hash),
                   lambda: effects_chart(effects, ctx.rules, ctx.lang))
if chart:
    st.image(chart)
names = {iv.id: iv.model.name.get(ctx.lang) for iv in ctx.rules.interventions}
for item in effects.insatser:
    st.markdown(f"#### {names.get(item.intervention, item.intervention)}")
    st.caption(insats_intro(item, effects.min_group, ctx.lang))
    if item.cells:
        header, *rows = table_rows(effects, ctx.rules, item, int(months), ctx.lang)
        st.dataframe(pd.DataFrame(rows, columns=header), hide_index=True, key=f"effects-{item.intervention}")
stem = f"effekter-{unit}-{start}-{end}"
first, second, third = st.columns(3)
first.download_button(ctx.t("ui.effects.download_md"), effects_markdown(effects, ctx.rules, ctx.lang),
                      file_name=f"{stem}.md", mime="text/markdown", key="effects-md", on_click="ignore")
second.download_button(ctx.t("ui.effects.download_html"), lambda: effects_html(effects, ctx.rules, ctx.lang, chart),
                       file_name=f"{stem}.html", mime="text/html", key="effects-html", on_click="ignore")
third.download_button(ctx.t("ui.effects.download_json"),
                      lambda: json.dumps(effects_json(effects, ctx.rules, ctx.lang), ensure_ascii=False, indent=2),
                      file_name=f"{stem}.json", mime="application/json", key="effects-json", on_click="ignore")
