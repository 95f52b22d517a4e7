"""A recommendation result on screen, conclusion first: the act-first actions, the risk level with its main drivers
and the top recommendations with one line of why and whether the unit offers them fit on one screen; the score
terms, every reason, the evidence, why the others were not recommended and the full version stamp are one click
away. Source notes stay on the methodologists' pages."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from matcher.engine.render import caption
from matcher.engine.risk import shown_points
from matcher.engine.scoring import TERMS
from matcher.i18n import number
from ui.shared.context import Page, synthetic_badge

DRIVERS = 3  # factors named beside the risk level
TERM_COLORS = ["#1b6ca8", "#5fa8d3", "#2e8b57", "#a3c9a8"]  # calm blues and greens: no term reads as an alarm
STATUS_COLORS = {"offered": "green", "waiting": "orange", "not_offered": "red", "unlisted": "gray"}


def risk_summary(ctx: Page, res: dict[str, Any]) -> None:
    """The level, its score in whole points and the factors that weigh most; the points table one click away,
    its rows (the model's constant among them) adding up to the score shown."""
    risk = res["risk"]
    base, parts, score = shown_points(risk.get("intercept", 0.0), [p["points"] for p in risk["points"]], 0)
    st.subheader(ctx.t("text.risk", level=risk["label"], score=round(score)) + synthetic_badge(ctx, res["synthetic"]))
    if "note" in risk:
        st.info(risk["note"])
    drivers = [f"{p['name']} ({p['rating']})" for p in risk["points"] if p["points"] > 0][:DRIVERS]
    if drivers:
        st.markdown(ctx.t("ui.result.drivers", factors=", ".join(drivers)))
    if risk["welfare_needs"]:
        st.markdown(f"**{ctx.t('text.welfare_needs')}:** " + ", ".join(f"{w['name']} ({w['rating']})"
                                                                       for w in risk["welfare_needs"]))
    with st.expander(ctx.t("text.points")):
        rows = [(ctx.t("ui.result.base"), "", base)] * bool(base) + [
            (p["name"], p["rating"], part) for p, part in zip(risk["points"], parts, strict=True)] + [
            (ctx.t("ui.result.total"), "", score)]
        st.dataframe(pd.DataFrame([{ctx.t("ui.result.factor"): name, ctx.t("ui.result.rating"): rating,
                                    ctx.t("ui.result.points"): number(ctx.lang, value, 0)}
                                   for name, rating, value in rows]), hide_index=True, key="points-table")


def evidence_line(ctx: Page, rec: dict[str, Any]) -> str:
    """The strongest counted rating in one line, without source notes."""
    counted = [e for e in rec["evidence"] if e["counted"]]
    best = max(counted, key=lambda e: ["harmful", "insufficient", "limited", "moderate", "strong"]
               .index(e["strength"]), default=None)
    if best is None:
        return ctx.t("ui.result.no_evidence")
    return ctx.t("ui.result.evidence_badge", strength=ctx.t(f"strength.{best['strength']}"),
                 clearinghouse=best["clearinghouse"], rating=best["rating_label"])


def evidence_table(ctx: Page, rec: dict[str, Any]) -> None:
    """Every rating in words, with a link to read more; which of them count in the score."""
    yes, no = ctx.t("ui.yes"), ctx.t("ui.no")
    st.dataframe(pd.DataFrame([{
        ctx.t("ui.result.clearinghouse"): e["clearinghouse"],
        ctx.t("ui.result.rating_given"): e["rating_label"],
        ctx.t("ui.result.strength"): ctx.t(f"strength.{e['strength']}"),
        ctx.t("ui.result.counted"): yes if e["counted"] else no,
        ctx.t("ui.result.confidence"): ctx.t(f"card.confidence.{e['confidence']}"),
        ctx.t("ui.result.read_more"): e["url"] or None,
    } for e in rec["evidence"]]), hide_index=True, key=f"evidence-{rec['id']}",
        column_config={ctx.t("ui.result.read_more"): st.column_config.LinkColumn(display_text=ctx.t("ui.result.open"))})


def score_chart(ctx: Page, recs: list[dict[str, Any]]) -> alt.Chart:
    """The score of each recommendation split into its four terms, in whole points, with a legend."""
    names = [ctx.t(f"term.{name}") for name in TERMS]
    rows = []
    for rec in recs:
        for name, part in zip(names, shown_points(0.0, [rec["terms"][term] for term in TERMS], 0)[1], strict=True):
            rows.append({"insats": f"{rec['rank']}. {rec['name']}", "term": name, "points": part})
    return alt.Chart(pd.DataFrame(rows)).mark_bar().encode(
        x=alt.X("sum(points):Q", title=ctx.t("ui.result.points"), scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("insats:N", title=None, sort=None, axis=alt.Axis(labelLimit=360, labelOverlap=False)),
        color=alt.Color("term:N", title=ctx.t("ui.result.term"), sort=names,
                        scale=alt.Scale(domain=names, range=TERM_COLORS),
                        legend=alt.Legend(orient="bottom", direction="horizontal")),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("insats:N", title=ctx.t("ui.decision.insats")),
                 alt.Tooltip("term:N", title=ctx.t("ui.result.term")),
                 alt.Tooltip("points:Q", title=ctx.t("ui.result.points"))],
    ).transform_calculate(order=f"indexof({names!r}, datum.term)").properties(height=48 * len(recs))


def recommendation(ctx: Page, rec: dict[str, Any], entry: dict[str, Any] | None) -> None:
    """One recommendation: name, whole-point score and local offer on one line, its main reason below; the
    rest one click away."""
    with st.container(border=True):
        badge = f" :{STATUS_COLORS[entry['status']]}-badge[{entry['label']}]" if entry else ""
        st.markdown(f"**{rec['rank']}. {rec['name']}** · {ctx.t('ui.score')} {round(rec['score'])}{badge}")
        st.markdown(rec["reasons"][0])
        if entry and "alternative" in entry:  # not offered here: what is, right beside it
            st.caption(entry["alternative"]["text"])
        with st.expander(ctx.t("ui.result.details")):
            _, terms, score = shown_points(0.0, [rec["terms"][name] for name in TERMS], 0)
            shown = [f"{ctx.t(f'term.{n}')} {number(ctx.lang, part, 0)}" for n, part in zip(TERMS, terms, strict=True)]
            st.markdown(ctx.t("ui.result.terms", terms=", ".join(shown), score=number(ctx.lang, score, 0)))
            st.markdown("\n".join(f"- {reason}" for reason in rec["reasons"]))
            if entry:
                st.markdown(entry["text"])
                if "fidelity_warning" in entry:
                    st.warning(entry["fidelity_warning"], icon=":material/verified:")
            st.caption(evidence_line(ctx, rec))
            evidence_table(ctx, rec)


def version_stamp(ctx: Page, version: dict[str, str]) -> None:
    """The rule base by its first eight hex digits; the full stamp on demand."""
    short = version["rule_base"].removeprefix("sha256:")[:8]
    st.caption(ctx.t("text.version", rule_base=short, model=version["model"],
                     evidence_snapshot=version["evidence_snapshot"]))
    with st.popover(ctx.t("ui.result.full_version")):
        st.markdown(ctx.t("ui.result.stamp", **version))


def show(ctx: Page, res: dict[str, Any]) -> None:
    """The result; with an ``availability`` entry (``matcher.local.availability``), each card says what the unit
    offers."""
    if res["act_first"]:  # safety first: before the risk level and any insats
        st.subheader(ctx.t("text.act_first"))
        for action in res["act_first"]:
            st.error(f"**{action['trigger']}**\n\n{action['action']}\n\n{ctx.t('text.act_first_who')}: "
                     f"{action['who']} ({ctx.t('text.act_first_when.' + action['when_by'])})",
                     icon=":material/emergency:")
    risk_summary(ctx, res)
    if res["warnings"]:
        st.warning("\n".join(f"- {warning['message']}" for warning in res["warnings"]))
    st.subheader(ctx.t("text.recommendations"))
    if not res["recommendations"]:
        st.info(ctx.t("text.no_recommendations"))
    available = res.get("availability")
    for rec in res["recommendations"]:
        recommendation(ctx, rec, available["items"][rec["id"]] if available else None)
    if available:
        st.caption(caption(available, ctx.lang))
    if res["recommendations"]:
        with st.expander(ctx.t("ui.result.compare")):
            st.altair_chart(score_chart(ctx, res["recommendations"]), width="stretch")
    with st.expander(ctx.t("text.not_recommended")):
        st.markdown("\n".join(f"- **{item['name']}**: {' '.join(item['reasons'])}" for item in res["not_recommended"]))
    version_stamp(ctx, res["version"])
