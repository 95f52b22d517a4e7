"""Population runs on the command line: ``matcher recommend FILE.csv --format csv|jsonl`` (docs/case-format.md).

A file of any size is streamed in chunks; a row with a problem is reported on standard error with its line and
left out, and the command exits 2 at the end (results are written for the other rows), or at the first problem
with ``--strict`` (nothing is written then).
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from matcher.engine.population_run import CHUNK, EXPLAINED_CHUNK, run_population
from matcher.errors import InputError
from matcher.modelling.registry import active_model
from matcher.rulebase.loading import load_rule_base
from matcher.textfiles import DIALECTS, default_dialect


def register_recommend(rec: argparse.ArgumentParser) -> None:
    """The options of a population run (with --format csv or jsonl)."""
    rec.add_argument("--out", type=Path, default=None,
                     help="csv/jsonl: the file to write (default: standard output); the version stamp goes to "
                          "OUT.version.json")
    rec.add_argument("--explain", action="store_true",
                     help="jsonl: the full explanation of every case (as --format json gives it)")
    rec.add_argument("--strict", action="store_true",
                     help="csv/jsonl: stop at the first row with a problem and write nothing (default: report it "
                          "with its line, leave it out, go on, exit 2 at the end)")
    rec.add_argument("--chunk", type=int, default=None,
                     help=f"csv/jsonl: cases read and matched at a time (default: {CHUNK}, with --explain "
                          f"{EXPLAINED_CHUNK}; memory grows with it)")
    rec.add_argument("--csv-dialect", choices=DIALECTS, default=None,
                     help="csv: excel-sv (semicolons, byte-order mark, decimal comma) or standard (commas, decimal "
                          "point); default: excel-sv with --lang sv, else standard")


def refuse_population_options(args: argparse.Namespace) -> None:
    given = [name for name, on in (("--out", args.out is not None), ("--explain", args.explain),
                                   ("--strict", args.strict), ("--chunk", args.chunk is not None),
                                   ("--csv-dialect", args.csv_dialect is not None)) if on]
    if given:
        raise InputError(f"{', '.join(given)}: only for a population run (--format csv or jsonl); --format "
                         f"{args.format} prints every case of a small file")


def recommend_population(args: argparse.Namespace) -> int:
    if args.catalogue is not None:
        raise InputError("--catalogue: not for a population run; availability is shown case by case "
                         "(--format text or json)")
    if args.chunk is not None and args.chunk < 1:
        raise InputError(f"--chunk: expected a number of cases of at least 1; found {args.chunk}")
    rules = load_rule_base(args.rules)
    model = active_model(rules)
    # What lives for the whole run (modules, rule base, model, the compiled loop) is left out of the collector's
    # passes: a run makes and keeps many objects (the parts of explanations, kept across chunks), and each full
    # pass walked all of these again (0.3-0.4 s of 20,000 explained cases; benchmarks/README.md). Undone after the
    # run, for a caller that goes on in the same process (tests, the quick benchmark).
    gc.freeze()
    try:
        summary = run_population(
            args.cases, args.out, rules, model, fmt=args.format, explain=args.explain, lang=args.lang,
            dialect=args.csv_dialect or default_dialect(args.lang), top_k=args.top, strict=args.strict,
            chunk=args.chunk, report=lambda problem: print(problem, file=sys.stderr), stdout=sys.stdout.buffer)
    finally:
        gc.unfreeze()
    where = f" to {args.out}" if args.out is not None else ""
    if args.out is None:  # with --out it is in OUT.version.json
        print("matcher: version " + ", ".join(f"{k} {v}" for k, v in summary.version.items()), file=sys.stderr)
    note = f" ({summary.read_as})" if summary.read_as != "read as UTF-8, separated by commas" else ""
    written = f"{summary.cases:,} case{'s' if summary.cases != 1 else ''} written{where}"
    bad = summary.rows_with_problems
    if bad:
        print(f"matcher: {args.cases}{note}: {written}; {bad:,} row{'s' if bad != 1 else ''} with problems (above) "
              f"{'were' if bad != 1 else 'was'} left out. Correct {'them' if bad != 1 else 'it'} and run again, or "
              f"give --strict to stop at the first", file=sys.stderr)
        return 2
    print(f"matcher: {args.cases}{note}: {written}", file=sys.stderr)
    return 0
