"""Recommendations for the current case's latest assessment, a what-if panel, and the decision."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from matcher import InputError, encode_cases, explain, match
from matcher.auth import AccessDenied
from matcher.local.availability import availability
from matcher.modelling.model_change import model_change
from ui.shared.case_choice import current_case
from ui.shared.context import Page, page, report, swedish_time
from ui.shared.result_view import show

OUTCOMES = ("accepted", "declined")


def recommend(ctx: Page, case: dict[str, Any], with_availability: bool = False) -> dict[str, Any]:
    """The explained result; with availability from the unit's catalogue when asked and the unit has one."""
    result = match(encode_cases([(ctx.t("ui.case_json"), case)], ctx.rules), ctx.rules, ctx.model)
    res = explain(result, 0, ctx.lang)
    stored = ctx.store.catalogue(ctx.user, ctx.user.unit) if with_availability and ctx.user.unit else None
    if stored is not None:
        res["availability"] = availability(result, 0, stored.catalogue, stored.version, dt.date.today(), ctx.lang)
    elif with_availability:
        st.info(ctx.t("availability.no_catalogue", unit=ctx.user.unit or "-"))
    return res


def what_if(ctx: Page, case: dict[str, Any], before: dict[str, Any]) -> None:
    cat = ctx.rules.catalogue
    factor = st.selectbox(ctx.t("ui.whatif.factor"), [f.id for f in cat.factors], key="whatif-factor",
                          format_func=lambda fid: cat.factor(fid).name.get(ctx.lang))
    scale = cat.scale(cat.factor(factor))
    current = case.get("factors", {}).get(factor)
    value = st.radio(ctx.t("ui.whatif.value", current=cat.factor_label(cat.factor(factor), -1 if current is None
                                                                          else current, ctx.lang)),
                     scale.values, format_func=lambda v: scale.label(v, ctx.lang), horizontal=True, key="whatif-value")
    changed = copy.deepcopy(case)
    changed.setdefault("factors", {})[factor] = value
    after = recommend(ctx, changed)
    old, new = [r["id"] for r in before["recommendations"]], [r["id"] for r in after["recommendations"]]
    names = {r["id"]: r["name"] for r in before["recommendations"] + before["not_recommended"]}
    st.markdown(ctx.t("ui.whatif.risk", before=before["risk"]["label"], after=after["risk"]["label"]))
    gained, lost = [i for i in new if i not in old], [i for i in old if i not in new]
    if not gained and not lost and old == new:
        st.info(ctx.t("ui.whatif.same"))
    for iid in gained:
        reasons = next(r["reasons"] for r in after["recommendations"] if r["id"] == iid)
        st.success(ctx.t("ui.whatif.gained", name=names[iid], why=" ".join(reasons[:2])))
    for iid in lost:
        reasons = next(r["reasons"] for r in after["recommendations"] + after["not_recommended"] if r["id"] == iid)
        st.warning(ctx.t("ui.whatif.lost", name=names[iid], why=" ".join(reasons[:2])))
    if old != new and not gained and not lost:
        st.info(ctx.t("ui.whatif.reordered", order=", ".join(names[i] for i in new)))


def _choices(ctx: Page, res: dict[str, Any]) -> tuple[list[tuple[str, str | None, str]], list[str], list[str]]:
    """Each recommendation's outcome (None until chosen) and reason, as the form holds them."""
    not_offered = {iid for iid, entry in res.get("availability", {}).get("items", {}).items()
                   if entry["status"] in ("not_offered", "unlisted")}
    items = []
    for rec in res["recommendations"]:
        label = rec["name"] + (f" ({ctx.t('ui.decision.not_offered')})" if rec["id"] in not_offered else "")
        outcome = st.radio(label, OUTCOMES, index=None, horizontal=True, key=f"decide-{rec['id']}",
                           format_func=lambda o: ctx.t(f"ui.decision.{o}"))
        help_key = "ui.decision.how_provided" if rec["id"] in not_offered else "ui.decision.reason"
        reason = st.text_input(ctx.t(help_key), key=f"reason-{rec['id']}")
        items.append((rec["id"], outcome, reason))
    unchosen = [rec["name"] for (_, outcome, _), rec in zip(items, res["recommendations"], strict=True)
                if outcome is None]
    unprovided = [rec["name"] for (iid, outcome, reason), rec in zip(items, res["recommendations"], strict=True)
                  if outcome == "accepted" and iid in not_offered and not reason.strip()]
    return items, unchosen, unprovided


def decide(ctx: Page, code: str, version: int, res: dict[str, Any]) -> None:
    """Every recommendation needs an explicit choice; granting one the unit does not offer asks how it will be
    provided. A saved decision is never edited: a new one supersedes it."""
    names = {r["id"]: r["name"] for r in res["recommendations"] + res["not_recommended"]}
    with st.form("decision"):
        items, unchosen, unprovided = _choices(ctx, res)
        others = [i for i in names if i not in {r["id"] for r in res["recommendations"]}]
        chosen = st.multiselect(ctx.t("ui.decision.override"), others, format_func=names.get, key="override",
                                placeholder=ctx.t("ui.choose"))
        override_reason = st.text_input(ctx.t("ui.decision.override_reason"), key="override-reason")
        youth_view = st.text_area(ctx.t("ui.decision.youth_view"), key="youth-view")
        youth_goals = st.text_area(ctx.t("ui.decision.youth_goals"), key="youth-goals")
        guardian_view = st.text_area(ctx.t("ui.decision.guardian_view"), key="guardian-view")
        if st.form_submit_button(ctx.t("ui.decision.save"), type="primary"):
            if unchosen or unprovided:
                st.error("\n\n".join([ctx.t("ui.decision.unchosen", names=", ".join(unchosen))] * bool(unchosen)
                                      + [ctx.t("ui.decision.unprovided", names=", ".join(unprovided))]
                                      * bool(unprovided)))
                return
            decided = [(iid, str(outcome), reason) for iid, outcome, reason in items]
            decided += [(iid, "overridden", override_reason) for iid in chosen]
            try:
                rec_id = ctx.store.save_recommendation(ctx.user, code, version, res)
                ctx.store.record_decision(ctx.user, code, rec_id, decided, youth_view, youth_goals, guardian_view)
                st.session_state["decided"] = [iid for iid, outcome, _ in decided if outcome != "declined"]
                st.switch_page("ui/case_work/plan.py")
            except (InputError, AccessDenied) as exc:
                report(ctx, exc)


def show_latest_decision(ctx: Page, code: str) -> bool:
    """The decision in force: what was decided on each insats and why, by whom and when. True if there is one."""
    decisions = ctx.store.decisions(ctx.user, code)
    if not decisions:
        return False
    latest = decisions[-1]
    st.markdown(ctx.t("ui.decision.in_force", user=latest["decided_by"], when=swedish_time(latest["decided_at"])))
    names = {iv.id: iv.model.name.get(ctx.lang) for iv in ctx.rules.interventions}
    st.dataframe(pd.DataFrame([{ctx.t("ui.decision.insats"): names.get(iid, iid),
                                ctx.t("ui.decision.outcome"): ctx.t(f"ui.decision.{outcome}"),
                                ctx.t("ui.decision.why"): reason} for iid, outcome, reason in latest["items"]]),
                 hide_index=True, key="decision-in-force")
    st.caption(ctx.t("ui.decision.supersede"))
    return True


ctx = page()
st.title(ctx.t("ui.page.recommend"))
st.caption(ctx.t("text.decision_note"))
code = current_case(ctx)
history = ctx.store.assessments(ctx.user, code)
if not history:
    st.info(ctx.t("ui.recommend.no_assessment"))
    st.page_link("ui/case_work/assess.py", label=ctx.t("ui.page.assess"), icon=":material/edit_note:")
    st.stop()
latest = history[-1]
case = latest["data"]
try:
    result = recommend(ctx, case, with_availability=True)
except InputError as exc:  # an assessment saved under an older rule base may no longer fit
    report(ctx, exc)
    st.stop()
show(ctx, result)
saved = ctx.store.latest_recommendation(ctx.user, code)  # issue 16: the risk model changed since it was saved
changed = model_change(saved[1] if saved else None, result, ctx.lang)
if changed:
    st.info(changed["text"])
with st.expander(ctx.t("ui.whatif.title")):
    what_if(ctx, case, result)
st.subheader(ctx.t("ui.decision.title"))
if show_latest_decision(ctx, code):
    with st.expander(ctx.t("ui.decision.new")):
        decide(ctx, code, latest["version"], result)
else:
    decide(ctx, code, latest["version"], result)
