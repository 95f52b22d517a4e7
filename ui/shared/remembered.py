"""What a page draws from data it has read, kept in the session while the data stays the same: a rerun (any click
on the page) shows the kept drawing instead of drawing it again (a report's charts are 0.3-0.6 s of matplotlib)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

T = TypeVar("T")


def remembered(key: str, inputs: object, make: Callable[[], T]) -> T:
    """``make()``, or what it gave the last time this session asked under ``key`` with equal ``inputs``."""
    kept = st.session_state.get(key)
    if kept is not None and kept[0] == inputs:
        return kept[1]  # type: ignore[no-any-return]
    value = make()
    st.session_state[key] = (inputs, value)
    return value
