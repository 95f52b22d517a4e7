"""Load and validate a rule base folder: factors, instruments, interventions, policy.

Every problem is collected with its file, line and YAML path before anything is used, so a
methodologist sees all of them at once; a rule base with any problem is never served.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from matcher.errors import Problem, RuleBaseError, shown, validation_message
from matcher.i18n import LANGS, Message, catalogue, message
from matcher.rulebase import schema
from matcher.rulebase.conditions import ConditionError, Leaf, LeafTable, Node, compile_condition
from matcher.rulebase.factors import FactorCatalogue, InstrumentAdapter
from matcher.rulebase.policy_schema import Policy
from matcher.rulebase.schema import (
    ActFirstAction,
    ActFirstFile,
    Catalogue,
    Contraindication,
    Evidence,
    Instrument,
    Intervention,
    InterventionWarning,
    Text,
)
from matcher.rulebase.yamlsource import YamlDoc, YamlSyntaxError, did_you_mean, load_yaml

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "rules"
# a prerequisite holds when its context fact has this value
PREREQUISITE_FACTS = {"caregiver": ("caregiver", "takes_part"), "youth_consent": ("consent_youth", True)}
ACT_FIRST_FILE = "act_first.yaml"
M = TypeVar("M", bound=BaseModel)


def default_rules_dir() -> Path:
    return Path(os.environ.get("INSATSMATCH_RULES", DEFAULT_RULES))


@dataclass(frozen=True)
class CompiledIntervention:
    model: Intervention
    eligibility: Node  # the file's eligibility plus the age range and the prerequisites
    contraindications: tuple[tuple[Node, Contraindication], ...]  # with the reason and its source
    priority: tuple[Node, Text] | None
    warnings: tuple[tuple[Node | None, InterventionWarning], ...]
    evidence_strength: float
    best_evidence: Evidence | None  # the counted entry with the highest strength above zero
    age_range: tuple[int, int]  # min, max as matched: the municipality's limits where the policy sets them

    @property
    def id(self) -> str:
        return self.model.id


@dataclass(frozen=True)
class CompiledAction:
    """An act-first action with its compiled condition."""

    model: ActFirstAction
    when: Node


@dataclass(frozen=True, eq=False)
class RuleBase:
    root: Path
    catalogue: FactorCatalogue
    instruments: dict[str, InstrumentAdapter]
    policy: Policy
    interventions: tuple[CompiledIntervention, ...]
    leaves: LeafTable
    content_hash: str
    evidence_snapshot: dt.date
    act_first: tuple[CompiledAction, ...]  # the safety screen run on every case before any ranking

    def index(self, intervention_id: str) -> int:
        return next(i for i, iv in enumerate(self.interventions) if iv.id == intervention_id)

    @property
    def ids(self) -> list[str]:
        return [iv.id for iv in self.interventions]


def load_rule_base(root: Path | None = None) -> RuleBase:
    """The rule base in ``root`` (default: ``$INSATSMATCH_RULES`` or the repository's rules/)."""
    root = Path(root or default_rules_dir())
    problems: list[Problem] = []
    if not (root / "factors.yaml").is_file():
        raise RuleBaseError([Problem(str(root), None, "", "no factors.yaml here; expected a rule base folder "
                                                           "with factors.yaml, policy.yaml, instruments/ "
                                                           "and interventions/")])
    catalogue_doc, catalogue_model = _parse_doc(root, root / "factors.yaml", Catalogue, problems)
    policy = _parse_doc(root, root / "policy.yaml", Policy, problems)[1]
    if catalogue_doc is None or catalogue_model is None or policy is None:
        raise RuleBaseError(problems)
    catalogue = FactorCatalogue(catalogue_model)
    problems += _check_catalogue(catalogue_doc, catalogue)
    if problems:
        raise RuleBaseError(problems)
    instruments = {}
    for path in sorted((root / "instruments").glob("*.yaml")):
        doc, instrument = _parse_doc(root, path, Instrument, problems)
        if doc is not None and instrument is not None:
            problems += _check_instrument(doc, instrument, catalogue)
            instruments[instrument.id] = InstrumentAdapter(instrument)
    table = LeafTable(catalogue)
    compiled = []
    for path in sorted((root / "interventions").glob("*.yaml")):
        doc, intervention = _parse_doc(root, path, Intervention, problems)
        if doc is not None and intervention is not None:
            result = _compile(doc, path.stem, intervention, catalogue, policy, table)
            if isinstance(result, list):
                problems += result
            else:
                compiled.append(result)
    if not compiled and not problems:
        problems.append(Problem(_display(root, root / "interventions"), None, "", "no intervention files"))
    problems += _label_problems(root, policy)
    actions = _act_first(root, table, problems)
    ids = {iv.id for iv in compiled}
    for iid in policy.municipal_age_limits:
        if iid not in ids and compiled:
            problems.append(Problem(_display(root, root / "policy.yaml"), None, f"municipal_age_limits.{iid}",
                                    f"unknown insats '{iid}'{did_you_mean(iid, ids)}"))
    if problems:
        raise RuleBaseError(problems)
    dates = [e.read for iv in compiled for e in iv.model.evidence]
    return RuleBase(root, catalogue, instruments, policy, tuple(compiled), table,
                    content_hash(root), max(dates), actions)


def _label_problems(root: Path, policy: Policy) -> list[Problem]:
    """Every clearinghouse and rating word in the policy needs a name a reader of each language reads."""
    where = _display(root, root / "policy.yaml")
    missing = [(lang, key) for clearinghouse, ratings in policy.evidence_ratings.items() for lang in LANGS
               for key in (f"clearinghouse.{clearinghouse}", *(f"rating.{clearinghouse}.{r}" for r in ratings))
               if key not in catalogue(lang)]
    return [Problem(where, None, "evidence_ratings", f"no {lang} text for '{key}'; add it to matcher/i18n/{lang}.yaml "
                                                     f"so that readers see the rating in their language")
            for lang, key in missing]


def _act_first(root: Path, table: LeafTable, problems: list[Problem]) -> tuple[CompiledAction, ...]:
    """rules/act_first.yaml, its conditions compiled into the shared leaf table (so every case's leaf bits
    record why an action was or was not triggered)."""
    path = root / ACT_FIRST_FILE
    if not path.is_file():
        problems.append(Problem(_display(root, path), None, "", "no act_first.yaml: the safety screen that runs "
                                                                "before any ranking is required"))
        return ()
    doc, model = _parse_doc(root, path, ActFirstFile, problems)
    if doc is None or model is None:
        return ()
    actions = []
    seen: set[str] = set()
    for i, action in enumerate(model.actions):
        if action.id in seen:
            problems.append(doc.problem(("actions", i, "id"), f"the id '{action.id}' is used more than once"))
        seen.add(action.id)
        try:
            actions.append(CompiledAction(action, compile_condition(action.when, table)))
        except ConditionError as exc:
            problems.append(doc.problem(("actions", i, "when", *exc.path), exc.said))
    return tuple(actions)


def rule_files(root: Path) -> Iterator[Path]:
    """The files that make up a rule base, in a fixed order."""
    yield root / "factors.yaml"
    yield root / "policy.yaml"
    yield root / ACT_FIRST_FILE
    yield from sorted((root / "instruments").glob("*.yaml"))
    yield from sorted((root / "interventions").glob("*.yaml"))


def content_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in rule_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


# ---------------------------------------------------------------- parsing


def _display(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root.parent).as_posix()
    except ValueError:
        return str(path)


def _parse_doc(root: Path, path: Path, model: type[M], problems: list[Problem]) -> tuple[YamlDoc | None, M | None]:
    display = _display(root, path)
    if not path.is_file():
        problems.append(Problem(display, None, "", "file is missing"))
        return None, None
    try:
        doc = load_yaml(path, display)
    except YamlSyntaxError as exc:
        problems.extend(exc.problems)
        return None, None
    if not isinstance(doc.data, dict):
        problems.append(Problem(display, 1, "", f"expected a mapping of keys, found {type(doc.data).__name__}"))
        return doc, None
    try:
        return doc, model.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(validation_problems(doc, exc))
        return doc, None


def _known_keys() -> set[str]:
    keys: set[str] = set()
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            for name, field in obj.model_fields.items():
                keys.add(field.alias or name)
    return keys


KNOWN_KEYS = _known_keys()


def validation_problems(doc: YamlDoc, exc: ValidationError, known_keys: Collection[str] = KNOWN_KEYS,
                        skip: Collection[Any] = ()) -> list[Problem]:
    """Pydantic errors (but those in ``skip``) as located problems: the YAML path as written, without union tags;
    an unknown key gets a did-you-mean from ``known_keys``; the value found is quoted when it is a single value."""
    out = []
    for err in exc.errors():
        if err in skip:
            continue
        path: list[str | int] = []
        node: Any = doc.data
        for part in err["loc"]:
            in_dict = isinstance(node, dict) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
            if in_dict or in_list:
                node = node[part]
                path.append(part)
        kind = err["type"]
        said: Message
        if kind == "missing":
            said = message("problem.missing_key", key=err["loc"][-1])
        elif kind == "extra_forbidden":
            said = message("problem.unknown_key", key=path[-1], suggestion=did_you_mean(str(path[-1]), known_keys))
        else:
            said = validation_message(err)
            if not isinstance(err["input"], dict | list):
                said = message("problem.found", problem=said, value=shown(err["input"]))
        out.append(doc.problem(path, said))
    return out


# ---------------------------------------------------------------- cross-file checks


def _check_catalogue(doc: YamlDoc, cat: FactorCatalogue) -> list[Problem]:
    out = []
    for i, factor in enumerate(cat.factors):
        for key, known in (("scale", cat.model.scales), ("domain", cat.model.domains)):
            value = getattr(factor, key)
            if value not in known:
                out.append(doc.problem(("factors", i, key), f"unknown {key} '{value}'{did_you_mean(value, known)}"))
        numeric = factor.scale in cat.model.scales and cat.model.scales[factor.scale].numeric
        if numeric and (factor.monotone is None or factor.dynamic or factor.need != "criminogenic"):
            out.append(doc.problem(("factors", i), f"'{factor.id}' has a numeric scale: it must be a static "
                                                   f"criminogenic factor (dynamic: false) with monotone: increasing "
                                                   f"or decreasing (does a higher number mean more risk?)"))
        if factor.monotone is not None and not numeric:
            out.append(doc.problem(("factors", i, "monotone"), "monotone applies to a factor on a numeric scale; "
                                                               "a rating's direction follows kind (risk, protective)"))
    ids = [f.id for f in cat.factors] + [c.id for c in cat.context]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        out.append(doc.problem((), f"the id '{dup}' is used more than once"))
    for fact_id in ("age", *(fact for fact, _value in PREREQUISITE_FACTS.values())):
        if fact_id not in cat.context_index:
            out.append(doc.problem(("context",), f"the engine needs the context fact '{fact_id}'"))
    return out


def _check_instrument(doc: YamlDoc, instrument: Instrument, cat: FactorCatalogue) -> list[Problem]:
    out = []
    for i, item in enumerate(instrument.items):
        if item.scale not in instrument.scales:
            out.append(doc.problem(("items", i, "scale"), f"unknown scale '{item.scale}'"
                                                          f"{did_you_mean(item.scale, instrument.scales)}"))
        for j, factor_id in enumerate(item.factors):
            if factor_id not in cat.factor_index:
                out.append(doc.problem(("items", i, "factors", j), f"unknown factor '{factor_id}'"
                                                                   f"{did_you_mean(factor_id, cat.factor_index)}"))
    return out


def _compile(doc: YamlDoc, stem: str, iv: Intervention, cat: FactorCatalogue, policy: Policy,
             table: LeafTable) -> CompiledIntervention | list[Problem]:
    problems = []
    if iv.id != stem:
        problems.append(doc.problem(("id",), message("problem.id_not_file_name", id=iv.id, stem=stem)))

    def compiled(cond: schema.Condition | None, where: tuple[str | int, ...]) -> Node | None:
        if cond is None:
            return None
        try:
            return compile_condition(cond, table)
        except ConditionError as exc:
            problems.append(doc.problem((*where, *exc.path), exc.said))
            return None

    age = cat.context_index["age"]
    limit = policy.municipal_age_limits.get(iv.id)
    age_range = (limit.min, limit.max) if limit else (iv.age.min, iv.age.max)
    implicit = [Node("leaf", leaf=table.add(Leaf(age, ">=", (age_range[0],)))),
                Node("leaf", leaf=table.add(Leaf(age, "<=", (age_range[1],))))]
    for prerequisite in iv.prerequisites:
        if prerequisite in PREREQUISITE_FACTS:
            fact, value = PREREQUISITE_FACTS[prerequisite]
            code = cat.encode_context(cat.fact(fact), value)
            implicit.append(Node("leaf", leaf=table.add(Leaf(cat.context_index[fact], "==", (code,)))))
    own = compiled(iv.eligibility, ("eligibility",))
    eligibility = Node("all", (*implicit, *([own] if own else [])))
    contraindications = []
    for i, contra in enumerate(iv.contraindications):
        node = compiled(contra.when, ("contraindications", i, "when"))
        if node:
            contraindications.append((node, contra))
    warnings = [(compiled(w.when, ("warnings", i, "when")), w) for i, w in enumerate(iv.warnings)]
    priority_node = compiled(iv.priority.when, ("priority", "when")) if iv.priority else None
    priority = (priority_node, iv.priority.reason) if iv.priority and priority_node else None

    problems += _factor_problems(doc, iv, cat)
    best = _best_evidence(doc, iv, policy, problems)
    if problems:
        return problems
    return CompiledIntervention(iv, eligibility, tuple(contraindications), priority, tuple(warnings),
                                best[0] if best else 0.0, best[1] if best else None, age_range)


def _factor_problems(doc: YamlDoc, iv: Intervention, cat: FactorCatalogue) -> list[Problem]:
    """Targets must be dynamic risk factors (needs an insats can change); leverages protective factors."""
    problems = []
    for field, kind in (("targets", "risk"), ("leverages", "protective")):
        for name in getattr(iv, field):
            if name not in cat.factor_index:
                problems.append(doc.problem((field, name), message("condition.unknown_factor", name=name,
                                                                   suggestion=did_you_mean(name, cat.factor_index))))
                continue
            factor = cat.factor(name)
            if factor.kind != kind or (kind == "risk" and not factor.dynamic):
                problems.append(doc.problem((field, name), message(
                    f"problem.{field}_kind", name=name, kind=message(f"problem.factor_kind.{factor.kind}"),
                    dynamic=message(f"problem.factor_dynamic.{factor.dynamic}".lower()))))
    return problems


def _best_evidence(doc: YamlDoc, iv: Intervention, policy: Policy,
                   problems: list[Problem]) -> tuple[float, Evidence] | None:
    """The strongest counted evidence entry; unknown clearinghouses and rating words are added to ``problems``."""
    best: tuple[float, Evidence] | None = None
    for i, entry in enumerate(iv.evidence):
        ratings = policy.evidence_ratings.get(entry.clearinghouse)
        if ratings is None:
            problems.append(doc.problem(("evidence", i, "clearinghouse"), message(
                "problem.unknown_clearinghouse", name=entry.clearinghouse,
                suggestion=did_you_mean(entry.clearinghouse, policy.evidence_ratings))))
        elif entry.rating not in ratings:
            problems.append(doc.problem(("evidence", i, "rating"), message(
                "problem.unknown_rating", rating=entry.rating, clearinghouse=entry.clearinghouse,
                expected=", ".join(repr(r) for r in ratings), suggestion=did_you_mean(entry.rating, ratings))))
        elif entry.confidence in policy.counted_confidence:
            strength = policy.evidence_strength[ratings[entry.rating]]
            if strength > (best[0] if best else 0.0):
                best = (strength, entry)
    return best
