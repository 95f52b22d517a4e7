"""Running the app in AppTest as a logged-in demo user, on a demo database made once per test session."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest

from matcher.auth import Principal, Role
from matcher.modelling.registry import register
from tests.conftest import ROOT
from ui.shared.context import current_store
from ui.shared.login import TOKEN

APP = str(ROOT / "app.py")
PASSWORD = "demo-password-for-tests"
SHIPPED = "logistic-20261203-4276f2cb"  # the committed candidate (models/registry.json)
COPY = "logistic-20261204-copy0001"
DEMO_USERS = {Role.SOCIAL_WORKER: "anna", Role.METHODOLOGIST: "mona", Role.EVALUATOR: "eva", Role.ADMIN: "admin",
              Role.MANAGER: "maja", Role.SIG_COORDINATOR: "kim", Role.PARTNER: "sara"}  # sara: the school


def sign_in(role: Role) -> Principal:
    """A real login session for the demo user of ``role`` on the app's database (seeded here if it is new),
    exactly as the login page makes one."""
    store = current_store("sv")
    return store.login(DEMO_USERS[role], PASSWORD, client="apptest")


def use_demo_database(folder: Path, histories: int = 0) -> None:
    """Point the app at ``folder`` (seeded on first use) with a known demo password, and ``histories`` synthetic
    young people with follow-ups for the effects report (none unless a test needs them: they take seconds)."""
    os.environ["INSATSMATCH_DEMO_HISTORIES"] = str(histories)
    os.environ["INSATSMATCH_DATA"] = str(folder)
    os.environ["INSATSMATCH_DEMO_PASSWORD"] = PASSWORD
    os.environ["INSATSMATCH_HMAC_KEY"] = "cd" * 32
    os.environ.pop("DATABASE_URL", None)
    st.cache_resource.clear()
    st.cache_data.clear()


def app_as(role: Role | None, page: str | None = None, lang: str = "sv") -> AppTest:
    """The app after login as the demo user of ``role`` (None: not logged in), on ``page`` if given."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = lang
    if role is not None:
        at.session_state[TOKEN] = sign_in(role).token
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def shown(table: Any) -> pd.DataFrame:
    """A table (st.dataframe in AppTest) with the column headers a reader sees: its column configuration's
    labels where it has them."""
    config = json.loads(table.proto.columns or "{}")
    return table.value.rename(columns=lambda c: config.get(str(c), {}).get("label") or c)


def second_candidate(models: Path) -> None:
    """A second trusted candidate in ``models``, listed after the shipped one (so the models page opens on it): the
    shipped model's files under the id ``COPY``, registered as training would (signed with the current key)."""
    shutil.copytree(models / SHIPPED, models / COPY)
    for name in ("model.json", "card.json"):
        path = models / COPY / name
        path.write_text(path.read_text().replace(SHIPPED, COPY))
    register(models, COPY, "eva")
