"""The rule base to read: search and filter the insatser, then read one as a card."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from matcher.auth import Role
from matcher.engine.cards import STRENGTHS, TYPES, find_interventions, intervention_card
from ui.rules.local_context import local_context
from ui.shared.context import page
from ui.shared.rule_card import show_card

ctx = page()
rules = ctx.rules
st.title(ctx.t("ui.rules_browse.title"))
st.caption(ctx.t("ui.rules_browse.version", count=len(rules.interventions), rule_base=rules.content_hash[:19],
                 evidence=rules.evidence_snapshot.isoformat()))

text = st.text_input(ctx.t("ui.rules_browse.search"), key="rules_browse_search",
                     placeholder=ctx.t("ui.rules_browse.search_hint"))
by_type, by_age, by_strength = st.columns(3)
types = by_type.multiselect(ctx.t("card.type"), TYPES, format_func=lambda v: ctx.t(f"card.type.{v}"),
                            key="rules_browse_types", placeholder=ctx.t("ui.rules_browse.all"))
age_fact = rules.catalogue.fact("age")
age = by_age.number_input(ctx.t("ui.rules_browse.age"), min_value=age_fact.min, max_value=age_fact.max, value=None,
                          step=1, key="rules_browse_age", placeholder=ctx.t("ui.rules_browse.all"))
strengths = by_strength.multiselect(ctx.t("card.strength"), STRENGTHS, format_func=lambda v: ctx.t(f"strength.{v}"),
                                    key="rules_browse_strengths", placeholder=ctx.t("ui.rules_browse.all"))

found = find_interventions(rules, text, types, None if age is None else int(age), strengths)
if not found:
    st.info(ctx.t("ui.rules_browse.none"))
    st.stop()

cards = {iid: intervention_card(rules, iid, ctx.lang) for iid in found}
st.caption(ctx.t("ui.rules_browse.found", found=len(found), count=len(rules.interventions)))


def _name(iid: str) -> str:
    card = cards[iid]
    return card["name"] + (f" {ctx.t('ui.rules_browse.do_not_offer')}" if card["do_not_offer"] else "")


table = pd.DataFrame([{
    ctx.t("ui.rules_browse.name"): _name(iid),
    ctx.t("card.type"): card["facts"][ctx.t("card.type")],
    ctx.t("card.age"): "-".join(map(str, rules.interventions[rules.index(iid)].age_range)),
    ctx.t("card.intensity"): card["facts"][ctx.t("card.intensity")],
    ctx.t("card.strength"): card["strength_label"],
} for iid, card in cards.items()])
st.dataframe(table, hide_index=True, width="stretch")

chosen = st.selectbox(ctx.t("ui.rules_browse.open"), found, key="rules_browse_pick", format_func=_name)
show_card(ctx, cards[chosen])
if ctx.user.role is Role.METHODOLOGIST:
    local_context(ctx, chosen)
