"""`matcher recommend|show|schema`: recommendations for case files, an intervention's card, the case format."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from matcher.cli import population as cli_population
from matcher.cli.output import emit
from matcher.engine.cards import intervention_card
from matcher.engine.case_files import read_cases
from matcher.engine.cases import case_json_schema
from matcher.engine.explain import explain
from matcher.engine.matching import match
from matcher.engine.population_run import FORMATS
from matcher.engine.render import card_text, result_text
from matcher.i18n import DEFAULT_LANG, LANGS, swedish_today
from matcher.local.availability import availability
from matcher.local.catalogue import load_catalogue
from matcher.modelling.registry import active_model
from matcher.rulebase.loading import load_rule_base


def register(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "recommend":
        parser.add_argument("cases", type=Path, help="a case file: .json (one case or a list), .jsonl or .csv")
        parser.add_argument("--top", type=_positive, default=None,
                            help="how many to recommend (default: policy.yaml)")
        parser.add_argument("--format", choices=("text", "json", *FORMATS), default="text",
                            help="text, json: the whole file at once (up to 50 MiB); csv, jsonl: a population run, a "
                                 ".csv file of any size streamed in chunks (docs/case-format.md)")
        parser.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG)
        parser.add_argument("--rules", type=Path, default=None, help="rule base folder (default: rules/)")
        parser.add_argument("--catalogue", type=Path, default=None,
                            help="a unit's local catalogue file: say beside each recommendation whether the unit "
                                 "offers it")
        cli_population.register_recommend(parser)
        parser.set_defaults(run=_recommend)
    elif name == "show":
        parser.add_argument("id")
        parser.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG)
        parser.add_argument("--rules", type=Path, default=None)
        parser.set_defaults(run=_show)
    else:
        parser.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
        parser.add_argument("--rules", type=Path, default=None)
        parser.set_defaults(run=_schema)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, found {text!r}")
    return value


def _recommend(args: argparse.Namespace) -> int:
    if args.format in FORMATS:
        return cli_population.recommend_population(args)
    cli_population.refuse_population_options(args)
    rules = load_rule_base(args.rules)
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
    rules = load_rule_base(args.rules)
    print(card_text(intervention_card(rules, args.id, args.lang), args.lang))
    return 0


def _schema(args: argparse.Namespace) -> int:
    return emit(json.dumps(case_json_schema(load_rule_base(args.rules)), ensure_ascii=False, indent=2) + "\n",
                args.out)
