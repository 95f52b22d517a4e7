"""The SIG meeting: one page per case with the plan, what changed since the last meeting, each agency's tasks
and their status, the homecoming from SiS, and the next meeting. The SIG coordinator sees the whole case and
records meetings and the homecoming plan; a partner sees the same page cut to what consent allows and reports
on its own agency's tasks (docs/sig.md)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from matcher import InputError
from matcher.auth import AGENCIES, AccessDenied, Role
from matcher.documents.plan import plan_markdown, plan_pdf, sip_lines
from matcher.documents.sig_text import (
    change_text,
    coverage_text,
    held_up_text,
    insats_name,
    report_text,
    short_stamp,
    warning_text,
)
from matcher.i18n import swedish_today
from matcher.store.consents import CATEGORIES
from matcher.store.homecoming import HELD_UP, PARTS, HomecomingPartInput, homecoming_warnings
from matcher.store.sig import MeetingView
from ui.shared.case_choice import current_case
from ui.shared.context import Page, page, report


def choose_case(ctx: Page) -> str:
    """The coordinator's chosen case; a partner chooses among the cases consent shares with its agency."""
    if ctx.user.role is not Role.PARTNER:
        return current_case(ctx)
    cases = ctx.store.partner_cases(ctx.user, swedish_today())
    if not cases:
        st.info(ctx.t("ui.sig.no_cases", agency=ctx.t(f"actor.{ctx.user.agency}")))
        st.stop()
    synthetic = {c["code"]: c["synthetic"] for c in cases}
    return str(st.selectbox(ctx.t("ui.sig.case"), list(synthetic), key="sig-case",
                            format_func=lambda c: c + (f" {ctx.t('text.synthetic')}" if synthetic[c] else "")))



def overview(ctx: Page, view: MeetingView) -> None:
    left, middle, right = st.columns(3)
    left.metric(ctx.t("sip.last_meeting"), view.last_meeting.isoformat() if view.last_meeting else "-")
    middle.metric(ctx.t("sip.next_meeting"), view.next_meeting.isoformat() if view.next_meeting else "-")
    right.metric(ctx.t("sip.next_follow_up"), view.next_follow_up.isoformat() if view.next_follow_up else "-")
    st.caption(f"{ctx.t('sip.coordinator')}: {view.coordinator or ctx.t('sip.not_recorded')}")
    if view.audience is not None:
        shown = ", ".join(ctx.t(f"sig.category.{c}") for c in CATEGORIES if c in view.shown)
        withheld = ", ".join(ctx.t(f"sig.category.{c}") for c in view.withheld) or "-"
        st.info(ctx.t("ui.sig.partner_scope", agency=ctx.t(f"actor.{view.audience}"), shown=shown,
                      withheld=withheld))
    current = {a.model.id: a.model for a in ctx.rules.act_first}
    for entry in view.act_first or ():
        action = current.get(entry["id"])
        st.error(f"**{ctx.t('text.act_first')}** " + (f"{action.trigger.get(ctx.lang)} {action.action.get(ctx.lang)}"
                                                       if action else f"{entry['trigger']} {entry['action']}"))
    if view.risk:
        drivers = ", ".join(ctx.rules.catalogue.factor(f).name.get(ctx.lang).lower() for f in view.risk["drivers"])
        st.markdown(f"**{ctx.t('sip.risk', level=ctx.t('risk.' + view.risk['level']))}** – "
                    f"{ctx.t('sip.drivers', drivers=drivers or '-')}")
    if view.needs:
        st.markdown(f"**{ctx.t('sip.needs')}:** " + ", ".join(ctx.rules.catalogue.factor(f).name.get(ctx.lang)
                                                              for f in view.needs))
    for label, value in ((ctx.t("ui.decision.youth_view"), view.youth_view),
                         (ctx.t("ui.decision.guardian_view"), view.guardian_view),
                         (ctx.t("ui.decision.youth_goals"), view.youth_goals)):
        if value:
            st.markdown(f"**{label}:** {value}")


def changes(ctx: Page, view: MeetingView) -> None:
    st.subheader(ctx.t("ui.sig.changes"))
    if not view.changes:
        st.caption(ctx.t("ui.sig.no_changes"))
    for change in view.changes:
        st.markdown(f"- {change_text(change, ctx.rules, ctx.lang)}")


def tasks(ctx: Page, view: MeetingView) -> None:
    if "plan_items" not in view.shown:
        return
    st.subheader(ctx.t("sip.tasks"))
    # what the meeting goes through first: who, what, its state and the agency's report; the goal last (it is long)
    rows = [{ctx.t("export.column.actor"): ctx.t(f"actor.{task.shared.item.actor}"),
             ctx.t("export.column.insats"): insats_name(ctx.rules, task.shared.item.intervention, ctx.lang),
             ctx.t("export.column.status"): ctx.t(f"export.status.{task.shared.item.status}"),
             ctx.t("sip.report"): report_text(task.report, ctx.lang),
             ctx.t("export.column.follow_up"): task.shared.item.follow_up_on.isoformat(),
             ctx.t("export.column.goal"): task.shared.item.goal,
             **({ctx.t("ui.sig.shared"): task.shared.reason(ctx.lang)} if view.audience is None else {})}
            for task in sorted(view.tasks, key=lambda t: AGENCIES.index(t.shared.item.actor))]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="sig-tasks")
    else:
        st.caption(ctx.t("ui.sig.no_tasks"))


def report_form(ctx: Page, code: str, view: MeetingView) -> None:
    """A partner's report on one of its own tasks: done, or not done and why."""
    own = [task for task in view.tasks if task.shared.item.actor == view.audience]
    if view.audience is None or not own:
        return
    with st.form("sig-report"):
        st.markdown(f"**{ctx.t('ui.sig.report_title')}**")
        chosen = st.selectbox(ctx.t("export.column.insats"), range(len(own)), key="sig-report-task",
                              format_func=lambda i: insats_name(ctx.rules, own[i].shared.item.intervention,
                                                                ctx.lang))
        done = st.radio(ctx.t("ui.sig.report_status"), [True, False], horizontal=True, key="sig-report-done",
                        format_func=lambda d: ctx.t("sig.report.done") if d else ctx.t("ui.sig.not_done"))
        why = st.text_area(ctx.t("ui.sig.why"), key="sig-report-why")
        if st.form_submit_button(ctx.t("ui.sig.report_save")):
            item = own[chosen].shared.item
            try:
                ctx.store.report_task(ctx.user, code, item.intervention, item.actor, done, why, swedish_today())
                st.rerun()
            except (InputError, AccessDenied) as exc:
                report(ctx, exc)


def homecoming(ctx: Page, view: MeetingView) -> None:
    plan = view.homecoming
    if plan is None:
        return
    st.subheader(ctx.t("sig.homecoming.title"))
    st.caption(ctx.t("sig.homecoming.summary", home=plan.youth_home, discharge=plan.discharge_on.isoformat()))
    weeks = ctx.rules.policy.homecoming_start_weeks
    if view.audience is None:
        for warning in homecoming_warnings(plan, swedish_today(), weeks):
            st.warning(warning_text(warning, ctx.lang))
    st.dataframe(pd.DataFrame([{ctx.t("sig.homecoming.column.part"): ctx.t(f"sig.homecoming.part.{p.part}"),
                                ctx.t("sig.homecoming.column.agency"): ctx.t(f"actor.{p.agency}"),
                                ctx.t("sig.homecoming.column.goal"): p.goal,
                                ctx.t("sig.homecoming.column.due"): p.due_on.isoformat(),
                                ctx.t("sig.homecoming.column.ready"): ctx.t("ui.yes") if p.ready else ctx.t("ui.no"),
                                ctx.t("sig.homecoming.column.held_up"): held_up_text(ctx.lang, p.held_up)}
                               for p in plan.parts]), hide_index=True, key="sig-homecoming")


def homecoming_form(ctx: Page, code: str, view: MeetingView) -> None:
    """The coordinator records the discharge and the four parts; a part left without a goal is not saved."""
    plan = view.homecoming
    parts = {p.part: p for p in plan.parts} if plan else {}
    home_by_now = plan is not None and swedish_today() >= plan.discharge_on  # how each part held up, from then on
    with st.expander(ctx.t("ui.sig.homecoming_edit")), st.form("sig-homecoming-form"):
        home = st.text_input(ctx.t("ui.sig.youth_home"), plan.youth_home if plan else "", key="sig-home")
        discharge = st.date_input(ctx.t("ui.sig.discharge"), plan.discharge_on if plan else None,
                                  format="YYYY-MM-DD", key="sig-discharge")
        entered = []
        for part in PARTS:
            known = parts.get(part)
            st.markdown(f"**{ctx.t(f'sig.homecoming.part.{part}')}**")
            a, b, c, d = st.columns([2, 4, 2, 1])
            agency = a.selectbox(ctx.t("sig.homecoming.column.agency"), AGENCIES, key=f"sig-{part}-agency",
                                 index=AGENCIES.index(known.agency) if known else 0,
                                 format_func=lambda x: ctx.t(f"actor.{x}"))
            goal = b.text_input(ctx.t("sig.homecoming.column.goal"), known.goal if known else "",
                                key=f"sig-{part}-goal")
            due = c.date_input(ctx.t("sig.homecoming.column.due"), known.due_on if known else None,
                               format="YYYY-MM-DD", key=f"sig-{part}-due")
            ready = d.checkbox(ctx.t("sig.homecoming.column.ready"), known.ready if known else False,
                               key=f"sig-{part}-ready")
            held = known.held_up if known else None
            if home_by_now:
                choices = [None, *HELD_UP]
                held = st.selectbox(ctx.t("sig.homecoming.column.held_up"), choices, index=choices.index(held),
                                    key=f"sig-{part}-held", format_func=lambda h: held_up_text(ctx.lang, h))
            if goal.strip():
                entered.append((part, agency, goal, due, ready, held))
        if st.form_submit_button(ctx.t("ui.sig.homecoming_save")):
            if discharge is None or any(entry[3] is None for entry in entered):
                st.error(ctx.t("ui.sig.dates_needed"))
                return
            try:
                ctx.store.save_homecoming(ctx.user, code, home, discharge,
                                          [HomecomingPartInput(*entry) for entry in entered])
                st.rerun()
            except (InputError, AccessDenied) as exc:
                report(ctx, exc)


def consents(ctx: Page, view: MeetingView) -> None:
    if view.audience is not None:
        return
    st.subheader(ctx.t("sip.consents"))
    for agency, coverage in view.coverage.items():
        st.markdown(f"- {coverage_text(agency, coverage, ctx.lang)}")
    if not view.coverage:
        st.caption(ctx.t("sip.no_agencies"))


def meeting_form(ctx: Page, code: str) -> None:
    with st.form("sig-meeting-form"):
        st.markdown(f"**{ctx.t('ui.sig.meeting_title')}**")
        left, right = st.columns(2)
        held = left.date_input(ctx.t("ui.sig.held_on"), swedish_today(), max_value=swedish_today(), format="YYYY-MM-DD",
                               key="sig-held")
        after = right.date_input(ctx.t("sip.next_meeting"), swedish_today() + dt.timedelta(weeks=4),
                                 format="YYYY-MM-DD", key="sig-next")
        notes = st.text_area(ctx.t("ui.sig.notes"), key="sig-notes")
        if st.form_submit_button(ctx.t("ui.sig.meeting_save")):
            try:
                ctx.store.record_meeting(ctx.user, code, held, after, notes)
                st.rerun()
            except (InputError, AccessDenied) as exc:
                report(ctx, exc)


def downloads(ctx: Page, view: MeetingView) -> None:
    lines = sip_lines(view, ctx.rules, swedish_today())
    name = f"sip-{view.code}" + (f"-{view.audience}" if view.audience else "")
    left, right = st.columns(2)
    left.download_button(ctx.t("ui.plan.export_md"), plan_markdown(lines), file_name=f"{name}.md",
                         mime="text/markdown", key="sig-md", on_click="ignore")
    right.download_button(ctx.t("ui.plan.export_pdf"), plan_pdf(lines), file_name=f"{name}.pdf",
                          mime="application/pdf", key="sig-pdf", on_click="ignore")


ctx = page()
st.title(ctx.t("ui.page.sig_meeting"))
code = choose_case(ctx)
try:
    view = ctx.store.meeting(ctx.user, code, swedish_today())
except InputError as exc:
    if ctx.user.role is Role.PARTNER:  # the consent ended since the list was read: the case is no longer shared
        st.warning(ctx.t("ui.sig.no_longer_shared", code=code))
    else:
        report(ctx, exc)
    st.stop()
except AccessDenied as exc:
    report(ctx, exc)
    st.stop()
overview(ctx, view)
changes(ctx, view)
tasks(ctx, view)
report_form(ctx, code, view)
homecoming(ctx, view)
consents(ctx, view)
if view.audience is None:
    meeting_form(ctx, code)
    homecoming_form(ctx, code, view)
downloads(ctx, view)
st.caption(short_stamp(view.version, ctx.lang))
