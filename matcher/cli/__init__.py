"""`matcher ...`: the command line. User errors print a message and exit 2, never a traceback.

Every command names the module that registers its arguments and runs it; only the module of the command given
is imported, so a command pays for its own imports (the store, plotting, model training) and for no other's, and
``matcher --help`` for none.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from matcher.errors import InputError, RuleBaseError
from matcher.keys import OutsideKeyError

# name -> (the module whose ``register(name, parser)`` adds its arguments, the help `matcher --help` lists)
COMMANDS: dict[str, tuple[str, str]] = {
    "recommend": ("matcher.cli.cases", "recommend insatser for one or many cases"),
    "rules": ("matcher.cli.rules", "work with the rule base"),
    "show": ("matcher.cli.cases", "look up one intervention (warns about do-not-offer practices)"),
    "schema": ("matcher.cli.cases", "write the JSON Schema of the case format"),
    "db": ("matcher.cli.store", "the case store's database"),
    "users": ("matcher.cli.store", "manage users (admin)"),
    "audit": ("matcher.cli.store", "the audit log (admin)"),
    "export": ("matcher.cli.store", "pseudonymised exports (evaluator)"),
    "catalogue": ("matcher.cli.catalogue", "a unit's local service catalogue (methodologist, admin)"),
    "report": ("matcher.cli.catalogue", "reports for managers and evaluators"),
    "synth": ("matcher.cli.models", "write synthetic data (labelled synthetic): training rows with outcomes (--n) or "
                                    "a population of cases to recommend for (--cases)"),
    "convert": ("matcher.cli.models", "turn a public SAVRY data set into the training format"),
    "train": ("matcher.cli.models", "train, cross-validate and register a candidate model (an evaluator, logged in "
                                    "with --as)"),
    "evaluate": ("matcher.cli.models", "the card's figures for a registered model on any data"),
    "models": ("matcher.cli.models", "the model registry"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser(argv).parse_args(argv)
    try:
        return int(args.run(args))
    except (InputError, RuleBaseError, OutsideKeyError) as exc:
        print(f"matcher: {exc}", file=sys.stderr)
        return 2


def _parser(argv: list[str]) -> argparse.ArgumentParser:
    """Every command with its help; the arguments only of the command given (the first word not an option)."""
    parser = argparse.ArgumentParser(prog="matcher", description="Insatsmatch: match assessed factors to insatser.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    given = next((word for word in argv if not word.startswith("-")), None)
    for name, (module, text) in COMMANDS.items():
        command = sub.add_parser(name, help=text, description=text)
        if name == given:
            importlib.import_module(module).register(name, command)
    return parser
