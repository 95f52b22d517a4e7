"""What a unit actually offers: its local service catalogue, as a file and as stored versions.

One entry per insats: whether the unit offers it, by whom, capacity, waiting time, contact, cost per case,
and the provider's licence or certification with its date. The rule base says what works; this says what
a unit can give. The engine's ranking never reads it: availability is shown beside a recommendation
(``availability.py``) and counted in the service-gap report (``gaps.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import Field, ValidationError, model_validator

from matcher.errors import InputError, Problem
from matcher.rulebase.loading import RuleBase, validation_problems
from matcher.rulebase.schema import Strict
from matcher.rulebase.yamlsource import YamlDoc, YamlSyntaxError, did_you_mean, load_yaml

Provider = Literal["own", "purchased", "region", "civil_society"]
PROVIDERS: tuple[str, ...] = get_args(Provider)
FIELDS = ("insats", "offered", "provider", "provider_name", "capacity", "waiting_weeks", "contact",
          "cost_per_case", "licence_kind", "licence_valid_until", "note")


class Licence(Strict):
    kind: str = Field(min_length=1)  # e.g. "MST licence (MST Sverige)", "certified ART trainers"
    valid_until: dt.date


class Offer(Strict):
    insats: str
    offered: bool
    provider: Provider | None = None
    provider_name: str = ""
    capacity: int | None = Field(default=None, ge=0, le=100_000)  # young people at a time
    waiting_weeks: float | None = Field(default=None, ge=0, le=104)
    contact: str = ""
    cost_per_case: int | None = Field(default=None, ge=0, le=1_000_000_000)  # SEK
    licence: Licence | None = None
    note: str = ""

    @model_validator(mode="after")
    def _offered_says_by_whom(self) -> Offer:
        problem = offer_problem(self.offered, self.provider, self.capacity)
        if problem:
            raise ValueError(problem)
        return self

    def licensed(self, on: dt.date) -> bool:
        return self.licence is not None and self.licence.valid_until >= on


def offer_problem(offered: object, provider: object, capacity: object) -> str | None:
    """What an offered insats lacks: a provider, or a place (checked on the model and on the raw file, so that a
    file's every problem is found at once)."""
    if offered is True and provider is None:
        return f"an offered insats needs a provider, one of {', '.join(PROVIDERS)}"
    if offered is True and capacity == 0 and not isinstance(capacity, bool):
        return "an offered insats needs at least one place; while it has none, list it with offered: false"
    return None


class LocalCatalogue(Strict):
    unit: str = Field(min_length=1)
    offers: list[Offer] = Field(default_factory=list)

    def offer(self, intervention: str) -> Offer | None:
        return next((o for o in self.offers if o.insats == intervention), None)


@dataclass(frozen=True)
class StoredCatalogue:
    """A saved version of a unit's catalogue (``CaseStore.save_catalogue``)."""

    catalogue: LocalCatalogue
    version: int
    saved_at: dt.datetime
    author: str
    reason: str


KEYS = frozenset(name for model in (LocalCatalogue, Offer, Licence) for name in model.model_fields)  # did-you-mean


class CatalogueError(InputError):
    """A catalogue that cannot be used; the message lists every problem, each with its place."""

    def __init__(self, display: str, problems: list[Problem]):
        self.problems = problems
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the local catalogue {display}:\n"
                         + "\n".join(str(p) for p in problems))


def load_catalogue(path: Path, rules: RuleBase, display: str | None = None) -> LocalCatalogue:
    """A catalogue file (YAML), validated against the rule base; errors name the file (``display``, else its
    path), the line and the key."""
    display = display or str(path)
    if not path.is_file():
        raise InputError(f"{display}: no such catalogue file")
    try:
        doc = load_yaml(path, display)
    except YamlSyntaxError as exc:
        raise CatalogueError(display, exc.problems) from None
    return _validated(doc, rules)


def parse_catalogue(data: dict[str, Any], rules: RuleBase, display: str = "(table)") -> LocalCatalogue:
    """A catalogue from plain data (the app's table), validated like a file; places are YAML paths."""
    return _validated(YamlDoc(display, data, {}), rules)


def _validated(doc: YamlDoc, rules: RuleBase) -> LocalCatalogue:
    """Every problem at once: the format (pydantic) and the insatser against the rule base."""
    if not isinstance(doc.data, dict):
        raise CatalogueError(doc.file, [doc.problem([], "expected a mapping with the keys unit and offers, found "
                                                        f"{type(doc.data).__name__}")])
    problems = _insats_problems(doc, rules)
    try:
        catalogue = LocalCatalogue.model_validate(doc.data)
    except ValidationError as exc:  # an offer's own check is in _insats_problems already, whatever else is wrong
        own = [err for err in exc.errors() if err["type"] == "value_error" and len(err["loc"]) == 2]
        problems = validation_problems(doc, exc, KEYS, skip=own) + problems
    if problems:
        raise CatalogueError(doc.file, sorted(problems, key=lambda p: (p.line or 0, p.path)))
    return catalogue


def _insats_problems(doc: YamlDoc, rules: RuleBase) -> list[Problem]:
    offers = doc.data.get("offers")
    problems = []
    seen: set[str] = set()
    for n, offer in enumerate(offers if isinstance(offers, list) else []):
        iid = offer.get("insats") if isinstance(offer, dict) else None
        if not isinstance(iid, str):
            continue
        where = ("offers", n, "insats")
        if iid not in rules.ids:
            problems.append(doc.problem(where, f"unknown insats '{iid}' (the ids are the file names in "
                                               f"rules/interventions/){did_you_mean(iid, rules.ids)}"))
        elif offer.get("offered") is True and rules.interventions[rules.index(iid)].model.do_not_offer:
            problems.append(doc.problem(where, f"'{iid}' is a practice social services should not offer "
                                               f"(rules/interventions/{iid}.yaml); list it with offered: false or "
                                               f"remove it"))
        if iid in seen:
            problems.append(doc.problem(where, f"'{iid}' is listed twice; keep one entry per insats"))
        seen.add(iid)
        lacking = offer_problem(offer.get("offered"), offer.get("provider"), offer.get("capacity"))
        if lacking:
            problems.append(doc.problem(("offers", n), lacking))
    return problems


def catalogue_yaml(catalogue: LocalCatalogue) -> str:
    """The catalogue as a file a methodologist can edit and import again."""
    header = ("# Local service catalogue: what this unit offers (matcher catalogue import FILE --reason ...).\n"
              "# provider: own | purchased | region | civil_society; waiting_weeks and capacity as of today;\n"
              "# cost_per_case in SEK; licence: the provider's licence or certification and how long it is valid.\n")
    data = catalogue.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("offers", [])
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


def table_rows(catalogue: LocalCatalogue) -> list[dict[str, Any]]:
    """One flat row per offer (the app's table and the CSV-like views), the licence in two columns."""
    rows = []
    for offer in catalogue.offers:
        row = offer.model_dump(exclude={"licence"})
        row["licence_kind"] = offer.licence.kind if offer.licence else ""
        row["licence_valid_until"] = offer.licence.valid_until if offer.licence else None
        rows.append({name: row[name] for name in FIELDS})
    return rows


def from_rows(unit: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Flat rows back into catalogue data; empty cells are left out so the defaults apply."""
    offers = []
    for row in rows:
        offer = {name: value for name, value in row.items()
                 if name in FIELDS and not name.startswith("licence_") and not _empty(value)}
        kind, until = row.get("licence_kind"), row.get("licence_valid_until")
        if not (_empty(kind) and _empty(until)):
            offer["licence"] = {"kind": "" if _empty(kind) else kind, "valid_until": None if _empty(until) else until}
        offers.append(offer)
    return {"unit": unit, "offers": offers}


def _empty(value: Any) -> bool:
    """An empty cell: None, blank text, or a missing number or date (NaN, NaT) from a table."""
    return value is None or (isinstance(value, str) and not value.strip()) or value != value
