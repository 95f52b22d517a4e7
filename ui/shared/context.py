"""What every page needs: the logged-in user, the language, the case store, the rules and model in use.

The store is one per server process (``st.cache_resource``); on first start it migrates the database
and, unless ``INSATSMATCH_DEMO=0``, seeds demo users and synthetic cases (their passwords are shown on the
login page in demo mode, never printed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from matcher import InputError, RiskModel, RuleBase, RuleBaseError
from matcher.auth import AccessDenied, Principal
from matcher.errors import ConflictError
from matcher.i18n import in_sweden, t
from matcher.keys import OutsideKeyError
from matcher.store.db import connect, upgrade
from matcher.store.demo import demo_enabled, remember_passwords, seed
from matcher.store.service import CaseStore
from ui.shared.loading import notice, served, worded

USER = "user"


@st.cache_resource
def _engine() -> Engine:
    """The database of this server process: migrated, and seeded with demo data when it is empty."""
    engine = connect()
    upgrade(engine)
    if demo_enabled():
        rules, model, _ = served()
        passwords = seed(CaseStore(engine, rules), model)
        if passwords:
            remember_passwords(passwords)
    return engine


@st.cache_resource(max_entries=4)
def case_store(digest: str, _rules: RuleBase) -> CaseStore:
    """The store, validating against the rule base in use (``digest`` is its content hash)."""
    return CaseStore(_engine(), _rules)


@dataclass(frozen=True)
class Page:
    user: Principal
    lang: str
    store: CaseStore
    rules: RuleBase
    model: RiskModel

    def t(self, key: str, **values: Any) -> str:
        return t(self.lang, key, **values)


def serving(lang: str) -> tuple[RuleBase, RiskModel, Exception | None]:
    """The rule base and model in use, or a message and a stop when none could ever be loaded."""
    try:
        return served()
    except (RuleBaseError, InputError) as exc:
        st.error(t(lang, "ui.rules_broken") + "\n\n" + worded(exc, lang))
        st.stop()
        raise  # not reached: st.stop ends the run


def current_store(lang: str) -> CaseStore:
    """The case store, or a message and a stop when it cannot be opened (a missing or wrong outside key, a
    schema that needs `matcher db upgrade`, demo mode refused): nothing is shown or saved without it."""
    rules, _, _ = serving(lang)
    try:
        return case_store(rules.content_hash, rules)
    except (OutsideKeyError, InputError) as exc:
        st.error(t(lang, "ui.store_unavailable") + "\n\n" + str(exc))
        st.stop()
        raise  # not reached: st.stop ends the run


def page() -> Page:
    """The context of a page; pages are only reachable after login (app.py re-reads the user on every run)."""
    lang = st.session_state.get("lang", "sv")
    user = st.session_state.get(USER)
    if user is None:
        st.stop()
    rules, model, problem = serving(lang)
    if problem:
        st.warning(notice(lang, user.role, rules, problem))
    return Page(user, lang, case_store(rules.content_hash, rules), rules, model)


def report(ctx: Page, exc: Exception) -> None:
    """A user-caused error as a readable message, in the reader's language where the error has one (an insats id
    among its values is shown by name); the page keeps working."""
    key = {InputError: "ui.error.input", AccessDenied: "ui.error.access", ConflictError: "ui.error.conflict"}
    text = str(exc)
    if isinstance(exc, InputError) and exc.details:
        text = "  \n".join(line.text(ctx.lang) for line in exc.details)
    elif isinstance(exc, InputError) and exc.key:
        values = dict(exc.values)
        if "insats" in values and values["insats"] in ctx.rules.ids:
            values["insats"] = ctx.rules.interventions[ctx.rules.index(values["insats"])].model.name.get(ctx.lang)
        text = ctx.t(exc.key, **values)
    st.error(ctx.t(key.get(type(exc), "ui.error.input")) + "\n\n" + text)


def swedish_time(at: dt.datetime, seconds: bool = False) -> str:
    """A stored timestamp (UTC; SQLite returns it without its zone) as a Swedish reader's clock shows it."""
    local = in_sweden(at)
    return f"{local:%Y-%m-%d %H:%M:%S}" if seconds else f"{local:%Y-%m-%d %H:%M}"


def synthetic_badge(ctx: Page, synthetic: bool) -> str:
    return f" {ctx.t('text.synthetic')}" if synthetic else ""
