"""The unit a catalogue or report page works on: the user's own, or one chosen by a user without a unit."""

from __future__ import annotations

import streamlit as st

from ui.shared.context import Page


def current_unit(ctx: Page) -> str:
    units = ctx.store.units(ctx.user)
    if not units:
        st.info(ctx.t("ui.catalogue.no_units"))
        st.stop()
    if len(units) == 1:
        st.caption(ctx.t("ui.catalogue.unit") + f": {units[0]}")
        return units[0]
    return str(st.selectbox(ctx.t("ui.catalogue.unit"), units, key="unit-choice"))
