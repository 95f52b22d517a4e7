"""`matcher catalogue ...` (a unit's local service catalogue) and `matcher report gaps` (the service-gap report)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from matcher.cli import effects as cli_effects
from matcher.cli.output import emit
from matcher.cli.store import acting_parser, guarded, login, store
from matcher.documents.gap_report import gap_csv, gap_pdf, gap_text
from matcher.errors import InputError
from matcher.i18n import DEFAULT_LANG, LANGS
from matcher.local.catalogue import catalogue_yaml, load_catalogue
from matcher.rulebase.loading import load_rule_base
from matcher.textfiles import DIALECTS


def register(name: str, parser: argparse.ArgumentParser) -> None:
    acting = acting_parser()
    if name == "report":
        _register_report(parser, acting)
        return
    cat = parser.add_subparsers(required=True, metavar="ACTION")
    check = cat.add_parser("check", help="validate a catalogue file against the rule base; exit 2 on any problem")
    check.add_argument("file", type=Path)
    check.add_argument("--rules", type=Path, default=None, help="rule base folder (default: rules/)")
    check.set_defaults(run=_check)
    imp = cat.add_parser("import", parents=[acting], help="save a catalogue file as its unit's next version")
    imp.add_argument("file", type=Path)
    imp.add_argument("--reason", required=True, help="why the catalogue changed (kept in its history)")
    imp.set_defaults(run=_import)
    exp = cat.add_parser("export", parents=[acting], help="write a unit's catalogue as a file to edit")
    exp.add_argument("--unit", required=True)
    exp.add_argument("--version", type=int, default=None, help="a saved version (default: the newest)")
    exp.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    exp.set_defaults(run=_export)
    log = cat.add_parser("log", parents=[acting], help="the versions of a unit's catalogue, newest first")
    log.add_argument("--unit", required=True)
    log.set_defaults(run=_log)


def _register_report(parser: argparse.ArgumentParser, acting: argparse.ArgumentParser) -> None:
    report = parser.add_subparsers(required=True, metavar="WHAT")
    gaps = report.add_parser("gaps", parents=[acting], help="the service-gap report of a unit for a period")
    gaps.add_argument("--unit", required=True)
    gaps.add_argument("--from", dest="start", type=_date, required=True, help="first day, YYYY-MM-DD")
    gaps.add_argument("--to", dest="end", type=_date, required=True, help="last day, YYYY-MM-DD")
    gaps.add_argument("--top", type=int, default=None, help="count the top k recommendations (default: policy)")
    gaps.add_argument("--format", choices=("text", "csv", "pdf"), default="text")
    gaps.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG)
    gaps.add_argument("--out", type=Path, default=None, help="file to write (required for pdf)")
    gaps.add_argument("--csv-dialect", choices=DIALECTS, default=None,
                      help="excel-sv: semicolons, byte-order mark, decimal comma (Swedish Excel); standard: commas, "
                           "UTF-8, decimal point (default: excel-sv with --lang sv, else standard)")
    gaps.set_defaults(run=_gaps)
    cli_effects.register(report, acting, _date)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, found {text!r}") from None


def _check(args: argparse.Namespace) -> int:
    catalogue = load_catalogue(args.file, load_rule_base(args.rules))
    offered = sum(1 for o in catalogue.offers if o.offered)
    print(f"{args.file}: OK - unit {catalogue.unit}, {len(catalogue.offers)} insatser listed, {offered} offered")
    return 0


@guarded
def _import(args: argparse.Namespace) -> int:
    case_store = store()
    catalogue = load_catalogue(args.file, case_store.rules)
    version, new = case_store.save_catalogue(login(case_store, args), catalogue, args.reason)
    print(f"unit {catalogue.unit}: catalogue {'saved as' if new else 'unchanged, still'} version {version}")
    return 0


@guarded
def _export(args: argparse.Namespace) -> int:
    case_store = store()
    stored = case_store.catalogue(login(case_store, args), args.unit, args.version)
    if stored is None:
        raise InputError(f"unit {args.unit} has no catalogue yet; 'matcher catalogue import FILE' saves one")
    return emit(catalogue_yaml(stored.catalogue), args.out)


@guarded
def _log(args: argparse.Namespace) -> int:
    case_store = store()
    for row in case_store.catalogue_log(login(case_store, args), args.unit):
        print(f"v{row['version']:<4} {row['saved_at']:%Y-%m-%d %H:%M}  {row['author']:<12} "
              f"{row['offered']}/{row['offers']} offered  {row['reason']}")
    return 0


@guarded
def _gaps(args: argparse.Namespace) -> int:
    if args.format == "pdf" and args.out is None:
        raise InputError("report gaps --format pdf needs --out FILE.pdf")
    case_store = store()
    report = case_store.gap_report(login(case_store, args), args.unit, args.start, args.end, args.top)
    if args.format == "pdf":
        args.out.write_bytes(gap_pdf(report, case_store.rules, args.lang))
        print(f"{args.out}: service-gap report of unit {args.unit}, {len(report.rows)} insatser", file=sys.stderr)
        return 0
    text = gap_csv(report, case_store.rules, args.lang, args.csv_dialect) if args.format == "csv" else \
        gap_text(report, case_store.rules, args.lang) + "\n"
    return emit(text, args.out)
