"""A recommendation result on screen: risk, ranked cards with the score split into its terms, evidence,
warnings, and the why-not of every other insats."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from matcher.engine.render import caption
from matcher.engine.scoring import TERMS
from matcher.i18n import number
from ui.shared.context import Page, synthetic_badge


def term_chart(ctx: Page, rec: dict[str, Any]) -> alt.Chart:
    names = [ctx.t(f"term.{name}") for name in TERMS]
    data = pd.DataFrame({"term": names, "points": [rec["terms"][name] for name in TERMS], "row": rec["name"]})
    return alt.Chart(data).mark_bar(size=26).encode(
        x=alt.X("sum(points):Q", title=ctx.t("ui.score"), scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("row:N", title=None, axis=None),
        color=alt.Color("term:N", title=None, sort=names, legend=None),
        order=alt.Order("order:Q"),
        tooltip=["term:N", "points:Q"],
    ).transform_calculate(order=f"indexof({names!r}, datum.term)").properties(height=40)


def evidence_badge(ctx: Page, rec: dict[str, Any]) -> str:
    counted = [e for e in rec["evidence"] if e["counted"]]
    best = max(counted, key=lambda e: ["harmful", "insufficient", "limited", "moderate", "strong"]
               .index(e["strength"]), default=None)
    if best is None:
        return ctx.t("ui.result.no_evidence")
    link = f"[{best['source']}]({best['url']})" if best["url"] else best["source"]
    return ctx.t("ui.result.evidence_badge", strength=ctx.t(f"strength.{best['strength']}"),
                 clearinghouse=best["clearinghouse"], rating=best["rating_label"], source=link, read=best["read"])


STATUS_COLORS = {"offered": "green", "waiting": "orange", "not_offered": "red", "unlisted": "gray"}


def availability_note(ctx: Page, entry: dict[str, Any]) -> None:
    """Beside a recommendation: whether the unit offers it, a licence warning, the nearest offered alternative."""
    st.markdown(f":{STATUS_COLORS[entry['status']]}-badge[{entry['label']}] {entry['text']}")
    if "fidelity_warning" in entry:
        st.warning(entry["fidelity_warning"], icon=":material/verified:")
    if "alternative" in entry:
        st.info(entry["alternative"]["text"], icon=":material/alt_route:")


def show(ctx: Page, res: dict[str, Any]) -> None:
    """The result; with an ``availability`` entry (``matcher.local.availability``), each card says what the unit
    offers."""
    if res["act_first"]:  # safety first: before the risk level and any insats
        st.subheader(ctx.t("text.act_first"))
        for action in res["act_first"]:
            st.error(f"**{action['trigger']}**\n\n{action['action']}\n\n{ctx.t('text.act_first_who')}: "
                     f"{action['who']} ({ctx.t('text.act_first_when.' + action['when_by'])})",
                     icon=":material/emergency:")
    risk = res["risk"]
    st.subheader(ctx.t("text.risk", level=risk["label"], score=number(ctx.lang, risk["score"])) + synthetic_badge(
        ctx, res["synthetic"]))
    if "note" in risk:
        st.info(risk["note"])
    if risk["welfare_needs"]:
        st.markdown(f"**{ctx.t('text.welfare_needs')}:** " + ", ".join(f"{w['name']} ({w['rating']})"
                                                                       for w in risk["welfare_needs"]))
    with st.expander(ctx.t("text.points")):
        if risk.get("intercept"):  # a trained model's starting value: with the points it adds up to the score
            st.caption(ctx.t("text.intercept", value=number(ctx.lang, risk["intercept"], sign=True)))
        st.dataframe(pd.DataFrame(risk["points"]), hide_index=True, key="points-table")
    for warning in res["warnings"]:
        st.warning(warning["message"])
    st.subheader(ctx.t("text.recommendations"))
    if not res["recommendations"]:
        st.info(ctx.t("text.no_recommendations"))
    available = res.get("availability")
    if available:
        st.caption(caption(available, ctx.lang))
    for rec in res["recommendations"]:
        with st.container(border=True):
            terms = " + ".join(f"{ctx.t(f'term.{name}')} {number(ctx.lang, rec['terms'][name], 2)}" for name in TERMS)
            st.markdown(f"**{rec['rank']}. {rec['name']}** – {ctx.t('ui.score')} {number(ctx.lang, rec['score'], 2)} "
                        f"({terms})")
            st.altair_chart(term_chart(ctx, rec), width="stretch")
            st.caption(evidence_badge(ctx, rec))
            if available:
                availability_note(ctx, available["items"][rec["id"]])
            st.markdown("\n".join(f"- {reason}" for reason in rec["reasons"]))
            with st.expander(ctx.t("ui.evidence")):
                st.dataframe(pd.DataFrame(rec["evidence"]), hide_index=True, key=f"evidence-{rec['id']}")
    with st.expander(ctx.t("text.not_recommended")):
        st.markdown("\n".join(f"- **{item['name']}**: {' '.join(item['reasons'])}" for item in res["not_recommended"]))
    st.caption(ctx.t("text.version", **res["version"]))
