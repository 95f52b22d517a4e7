"""Signing in, as an attacker and an ordinary user would try it: made-up and stale principals, disabled users,
role changes, logout, idle expiry, password guessing, weak passwords, the browser cookie, and consent age."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest
from sqlalchemy import select, text, update

from matcher import keys
from matcher.auth import AccessDenied, LoginPolicy, Principal, Role, password_problem
from matcher.store.login_tables import LoginSession
from matcher.store.plans import PlanItemInput
from matcher.store.service import CaseStore
from matcher.store.sessions import LoginThrottled
from matcher.store.tables import AuditEntry
from tests.conftest import FAST, KEY

DAY = dt.date(2026, 1, 15)
ADMIN_ACTIONS = {
    "list_users": lambda s, who: s.list_users(who),
    "add_user": lambda s, who: s.add_user(who, "mallory", "a-long-enough-secret", "admin"),
    "set_role": lambda s, who: s.set_role(who, "anna", "admin"),
    "disable_user": lambda s, who: s.disable_user(who, "anna"),
    "verify_audit": lambda s, who: s.verify_audit(who),
    "audit_entries": lambda s, who: s.audit_entries(who),
    "units": lambda s, who: s.units(who),
    "catalogue_log": lambda s, who: s.catalogue_log(who, "NORR"),
    "catalogue": lambda s, who: s.catalogue(who, "NORR"),
}


@pytest.fixture
def users(store) -> dict[str, Principal]:
    store.add_user(None, "admin", "admin-password", "admin")
    admin = store.login("admin", "admin-password")
    store.add_user(admin, "anna", "anna-password", "social_worker", "NORR")
    return {"admin": admin, "anna": store.login("anna", "anna-password")}


def _actions(store, action: str) -> list[tuple[str, str | None]]:
    with store.engine.connect() as conn:
        return conn.execute(select(AuditEntry.actor, AuditEntry.detail).where(AuditEntry.action == action)
                            .order_by(AuditEntry.seq)).all()


def test_a_made_up_principal_does_nothing(store, users) -> None:
    ghost = Principal("ghost", Role.ADMIN, None, "made-up-token")
    forged = Principal("anna", Role.ADMIN, None, users["anna"].token)  # a real session, a role it does not have
    for action in ADMIN_ACTIONS.values():
        with pytest.raises(AccessDenied, match=r"^ghost: not signed in, or signed out after 30 minutes"):
            action(store, ghost)
        with pytest.raises(AccessDenied, match=r"^anna: your role or unit was changed \(now social_worker, unit "
                                               r"NORR\); reload the page"):
            action(store, forged)
    assert store.list_users(users["admin"])[1]["username"] == "anna"  # nothing changed
    assert [actor for actor, _ in _actions(store, "denied:user.list")] == ["ghost", "anna"]


def test_disabling_a_user_or_changing_the_role_takes_effect_at_the_next_call(store, users) -> None:
    admin, anna = users["admin"], users["anna"]
    code = store.create_case(anna)
    store.set_role(admin, "anna", "methodologist")
    with pytest.raises(AccessDenied, match=r"^anna: your role or unit was changed \(now methodologist, unit NORR\)"):
        store.plan(anna, code)
    renewed = store.resume(anna.token)  # what the app does on the next click
    assert renewed is not None and (renewed.role, renewed.unit) == (Role.METHODOLOGIST, "NORR")
    store.disable_user(admin, "anna")
    with pytest.raises(AccessDenied, match=r"^anna: this account has been disabled; ask an admin$"):
        store.catalogue(renewed, "NORR")
    assert store.resume(anna.token) is None
    with pytest.raises(AccessDenied, match=r"^unknown user, wrong password or disabled account$"):
        store.login("anna", "anna-password")


def test_logout_ends_the_session_on_the_server(store, users) -> None:
    anna = users["anna"]
    cookie = store.cookie(anna)
    assert store.resume_cookie(cookie) == anna
    store.logout(anna)
    assert store.resume(anna.token) is None and store.resume_cookie(cookie) is None
    with pytest.raises(AccessDenied, match=r"^anna: not signed in"):
        store.list_cases(anna)
    assert [actor for actor, _ in _actions(store, "logout")] == ["anna"]


def test_a_cookie_that_was_not_signed_here_opens_nothing(store, users) -> None:
    anna = users["anna"]
    token, _, mac = store.cookie(anna).rpartition(".")
    assert store.resume_cookie(f"{token}.{'0' * len(mac)}") is None
    assert store.resume_cookie(token) is None and store.resume_cookie("") is None
    other_key = keys.subkey(b"another-key-of-32-bytes-exactly!", "session-cookie")
    signed_elsewhere = hmac.new(other_key, token.encode(), hashlib.sha256).hexdigest()[:32]
    assert store.resume_cookie(f"{token}.{signed_elsewhere}") is None


def test_a_session_ends_after_the_idle_timeout(store, users) -> None:
    anna = users["anna"]
    short = CaseStore(store.engine, store.rules, key=KEY, passwords=FAST, login_policy=LoginPolicy(idle_minutes=5))
    short.list_cases(anna)
    with store.engine.begin() as conn:
        conn.execute(update(LoginSession).values(last_seen=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)))
    with pytest.raises(AccessDenied, match=r"^anna: not signed in, or signed out after 5 minutes without activity; "
                                           r"sign in again$"):
        short.list_cases(anna)
    assert short.resume(anna.token) is None


def test_guessing_passwords_is_slowed_then_locked_and_every_failure_is_audited(store, users) -> None:
    strict = CaseStore(store.engine, store.rules, key=KEY, passwords=FAST,
                       login_policy=LoginPolicy(max_delay_s=0))  # no waiting between tries: straight to the lock
    for _ in range(10):
        with pytest.raises(AccessDenied, match=r"^unknown user, wrong password or disabled account$"):
            strict.login("anna", "wrong-password", client="app:10.0.0.7")
    for _ in range(15):
        with pytest.raises(LoginThrottled, match=r"^too many failed logins for this user or from this computer; try "
                                                 r"again in 9[0-9][0-9] seconds$"):
            strict.login("anna", "wrong-password", client="app:10.0.0.7")
    with pytest.raises(LoginThrottled):
        strict.login("anna", "anna-password", client="app:10.0.0.8")  # the right password, from elsewhere: locked
    assert len(_actions(store, "login.failed")) == 10
    assert _actions(store, "login.locked") == [("anna", "user:anna for 15 minutes")]
    assert len(_actions(store, "login.throttled")) == 16
    with store.engine.begin() as conn:  # a quarter of an hour later
        conn.execute(text("UPDATE login_throttle SET locked_until = :t"),
                      {"t": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)})
    assert strict.login("anna", "anna-password", client="app:10.0.0.8").username == "anna"


def test_failed_attempts_wait_longer_and_longer(store, users) -> None:
    policy = LoginPolicy()
    assert [policy.delay_s(n) for n in range(12)] == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    for _ in range(3):
        with pytest.raises(AccessDenied):
            store.login("anna", "wrong-password")
    with pytest.raises(LoginThrottled, match=r"try again in 1 seconds$"):
        store.login("anna", "anna-password")  # too soon after three failures, even with the right password


def test_one_client_trying_many_names_is_locked(store, users) -> None:
    strict = CaseStore(store.engine, store.rules, key=KEY, passwords=FAST, login_policy=LoginPolicy(max_delay_s=0))
    for n in range(30):
        with pytest.raises(AccessDenied):
            strict.login(f"user{n}", "wrong-password", client="app:10.0.0.9")
    with pytest.raises(LoginThrottled):
        strict.login("anna", "anna-password", client="app:10.0.0.9")
    assert strict.login("anna", "anna-password", client="app:10.0.0.10").username == "anna"  # another client


@pytest.mark.parametrize(("password", "problem"), [
    ("short-pw", "a password needs at least 12 characters; this one has 8"),
    ("Kristoffer-1", "a password may not be the user name"),
    ("password1234", "this password is on the list of common passwords that are tried first in an attack; choose "
                     "another"),
    ("Lösenord2026!", "this password is on the list of common passwords that are tried first in an attack; choose "
                      "another"),
    ("tre gröna äpplen i korgen", None),
])
def test_password_rules(password: str, problem: str | None) -> None:
    assert password_problem(password, "kristoffer") == problem


def test_a_weak_password_is_refused_when_a_user_is_added(store, users) -> None:
    with pytest.raises(ValueError, match=r"^password for nils: this password is on the list of common passwords"):
        store.add_user(users["admin"], "nils", "qwertyuiop123", "evaluator")


def test_consent_age_comes_from_the_date_of_birth_not_a_typed_age(store, users) -> None:
    anna = users["anna"]
    child = store.create_case(anna, personnummer="20121212-1212")  # 13 on DAY
    store.add_assessment(anna, child, {"context": {"age": 19, "placement": "home", "caregiver": "takes_part"},
                                       "factors": {"peer_delinquency": 2}}, DAY)  # a typed age that is wrong
    store.save_plan(anna, child, [PlanItemInput("school-support", "skola", "Gå i skolan", DAY, DAY)], 0)
    store.add_consent(anna, child, "youth", ["skola"], DAY)
    assert store.shared_plan(anna, child, DAY)[0].givers == ("guardian",)  # still missing: a guardian's consent
    unknown = store.create_case(anna)  # no personnummer, no date of birth: a guardian's consent is needed too
    store.save_plan(anna, unknown, [PlanItemInput("school-support", "skola", "Gå i skolan", DAY, DAY)], 0)
    store.add_consent(anna, unknown, "youth", ["skola"], DAY)
    assert not store.shared_plan(anna, unknown, DAY)[0].shown

