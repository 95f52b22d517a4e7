"""The assessment form: context facts and factor ratings grouped by domain, with help text per factor."""

from __future__ import annotations

from typing import Any

import streamlit as st

from matcher.rulebase.factors import HISTORY
from ui.shared.context import Page

NOT_RATED = None


def context_inputs(ctx: Page, prefix: str, initial: dict[str, Any]) -> dict[str, Any]:
    cat = ctx.rules.catalogue
    values: dict[str, Any] = {}
    columns = st.columns(3)
    for i, fact in enumerate(cat.context):
        name, help_text, key = fact.name.get(ctx.lang), fact.description.get(ctx.lang), f"{prefix}-ctx-{fact.id}"
        current = initial.get(fact.id)
        with columns[i % 3]:
            if fact.type == "bool":
                values[fact.id] = st.checkbox(name, value=bool(current), help=help_text, key=key)
            elif fact.type == "int":
                low, high = int(fact.min or 0), int(fact.max or 0)
                start = int(current) if isinstance(current, int) and low <= current <= high else 15
                values[fact.id] = int(st.number_input(name, low, high, start, step=1, help=help_text, key=key))
            else:
                options = list(fact.values or [])
                labels = dict(zip(options, (fact.labels or {}).get(ctx.lang, options), strict=True))  # type: ignore[call-overload]
                index = options.index(current) if current in options else options.index(fact.default) \
                    if fact.default in options else 0
                values[fact.id] = st.selectbox(name, options, index=index, format_func=labels.get, help=help_text,
                                               key=key)
    return values


def factor_inputs(ctx: Page, prefix: str, initial: dict[str, Any]) -> dict[str, int]:
    cat = ctx.rules.catalogue
    ratings: dict[str, int] = {}
    for domain, title in cat.model.domains.items():
        members = [f for f in cat.factors if f.domain == domain]
        if not members or domain == HISTORY:  # asked for on its own (history_inputs)
            continue
        with st.expander(title.get(ctx.lang), expanded=False):
            for factor in members:
                scale = cat.scale(factor)
                options = [NOT_RATED, *scale.values]
                current = initial.get(factor.id)
                value = st.radio(
                    factor.name.get(ctx.lang), options, index=options.index(current) if current in options else 0,
                    format_func=lambda v, s=scale: ctx.t("ui.form.not_rated") if v is None else s.label(v, ctx.lang),
                    horizontal=True, help=factor.description.get(ctx.lang), key=f"{prefix}-f-{factor.id}")
                if value is not None:
                    ratings[factor.id] = int(value)
    return ratings


def savry_inputs(ctx: Page, prefix: str, initial: dict[str, str]) -> dict[str, str]:
    adapter = ctx.rules.instruments["savry"]
    answers: dict[str, str] = {}
    columns = st.columns(3)
    for i, item in enumerate(adapter.model.items):
        scale = adapter.model.scales[item.scale]
        shown = {word: alias for alias, word in scale.aliases.items()} if ctx.lang == "sv" else {}
        options = ["", *scale.values]
        current = initial.get(item.id, "")
        with columns[i % 3]:
            value = st.selectbox(
                f"{item.id} {item.name}", options, index=options.index(current) if current in options else 0,
                format_func=lambda w, s=shown: ctx.t("ui.form.not_rated") if w == "" else s.get(w, w),
                key=f"{prefix}-savry-{item.id}")
        if value:
            answers[item.id] = value
    return answers
