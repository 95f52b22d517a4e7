"""The assessment form: context facts and factor ratings grouped by domain in sections that fold, with help text
per factor and a count of what is rated; nothing is filled in for the social worker (no default age)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from matcher.rulebase.factors import HISTORY
from ui.shared.context import Page

NOT_RATED = None


def context_inputs(ctx: Page, prefix: str, initial: dict[str, Any]) -> dict[str, Any]:
    cat = ctx.rules.catalogue
    values: dict[str, Any] = {}
    columns = st.columns(2)
    for i, fact in enumerate(cat.context):
        name, help_text, key = fact.name.get(ctx.lang), fact.description.get(ctx.lang), f"{prefix}-ctx-{fact.id}"
        current = initial.get(fact.id)
        with columns[i % 2]:
            if fact.type == "bool":
                values[fact.id] = st.checkbox(name, value=bool(current), help=help_text, key=key)
            elif fact.type == "int":
                low, high = int(fact.min or 0), int(fact.max or 0)
                start = int(current) if isinstance(current, int) and low <= current <= high else None
                chosen = st.number_input(name, low, high, start, step=1, help=help_text, key=key,
                                         placeholder=ctx.t("ui.form.not_given"))
                values[fact.id] = None if chosen is None else int(chosen)
            else:
                options = list(fact.values or [])
                labels = dict(zip(options, (fact.labels or {}).get(ctx.lang, options), strict=True))  # type: ignore[call-overload]
                index = options.index(current) if current in options else options.index(fact.default) \
                    if fact.default in options else 0
                values[fact.id] = st.selectbox(name, options, index=index, format_func=labels.get, help=help_text,
                                               key=key)
    return values


def factor_inputs(ctx: Page, prefix: str, initial: dict[str, Any]) -> dict[str, int]:
    """One folding section per domain whose title counts what is rated in it."""
    cat = ctx.rules.catalogue
    ratings: dict[str, int] = {}
    for domain, title in cat.model.domains.items():
        members = [f for f in cat.factors if f.domain == domain]
        if not members or domain == HISTORY:  # asked for on its own (history_inputs)
            continue
        rated = sum(st.session_state.get(f"{prefix}-f-{f.id}", initial.get(f.id)) is not None for f in members)
        with st.expander(ctx.t("ui.form.domain", domain=title.get(ctx.lang), rated=rated, total=len(members)),
                         key=f"{prefix}-domain-{domain}"):
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


def rated_count(ctx: Page, ratings: dict[str, int]) -> str:
    """How many of the rating factors are rated (the registered history is numbers, asked for on its own)."""
    rated_ids = {f.id for f in ctx.rules.catalogue.factors if f.domain != HISTORY}
    rated = len(rated_ids & ratings.keys())
    return ctx.t("ui.form.counter", rated=rated, unrated=len(rated_ids) - rated, total=len(rated_ids))


def savry_label(ctx: Page, item: Any) -> str:
    """An item by its code and, in Swedish, by the names of the factors it is carried over to (the adapter keeps
    the instrument's English item names only, no licensed wording)."""
    if ctx.lang != "sv":
        return f"{item.id} {item.name}"
    cat = ctx.rules.catalogue
    return f"{item.id} – " + ", ".join(cat.factor(f).name.get(ctx.lang) for f in item.factors)


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
                savry_label(ctx, item), options, index=options.index(current) if current in options else 0,
                format_func=lambda w, s=shown: ctx.t("ui.form.not_rated") if w == "" else s.get(w, w),
                key=f"{prefix}-savry-{item.id}")
        if value:
            answers[item.id] = value
    return answers
