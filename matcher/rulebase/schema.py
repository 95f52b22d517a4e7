"""Pydantic models of the rule base: factors, context facts, conditions, interventions, policy.

Every model forbids unknown keys, so a typo in a rule file is an error, never ignored.
Names inside conditions (factor and context ids) are checked against the catalogue
later, in ``rulebase.py``, where the did-you-mean suggestions are made.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from matcher.errors import CheckFailed
from matcher.i18n import message

Lang = Literal["sv", "en"]
LANGS: tuple[Lang, ...] = ("sv", "en")


# Every whole number in a rule file fits the engine's int16 case matrix (ratings, ages, codes)
Whole = Annotated[int, Field(ge=-9999, le=9999)]


class Strict(BaseModel):
    """Unknown keys, NaN and infinity are refused in every rule, policy and catalogue file."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Text(Strict):
    """A text a person reads, in Swedish and English."""

    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


# ---------------------------------------------------------------- factor catalogue


class Scale(Strict):
    """Ratings (``values`` 0-9 with a label each), or, with ``numeric: true``, whole numbers from ``min`` to ``max``
    (a count or an age, labelled by the number itself). A risk model bins a numeric factor; a rule condition needs
    none of them."""

    values: list[Annotated[int, Field(ge=0, le=99)]] = Field(min_length=2)
    labels: dict[Lang, list[str]]
    numeric: bool = False

    @model_validator(mode="before")
    @classmethod
    def _numbers(cls, data: Any) -> Any:
        """A numeric scale is written ``{numeric: true, min: 0, max: 50}``; its values and labels follow."""
        if not isinstance(data, dict) or not data.get("numeric"):
            return data
        extra = sorted(set(data) - {"numeric", "min", "max"})
        if extra:
            raise ValueError(f"a numeric scale takes min and max only; found {', '.join(map(str, extra))}")
        low, high = data.get("min"), data.get("max")
        if not isinstance(low, int) or not isinstance(high, int) or not 0 <= low < high <= 99:
            raise ValueError(f"a numeric scale needs whole numbers 0 <= min < max <= 99; found min {low!r}, "
                             f"max {high!r}")
        values = list(range(low, high + 1))
        return {"values": values, "labels": {lang: [str(v) for v in values] for lang in LANGS}, "numeric": True}

    @model_validator(mode="after")
    def _labels_match_values(self) -> Scale:
        for lang in LANGS:
            if len(self.labels.get(lang, [])) != len(self.values):
                raise ValueError(f"needs one {lang} label per value ({len(self.values)})")
        if not self.numeric and max(self.values) > 9:
            raise ValueError(f"a rating scale has values 0-9 (use numeric: true for counts and ages); "
                             f"found {max(self.values)}")
        return self

    def label(self, value: int, lang: str) -> str:
        return self.labels[lang][self.values.index(value)]  # type: ignore[index]


Need = Literal["criminogenic", "welfare"]


class Factor(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    domain: str
    kind: Literal["risk", "protective"]
    dynamic: bool
    need: Need  # criminogenic: counts in the crime-risk score (RNR); welfare: a clinical or welfare need of its own
    scale: str
    name: Text
    description: Text
    source: str = Field(min_length=1)
    # On a numeric scale: whether a higher number means more risk ("increasing": prior records) or less
    # ("decreasing": the age at the offence); a trained model's points follow it. Ratings follow ``kind``.
    monotone: Literal["increasing", "decreasing"] | None = None


class AgeLimit(Strict):
    min: int = Field(ge=0, le=30)
    max: int = Field(ge=0, le=30)

    @model_validator(mode="after")
    def _ordered(self) -> AgeLimit:
        if self.min > self.max:
            raise CheckFailed(message("problem.min_over_max", min=self.min, max=self.max))
        return self


class ContextFact(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: Literal["bool", "int", "enum"]
    name: Text
    description: Text
    source: str = Field(min_length=1)
    required: bool = False
    min: Whole | None = None
    max: Whole | None = None
    values: list[str] | None = None
    labels: dict[Lang, list[str]] | None = None
    default: str | None = None
    matching: bool = True  # False: recorded for the evaluators' fairness audit only; no rule may name it
    value_ages: dict[str, AgeLimit] = {}  # an enum value that fits only some ages (a case outside is refused)

    @model_validator(mode="after")
    def _shape_fits_type(self) -> ContextFact:
        if self.type == "int" and (self.min is None or self.max is None):
            raise ValueError("an int fact needs min and max")
        if self.type == "enum":
            if not self.values or not self.labels:
                raise ValueError("an enum fact needs values and labels")
            for lang in LANGS:
                if len(self.labels.get(lang, [])) != len(self.values):
                    raise ValueError(f"needs one {lang} label per value")
            if not self.required and self.default not in self.values:
                raise ValueError(f"an optional enum fact needs a default among {self.values}")
        unknown = sorted(set(self.value_ages) - set(self.values or []))
        if unknown:
            raise ValueError(f"value_ages names values the fact does not have: {unknown}")
        return self


class Catalogue(Strict):
    scales: dict[str, Scale]
    domains: dict[str, Text]
    factors: list[Factor]
    context: list[ContextFact]


# ---------------------------------------------------------------- instruments


class InstrumentItem(Strict):
    id: str
    aliases: list[str] = []
    name: str
    scale: str
    factors: list[str] = Field(min_length=1)


class InstrumentScale(Strict):
    values: dict[str, Annotated[int, Field(ge=0, le=9)]]
    aliases: dict[str, str] = {}


class Instrument(Strict):
    id: str
    name: str
    source: str
    note: str = ""
    scales: dict[str, InstrumentScale]
    items: list[InstrumentItem]


# ---------------------------------------------------------------- conditions

Op = Literal[">=", ">", "<=", "<", "==", "!=", "in", "not_in"]
Scalar = bool | Whole | str


class FactorLeaf(Strict):
    """A comparison on a rated factor: ``{factor: peer_delinquency, op: ">=", value: 2}``."""

    factor: str
    op: Op
    value: Whole | list[Whole]


class ContextLeaf(Strict):
    """A comparison on a context fact: ``{context: age, op: ">=", value: 12}``."""

    context: str
    op: Op
    value: Scalar | list[Scalar]


class AllOf(Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(Strict):
    any: list[Condition] = Field(min_length=1)


class NotOf(Strict):
    not_: Condition = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


CONDITION_KEYS = ("all", "any", "not", "factor", "context")


def _condition_tag(raw: Any) -> str | None:
    if isinstance(raw, BaseModel):
        return {AllOf: "all", AnyOf: "any", NotOf: "not", FactorLeaf: "factor",
                ContextLeaf: "context"}.get(type(raw))
    if isinstance(raw, dict):
        found = [key for key in CONDITION_KEYS if key in raw]
        if len(found) == 1:
            return found[0]
    return None


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[FactorLeaf, Tag("factor")]
    | Annotated[ContextLeaf, Tag("context")],
    Discriminator(
        _condition_tag,
        custom_error_type="condition_shape",
        custom_error_message="a condition needs exactly one of the keys all, any, not, factor, context",
    ),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


# ---------------------------------------------------------------- interventions

InterventionType = Literal[
    "family_therapy", "parent_training", "cbt_group", "individual", "mentor", "school",
    "employment", "substance_use", "mental_health", "exit", "placement", "legal_sanction",
    "coordination", "community",
]
Actor = Literal["socialtjanst", "skola", "polis", "sis", "region", "kriminalvarden", "civil_society"]
Intensity = Literal["low", "moderate", "high", "very_high"]
Prerequisite = Literal["caregiver", "youth_consent", "licensed_team", "trained_staff"]
Confidence = Literal["confirmed", "partly_confirmed", "unconfirmed", "inference"]


class AgeRange(AgeLimit):
    """A programme's own age range, with how sure its source is."""

    confidence: Confidence = "confirmed"


MAX_DOSE = 10_000  # hours, sessions, months: far beyond any programme, so 1e308 is an error, not a dose


class Span(Strict):
    min: float = Field(ge=0, le=MAX_DOSE)
    max: float = Field(ge=0, le=MAX_DOSE)


class Dose(Strict):
    """The programme's target dose; ``dose.py`` compares what a plan item delivered with it."""

    hours_per_week: Span | None = None
    hours: Span | None = None  # in total
    sessions: Span | None = None  # in total
    months: Span | None = None
    weeks: Span | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _one_duration(self) -> Dose:
        if self.months is not None and self.weeks is not None:
            raise CheckFailed(message("problem.months_or_weeks"))
        return self


class Fidelity(Strict):
    """A programme whose effect depends on model-faithful delivery by a licensed or certified provider."""

    requires: Text  # the licence or certification a provider needs
    why: Text  # the evidence that delivery without it loses the effect
    source: str = Field(min_length=1)
    confidence: Confidence


class Contraindication(Strict):
    """An exclusion as the programme owner publishes it: when it holds, the insats is not eligible."""

    when: Condition
    reason: Text
    source: str = Field(min_length=1)
    url: str | None = None
    confidence: Confidence = "confirmed"


class Priority(Strict):
    """When ``when`` holds for an eligible case, the insats is ranked above all others."""

    when: Condition
    reason: Text


class InterventionWarning(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    message: Text
    when: Condition | None = None


class Evidence(Strict):
    clearinghouse: str
    rating: str
    source: str = Field(min_length=1)
    url: str | None = None
    read: dt.date
    confidence: Confidence
    note: Text | None = None


Weight = Annotated[float, Field(gt=0, le=1, description="how central the factor is to the insats, in (0, 1]")]


class Example(Strict):
    """A worked example inside a rule file: this case must (or must not) be eligible, and why."""

    case: dict[str, Any]
    expect: Literal["eligible", "not_eligible"]
    because: str = Field(min_length=1)


class Intervention(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Text
    summary: Text
    type: InterventionType
    indication: Need  # criminogenic: the RNR intensity gate applies; welfare: indicated by its clinical need
    actor: Actor
    group_format: bool = False
    age: AgeRange
    intensity: Intensity
    dose: Dose | None = None
    fidelity: Fidelity | None = None
    prerequisites: list[Prerequisite] = []
    eligibility: Condition | None = None
    contraindications: list[Contraindication] = []
    priority: Priority | None = None
    targets: dict[str, Weight] = {}
    leverages: dict[str, Weight] = {}
    evidence: list[Evidence] = Field(min_length=1)
    warnings: list[InterventionWarning] = []
    do_not_offer: bool = False
    examples: list[Example] = []

    @model_validator(mode="after")
    def _do_not_offer_says_why(self) -> Intervention:
        if self.do_not_offer and not self.warnings:
            raise CheckFailed(message("problem.do_not_offer_why"))
        return self


# ---------------------------------------------------------------- act first (rules/act_first.yaml)


class Source(Strict):
    source: str = Field(min_length=1)
    url: str | None = None
    read: dt.date
    confidence: Confidence


class ActFirstAction(Strict):
    """An action that comes before any insats, when its condition holds: safety first."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    when: Condition
    trigger: Text  # what in the assessment triggered it
    action: Text  # what to do now
    who: Text  # who does it
    when_by: Literal["immediately", "same_day", "before_any_insats"]
    sources: list[Source] = Field(min_length=1)


class ActFirstFile(Strict):
    actions: list[ActFirstAction] = Field(min_length=1)
