"""Beside an insats's evidence, for methodologists: what the unit's own follow-ups say (the effects report's
one line), shown on request and never an input to the ranking."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from matcher import InputError
from matcher.auth import AccessDenied
from matcher.documents.effects_report import context_line
from matcher.i18n import swedish_today
from ui.shared.context import Page, report

YEARS = 4


def local_context(ctx: Page, iid: str) -> None:
    st.markdown(f"**{ctx.t('ui.effects.context_heading')}**")
    if not st.toggle(ctx.t("ui.effects.context_show", years=YEARS), key=f"local-context-{iid}"):
        return  # the report takes seconds: read only when asked for
    units = ctx.store.effects_units(ctx.user)
    if not units:
        st.info(ctx.t("ui.catalogue.no_units"))
        return
    unit = str(st.selectbox(ctx.t("ui.effects.context_unit"), units, key=f"local-context-unit-{iid}"))
    today = swedish_today()
    try:
        effects = ctx.store.effects_report(ctx.user, unit, dt.date(today.year - YEARS, 1, 1), today,
                                           interventions=[iid])
    except (InputError, AccessDenied) as exc:
        report(ctx, exc)
        return
    st.info(context_line(effects, iid, ctx.lang))
