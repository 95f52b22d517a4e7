"""The case format: validation against the catalogue and encoding (the files are read in ``case_files.py``).

A case has a context (facts like age and placement), factor ratings, and optionally instrument
answers (SAVRY items, YLS/CMI domains). Instrument answers are carried over to factors through the
adapters; where several sources rate the same factor, the highest rating counts. The pydantic model
is built from the catalogue, so it validates and documents (JSON Schema) exactly the loaded rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from matcher.engine.identifiers import personnummer_in
from matcher.errors import CheckFailed, InputError, shown, validation_message
from matcher.i18n import LANGS, Message, message, t
from matcher.rulebase.factors import UNRATED
from matcher.rulebase.loading import RuleBase
from matcher.rulebase.schema import Scale
from matcher.rulebase.yamlsource import did_you_mean, format_path

FORBID = ConfigDict(extra="forbid")
MAX_CASE_ID = 64
NAME_LIKE = re.compile(r"[^\W\d_]+(?:\s+[^\W\d_]+)+")  # two or more words of letters only: "Anna Svensson"
SHOWN_PROBLEMS = 20
JSON_KINDS = {int: "number", float: "number", str: "text", bool: "yes_no", list: "list", type(None): "null"}


def _no_yes_no(value: Any) -> Any:
    """A rating or an age is a number; true/false would silently become 1/0."""
    if isinstance(value, bool):
        raise CheckFailed(message("case.not_yes_no", value=str(value).lower()))
    return value


def _case_code(value: Any) -> Any:
    """A case code is pseudonymous: never a personnummer, a name or text that moves a terminal's cursor."""
    if not isinstance(value, str):
        return value
    if not value.isprintable():
        raise CheckFailed(message("case.code_control"))
    if len(value) > MAX_CASE_ID:
        raise CheckFailed(message("case.code_long", limit=MAX_CASE_ID))
    if personnummer_in(value):
        raise CheckFailed(message("case.code_personnummer"))
    if NAME_LIKE.fullmatch(value.strip()):
        raise CheckFailed(message("case.code_name"))
    return value


NOT_YES_NO = BeforeValidator(_no_yes_no)


@dataclass(frozen=True)
class Place:
    """Where a case was read in a file: the line of each of its fields (JSON) and its index in a list."""

    file: str | Message  # a message where the reader's language names it ("ärende C-…")
    lines: Mapping[tuple[str | int, ...], int] = field(default_factory=dict)
    line: int | None = None  # the case's own line (a CSV row)
    index: int | None = None

    def at(self, loc: tuple[str | int, ...]) -> tuple[str | Message, str]:
        """(file:line, the field's path) of a field of the case."""
        full = (*((self.index,) if self.index is not None else ()), *loc)
        probe = full
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe, self.line)
        return (f"{self.file}:{line}" if line else self.file), format_path(full)


@dataclass(frozen=True)
class CaseBatch:
    """Cases as one column-major int16 matrix (factor columns, then context columns)."""

    ids: tuple[str, ...]
    synthetic: np.ndarray  # N bool
    values: np.ndarray  # N x (F + C), Fortran order; UNRATED where a factor was not rated
    read_as: str = ""  # how the file was read when it was not plain UTF-8 JSON (encoding, CSV separator)

    def __len__(self) -> int:
        return len(self.ids)


def scale_words(scale: Scale, lang: str = "en") -> str:
    """The values of a scale in words: '0 = low, 1 = moderate, 2 = high', or 'a whole number from 0 to 60'."""
    if scale.numeric:
        return t(lang, "case.scale_numeric", min=scale.values[0], max=scale.values[-1])
    return ", ".join(f"{v} = {label}" for v, label in zip(scale.values, scale.labels[lang], strict=True))  # type: ignore[index]


@cache
def case_model(rules: RuleBase) -> type[BaseModel]:
    """The pydantic model of one case for this rule base."""
    cat = rules.catalogue
    context: dict[str, Any] = {}
    for fact in cat.context:
        typ: Any = {"bool": bool, "int": Annotated[int, Field(ge=fact.min, le=fact.max), NOT_YES_NO]}.get(fact.type)
        if fact.type == "enum":
            typ = Literal[tuple(fact.values or ())]
        default = ... if fact.required else (False if fact.type == "bool" else fact.default)
        context[fact.id] = (typ, Field(default, title=fact.name.en, description=fact.description.en))
    factors: dict[str, Any] = {}
    for factor in cat.factors:
        scale = cat.scale(factor)
        labels = scale_words(scale)
        allowed: Any = (Annotated[int, Field(ge=scale.values[0], le=scale.values[-1])] if scale.numeric
                        else Literal[tuple(scale.values)])
        factors[factor.id] = (Annotated[allowed | None, NOT_YES_NO],
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
        case_id=(Annotated[str | None, BeforeValidator(_case_code)],
                 Field(None, description="pseudonymous case code; never a name or personnummer")),
        synthetic=(bool, Field(False, description="true for generated cases; shown wherever the case shows")),
        context=(context_model, ...),
        factors=(factors_model, Field(default_factory=factors_model)),
        instruments=(instruments_model, Field(default_factory=instruments_model)),
    )


def case_json_schema(rules: RuleBase) -> dict[str, Any]:
    schema = case_model(rules).model_json_schema()
    schema["title"] = "Insatsmatch case"
    return schema


def encode_cases(raw_cases: Iterable[tuple[str | Message | Place, Any]], rules: RuleBase) -> CaseBatch:
    """Validate and encode cases given as (where, object) pairs; every problem is reported, each at the file and
    line of its field when ``where`` is a ``Place``."""
    model = case_model(rules)
    cat = rules.catalogue
    template = cat.default_codes
    rows, ids, synthetic, errors = [], [], [], []
    for n, (where, raw) in enumerate(raw_cases, start=1):
        place = where if isinstance(where, Place) else Place(where)
        if not isinstance(raw, dict):
            kind = message(f"case.json_kind.{JSON_KINDS.get(type(raw), 'other')}")
            errors.append(_located(place, (), message("case.not_an_object", kind=kind,
                                                      value="" if raw is None else f" {shown(raw, 40)}")))
            continue
        try:
            case: Any = model.model_validate(raw)
        except ValidationError as exc:
            errors += [_located(place, tuple(err["loc"]), _message(err, rules)) for err in exc.errors()]
            continue
        context = vars(case.context)  # the flat models' fields by name (a dump copies them)
        misfits = _age_misfits(context, rules)
        if misfits:
            errors += [_located(place, ("context", fact), m) for fact, m in misfits]
            continue
        row = list(template)  # Python ints until the batch is one array: a numpy item write costs more than the rest
        for fact in cat.context:
            row[cat.context_index[fact.id]] = cat.encode_context(fact, context[fact.id])
        ratings = {k: v for k, v in vars(case.factors).items() if v is not None}
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
        more = len(errors) - SHOWN_PROBLEMS
        raise InputError.worded(*errors[:SHOWN_PROBLEMS], *([message("case.more", count=more)] if more > 0 else []))
    values = np.array(rows, dtype=np.int16, order="F") if rows else np.empty((0, cat.n_columns), np.int16, order="F")
    return CaseBatch(tuple(ids), np.array(synthetic, dtype=bool), values)


def _located(place: Place, loc: tuple[str | int, ...], said: Message) -> Message:
    where, path = place.at(loc)
    return message("case.located", where=where, path=path, problem=said) if path else \
        message("case.located_file", where=where, problem=said)


def _age_misfits(context: dict[str, Any], rules: RuleBase) -> list[tuple[str, Message]]:
    """Enum values that do not fit the age (factors.yaml ``value_ages``), e.g. 'out of school' at 19."""
    age = context["age"]
    out = []
    for fact in rules.catalogue.aged:
        value = context[fact.id]
        limit = fact.value_ages.get(value)
        if limit is not None and not limit.min <= age <= limit.max:
            position = (fact.values or []).index(value)
            label = {lang: names[position] for lang, names in (fact.labels or {}).items()}  # an enum has labels
            out.append((fact.id, message("case.age_misfit", value=value, label=label, min=limit.min, max=limit.max,
                                         age=age)))
    return out


def _message(err: Any, rules: RuleBase) -> Message:
    """A pydantic error in words, without its place (``_located`` adds it)."""
    loc = tuple(err["loc"])
    cat = rules.catalogue
    if err["type"] == "missing":
        name = cat.fact(loc[-1]).name if loc[0] == "context" and loc[-1] in cat.context_index else None
        return message("case.missing", name={"en": f" ({name.sv} / {name.en})", "sv": f" ({name.sv})"} if name else "")
    if err["type"] == "extra_forbidden":
        section = loc[0] if len(loc) > 1 else ""
        candidates: Iterable[str] = {
            "context": [c.id for c in cat.context],
            "factors": list(cat.factor_index),
            "instruments": list(rules.instruments) if len(loc) == 2
            else list(rules.instruments[str(loc[1])].item_keys) if len(loc) > 2 and loc[1] in rules.instruments
            else [],
        }.get(str(section), ["case_id", "synthetic", "context", "factors", "instruments"])
        kind = {"context": "fact", "factors": "factor", "instruments": "instrument"
                if len(loc) == 2 else "item"}.get(str(section), "key")
        return message("case.unknown", unknown=message(f"case.unknown_kind.{kind}"), name=shown(str(loc[-1])),
                       suggestion=did_you_mean(str(loc[-1])[:100], candidates))
    scale: dict[str, str] | str = ""
    suggestion: Message | str = ""
    if loc[0] == "context" and len(loc) == 2 and loc[1] in cat.context_index:
        fact = cat.fact(str(loc[1]))
        if fact.type == "enum":
            suggestion = did_you_mean(str(err["input"])[:100], fact.values or [])
    if loc[0] == "factors" and len(loc) == 2 and loc[1] in cat.factor_index:
        s = cat.scale(cat.factor(str(loc[1])))
        scale = {lang: f" ({scale_words(s, lang)})" for lang in LANGS}
    return message("case.value", problem=validation_message(err), scale=scale, value=shown(err["input"]),
                   suggestion=suggestion)
