"""The registered criminal history on the assessment form (factors.yaml, domain criminal_history): counts and
ages as numbers, violence in the main offence as yes or no, each blank when not known (issue 16)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from matcher.rulebase.factors import HISTORY
from ui.shared.context import Page


def history_inputs(ctx: Page, prefix: str, initial: dict[str, Any]) -> dict[str, int]:
    """The history's values as the case format takes them (factor id -> whole number); blank ones left out."""
    cat = ctx.rules.catalogue
    values: dict[str, int] = {}
    st.caption(ctx.t("ui.assess.history_note"))
    members = [f for f in cat.factors if f.domain == HISTORY]
    columns = st.columns(len(members) or 1)
    for column, factor in zip(columns, members, strict=False):
        scale = cat.scale(factor)
        current = initial.get(factor.id)
        name, help_text, key = factor.name.get(ctx.lang), factor.description.get(ctx.lang), f"{prefix}-h-{factor.id}"
        with column:
            if scale.numeric:
                start = current if isinstance(current, int) and current in scale.values else None
                value = st.number_input(name, scale.values[0], scale.values[-1], start, step=1, help=help_text,
                                        key=key, placeholder=ctx.t("ui.assess.unknown"))
            else:
                options = [None, *scale.values]
                value = st.radio(name, options, index=options.index(current) if current in options else 0,
                                 format_func=lambda v, s=scale: ctx.t("ui.assess.unknown") if v is None
                                 else s.label(v, ctx.lang), help=help_text, key=key)
        if value is not None:
            values[factor.id] = int(value)
    return values
