"""The evaluator's commands: synth, convert, train, evaluate, models list/show/promote/retire."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from matcher.auth import Action, Principal, authorize
from matcher.cli.store import acting_parser, add_acting, guarded, login, store
from matcher.engine.risk import RiskModel, load_scorecard
from matcher.errors import InputError
from matcher.modelling.evaluate import evaluate_model
from matcher.modelling.population import write_population
from matcher.modelling.public_data import SOURCES, load_public
from matcher.modelling.registry import (
    card_of,
    default_models_dir,
    entry,
    load_model,
    promote,
    read_registry,
    retire,
)
from matcher.modelling.registry import register as register_model
from matcher.modelling.report import html_page, markdown, write_plots
from matcher.modelling.signing import entry_digest, trust
from matcher.modelling.synth import write_synthetic
from matcher.modelling.train import MODEL_KINDS, train
from matcher.modelling.training_data import read_training, write_training
from matcher.rulebase.loading import load_rule_base
from matcher.store.service import CaseStore
from matcher.textfiles import DIALECTS


def register(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "synth":
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--n", type=int, help="training rows in the training format, with the outcome "
                                                "reoffended_12m (docs/training-format.md): for matcher train")
        what.add_argument("--cases", type=int, help="cases in the case CSV format, without outcomes "
                                                    "(docs/case-format.md): for matcher recommend FILE.csv")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", type=Path, required=True, help="a .csv file (--n: also .parquet)")
        parser.add_argument("--rules", type=Path, default=None)
        _dialect_argument(parser, "standard")
        parser.set_defaults(run=_synth)
    elif name == "convert":
        parser.add_argument("source", choices=SOURCES)
        parser.add_argument("file", type=Path)
        parser.add_argument("--out", type=Path, required=True, help="write it outside the repository")
        _dialect_argument(parser, "standard")
        parser.set_defaults(run=_convert)
    elif name == "train":
        _register_train(parser)
    elif name == "evaluate":
        parser.add_argument("model", help="a registered model id, or baseline-scorecard-1")
        _data_arguments(parser)
        parser.add_argument("--format", choices=("json", "md", "html"), default="md")
        parser.add_argument("--out", type=Path, default=None, help="folder for the report and its ROC/calibration PNGs")
        parser.add_argument("--models", type=Path, default=None)
        parser.set_defaults(run=_evaluate)
    else:
        _register_registry(parser)


def _register_train(tr: argparse.ArgumentParser) -> None:
    add_acting(tr)
    _data_arguments(tr)
    tr.add_argument("--features", nargs="+", default=None, help="factor ids to use (default: every rated one)")
    tr.add_argument("--model", choices=MODEL_KINDS, default="binned",
                    help="binned: numbers in bins and monotone points, chosen by nested cross-validation "
                         "(default); logistic: one point per rating level; scorecard: whole points")
    tr.add_argument("--levels", nargs=2, type=float, default=None, metavar=("MODERATE", "HIGH"),
                    help="probabilities where the model's moderate and high levels begin (default: the policy's "
                         "model_gates.levels); fairness is always judged at the policy's levels")
    tr.add_argument("--note", default="", help="population and limits, shown in the card")
    tr.add_argument("--out", type=Path, default=None, help="models folder (default: models/)")
    tr.set_defaults(run=_train)


def _register_registry(parser: argparse.ArgumentParser) -> None:
    acting = acting_parser()
    models = parser.add_subparsers(required=True, metavar="ACTION")
    ls = models.add_parser("list", help="every registered version with its status")
    ls.add_argument("--models", type=Path, default=None)
    ls.set_defaults(run=_list)
    show = models.add_parser("show", help="a model's card: figures and points table")
    show.add_argument("id")
    show.add_argument("--models", type=Path, default=None)
    show.set_defaults(run=_show)
    for action, run, text in (("promote", _promote, "make a model active if it passes the gates"),
                              ("retire", _retire, "retire a model (the baseline serves when none is active)")):
        cmd = models.add_parser(action, parents=[acting], help=f"{text} (an evaluator, logged in with --as)")
        cmd.add_argument("id")
        cmd.add_argument("--reason", required=True)
        cmd.add_argument("--models", type=Path, default=None)
        if action == "promote":
            cmd.add_argument("--rules", type=Path, default=None)
            cmd.add_argument("--force", action="store_true", help="promote despite failed gates (recorded)")
        cmd.set_defaults(run=run)


def _dialect_argument(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument("--csv-dialect", choices=DIALECTS, default=default,
                        help="excel-sv: semicolons, byte-order mark, decimal comma (Swedish Excel); standard: commas, "
                             "UTF-8, decimal point (default: %(default)s)")


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", type=Path, help="training-format data (.csv or .parquet)")
    parser.add_argument("--target", required=True, help="the 0/1 outcome column")
    parser.add_argument("--instrument", default=None, help="read item columns <instrument>.<item> (e.g. savry)")
    parser.add_argument("--group", action="append", default=[], help="a group column for the fairness audit")
    parser.add_argument("--rules", type=Path, default=None)


def _synth(args: argparse.Namespace) -> int:
    if args.cases is not None:
        if args.cases < 1:
            raise InputError(f"--cases: expected a number of cases of at least 1; found {args.cases}")
        if args.out.suffix.lower() != ".csv" or args.csv_dialect != "standard":
            raise InputError(f"--cases: writes a .csv case file in the standard dialect; found {args.out.name} "
                             f"with --csv-dialect {args.csv_dialect}")
        write_population(load_rule_base(args.rules), args.cases, args.seed, args.out)
        print(f"{args.out}: {args.cases} synthetic cases (seed {args.seed}) in the case format")
        return 0
    if args.n < 1:
        raise InputError(f"--n: expected a number of rows of at least 1; found {args.n}")
    n = write_synthetic(load_rule_base(args.rules), args.n, args.seed, args.out, args.csv_dialect)
    print(f"{args.out}: {n} synthetic rows (seed {args.seed}); target reoffended_12m")
    return 0


def _convert(args: argparse.Namespace) -> int:
    frame = load_public(args.source, args.file)
    write_training(args.out, frame, args.csv_dialect)
    print(f"{args.out}: {len(frame)} rows from {args.file.name} in the training format")
    return 0


def _logged_in(args: argparse.Namespace) -> tuple[CaseStore, Principal]:
    """The case store and the user of --as; ``CaseStore.change_models`` checks and audits what they do."""
    case_store = store()
    return case_store, login(case_store, args)


@guarded
def _train(args: argparse.Namespace) -> int:
    rules = load_rule_base(args.rules)
    data = read_training(args.data, rules, args.target, instrument=args.instrument, features=args.features,
                         groups=args.group)
    case_store, who = _logged_in(args)
    authorize(who, Action.MODELS_MANAGE)  # before the training, not only at its registration
    if data.read_as:
        print(f"matcher: {args.data}: {data.read_as}", file=sys.stderr)
    out = args.out or default_models_dir()
    model_id, card = train(data, rules, args.model, out, cut_points=args.levels, note=args.note,
                           trained_by=who.username)
    case_store.change_models(who, "register", model_id, "trained", lambda: register_model(out, model_id, who.username))
    cv = card["cross_validation"]
    print(f"{model_id}: candidate in {out}; {cv['folds']}-fold cross-validation repeated {cv['repeats']} times: "
          f"AUC {cv['auc']:.3f} (repeats {cv['auc_repeats'][0]:.3f}-{cv['auc_repeats'][1]:.3f}; 95% interval "
          f"{cv['auc_ci95'][0]:.3f}-{cv['auc_ci95'][1]:.3f}), Brier {cv['brier']:.3f}, ECE {cv['ece']:.3f} "
          f"(repeats {cv['ece_repeats'][0]:.3f}-{cv['ece_repeats'][1]:.3f})"
          + (" (synthetic data)" if card["synthetic"] else ""))
    for column, table in cv["fairness"].items():
        for group, ratio in table["fpr_ratio"].items():
            if group != table["reference"]:
                low, high = table["fpr_ratio_ci95"][group]
                print(f"  {column}: false-positive-rate ratio {group}/{table['reference']} {ratio} (95% interval "
                      f"{low}-{high}; n = {table['groups'][group]['n']})")
    return 0


def _model(model_id: str, models: Path, rules: Any) -> tuple[RiskModel, dict[str, Any] | None]:
    baseline = load_scorecard(rules.catalogue)
    if model_id == baseline.id:
        return baseline, None
    return load_model(models, model_id, rules)


def _evaluate(args: argparse.Namespace) -> int:
    rules = load_rule_base(args.rules)
    model, card = _model(args.model, args.models or default_models_dir(), rules)
    data = read_training(args.data, rules, args.target, instrument=args.instrument, groups=args.group)
    if data.read_as:
        print(f"matcher: {args.data}: {data.read_as}", file=sys.stderr)
    report, risk = evaluate_model(model, card, data, rules)
    if report["in_sample"]:
        print(f"matcher: {args.data}: {report['in_sample_note']}", file=sys.stderr)
    plots = write_plots(data.y, risk.score, report, args.out) if args.out else []
    text = {"json": lambda: json.dumps(report, ensure_ascii=False, indent=2) + "\n",
            "md": lambda: markdown(report, plots), "html": lambda: html_page(report, plots)}[args.format]()
    if args.out:
        path = args.out / f"evaluation.{args.format}"
        path.write_text(text, encoding="utf-8")
        print(f"{path}: written, with {', '.join(plots)}")
    else:
        sys.stdout.write(text)
    return 0


def _list(args: argparse.Namespace) -> int:
    models = args.models or default_models_dir()
    for item in read_registry(models)["models"]:
        last = item["history"][-1]
        print(f"{item['id']:<36} {item['status']:<9} sha256 {item['sha256'][:12]}  {last['action']} {last['at']} "
              f"by {last['by']}: {last['reason']}" + (" (synthetic data)" if item["synthetic"] else ""))
    print("baseline-scorecard-1 (models/baseline/scorecard.yaml) serves when no model is active")
    return 0


def _show(args: argparse.Namespace) -> int:
    models = args.models or default_models_dir()
    item = entry(read_registry(models), args.id, models)
    card = card_of(models, item)
    cv = card["cross_validation"]
    how = {"shipped": "shipped with Insatsmatch (pinned in the package)", "signed": "signed on this machine"}
    print(f"{card['id']} ({card['model']}, trained {card['created']} by {card['trained_by']})"
          + (" - synthetic data" if card["synthetic"] else ""))
    print(f"registry entry: {how[trust(item)]}; entry digest sha256:{entry_digest(item)}")
    if card["note"]:
        print(card["note"])
    print(f"data {card['data']['source']}: {card['data']['rows']} rows, base rate {card['data']['base_rate']}; "
          f"cross-validated AUC {cv['auc']:.3f}, Brier {cv['brier']:.3f}, ECE {cv['ece']:.3f}")
    print(f"score = {card['intercept']:+.4f} + the points below; probability = {card['probability']}")
    width = max(len(p["name"]) for p in card["points"])
    for p in card["points"]:
        print(f"  {p['name']:<{width}}  {p['rating']:<9} {p['points']:+.4f}")
    return 0


@guarded
def _promote(args: argparse.Namespace) -> int:
    case_store, who = _logged_in(args)
    rules = load_rule_base(args.rules)
    models = args.models or default_models_dir()
    failed = case_store.change_models(who, "promote", args.id, args.reason, lambda: promote(
        models, args.id, args.reason, who.username, rules.policy.model_gates, args.force), forced=args.force)
    print(f"{args.id}: active" + (f" (forced past {len(failed)} failed gate{'s' * (len(failed) > 1)})"
                                  if failed else ""))
    return 0


@guarded
def _retire(args: argparse.Namespace) -> int:
    case_store, who = _logged_in(args)
    models = args.models or default_models_dir()
    case_store.change_models(who, "retire", args.id, args.reason,
                             lambda: retire(models, args.id, args.reason, who.username))
    print(f"{args.id}: retired")
    return 0
