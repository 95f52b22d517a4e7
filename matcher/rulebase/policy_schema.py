"""Pydantic models of rules/policy.yaml: how the engine turns needs, risk and evidence into a ranked list."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from matcher.rulebase.schema import AgeLimit, Confidence, Intensity, Strict

RiskLevel = Literal["low", "moderate", "high"]
Strength = Literal["strong", "moderate", "limited", "insufficient", "harmful"]


class IntensityRule(Strict):
    allowed: list[Intensity] = Field(min_length=1)
    preferred: list[Intensity] = Field(min_length=1)

    @model_validator(mode="after")
    def _preferred_is_allowed(self) -> IntensityRule:
        extra = sorted(set(self.preferred) - set(self.allowed))
        if extra:
            raise ValueError(f"preferred intensities {extra} are not in allowed")
        return self


MAX_WEIGHT = 1000  # a score term's weight; the shipped weights sum to 100
Fit = Annotated[float, Field(ge=0, le=1)]


class TermWeights(Strict):
    need_fit: float = Field(ge=0, le=MAX_WEIGHT)
    intensity_fit: float = Field(ge=0, le=MAX_WEIGHT)
    evidence: float = Field(ge=0, le=MAX_WEIGHT)
    protective_leverage: float = Field(ge=0, le=MAX_WEIGHT)


def _policy_levels() -> dict[Literal["moderate", "high"], float]:
    return {"moderate": 0.30, "high": 0.50}


class ModelGates(Strict):
    """What a trained model must show (cross-validated, from its card) before it may be promoted."""

    min_auc: float = Field(ge=0.5, le=1)
    max_calibration_error: float = Field(gt=0, le=1)
    # The defaults are those of rules/policy.yaml since issue 16, so that an older policy (which had only the
    # three gates above and max_fpr_gap) still loads, e.g. for `matcher rules diff` against an older revision.
    max_fpr_ratio: float = Field(1.2, ge=1, le=10)  # a group's false-positive rate over the largest group's
    max_fnr_ratio: float = Field(1.2, ge=1, le=10)  # a group's false-negative rate over the largest group's
    min_group_size: int = Field(50, ge=1, le=100_000)  # smaller groups are reported, never gating
    levels: dict[Literal["moderate", "high"], float] = Field(default_factory=_policy_levels)  # fairness judged here
    folds: int = Field(5, ge=2, le=20)
    repeats: int = Field(5, ge=1, le=50)  # repeated cross-validation, seeds 0 .. repeats - 1
    max_fpr_gap: float | None = Field(None, gt=0, le=1)  # optional: largest FPR difference between two groups

    @model_validator(mode="after")
    def _ordered_levels(self) -> ModelGates:
        if sorted(self.levels) != ["high", "moderate"] or not 0 < self.levels["moderate"] < self.levels["high"] < 1:
            raise ValueError("levels needs moderate and high with 0 < moderate < high < 1")
        return self


class LintSettings(Strict):
    max_evidence_age_years: int = Field(ge=1, le=50)


class DoseSettings(Strict):
    flag_below: float = Field(gt=0, le=1)


class Policy(Strict):
    top_k: int = Field(ge=1, le=20)
    weights: TermWeights
    intensity_matrix: dict[RiskLevel, IntensityRule]
    intensity_fit: dict[Literal["preferred", "allowed"], Fit]
    evidence_strength: dict[Strength, Fit]
    evidence_ratings: dict[str, dict[str, Strength]]
    counted_confidence: list[Confidence]
    multi_agency_consent_age: int = Field(ge=0, le=25)
    welfare_need_points: float = Field(ge=0, le=10)  # a welfare need's points per rating step in the need profile
    risk_score_min_age: int = Field(ge=0, le=25)  # below it the SAVRY-style score does not gate intensity
    municipal_age_limits: dict[str, AgeLimit] = Field(default_factory=dict)  # the municipality's own, by insats
    lint: LintSettings
    dose: DoseSettings
    model_gates: ModelGates
    # k of the outcome export's k-anonymity: the fewest young people who may share a combination of month, sex,
    # born abroad, age band, placement and sanction (matcher/store/export.py); --min-group may only raise it
    export_min_group: int = Field(5, ge=2, le=1000)
    # Weeks before a planned discharge from a SiS youth home when the homecoming plan (school, housing,
    # occupation, support to the parents) must be under way; the SIG meeting view warns from then on
    homecoming_start_weeks: int = Field(8, ge=1, le=52)

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        missing = sorted({"low", "moderate", "high"} - set(self.intensity_matrix))
        if missing:
            raise ValueError(f"intensity_matrix lacks risk levels {missing}")
        return self
