"""`matcher db|users|audit|export`: the case store from the command line.

The store opens with the outside key (``matcher.keys``): a missing key, a key of the wrong length or one that
does not match the database stops every command with a message that says which key and where it was looked for.

Commands that act for a user log in first: the user from --as (or INSATSMATCH_USER), the password
from INSATSMATCH_PASSWORD or a prompt. On an empty database the first user, an admin, can be added
without logging in.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from matcher import keys
from matcher.auth import AccessDenied, Principal, Role
from matcher.errors import ConflictError, InputError
from matcher.rulebase.loading import load_rule_base
from matcher.store.db import connect, current_revision, database_url, upgrade
from matcher.store.service import CaseStore
from matcher.textfiles import DIALECTS


def acting_parser() -> argparse.ArgumentParser:
    """A parent parser with the --as option of every command that acts for a logged-in user."""
    acting = argparse.ArgumentParser(add_help=False)
    add_acting(acting)
    return acting


def add_acting(parser: argparse.ArgumentParser) -> None:
    """The --as option: log in as this user."""
    parser.add_argument("--as", dest="acting_user", default=os.environ.get("INSATSMATCH_USER"),
                        help="log in as this user (default: INSATSMATCH_USER)")


def register(name: str, parser: argparse.ArgumentParser) -> None:
    acting = acting_parser()
    actions = parser.add_subparsers(required=True, metavar="WHAT" if name == "export" else "ACTION")
    if name == "db":
        actions.add_parser("upgrade", help="create or migrate the database (DATABASE_URL) to the newest schema") \
            .set_defaults(run=_db_upgrade)
    elif name == "users":
        add = actions.add_parser("add", parents=[acting], help="add a user; the password comes from standard input "
                                                               "or a prompt")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=[r.value for r in Role])
        add.add_argument("--unit", help="the unit code (required for social workers, SIG coordinators, managers and "
                                        "partners)")
        add.add_argument("--agency", help="a partner's agency: school, police, bup, sis, frivard, leisure, other (or "
                                          "skola, polis, region, kriminalvarden, fritid, annan); docs/sig.md")
        add.set_defaults(run=_users_add)
        actions.add_parser("list", parents=[acting], help="list users").set_defaults(run=_users_list)
        disable = actions.add_parser("disable", parents=[acting], help="disable a user's login")
        disable.add_argument("username")
        disable.set_defaults(run=_users_disable)
        set_role = actions.add_parser("set-role", parents=[acting], help="change a user's role (and unit)")
        set_role.add_argument("username")
        set_role.add_argument("role", choices=[r.value for r in Role])
        set_role.add_argument("--unit")
        set_role.add_argument("--agency", help="a partner's agency, as for add")
        set_role.set_defaults(run=_users_set_role)
    elif name == "audit":
        actions.add_parser("verify", parents=[acting], help="check the hash chain, the newest checkpoint and the "
                                                            "seals of the case rows; exit 1 and name every problem") \
            .set_defaults(run=_audit_verify)
        actions.add_parser("checkpoint", parents=[acting], help="write a signed checkpoint of the log's head and the "
                                                                "case tables to the checkpoint file now") \
            .set_defaults(run=_audit_checkpoint)
        actions.add_parser("seal", parents=[acting], help="seal the case rows written before seals existed (once, "
                                                          "after 'db upgrade' to revision 0004)") \
            .set_defaults(run=_audit_seal)
    else:
        outcomes = actions.add_parser("outcomes", parents=[acting], help="follow-up outcomes in the training format")
        outcomes.add_argument("--out", type=Path, required=True)
        outcomes.add_argument("--min-group", type=int, default=None,
                              help="the fewest young people per combination of month, sex, born abroad, age band, "
                                   "placement and sanction (default and minimum: export_min_group in "
                                   "rules/policy.yaml)")
        outcomes.add_argument("--csv-dialect", choices=DIALECTS, default="standard",
                              help="standard: commas, UTF-8 (the training format, default); excel-sv: semicolons, "
                                   "byte-order mark, decimal comma (Swedish Excel)")
        outcomes.set_defaults(run=_export_outcomes)


def store() -> CaseStore:
    engine = connect()
    if current_revision(engine) is None:
        raise InputError(f"the database {engine.url.render_as_string(hide_password=True)} has no schema yet; "
                         f"run 'matcher db upgrade' first")
    try:
        return CaseStore(engine, load_rule_base())
    except keys.OutsideKeyError as exc:
        raise InputError(str(exc)) from None


_SIGNED_IN: list[tuple[CaseStore, Principal]] = []


def login(case_store: CaseStore, args: argparse.Namespace) -> Principal:
    """A login session for this one command; ``sign_out`` ends it when the command ends."""
    if not args.acting_user:
        raise InputError("log in with --as USER (or set INSATSMATCH_USER)")
    try:
        password = os.environ.get("INSATSMATCH_PASSWORD") or getpass.getpass(f"Password for {args.acting_user}: ")
    except EOFError:
        raise InputError(f"no password for {args.acting_user}: there is no terminal to ask in and standard input is "
                         f"empty; set INSATSMATCH_PASSWORD or run the command in a terminal") from None
    try:
        who = case_store.login(args.acting_user, password, client=f"cli:{os.environ.get('USER', '')}")
    except AccessDenied as exc:
        raise InputError(f"login as {args.acting_user} failed: {exc}") from None
    _SIGNED_IN.append((case_store, who))
    return who


def sign_out() -> None:
    """End the login sessions this command opened."""
    while _SIGNED_IN:
        case_store, who = _SIGNED_IN.pop()
        case_store.logout(who)


def _new_password(username: str) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"New password for {username}: ")
    if getpass.getpass("Repeat it: ") != first:
        raise InputError("the two passwords differ; nothing was saved")
    return first


def guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A command that uses the store: access and conflict errors are user errors (a message and exit 2), so is a
    database that does not answer (one line, not the driver's page); the logins it made end with it."""

    def wrapped(args: argparse.Namespace) -> int:
        try:
            return int(run(args))
        except (AccessDenied, ConflictError, ValueError) as exc:
            raise InputError(str(exc)) from None
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
            raise InputError(f"the database {make_url(database_url()).render_as_string(hide_password=True)} could "
                             f"not be reached ({reason}); check DATABASE_URL and that the server runs") from None
        finally:
            sign_out()

    return wrapped


@guarded
def _db_upgrade(args: argparse.Namespace) -> int:
    engine = connect()
    upgrade(engine)
    print(f"{engine.url.render_as_string(hide_password=True)}: schema at revision {current_revision(engine)}")
    return 0


@guarded
def _users_add(args: argparse.Namespace) -> int:
    case_store = store()
    who = login(case_store, args) if case_store.has_users() else None
    case_store.add_user(who, args.username, _new_password(args.username), args.role, args.unit, args.agency)
    print(f"user {args.username} added as {args.role}" + (f" of {args.agency}" if args.agency else "")
          + (f" in unit {args.unit}" if args.unit else ""))
    return 0


@guarded
def _users_list(args: argparse.Namespace) -> int:
    case_store = store()
    for user in case_store.list_users(login(case_store, args)):
        state = "" if user["active"] else "  (disabled)"
        print(f"{user['username']:<20} {user['role']:<16} {user['unit']:<12} {user['agency']:<14}{state}".rstrip())
    return 0


@guarded
def _users_disable(args: argparse.Namespace) -> int:
    case_store = store()
    case_store.disable_user(login(case_store, args), args.username)
    print(f"user {args.username} disabled")
    return 0


@guarded
def _users_set_role(args: argparse.Namespace) -> int:
    case_store = store()
    case_store.set_role(login(case_store, args), args.username, args.role, args.unit, args.agency)
    print(f"user {args.username} is now {args.role}")
    return 0


@guarded
def _audit_verify(args: argparse.Namespace) -> int:
    case_store = store()
    problems = case_store.verify_audit(login(case_store, args))
    for problem in problems:
        print(problem)
    print("audit log intact" if not problems else f"{len(problems)} problem{'s' if len(problems) > 1 else ''} "
          f"in the audit log of {database_url().split('@')[-1]}")
    return 1 if problems else 0


@guarded
def _audit_checkpoint(args: argparse.Namespace) -> int:
    case_store = store()
    checkpoint = case_store.write_checkpoint(login(case_store, args))
    print(f"{case_store.checkpoint_file}: {checkpoint} written ({sum(n for n, _ in checkpoint.rows.values())} "
          f"case rows counted)")
    return 0


@guarded
def _audit_seal(args: argparse.Namespace) -> int:
    case_store = store()
    counts = case_store.seal_rows(login(case_store, args))
    print(", ".join(f"{table}: {n}" for table, n in counts.items()) + " rows sealed" if counts else
          "no unsealed rows: nothing to seal")
    return 0


@guarded
def _export_outcomes(args: argparse.Namespace) -> int:
    case_store = store()
    summary = case_store.export_outcomes(login(case_store, args), args.out, args.min_group, args.csv_dialect)
    print(f"{args.out}: {summary}")
    return 0
