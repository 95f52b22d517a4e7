"""Half-filled forms that survive a page reload: the assessment, the decision and the plan, kept per user, case and
form until saved or discarded.

Drafts live in this server process's memory only: never on disk and never in the database, so a draft holds no
data a person with file access could read; a server restart drops them, and so does a day without use. Only the
user who wrote a draft gets it back (the key holds their user name, and pages are reached only after login).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ui.shared.context import Page, swedish_time

KEPT_FOR = dt.timedelta(hours=24)
RESTORED = "restored draft"  # the baseline of a form filled from a draft: it differs from any values


@dataclass(frozen=True)
class Draft:
    values: Any
    kept_at: dt.datetime


@st.cache_resource
def _drafts() -> tuple[threading.Lock, dict[tuple[str, str, str], Draft]]:
    return threading.Lock(), {}


def _key(ctx: Page, code: str, form: str) -> tuple[str, str, str]:
    return ctx.user.username, code, form


def keep(ctx: Page, code: str, form: str, values: Any) -> None:
    """Remember what the form holds now. What it held when this browser session first showed it (the saved data)
    needs no draft; a restored draft stays until saved or discarded."""
    baseline = st.session_state.setdefault(f"draft-baseline-{form}-{code}", values)
    lock, drafts = _drafts()
    with lock:
        if values == baseline:
            drafts.pop(_key(ctx, code, form), None)
        else:
            drafts[_key(ctx, code, form)] = Draft(values, dt.datetime.now(dt.UTC))


def drop(ctx: Page, code: str, form: str) -> None:
    """The form is saved or its draft discarded: nothing more to keep."""
    st.session_state.pop(f"draft-baseline-{form}-{code}", None)
    lock, drafts = _drafts()
    with lock:
        drafts.pop(_key(ctx, code, form), None)


def pending(ctx: Page, code: str, form: str) -> bool:
    """Whether a draft is waiting: a folded form that holds one opens."""
    lock, drafts = _drafts()
    with lock:
        return _key(ctx, code, form) in drafts


def restored(ctx: Page, code: str, form: str, widget_prefix: str | tuple[str, ...]) -> Any | None:
    """The draft to fill the form with in a new browser session (after a reload or a new login), with a note
    and a button to discard it; None when there is none or this session's widgets already hold the values."""
    baseline = st.session_state.get(f"draft-baseline-{form}-{code}")
    if baseline is not None and baseline != RESTORED:  # this session's own form: its widgets hold the values
        return None
    lock, drafts = _drafts()
    with lock:
        now = dt.datetime.now(dt.UTC)
        for key in [k for k, d in drafts.items() if now - d.kept_at > KEPT_FOR]:
            del drafts[key]
        found = drafts.get(_key(ctx, code, form))
    if found is None:
        return None
    st.session_state.setdefault(f"draft-baseline-{form}-{code}", RESTORED)
    note, discard = st.columns([4, 1], vertical_alignment="center")
    note.info(ctx.t("ui.draft.restored", when=swedish_time(found.kept_at)), icon=":material/restore:")
    if discard.button(ctx.t("ui.draft.discard"), key=f"discard-{form}"):
        drop(ctx, code, form)
        for widget in [k for k in st.session_state if str(k).startswith(widget_prefix)]:
            del st.session_state[widget]
        st.rerun()
    return found.values
