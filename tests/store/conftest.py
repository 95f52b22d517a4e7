"""What the store's tests share: one user of each role in two units."""

import pytest

from matcher.auth import Principal


@pytest.fixture
def people(store) -> dict[str, Principal]:
    store.add_user(None, "admin", "admin-password", "admin")
    admin = store.login("admin", "admin-password")
    for name, role, unit in [("anna", "social_worker", "NORR"), ("sven", "social_worker", "SYD"),
                             ("mona", "methodologist", None), ("eva", "evaluator", None)]:
        store.add_user(admin, name, f"{name}-password", role, unit)
    return {name: store.login(name, f"{name}-password") for name in ("admin", "anna", "sven", "mona", "eva")}
