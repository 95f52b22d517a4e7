"""Recommendations for the current case's latest assessment, a what-if panel, and the decision."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd
import streamlit as st

from matcher import InputError, encode_cases, explain, match
from matcher.auth import AccessDenied
from matcher.i18n import swedish_today
from matcher.local.availability import availability
from matcher.modelling.model_change import model_change
from ui.shared import drafts
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
        res["availability"] = availability(result, 0, stored.catalogue, stored.version, swedish_today(), ctx.lang)
    elif with_availability:
        st.info(ctx.t("availability.no_catalogue", unit=ctx.user.unit or "-"))
    return res


def _value_input(ctx: Page, kind: str, item_id: str, current: Any) -> Any:
    """The new value of one factor or context fact, picked as the assessment form picks it."""
    cat = ctx.rules.catalogue
    key = f"whatif-{kind}-{item_id}"
    if kind == "factors":
        factor = cat.factor(item_id)
        scale = cat.scale(factor)
        now = cat.factor_label(factor, -1 if current is None else current, ctx.lang)
        if scale.numeric:  # a count or an age of the registered history
            low, high = scale.values[0], scale.values[-1]
            return int(st.number_input(ctx.t("ui.whatif.value", name=factor.name.get(ctx.lang), current=now), low,
                                       high, current if isinstance(current, int) else low, step=1, key=key))
        return st.radio(ctx.t("ui.whatif.value", name=factor.name.get(ctx.lang), current=now), scale.values,
                        format_func=lambda v: scale.label(v, ctx.lang), horizontal=True, key=key)
    fact = cat.fact(item_id)
    name = fact.name.get(ctx.lang)
    if fact.type == "int":
        now = int(current) if current is not None else int(fact.min or 0)
        return int(st.number_input(ctx.t("ui.whatif.value", name=name, current=now), int(fact.min or 0),
                                   int(fact.max or 0), now, step=1, key=key))
    options = [False, True] if fact.type == "bool" else list(fact.values or [])
    now_code = cat.encode_context(fact, current if current is not None else options[0])
    return st.radio(ctx.t("ui.whatif.value", name=name, current=cat.context_label(fact, now_code, ctx.lang)),
                    options, format_func=lambda v: cat.context_label(fact, cat.encode_context(fact, v), ctx.lang),
                    horizontal=True, key=key)


def _ranking(ctx: Page, res: dict[str, Any], other: dict[str, Any]) -> None:
    """One side of the comparison: the risk level and the ranked insatser, marking what the other side lacks."""
    st.markdown(ctx.t("ui.whatif.level", level=res["risk"]["label"]))
    theirs = {r["id"] for r in other["recommendations"]}
    st.markdown("\n".join(f"{r['rank']}. {r['name']}" + (f" – *{ctx.t('ui.whatif.only_here')}*"
                                                          if r["id"] not in theirs else "")
                          for r in res["recommendations"]) or ctx.t("text.no_recommendations"))
    if res["act_first"]:
        st.markdown(ctx.t("ui.whatif.act_first", actions=", ".join(a["trigger"] for a in res["act_first"])))


def what_if(ctx: Page, case: dict[str, Any], before: dict[str, Any]) -> None:
    """Change factors or context facts (caregiver, placement, threat, school ...) and see the result beside today's;
    nothing is saved."""
    cat = ctx.rules.catalogue
    items = [("factors", f.id) for f in cat.factors] + [("context", c.id) for c in cat.context]
    labels = {item: ctx.t(f"ui.whatif.{item[0]}", name=(cat.factor(item[1]) if item[0] == "factors"
                                                         else cat.fact(item[1])).name.get(ctx.lang))
              for item in items}
    chosen = st.multiselect(ctx.t("ui.whatif.change"), items, format_func=labels.get, key="whatif-items",
                            placeholder=ctx.t("ui.choose"))
    if not chosen:
        return
    changed = copy.deepcopy(case)
    for kind, item_id in chosen:
        changed.setdefault(kind, {})[item_id] = _value_input(ctx, kind, item_id, case.get(kind, {}).get(item_id))
    try:
        after = recommend(ctx, changed)
    except InputError as exc:  # e.g. an age outside the catalogue's range for this case
        report(ctx, exc)
        return
    now, then = st.columns(2, border=True)
    with now:
        st.markdown(f"**{ctx.t('ui.whatif.now')}**")
        _ranking(ctx, before, after)
    with then:
        st.markdown(f"**{ctx.t('ui.whatif.then')}**")
        _ranking(ctx, after, before)
    if [r["id"] for r in before["recommendations"]] == [r["id"] for r in after["recommendations"]]:
        st.info(ctx.t("ui.whatif.same"))


def _choices(ctx: Page, res: dict[str, Any], start: dict[str, list[Any]]
             ) -> tuple[list[tuple[str, str | None, str]], list[str], list[str]]:
    """Each recommendation's outcome (None until chosen) and reason, as the form holds them."""
    not_offered = {iid for iid, entry in res.get("availability", {}).get("items", {}).items()
                   if entry["status"] in ("not_offered", "unlisted")}
    items = []
    for rec in res["recommendations"]:
        label = rec["name"] + (f" ({ctx.t('ui.decision.not_offered')})" if rec["id"] in not_offered else "")
        outcome_then, reason_then = start.get(rec["id"], [None, ""])
        outcome = st.radio(label, OUTCOMES, index=OUTCOMES.index(outcome_then) if outcome_then in OUTCOMES else None,
                           horizontal=True, key=f"decide-{rec['id']}", format_func=lambda o: ctx.t(f"ui.decision.{o}"))
        help_key = "ui.decision.how_provided" if rec["id"] in not_offered else "ui.decision.reason"
        reason = st.text_input(ctx.t(help_key), value=reason_then, key=f"reason-{rec['id']}")
        items.append((rec["id"], outcome, reason))
    unchosen = [rec["name"] for (_, outcome, _), rec in zip(items, res["recommendations"], strict=True)
                if outcome is None]
    unprovided = [rec["name"] for (iid, outcome, reason), rec in zip(items, res["recommendations"], strict=True)
                  if outcome == "accepted" and iid in not_offered and not reason.strip()]
    return items, unchosen, unprovided


DECISION_WIDGETS = ("decide-", "reason-", "override", "youth-", "guardian-")


def decide(ctx: Page, code: str, version: int, res: dict[str, Any]) -> None:
    """Every recommendation needs an explicit choice; granting one the unit does not offer asks how it will be
    provided. A saved decision is never edited: a new one supersedes it. Unsaved choices are kept as a draft."""
    names = {r["id"]: r["name"] for r in res["recommendations"] + res["not_recommended"]}
    start = drafts.restored(ctx, code, "decision", DECISION_WIDGETS) or {}
    items, unchosen, unprovided = _choices(ctx, res, start.get("items", {}))
    others = [i for i in names if i not in {r["id"] for r in res["recommendations"]}]
    chosen = st.multiselect(ctx.t("ui.decision.override"), others, format_func=names.get, key="override",
                            default=[i for i in start.get("override", []) if i in others],
                            placeholder=ctx.t("ui.choose"))
    override_reason = st.text_input(ctx.t("ui.decision.override_reason"), value=start.get("override_reason", ""),
                                    key="override-reason")
    youth_view = st.text_area(ctx.t("ui.decision.youth_view"), value=start.get("youth_view", ""), key="youth-view")
    youth_goals = st.text_area(ctx.t("ui.decision.youth_goals"), value=start.get("youth_goals", ""),
                               key="youth-goals")
    guardian_view = st.text_area(ctx.t("ui.decision.guardian_view"), value=start.get("guardian_view", ""),
                                 key="guardian-view")
    drafts.keep(ctx, code, "decision", {
        "items": {iid: [outcome, reason] for iid, outcome, reason in items}, "override": chosen,
        "override_reason": override_reason, "youth_view": youth_view, "youth_goals": youth_goals,
        "guardian_view": guardian_view})
    if st.button(ctx.t("ui.decision.save"), type="primary", key="save-decision"):
        if unchosen or unprovided:
            st.error("\n\n".join([ctx.t("ui.decision.unchosen", names=", ".join(unchosen))] * bool(unchosen)
                                  + [ctx.t("ui.decision.unprovided", names=", ".join(unprovided))] * bool(unprovided)))
            return
        decided = [(iid, str(outcome), reason) for iid, outcome, reason in items]
        decided += [(iid, "overridden", override_reason) for iid in chosen]
        try:
            rec_id = ctx.store.save_recommendation(ctx.user, code, version, res)
            ctx.store.record_decision(ctx.user, code, rec_id, decided, youth_view, youth_goals, guardian_view)
        except (InputError, AccessDenied) as exc:
            report(ctx, exc)
            return
        drafts.drop(ctx, code, "decision")
        st.session_state["decided"] = [iid for iid, outcome, _ in decided if outcome != "declined"]
        st.switch_page("ui/case_work/plan.py")


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
    with st.expander(ctx.t("ui.decision.new"), expanded=drafts.pending(ctx, code, "decision")):
        decide(ctx, code, latest["version"], result)
else:
    decide(ctx, code, latest["version"], result)
