"""Users and roles (admin): list, add with an initial password, change role, unit or a partner's agency,
disable."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from matcher import InputError
from matcher.auth import PARTNER_AGENCIES, AccessDenied, Role
from matcher.errors import ConflictError
from ui.shared.context import page, report

DONE = "users.done"
ROLES = [r.value for r in Role]
AGENCY_CHOICES = ["", *PARTNER_AGENCIES]  # "": not a partner


def _agency(value: str) -> str:
    return ctx.t(f"actor.{value}") if value else "-"


def _act(action: Callable[[], None], message: str) -> None:
    """Run one store action; on success remember the message and show the fresh list, else the error."""
    try:
        action()
    except (InputError, AccessDenied, ConflictError, ValueError) as exc:  # ValueError: a too short password
        report(ctx, exc)
        return
    st.session_state[DONE] = message
    st.rerun()


ctx = page()
st.title(ctx.t("ui.page.users"))
if DONE in st.session_state:
    st.success(st.session_state.pop(DONE))
try:
    users = ctx.store.list_users(ctx.user)
except AccessDenied as exc:
    report(ctx, exc)
    st.stop()
st.dataframe(pd.DataFrame([{ctx.t("ui.users.username"): u["username"],
                            ctx.t("ui.users.role"): ctx.t(f"role.{u['role']}"),
                            ctx.t("ui.users.unit"): u["unit"],
                            ctx.t("ui.users.agency"): ctx.t(f"actor.{u['agency']}") if u["agency"] else "",
                            ctx.t("ui.users.active"): ctx.t("ui.yes") if u["active"] else ctx.t("ui.users.disabled")}
                           for u in users]), hide_index=True, key="users-table")
names = [u["username"] for u in users]

add, change, disable = st.tabs([ctx.t("ui.users.add"), ctx.t("ui.users.change"), ctx.t("ui.users.disable")])
with add, st.form("users-add"):
    username = st.text_input(ctx.t("ui.users.username"), key="users-add-name")
    role = st.selectbox(ctx.t("ui.users.role"), ROLES, key="users-add-role", format_func=lambda r: ctx.t(f"role.{r}"))
    unit = st.text_input(ctx.t("ui.users.unit"), key="users-add-unit", help=ctx.t("ui.users.unit_help"))
    agency = st.selectbox(ctx.t("ui.users.agency"), AGENCY_CHOICES, key="users-add-agency", format_func=_agency,
                          help=ctx.t("ui.users.agency_help"))
    password = st.text_input(ctx.t("ui.users.password"), type="password", key="users-add-password",
                             help=ctx.t("ui.users.password_help"))
    if st.form_submit_button(ctx.t("ui.users.add_submit"), type="primary", key="users-add-submit"):
        _act(lambda: ctx.store.add_user(ctx.user, username.strip(), password, role, unit.strip() or None,
                                        agency or None),
             ctx.t("ui.users.added", user=username.strip(), role=ctx.t(f"role.{role}")))
with change, st.form("users-change"):
    who = st.selectbox(ctx.t("ui.users.username"), names, key="users-change-name")
    new_role = st.selectbox(ctx.t("ui.users.role"), ROLES, key="users-change-role",
                            format_func=lambda r: ctx.t(f"role.{r}"))
    new_unit = st.text_input(ctx.t("ui.users.unit"), key="users-change-unit", help=ctx.t("ui.users.unit_keep"))
    new_agency = st.selectbox(ctx.t("ui.users.agency"), AGENCY_CHOICES, key="users-change-agency",
                              format_func=_agency, help=ctx.t("ui.users.agency_help"))
    if st.form_submit_button(ctx.t("ui.users.change_submit"), key="users-change-submit") and who:
        _act(lambda: ctx.store.set_role(ctx.user, who, new_role, new_unit.strip() or None, new_agency or None),
             ctx.t("ui.users.changed", user=who, role=ctx.t(f"role.{new_role}")))
with disable, st.form("users-disable"):
    active = [u["username"] for u in users if u["active"]]
    gone = st.selectbox(ctx.t("ui.users.username"), active, key="users-disable-name")
    sure = st.checkbox(ctx.t("ui.users.disable_confirm"), key="users-disable-sure")
    if st.form_submit_button(ctx.t("ui.users.disable_submit"), key="users-disable-submit"):
        if sure and gone:
            _act(lambda: ctx.store.disable_user(ctx.user, gone), ctx.t("ui.users.disabled_done", user=gone))
        else:
            st.error(ctx.t("ui.users.disable_unconfirmed"))
