"""The case format: validation against the catalogue, reading JSON / JSON lines / CSV, and encoding.

A case has a context (facts like age and placement), factor ratings, and optionally instrument
answers (SAVRY items, YLS/CMI domains). Instrument answers are carried over to factors through the
adapters; where several sources rate the same factor, the highest rating counts. The pydantic model
is built from the catalogue, so it validates and documents (JSON Schema) exactly the loaded rules.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, create_model

from matcher.errors import InputError
from matcher.rulebase.factors import UNRATED
from matcher.rulebase.loading import RuleBase
from matcher.rulebase.yamlsource import did_you_mean, format_path

FORBID = ConfigDict(extra="forbid")
TRUE_WORDS = {"true", "yes", "ja", "1"}
FALSE_WORDS = {"false", "no", "nej", "0"}


@dataclass(frozen=True)
class CaseBatch:
    """Cases as one column-major int16 matrix (factor columns, then context columns)."""

    ids: tuple[str, ...]
    synthetic: np.ndarray  # N bool
    values: np.ndarray  # N x (F + C), Fortran order; UNRATED where a factor was not rated

    def __len__(self) -> int:
        return len(self.ids)


@cache
def case_model(rules: RuleBase) -> type[BaseModel]:
    """The pydantic model of one case for this rule base."""
    cat = rules.catalogue
    context: dict[str, Any] = {}
    for fact in cat.context:
        typ: Any = {"bool": bool, "int": Annotated[int, Field(ge=fact.min, le=fact.max)]}.get(fact.type)
        if fact.type == "enum":
            typ = Literal[tuple(fact.values or ())]
        default = ... if fact.required else (False if fact.type == "bool" else fact.default)
        context[fact.id] = (typ, Field(default, title=fact.name.en, description=fact.description.en))
    factors: dict[str, Any] = {}
    for factor in cat.factors:
        scale = cat.scale(factor)
        labels = ", ".join(f"{v} = {lbl}" for v, lbl in zip(scale.values, scale.labels["en"], strict=True))
        factors[factor.id] = (Literal[tuple(scale.values)] | None,
                              Field(None, title=factor.name.en, description=f"{factor.description.en} ({labels})"))
    instruments: dict[str, Any] = {}
    for key, adapter in rules.instruments.items():
        items: dict[str, Any] = {
            item.id: (Literal[tuple(adapter.accepted_words(item.scale))] | None,
                      Field(None, title=item.name, validation_alias=AliasChoices(item.id, *item.aliases)))
            for item in adapter.model.items
        }
        model = create_model(f"Instrument_{key}", __config__=FORBID, **items)
        instruments[key] = (model | None, Field(None, title=adapter.model.name, description=adapter.model.note))
    context_model = create_model("Context", __config__=FORBID, **context)
    factors_model = create_model("Factors", __config__=FORBID, **factors)
    instruments_model = create_model("Instruments", __config__=FORBID, **instruments)
    return create_model(
        "Case",
        __config__=FORBID,
        case_id=(str | None, Field(None, description="pseudonymous case code; never a name or personnummer")),
        synthetic=(bool, Field(False, description="true for generated cases; shown wherever the case shows")),
        context=(context_model, ...),
        factors=(factors_model, Field(default_factory=factors_model)),
        instruments=(instruments_model, Field(default_factory=instruments_model)),
    )


def case_json_schema(rules: RuleBase) -> dict[str, Any]:
    schema = case_model(rules).model_json_schema()
    schema["title"] = "Insatsmatch case"
    return schema


def encode_cases(raw_cases: Iterable[tuple[str, Any]], rules: RuleBase) -> CaseBatch:
    """Validate and encode cases given as (where, object) pairs; every problem is reported."""
    model = case_model(rules)
    cat = rules.catalogue
    template = cat.default_row()
    rows, ids, synthetic, errors = [], [], [], []
    for n, (where, raw) in enumerate(raw_cases, start=1):
        if not isinstance(raw, dict):
            errors.append(f"{where}: expected a case object with context, factors and instruments "
                          f"(docs/case-format.md); found {type(raw).__name__} {str(raw)[:40]!r}")
            continue
        try:
            case: Any = model.model_validate(raw)
        except ValidationError as exc:
            errors += [f"{where}: {_message(err, rules)}" for err in exc.errors()]
            continue
        misfits = _age_misfits(case.context, rules)
        if misfits:
            errors += [f"{where}: {m}" for m in misfits]
            continue
        row = template.copy()
        for fact in cat.context:
            row[cat.context_index[fact.id]] = cat.encode_context(fact, getattr(case.context, fact.id))
        ratings = {k: v for k, v in case.factors.model_dump().items() if v is not None}
        for key, adapter in rules.instruments.items():
            answers = getattr(case.instruments, key)
            if answers is not None:
                given = {k: v for k, v in answers.model_dump().items() if v is not None}
                for factor_id, value in adapter.ratings(given).items():
                    ratings[factor_id] = max(ratings.get(factor_id, UNRATED), value)
        for factor_id, value in ratings.items():
            row[cat.factor_index[factor_id]] = value
        rows.append(row)
        ids.append(case.case_id or f"case-{n}")
        synthetic.append(case.synthetic)
    if errors:
        shown = errors[:20] + ([f"... and {len(errors) - 20} more problems"] if len(errors) > 20 else [])
        raise InputError("\n".join(shown))
    values = np.asfortranarray(np.vstack(rows)) if rows else np.empty((0, cat.n_columns), np.int16, order="F")
    return CaseBatch(tuple(ids), np.array(synthetic, dtype=bool), values)


def _age_misfits(context: Any, rules: RuleBase) -> list[str]:
    """Enum values that do not fit the age (factors.yaml ``value_ages``), e.g. 'out of school' at 19."""
    age = context.age
    out = []
    for fact in rules.catalogue.context:
        value = getattr(context, fact.id)
        limit = fact.value_ages.get(value) if fact.value_ages else None
        if limit is not None and not limit.min <= age <= limit.max:
            label = (fact.labels or {}).get("en", fact.values or [])[(fact.values or []).index(value)]
            out.append(f"context.{fact.id}: '{value}' ({label}) applies from {limit.min} to {limit.max} years; "
                       f"the case is {age}. Choose the value that fits the age")
    return out


def _message(err: Any, rules: RuleBase) -> str:
    loc = tuple(err["loc"])
    path = format_path(loc)
    cat = rules.catalogue
    if err["type"] == "missing":
        name = cat.fact(loc[-1]).name if loc[0] == "context" and loc[-1] in cat.context_index else None
        what = f" ({name.sv} / {name.en})" if name else ""
        return f"{path}: missing; this value is required{what}"
    if err["type"] == "extra_forbidden":
        section = loc[0] if len(loc) > 1 else ""
        candidates: Iterable[str] = {
            "context": [c.id for c in cat.context],
            "factors": list(cat.factor_index),
            "instruments": list(rules.instruments) if len(loc) == 2
            else list(rules.instruments[str(loc[1])].item_keys) if len(loc) > 2 and loc[1] in rules.instruments
            else [],
        }.get(str(section), ["case_id", "synthetic", "context", "factors", "instruments"])
        kind = {"context": "context fact", "factors": "factor", "instruments": "instrument"
                if len(loc) == 2 else "item"}.get(str(section), "key")
        return f"{path}: unknown {kind} '{loc[-1]}'{did_you_mean(str(loc[-1]), candidates)}"
    scale, suggestion = "", ""
    if loc[0] == "context" and len(loc) == 2 and loc[1] in cat.context_index:
        fact = cat.fact(str(loc[1]))
        if fact.type == "enum":
            suggestion = did_you_mean(str(err["input"]), fact.values or [])
    if loc[0] == "factors" and len(loc) == 2 and loc[1] in cat.factor_index:
        s = cat.scale(cat.factor(str(loc[1])))
        scale = " (" + ", ".join(f"{v} = {lbl}" for v, lbl in zip(s.values, s.labels["en"], strict=True)) + ")"
    return f"{path}: {err['msg']}{scale}; found {err['input']!r}{suggestion}"


# ---------------------------------------------------------------- files


def read_cases(path: Path, rules: RuleBase) -> CaseBatch:
    """Cases from a .json (one case or a list), .jsonl or .csv file."""
    if not path.is_file():
        raise InputError(f"{path}: no such file; expected a case file (.json, .jsonl or .csv)")
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = _json(path.read_text(encoding="utf-8"), str(path))
        items = data if isinstance(data, list) else [data]
        where = [str(path)] if not isinstance(data, list) else [f"{path}[{i}]" for i in range(len(items))]
        return encode_cases(zip(where, items, strict=True), rules)
    if suffix == ".jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        items = [(f"{path}:{n}", _json(line, f"{path}:{n}")) for n, line in enumerate(lines, 1) if line.strip()]
        return encode_cases(items, rules)
    if suffix == ".csv":
        return encode_cases(_csv_cases(path, rules), rules)
    raise InputError(f"{path}: unknown file type '{suffix}'; expected .json, .jsonl or .csv")


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None


def csv_columns(rules: RuleBase) -> list[str]:
    """Every column a case CSV may have; context facts without a default are required."""
    cat = rules.catalogue
    items = [f"{key}.{item.id}" for key, a in rules.instruments.items() for item in a.model.items]
    return ["case_id", "synthetic", *(c.id for c in cat.context), *cat.factor_index, *items]


def _csv_cases(path: Path, rules: RuleBase) -> list[tuple[str, Any]]:
    cat = rules.catalogue
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        known = csv_columns(rules)
        unknown = [c for c in header if c not in known]
        if unknown:
            raise InputError(f"{path}: unknown column{'s' if len(unknown) > 1 else ''} "
                             + ", ".join(f"'{c}'{did_you_mean(c, known)}" for c in unknown))
        required = [c.id for c in cat.context if c.required]
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(f"{path}: missing required column{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)}; the file has: {', '.join(header) or 'no header'}")
        out = []
        for n, record in enumerate(reader, start=2):
            case: dict[str, Any] = {"context": {}, "factors": {}, "instruments": {}}
            for column, cell in record.items():
                cell = (cell or "").strip()
                if not cell:
                    continue
                if column in ("case_id", "synthetic"):
                    case[column] = cell if column == "case_id" else _bool(cell)
                elif column in cat.context_index:
                    fact = cat.fact(column)
                    case["context"][column] = _bool(cell) if fact.type == "bool" \
                        else _int(cell) if fact.type == "int" else cell
                elif column in cat.factor_index:
                    case["factors"][column] = _int(cell)
                else:
                    instrument, item = column.split(".", 1)
                    case["instruments"].setdefault(instrument, {})[item] = cell
            out.append((f"{path}:{n}", case))
        return out


def _bool(cell: str) -> Any:
    word = cell.lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else cell


def _int(cell: str) -> Any:
    try:
        return int(cell)
    except ValueError:
        return cell
