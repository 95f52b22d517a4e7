"""`matcher rules ...`: the methodologist's tools: check, test, schema, save, log, show, diff."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from matcher.authoring.diff import as_html, as_text, impact, load_pair, translate
from matcher.authoring.json_schema import rule_json_schema
from matcher.authoring.lint import lint
from matcher.authoring.rule_tests import run_rule_tests
from matcher.cli.output import emit
from matcher.cli.store import acting_parser, guarded, login, store
from matcher.engine.case_files import read_cases
from matcher.errors import InputError, RuleBaseError
from matcher.modelling.population import synthetic_batch
from matcher.modelling.registry import active_model
from matcher.rulebase.loading import default_rules_dir, load_rule_base

REPO = Path(__file__).resolve().parents[2]


def register(name: str, parser: argparse.ArgumentParser) -> None:
    rules = parser.add_subparsers(required=True, metavar="ACTION")
    check = rules.add_parser("check", help="validate a rule base and lint it; exit 1 on any error")
    check.add_argument("dir", type=Path, nargs="?", default=None)
    check.set_defaults(run=_check)

    test = rules.add_parser("test", help="run the examples in the rule files and the scenarios in rules/tests")
    test.add_argument("dir", type=Path, nargs="?", default=None)
    test.set_defaults(run=_test)

    schema = rules.add_parser("schema", help="write the JSON Schema of the intervention rule format")
    schema.add_argument("--out", type=Path, default=None, help="default: standard output")
    schema.set_defaults(run=_schema)

    acting = acting_parser()
    diff = rules.add_parser("diff", parents=[acting],
                            help="what changed between two rule bases, and which cases it affects")
    diff.add_argument("old", help="a folder, a git revision or a recorded version hash")
    diff.add_argument("new", help="a folder, a git revision or a recorded version hash")
    population = diff.add_mutually_exclusive_group()
    population.add_argument("--cases", type=Path, help="a case file (.json, .jsonl, .csv)")
    population.add_argument("--synthetic", type=int, default=10_000, help="a synthetic population of N cases")
    diff.add_argument("--seed", type=int, default=1)
    diff.add_argument("--format", choices=("text", "json", "html"), default="text")
    diff.add_argument("--out", type=Path, default=None, help="default: standard output")
    diff.set_defaults(run=_diff)

    save = rules.add_parser("save", parents=[acting], help="record the rule base as a version, with a reason")
    save.add_argument("--reason", required=True)
    save.add_argument("--dir", type=Path, default=None)
    save.set_defaults(run=_save)
    rules.add_parser("log", parents=[acting], help="the change history: who saved which version, when, why") \
        .set_defaults(run=_log)
    show = rules.add_parser("show", parents=[acting], help="the exact rule base of a recorded version")
    show.add_argument("--version", required=True, help="the content hash stamped on a recommendation")
    show.add_argument("--out", type=Path, default=None, help="write the files into this folder")
    show.set_defaults(run=_show)


def _check(args: argparse.Namespace) -> int:
    root = args.dir or default_rules_dir()
    try:
        rules = load_rule_base(root)
        active_model(rules)
    except RuleBaseError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''} in {root}")
        return 1
    findings = lint(rules)
    for finding in findings:
        print(finding)
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    dno = sum(iv.model.do_not_offer for iv in rules.interventions)
    state = "OK" if not errors else f"{errors} error{'s' if errors != 1 else ''}"
    print(f"{root}: {state} - {len(rules.catalogue.factors)} factors, {len(rules.catalogue.context)} context facts, "
          f"{len(rules.instruments)} instruments, {len(rules.interventions)} interventions ({dno} do not offer); "
          f"{warnings} warning{'s' if warnings != 1 else ''}; content {rules.content_hash}")
    return 1 if errors else 0


def _test(args: argparse.Namespace) -> int:
    rules = load_rule_base(args.dir or default_rules_dir())
    report = run_rule_tests(rules, active_model(rules))
    print(report)
    return 0 if report.ok else 1


def _schema(args: argparse.Namespace) -> int:
    return emit(json.dumps(rule_json_schema(), ensure_ascii=False, indent=2) + "\n", args.out)


@guarded
def _diff(args: argparse.Namespace) -> int:
    def recorded(spec: str) -> dict[str, str]:
        case_store = store()
        return case_store.rule_version(login(case_store, args), spec)

    old, new = load_pair(args.old, args.new, REPO, recorded)
    if args.cases:
        old_cases, new_cases = read_cases(args.cases, old), read_cases(args.cases, new)
    else:
        if args.synthetic < 1:
            raise InputError(f"--synthetic: expected a number of cases of at least 1, found {args.synthetic}")
        new_cases = synthetic_batch(new, args.synthetic, args.seed)
        old_cases = translate(new_cases, new, old)
    diff = impact(old, new, old_cases, new_cases, active_model(old), active_model(new))
    text = {"text": lambda: as_text(diff) + "\n", "html": lambda: as_html(diff),
            "json": lambda: json.dumps(diff.as_dict(), ensure_ascii=False, indent=2, default=str) + "\n"}[args.format]()
    return emit(text, args.out)


@guarded
def _save(args: argparse.Namespace) -> int:
    case_store = store()
    root = args.dir or default_rules_dir()
    load_rule_base(root)  # only a valid rule base is recorded
    digest, new = case_store.save_rules(login(case_store, args), root, args.reason)
    print(f"saved as {digest}" if new else f"unchanged: already recorded as {digest}")
    return 0


@guarded
def _log(args: argparse.Namespace) -> int:
    case_store = store()
    for row in case_store.rule_log(login(case_store, args)):
        print(f"{row['hash'][:19]}  {row['saved_at']:%Y-%m-%d %H:%M}  {row['author']:<28} {row['reason']}")
    return 0


@guarded
def _show(args: argparse.Namespace) -> int:
    case_store = store()
    files = case_store.rule_version(login(case_store, args), args.version)
    if args.out is None:
        for name in sorted(files):
            print(name)
        return 0
    for name, text in files.items():
        (args.out / name).parent.mkdir(parents=True, exist_ok=True)
        (args.out / name).write_text(text, encoding="utf-8")
    print(f"{len(files)} files of {args.version} written to {args.out}")
    return 0
