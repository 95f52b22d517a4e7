"""Follow-up of the current case: Socialstyrelsen's outcomes, each plan item's goal attainment and dose, a
reassessment; then what changed since the first assessment beside the goals attained per plan item."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from matcher import InputError, encode_cases
from matcher.auth import AccessDenied
from matcher.i18n import number, swedish_today
from matcher.local.dose import check_dose
from matcher.rulebase.factors import UNRATED
from matcher.store.follow_ups import ATTAINMENTS, ItemResult
from matcher.store.plans import PlanItemInput
from ui.shared.case_choice import current_case
from ui.shared.context import Page, page, report
from ui.shared.forms import factor_inputs

SAVED = "follow_up_saved"


def labels(ctx: Page, fact_id: str) -> dict[str, str]:
    fact = ctx.rules.catalogue.fact(fact_id)
    return dict(zip(fact.values or [], (fact.labels or {}).get(ctx.lang, []), strict=True))  # type: ignore[call-overload]


def record(ctx: Page, code: str, latest: dict) -> None:
    plan = ctx.store.plan(ctx.user, code)
    planned = sorted({item.intervention for item in plan.items})
    names = {iv.id: iv.model.name.get(ctx.lang) for iv in ctx.rules.interventions}
    with st.form("follow-up"):
        today = swedish_today()
        on = st.date_input(ctx.t("ui.follow.date"), today, max_value=today, format="YYYY-MM-DD", key="follow-date")
        offences = st.number_input(ctx.t("ui.follow.offences"), 0, 99, 0, key="follow-offences")
        fields = {}
        for fact_id in ("school_work_status", "substance_use_level", "placement"):
            options = labels(ctx, fact_id)
            current = latest.get("context", {}).get(fact_id)
            keys = list(options)
            fields[fact_id] = st.selectbox(ctx.rules.catalogue.fact(fact_id).name.get(ctx.lang), keys,
                                           index=keys.index(current) if current in keys else 0,
                                           format_func=options.get, key=f"follow-{fact_id}")
        completed = st.multiselect(ctx.t("ui.follow.completed"), planned, format_func=names.get, key="follow-done",
                                   placeholder=ctx.t("ui.choose"))
        dropped = st.multiselect(ctx.t("ui.follow.dropped"), planned, format_func=names.get, key="follow-dropped",
                                 placeholder=ctx.t("ui.choose"))
        rating = st.slider(ctx.t("ui.follow.youth_rating"), 1, 10, 5, key="follow-rating")
        items = item_inputs(ctx, plan.items, names)
        reassess = st.checkbox(ctx.t("ui.follow.reassess"), key="follow-reassess")
        st.caption(ctx.t("ui.follow.reassess_help"))
        factors = factor_inputs(ctx, "follow", latest.get("factors", {}))
        if st.form_submit_button(ctx.t("ui.follow.save"), type="primary"):
            reassessment = None
            if reassess:
                context = {**latest.get("context", {}), **{k: v for k, v in fields.items()}}
                reassessment = {"case_id": code, "context": context, "factors": factors}
            try:
                ctx.store.add_follow_up(ctx.user, code, on, int(offences), fields["school_work_status"],
                                        fields["substance_use_level"], fields["placement"], completed, dropped,
                                        rating, reassessment, items)
                st.session_state[SAVED] = True
                st.rerun()  # the history table and the chart below show the new follow-up at once
            except (InputError, AccessDenied) as exc:
                report(ctx, exc)


def item_inputs(ctx: Page, items: tuple[PlanItemInput, ...], names: dict[str, str]) -> list[ItemResult]:
    """Per plan item: the goal attained (yes, partly, no, or not assessed) and the dose given so far, the plan's
    figures to start from."""
    if not items:
        return []
    st.markdown(f"**{ctx.t('ui.follow.items')}**")
    results = []
    for n, item in enumerate(items):
        goal, attained, sessions, hours = st.columns((3, 2, 1, 1))
        goal.markdown(f"{names.get(item.intervention, item.intervention)}: _{item.goal}_")
        choice = attained.selectbox(ctx.t("ui.follow.attainment"), ["", *ATTAINMENTS], key=f"follow-goal-{n}",
                                    format_func=lambda v: ctx.t(f"ui.follow.attainment.{v or 'unrecorded'}"))
        given = sessions.number_input(ctx.t("ui.follow.item_sessions"), 0.0, 10_000.0, item.sessions_delivered,
                                      step=1.0, format="%.0f", key=f"follow-sessions-{n}")
        spent = hours.number_input(ctx.t("ui.follow.item_hours"), 0.0, 10_000.0, item.hours_delivered, step=0.5,
                                   format="%g", key=f"follow-hours-{n}")
        if choice and all(r.intervention != item.intervention for r in results):
            results.append(ItemResult(item.intervention, choice, given, spent))
    return results


def history_table(ctx: Page, rows: list[dict]) -> None:
    """The earlier follow-ups in words: Swedish (or English) column names and values, dates as written."""
    names = {iv.id: iv.model.name.get(ctx.lang) for iv in ctx.rules.interventions}
    facts = {fact_id: labels(ctx, fact_id) for fact_id in ("school_work_status", "substance_use_level", "placement")}
    shown = [{ctx.t("ui.follow.date"): f"{r['followed_up_on']:%Y-%m-%d}",
              ctx.t("ui.follow.offences"): r["new_offences"],
              **{ctx.rules.catalogue.fact(f).name.get(ctx.lang): facts[f].get(r[f], r[f]) for f in facts},
              ctx.t("ui.follow.completed"): ", ".join(names.get(i, i) for i in r["completed"]),
              ctx.t("ui.follow.dropped"): ", ".join(names.get(i, i) for i in r["dropped"]),
              ctx.t("ui.follow.youth_rating"): r["youth_rating"],
              ctx.t("ui.follow.reassessed"): ctx.t("ui.yes") if r["reassessed"] else ctx.t("ui.no")} for r in rows]
    st.dataframe(pd.DataFrame(shown), hide_index=True, key="follow-table")


def dose(ctx: Page, code: str) -> None:
    """Each plan item's delivered sessions and hours against what its programme should have given by today."""
    today = swedish_today()
    names = {iv.id: iv.model.name.get(ctx.lang) for iv in ctx.rules.interventions}
    rows = []
    for item in ctx.store.plan(ctx.user, code).items:
        if item.intervention not in ctx.rules.ids:
            continue
        for check in check_dose(ctx.rules, item.intervention, item.status, item.start_on, today,
                                item.sessions_delivered, item.hours_delivered):
            state = ("dose.not_recorded" if check.delivered is None else
                     "dose.under" if check.under_dosed else "dose.ok")
            rows.append({"insats": names[check.intervention], "measure": ctx.t(f"dose.{check.measure}"),
                         "delivered": check.delivered, "due": check.due, "minimum": check.minimum,
                         "share": None if check.share is None else f"{100 * check.share:.0f} %",
                         "state": ctx.t(state)})
    st.caption(ctx.t("ui.dose.caption", date=today.isoformat(), share=round(100 * ctx.rules.policy.dose.flag_below)))
    if not rows:
        st.info(ctx.t("ui.dose.none"))
        return
    table = pd.DataFrame(rows)
    st.dataframe(table.rename(columns={c: ctx.t(f"ui.dose.column.{c}") for c in table.columns}), hide_index=True,
                 key="dose-table")
    for row in rows:
        if row["state"] == ctx.t("dose.under"):
            st.warning(ctx.t("ui.dose.warning", name=row["insats"], delivered=number(ctx.lang, row["delivered"]),
                             due=number(ctx.lang, row["due"]), measure=row["measure"], share=row["share"]))


def changes(ctx: Page, history: list[dict]) -> None:
    """The dynamic risk factors whose rating changed between the first and the latest assessment, before and after
    with an arrow, in words (only what changed, so nothing is hidden in a tangle of lines)."""
    cat = ctx.rules.catalogue
    if len(history) < 2:
        st.info(ctx.t("ui.follow.changes_one"))
        return
    first, latest = history[0], history[-1]
    batch = encode_cases([(f"v{a['version']}", a["data"]) for a in (first, latest)], ctx.rules)
    rows = []
    for factor in cat.factors:
        if factor.kind != "risk" or not factor.dynamic:
            continue
        before, after = (int(batch.values[n, cat.factor_index[factor.id]]) for n in (0, 1))
        if before == after or UNRATED in (before, after):
            continue
        scale = cat.scale(factor)
        rows.append({ctx.t("ui.follow.column.factor"): factor.name.get(ctx.lang),
                     ctx.t("ui.follow.column.first", date=f"{first['assessed_on']:%Y-%m-%d}"):
                         scale.label(before, ctx.lang),
                     ctx.t("ui.follow.column.latest", date=f"{latest['assessed_on']:%Y-%m-%d}"):
                         scale.label(after, ctx.lang),
                     ctx.t("ui.follow.column.change"): ctx.t("ui.follow.change.better" if after < before
                                                             else "ui.follow.change.worse")})
    if not rows:
        st.info(ctx.t("ui.follow.changes_none"))
        return
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="follow-changes")


def goals(ctx: Page, plan: tuple[PlanItemInput, ...], rows: list[dict]) -> None:
    """Each plan item's goal and how the latest follow-up that assessed it judged it, with the dose given."""
    names = {iv.id: iv.model.name.get(ctx.lang) for iv in ctx.rules.interventions}
    latest: dict[str, tuple[dict, dt.date]] = {}
    for row in rows:
        for result in row["items"]:
            latest[result["intervention"]] = (result, row["followed_up_on"])
    shown = []
    for item in plan:
        result, on = latest.get(item.intervention, ({}, None))
        attained = result.get("attainment") or "unrecorded"
        shown.append({ctx.t("ui.follow.column.insats"): names.get(item.intervention, item.intervention),
                      ctx.t("ui.follow.column.goal"): item.goal,
                      ctx.t("ui.follow.attainment"): ctx.t(f"ui.follow.attainment.{attained}"),
                      ctx.t("ui.follow.item_sessions"): _amount(ctx, result.get("sessions_delivered")),
                      ctx.t("ui.follow.item_hours"): _amount(ctx, result.get("hours_delivered")),
                      ctx.t("ui.follow.column.date"): f"{on:%Y-%m-%d}" if on else ""})
    if not any(latest.get(item.intervention) for item in plan):
        st.info(ctx.t("ui.follow.goals_none"))
    if shown:
        st.dataframe(pd.DataFrame(shown), hide_index=True, key="follow-goals")


def _amount(ctx: Page, value: float | None) -> str:
    return "" if value is None else number(ctx.lang, value)


ctx = page()
st.title(ctx.t("ui.page.follow_up"))
code = current_case(ctx)
history = ctx.store.assessments(ctx.user, code)
if not history:
    st.info(ctx.t("ui.recommend.no_assessment"))
    st.stop()
if st.session_state.pop(SAVED, False):
    st.success(ctx.t("ui.follow.saved"))
record(ctx, code, history[-1]["data"])
st.subheader(ctx.t("ui.dose.title"))
dose(ctx, code)
st.subheader(ctx.t("ui.follow.history"))
rows = ctx.store.follow_ups(ctx.user, code)
if rows:
    history_table(ctx, rows)
left, right = st.columns(2)
with left:
    st.markdown(f"#### {ctx.t('ui.follow.changes')}")
    try:
        changes(ctx, history)
    except InputError as exc:  # assessments saved under an older rule base may no longer fit
        report(ctx, exc)
with right:
    st.markdown(f"#### {ctx.t('ui.follow.goals')}")
    goals(ctx, ctx.store.plan(ctx.user, code).items, rows)
