"""The individual plan (actors, goals, dates), consent per agency, and the plan export (Markdown, PDF)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from matcher import InputError
from matcher.auth import AccessDenied
from matcher.documents.plan import plan_markdown, plan_pdf, sip_lines
from matcher.errors import ConflictError
from matcher.i18n import swedish_today
from matcher.store.consents import CATEGORIES
from matcher.store.plans import AGENCIES, ITEM_STATUSES, OWN_AGENCY, PlanItemInput
from ui.shared import drafts
from ui.shared.case_choice import current_case
from ui.shared.context import Page, page, report

FOLLOW_UP_DAYS = 91  # a new plan item is followed up after about three months
COLUMNS = ["intervention", "actor", "goal", "start_on", "follow_up_on", "status", "sessions_delivered",
           "hours_delivered"]


def _number(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def rows_for(ctx: Page, plan_items: tuple[PlanItemInput, ...]) -> pd.DataFrame:
    if plan_items:
        records: list[dict[str, Any]] = [vars(item) for item in plan_items]
    else:  # a new plan starts from the insatser just decided on
        today = swedish_today()
        records = [{"intervention": iid, "actor": ctx.rules.interventions[ctx.rules.index(iid)].model.actor,
                    "goal": "", "start_on": today, "follow_up_on": today + dt.timedelta(days=FOLLOW_UP_DAYS),
                    "status": "planned", "sessions_delivered": None, "hours_delivered": None}
                   for iid in st.session_state.get("decided", []) if iid in ctx.rules.ids]
    return pd.DataFrame(records, columns=COLUMNS)


def edit_plan(ctx: Page, code: str) -> None:
    plan = ctx.store.plan(ctx.user, code)
    st.caption(ctx.t("ui.plan.version", version=plan.version))
    if st.session_state.pop("plan-saved", None) == plan.version:  # shown once, after the rerun that saving makes
        st.success(ctx.t("ui.plan.saved", version=plan.version))
    today = swedish_today()
    # the editor shows names and labels; they are mapped back to ids when the plan is saved
    shown = {"intervention": {iv.id: iv.model.name.get(ctx.lang) for iv in ctx.rules.interventions
                              if not iv.model.do_not_offer},
             "actor": {a: ctx.t(f"actor.{a}") for a in AGENCIES},
             "status": {s: ctx.t(f"export.status.{s}") for s in ITEM_STATUSES}}
    kept = drafts.restored(ctx, code, "plan", "plan-editor")
    if kept is not None:  # a draft holds the rows as shown (names and labels)
        rows = pd.DataFrame(kept, columns=COLUMNS)
    else:
        rows = rows_for(ctx, plan.items)
        for column, labels in shown.items():
            rows[column] = rows[column].map(labels)
    edited = st.data_editor(rows, num_rows="dynamic", hide_index=True, key="plan-editor",
                            column_config={
                                "intervention": st.column_config.SelectboxColumn(
                                    ctx.t("export.column.insats"), options=list(shown["intervention"].values()),
                                    required=True, width="medium"),
                                "actor": st.column_config.SelectboxColumn(
                                    ctx.t("export.column.actor"), options=list(shown["actor"].values()),
                                    required=True, default=shown["actor"][OWN_AGENCY]),
                                "goal": st.column_config.TextColumn(ctx.t("export.column.goal"), required=True,
                                                                    width="large"),
                                "start_on": st.column_config.DateColumn(ctx.t("export.column.start"), required=True,
                                                                        default=today, format="YYYY-MM-DD"),
                                "follow_up_on": st.column_config.DateColumn(
                                    ctx.t("export.column.follow_up"), required=True, format="YYYY-MM-DD",
                                    default=today + dt.timedelta(days=FOLLOW_UP_DAYS)),
                                "status": st.column_config.SelectboxColumn(
                                    ctx.t("export.column.status"), options=list(shown["status"].values()),
                                    required=True, default=shown["status"]["planned"]),
                                "sessions_delivered": st.column_config.NumberColumn(
                                    ctx.t("ui.plan.sessions_delivered"), min_value=0, step=1),
                                "hours_delivered": st.column_config.NumberColumn(
                                    ctx.t("ui.plan.hours_delivered"), min_value=0, step=0.5)})
    drafts.keep(ctx, code, "plan", edited.astype(object).where(edited.notna(), None).to_dict("records"))
    if st.button(ctx.t("ui.plan.save"), type="primary", key="save-plan"):
        ids = {column: {label: key for key, label in labels.items()} for column, labels in shown.items()}
        for column, back in ids.items():
            edited[column] = edited[column].map(back)
        try:
            items = [PlanItemInput(str(r["intervention"]), str(r["actor"]), str(r["goal"] or ""),
                                   pd.Timestamp(r["start_on"]).date(), pd.Timestamp(r["follow_up_on"]).date(),
                                   str(r["status"]), _number(r["sessions_delivered"]), _number(r["hours_delivered"]))
                     for r in edited.to_dict("records") if isinstance(r["intervention"], str)]
            st.session_state["plan-saved"] = ctx.store.save_plan(ctx.user, code, items, plan.version)
            drafts.drop(ctx, code, "plan")
            st.rerun()
        except (ValueError, TypeError):
            st.error(ctx.t("ui.plan.incomplete"))
        except (InputError, AccessDenied, ConflictError) as exc:
            report(ctx, exc)


def consents(ctx: Page, code: str) -> None:
    rows = ctx.store.consents(ctx.user, code)
    if rows:
        st.dataframe(pd.DataFrame([{ctx.t("ui.consent.given_by"): ctx.t(f"ui.consent.{r['given_by']}"),
                                    ctx.t("ui.consent.agencies"): ", ".join(ctx.t(f"actor.{a}") for a in r["agencies"]),
                                    ctx.t("ui.consent.categories"): ", ".join(ctx.t(f"sig.category.{c}")
                                                                             for c in r["categories"]),
                                    ctx.t("ui.consent.given_on"): r["given_on"],
                                    ctx.t("ui.consent.expires_on"): r["expires_on"] or "-",
                                    ctx.t("ui.consent.state"): ctx.t("ui.consent.withdrawn") if r["withdrawn"]
                                    else ctx.t("ui.consent.active")} for r in rows]), hide_index=True, key="consents")
    with st.form("add-consent"):
        given_by = st.radio(ctx.t("ui.consent.given_by"), ["youth", "guardian"], horizontal=True, key="consent-by",
                            format_func=lambda v: ctx.t(f"ui.consent.{v}"))
        agencies = st.multiselect(ctx.t("ui.consent.agencies"), list(AGENCIES), key="consent-agencies",
                                  format_func=lambda a: ctx.t(f"actor.{a}"), placeholder=ctx.t("ui.choose"))
        categories = st.multiselect(ctx.t("ui.consent.categories"), list(CATEGORIES), list(CATEGORIES),
                                    key="consent-categories", format_func=lambda c: ctx.t(f"sig.category.{c}"),
                                    placeholder=ctx.t("ui.choose"))
        given_on = st.date_input(ctx.t("ui.consent.given_on"), swedish_today(), max_value=swedish_today(),
                                 key="consent-date")
        expires = st.date_input(ctx.t("ui.consent.expires_on"), value=None, key="consent-expires")
        if st.form_submit_button(ctx.t("ui.consent.add")):
            try:
                ctx.store.add_consent(ctx.user, code, given_by, agencies, given_on, expires, categories=categories)
                st.rerun()
            except (InputError, AccessDenied) as exc:
                report(ctx, exc)
    active = [r for r in rows if not r["withdrawn"]]
    if active:
        chosen = st.selectbox(ctx.t("ui.consent.withdraw_which"), [r["id"] for r in active], key="withdraw-id",
                              format_func=lambda i: next(
                                  f"{ctx.t('ui.consent.' + r['given_by'])}: "
                                  f"{', '.join(ctx.t(f'actor.{a}') for a in r['agencies'])} ({r['given_on']})"
                                  for r in active if r["id"] == i))
        if st.button(ctx.t("ui.consent.withdraw"), key="withdraw"):
            ctx.store.withdraw_consent(ctx.user, code, chosen)
            st.rerun()


ctx = page()
st.title(ctx.t("ui.page.plan"))
code = current_case(ctx)
edit_plan(ctx, code)
st.subheader(ctx.t("ui.consent.title"))
consents(ctx, code)
st.subheader(ctx.t("ui.plan.shared_title"))
shared = ctx.store.shared_plan(ctx.user, code)
if shared:
    names = {iv.id: iv.model.name.get(ctx.lang) for iv in ctx.rules.interventions}
    st.dataframe(pd.DataFrame([{ctx.t("export.column.insats"): names.get(s.item.intervention, s.item.intervention),
                                ctx.t("export.column.actor"): ctx.t(f"actor.{s.item.actor}"),
                                ctx.t("ui.plan.shown"): ctx.t("ui.yes") if s.shown else ctx.t("ui.no"),
                                ctx.t("ui.plan.why"): s.reason(ctx.lang)} for s in shared]), hide_index=True,
                 key="shared")
lines = sip_lines(ctx.store.meeting(ctx.user, code), ctx.rules, swedish_today())
left, right = st.columns(2)
left.download_button(ctx.t("ui.plan.export_md"), lambda: plan_markdown(lines), file_name=f"plan-{code}.md",
                     mime="text/markdown", key="export-md", on_click="ignore")
right.download_button(ctx.t("ui.plan.export_pdf"), lambda: plan_pdf(lines), file_name=f"plan-{code}.pdf",
                      mime="application/pdf", key="export-pdf", on_click="ignore")
