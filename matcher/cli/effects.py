"""`matcher report effects`: outcomes per insats and profile group against similar young people who did not get it
(evaluators, managers; ``matcher.local.effects``)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path

from matcher.cli.output import emit
from matcher.cli.store import guarded, login, store
from matcher.documents.effects_report import effects_html, effects_json, effects_markdown
from matcher.i18n import DEFAULT_LANG, LANGS
from matcher.store.effects import MAX_BOOTSTRAP


def register(report: argparse._SubParsersAction, acting: argparse.ArgumentParser,
             date: Callable[[str], dt.date]) -> None:
    effects = report.add_parser("effects", parents=[acting], help="outcomes at 6 and 12 months per insats and profile "
                                "group against similar young people who did not get it (evaluators, managers)")
    effects.add_argument("--unit", required=True)
    effects.add_argument("--from", dest="start", type=date, required=True, help="first day, YYYY-MM-DD")
    effects.add_argument("--to", dest="end", type=date, required=True, help="last day, YYYY-MM-DD")
    effects.add_argument("--format", choices=("json", "md", "html"), default="md")
    effects.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG)
    effects.add_argument("--bootstrap", type=int, default=200,
                         help=f"resamples for the intervals, 10 to {MAX_BOOTSTRAP} (default 200)")
    effects.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    effects.set_defaults(run=_effects)


@guarded
def _effects(args: argparse.Namespace) -> int:
    case_store = store()
    report = case_store.effects_report(login(case_store, args), args.unit, args.start, args.end, args.bootstrap)
    rules = case_store.rules
    if args.format == "json":
        text = json.dumps(effects_json(report, rules, args.lang), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "html":
        text = effects_html(report, rules, args.lang)
    else:
        text = effects_markdown(report, rules, args.lang)
    if report.synthetic:
        print(f"matcher: {report.synthetic} of {report.episodes} young people in this report are synthetic",
              file=sys.stderr)
    return emit(text, args.out)
