"""The pages of the app and the permission each needs; a role sees exactly the pages it may use.

Every page's address is known to the router for everyone: a page the reader may not open (or any page before
login) answers its address with a page of our own that says so in the reader's language, never Streamlit's
English "Page not found", and never the page itself. An address that is no page at all (a typo, an old bookmark)
opens the reader's first page with a Swedish note, and the first page's own address simply opens it (Streamlit
knows the default page only as the bare root)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner import get_script_run_ctx

from matcher.auth import PERMISSIONS, Action, Principal, Role
from matcher.i18n import t

# (script, title message key, icon, the action the page needs, or a tuple of actions any one of which opens it)
PAGES: tuple[tuple[str, str, str, Action | tuple[Action, ...]], ...] = (
    ("ui/case_work/cases.py", "ui.page.cases", ":material/folder_open:", Action.CASE_READ),
    ("ui/case_work/assess.py", "ui.page.assess", ":material/edit_note:", Action.CASE_WRITE),
    ("ui/case_work/recommend.py", "ui.page.recommend", ":material/explore:", Action.CASE_READ),
    ("ui/case_work/plan.py", "ui.page.plan", ":material/handshake:", Action.CASE_READ),
    ("ui/case_work/follow_up.py", "ui.page.follow_up", ":material/trending_up:", Action.CASE_READ),
    ("ui/case_work/sig_meeting.py", "ui.page.sig_meeting", ":material/groups:", Action.SIG_MEETING),
    ("ui/local_offer/gaps.py", "ui.page.gaps", ":material/query_stats:", Action.REPORTS_READ),
    # managers (their unit) and evaluators (aggregates, as their outcome export): store.effects.authorize_effects
    ("ui/local_offer/effects.py", "ui.page.effects", ":material/insights:", (Action.REPORTS_READ,
                                                                            Action.EXPORT_OUTCOMES)),
    ("ui/rules/browse.py", "ui.page.rules_browse", ":material/menu_book:", Action.RULES_READ),
    ("ui/rules/edit.py", "ui.page.rules_edit", ":material/edit:", Action.RULES_WRITE),
    ("ui/rules/history.py", "ui.page.rules_history", ":material/history:", Action.RULES_READ),
    ("ui/models/registry.py", "ui.page.models", ":material/analytics:", Action.MODELS_MANAGE),
    ("ui/models/train.py", "ui.page.train", ":material/model_training:", Action.MODELS_MANAGE),
    ("ui/admin/users.py", "ui.page.users", ":material/group:", Action.USERS_MANAGE),
    ("ui/admin/audit.py", "ui.page.audit", ":material/verified_user:", Action.AUDIT_READ),
    ("ui/local_offer/catalogue.py", "ui.page.catalogue", ":material/storefront:", Action.CATALOGUE_READ),
)


LOGIN = "login"  # the login page's address


def pages_for(role: Role) -> list[tuple[str, str, str]]:
    return [(script, title, icon) for script, title, icon, needs in PAGES
            if set(needs if isinstance(needs, tuple) else (needs,)) & PERMISSIONS[role]]


def _address(script: str) -> str:
    return Path(script).stem  # what Streamlit derives from the file name


def _closed(lang: str, title: str, first: StreamlitPage | None, login: Callable[[], None]) -> Callable[[], None]:
    """The page behind an address the reader may not open: before login, the login with a note; after, a note
    and a link to the reader's own first page."""
    def page() -> None:
        if first is None:
            st.info(t(lang, "ui.page.login_first", page=title))
            login()
        else:
            st.title(title)
            st.warning(t(lang, "ui.page.not_allowed", page=title))
            st.page_link(first, label=t(lang, "ui.page.go_to", page=first.title))
    return page


def navigation(lang: str, user: Principal | None, login: Callable[[], None]) -> StreamlitPage:
    """The router: the reader's own pages in the menu, every other page's address answered by ``_closed``."""
    own_pages = pages_for(user.role) if user else []
    if user is None:
        opened = [st.Page(login, title=t(lang, "ui.login.title"), icon=":material/login:", url_path=LOGIN,
                          default=True)]
        first = None
    else:
        opened = [st.Page(script, title=t(lang, title), icon=icon) for script, title, icon in own_pages]
        first = opened[0]
    own = {script for script, _, _ in own_pages}
    closed = [st.Page(_closed(lang, t(lang, title), first, login), title=t(lang, title), url_path=_address(script),
                      visibility="hidden") for script, title, _, _ in PAGES if script not in own]
    asked = _asked_address()
    unknown = asked is not None and asked not in {LOGIN, *(_address(script) for script, *_ in PAGES)}
    if asked is not None and (unknown or asked in (LOGIN, _address(own_pages[0][0]) if own_pages else LOGIN)):
        _open_default_page()  # the default page's own address, or no page: Streamlit knows the default only as /
    page = st.navigation(opened + closed)
    if unknown:
        st.warning(t(lang, "ui.page.unknown" if user else "ui.page.unknown_login", address=f"/{asked}"))
    return page


def _asked_address() -> str | None:
    """The address the browser asked for by name (a typed address, a bookmark, a reload), else None: later runs
    name their page by its hash."""
    run = get_script_run_ctx()
    if run is None or run.pages_manager.intended_page_script_hash:
        return None
    return run.pages_manager.intended_page_name or None


def _open_default_page() -> None:
    """Let the router open the default page without sending the browser its English "Page not found"."""
    run = get_script_run_ctx()
    if run is not None:
        run.pages_manager.set_script_intent("", "")
