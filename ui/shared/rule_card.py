"""An intervention's card on screen (matcher.engine.cards.intervention_card): a do-not-offer warning first, then the
facts, the conditions in words, what it targets, the evidence with sources, and its warnings."""

from __future__ import annotations

from typing import Any

import streamlit as st

from matcher.i18n import number
from ui.shared.context import Page


def do_not_offer_warning(ctx: Page, card: dict[str, Any]) -> None:
    """The warning of a do-not-offer entry, shown first wherever the entry is looked up."""
    if card["do_not_offer"]:
        for warning in card["warnings"]:
            if warning["code"] == "do_not_offer":
                st.error(ctx.t("lookup.do_not_offer", message=warning["message"]))


def show_card(ctx: Page, card: dict[str, Any]) -> None:
    do_not_offer_warning(ctx, card)
    with st.container(border=True):
        st.subheader(ctx.t("lookup.card", name=card["name"], id=card["id"]))
        st.write(card["summary"])
        facts = {**card["facts"], ctx.t("card.strength"): card["strength_label"]}
        st.markdown("\n".join(f"- **{key}:** {value}" for key, value in facts.items()))
        if card["status"]:
            st.info(ctx.t("ui.rule_card.status", status="; ".join(card["status"])))
        _conditions(ctx, card)
        for key, rows in (("card.targets", card["targets"]), ("card.leverages", card["leverages"])):
            if rows:
                st.markdown(f"**{ctx.t(key)}:** " + ", ".join(f"{r['factor']} ({number(ctx.lang, r['weight'])})"
                                                              for r in rows))
        st.markdown(f"**{ctx.t('ui.evidence')}**")
        st.markdown("\n".join(_evidence_line(ctx, entry) for entry in card["evidence"]))
        for warning in card["warnings"]:
            if warning["code"] != "do_not_offer":
                when = ctx.t("ui.rule_card.when", when=warning["when"]) if warning["when"] else ""
                st.warning(warning["message"] + when)


def _conditions(ctx: Page, card: dict[str, Any]) -> None:
    st.markdown(f"**{ctx.t('card.eligibility')}**")
    if card["eligibility"]:
        st.markdown("\n".join(f"- {part}" for part in card["eligibility"]))
    else:
        st.caption(ctx.t("ui.rule_card.no_eligibility"))
    if card["contraindications"]:
        st.markdown(f"**{ctx.t('card.contraindications')}**")
        st.markdown("\n".join(f"- {c['when']}: {c['reason']}  \n  *{ctx.t('card.source')}: {c['source']} "
                               f"({c['confidence_label']})*" for c in card["contraindications"]))
    if card["priority"]:
        st.markdown(f"**{ctx.t('card.priority')}:** {card['priority']['when']}: {card['priority']['reason']}")


def _evidence_line(ctx: Page, entry: dict[str, Any]) -> str:
    source = f"[{entry['source']}]({entry['url']})" if entry["url"] else entry["source"]
    line = ctx.t("ui.rule_card.evidence", clearinghouse=entry["clearinghouse"], rating=entry["rating_label"],
                 strength=ctx.t(f"strength.{entry['strength']}"), confidence=entry["confidence_label"],
                 source=source, read=entry["read"])
    if not entry["counted"]:
        line += " " + ctx.t("ui.rule_card.not_counted")
    if entry.get("note"):
        line += f"  \n  _{entry['note']}_"
    return f"- {line}"
