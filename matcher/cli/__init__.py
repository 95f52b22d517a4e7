"""`matcher ...`: the command line. User errors print a message and exit 2, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from matcher.cli import catalogue as cli_catalogue
from matcher.cli import models as cli_models
from matcher.cli import population as cli_population
from matcher.cli import rules as cli_rules
from matcher.cli import store as cli_store
from matcher.engine.cards import intervention_card
from matcher.engine.case_files import read_cases
from matcher.engine.cases import case_json_schema
from matcher.engine.explain import explain
from matcher.engine.matching import match
from matcher.engine.population_run import FORMATS
from matcher.engine.render import card_text, result_text
from matcher.errors import InputError, RuleBaseError
from matcher.i18n import DEFAULT_LANG, LANGS, swedish_today
from matcher.keys import OutsideKeyError
from matcher.local.availability import availability
from matcher.local.catalogue import load_catalogue
from matcher.modelling.registry import active_model
from matcher.rulebase.loading import RuleBase, load_rule_base
from matcher.store.db import database_url


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (InputError, RuleBaseError, OutsideKeyError) as exc:
        print(f"matcher: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:  # the database does not answer: one line, not the driver's page
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        print(f"matcher: the database {make_url(database_url()).render_as_string(hide_password=True)} could not "
              f"be reached ({reason}); check DATABASE_URL and that the server runs", file=sys.stderr)
        return 2
    finally:
        cli_store.sign_out()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matcher", description="Insatsmatch: match assessed factors to insatser.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    rec = sub.add_parser("recommend", help="recommend insatser for one or many cases")
    rec.add_argument("cases", type=Path, help="a case file: .json (one case or a list), .jsonl or .csv")
    rec.add_argument("--top", type=_positive, default=None, help="how many to recommend (default: policy.yaml)")
    rec.add_argument("--format", choices=("text", "json", *FORMATS), default="text",
                     help="text, json: the whole file at once (up to 50 MiB); csv, jsonl: a population run, a .csv "
                          "file of any size streamed in chunks (docs/case-format.md)")
    rec.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG)
    rec.add_argument("--rules", type=Path, default=None, help="rule base folder (default: rules/)")
    rec.add_argument("--catalogue", type=Path, default=None,
                     help="a unit's local catalogue file: say beside each recommendation whether the unit offers it")
    cli_population.register_recommend(rec)
    rec.set_defaults(run=_recommend)

    cli_rules.register(sub)

    show = sub.add_parser("show", help="look up one intervention (warns about do-not-offer practices)")
    show.add_argument("id")
    show.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG)
    show.add_argument("--rules", type=Path, default=None)
    show.set_defaults(run=_show)

    schema = sub.add_parser("schema", help="write the JSON Schema of the case format")
    schema.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    schema.add_argument("--rules", type=Path, default=None)
    schema.set_defaults(run=_schema)
    cli_store.register(sub)
    cli_catalogue.register(sub)
    cli_models.register(sub)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, found {text!r}")
    return value


def _rules(path: Path | None) -> RuleBase:
    return load_rule_base(path)


def _recommend(args: argparse.Namespace) -> int:
    if args.format in FORMATS:
        return cli_population.recommend_population(args)
    cli_population.refuse_population_options(args)
    rules = _rules(args.rules)
    cases = read_cases(args.cases, rules)
    if cases.read_as:
        print(f"matcher: {args.cases}: {cases.read_as}", file=sys.stderr)
    catalogue = load_catalogue(args.catalogue, rules) if args.catalogue else None
    result = match(cases, rules, active_model(rules), top_k=args.top)
    many = args.cases.suffix.lower() in (".jsonl", ".csv") or len(cases) > 1
    for n in range(len(result)):
        res = explain(result, n, args.lang)
        if catalogue is not None:
            res["availability"] = availability(result, n, catalogue, None, swedish_today(), args.lang)
        if args.format == "json":
            print(json.dumps(res, ensure_ascii=False, indent=None if many else 2))
        else:
            print(result_text(res, args.lang) + ("\n" if n < len(result) - 1 else ""))
    return 0


def _show(args: argparse.Namespace) -> int:
    rules = _rules(args.rules)
    print(card_text(intervention_card(rules, args.id, args.lang), args.lang))
    return 0


def _schema(args: argparse.Namespace) -> int:
    return cli_rules.emit(json.dumps(case_json_schema(_rules(args.rules)), ensure_ascii=False, indent=2) + "\n",
                          args.out)

