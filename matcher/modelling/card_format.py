"""The model card (``card.json``) as the registry, the gates and the pages read it: the figures they use are
checked for type and range, the rest of the card is kept as written (``train._card`` writes it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat

from matcher.errors import InputError
from matcher.modelling.strict_json import parse, validated

Share = Field(ge=0, le=1)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class FairnessTable(_Open):
    reference: str = Field(max_length=200)
    fpr_gap: FiniteFloat | None = Share
    fpr_ratio: dict[str, FiniteFloat | None]
    groups: dict[str, dict[str, Any]] = Field(max_length=1000)


class CrossValidation(_Open):
    folds: int = Field(ge=2, le=100)
    auc: FiniteFloat = Share
    brier: FiniteFloat = Share
    ece: FiniteFloat = Share
    fairness: dict[str, FairnessTable] = Field(max_length=50)


class CardPoints(_Open):
    factor: str = Field(max_length=100)
    name: str = Field(max_length=500)
    rating: str = Field(max_length=100)
    points: FiniteFloat = Field(ge=-1e6, le=1e6)


class Card(_Open):
    id: str = Field(max_length=100)
    model: str = Field(max_length=50)
    synthetic: bool
    created: str = Field(max_length=40)
    trained_by: str = Field(max_length=200)
    note: str = Field(max_length=20_000)
    features: list[str] = Field(min_length=1, max_length=500)
    levels: dict[str, FiniteFloat]
    intercept: FiniteFloat = Field(ge=-1e6, le=1e6)
    points: list[CardPoints] = Field(min_length=1, max_length=2000)
    cross_validation: CrossValidation
    plots: dict[str, str] = Field(default_factory=dict, max_length=10)


def read_card(data: bytes, display: str) -> dict[str, Any]:
    """The card in ``data`` (the bytes of ``display``) as written, after its figures were checked."""
    value = parse(data, display)
    card = validated(Card, value, display)
    wrong = [name for name in card.plots if not name.endswith(".png") or "/" in name or name.startswith(".")]
    if wrong:
        raise InputError(f"{display}: plots.{wrong[0]}: a plot is a .png file in the model's own folder")
    checked: dict[str, Any] = value
    return checked
