"""An intervention looked up by id: its card in words, with the do-not-offer warning first where it applies;
and the search over the rule base that the rule browser offers (text, type, age, evidence strength)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, get_args

from matcher.engine.explain import evidence_entry
from matcher.errors import InputError, shown
from matcher.i18n import number, t
from matcher.rulebase.conditions import Node, in_words
from matcher.rulebase.loading import CompiledIntervention, RuleBase
from matcher.rulebase.policy_schema import Strength
from matcher.rulebase.schema import InterventionType
from matcher.rulebase.yamlsource import did_you_mean

TYPES: tuple[str, ...] = get_args(InterventionType)
STRENGTHS: tuple[str, ...] = get_args(Strength)
STATUS_CLEARINGHOUSES = ("socialstyrelsen", "national_guidelines")  # Socialstyrelsen's own recommendations
DOSE_SPANS = ("months", "weeks", "hours_per_week", "hours", "sessions")


def intervention_card(rules: RuleBase, intervention_id: str, lang: str = "sv") -> dict[str, Any]:
    intervention_id = {iid.lower(): iid for iid in rules.ids}.get(intervention_id.lower(), intervention_id)
    if intervention_id not in rules.ids:
        raise InputError(f"unknown intervention {shown(intervention_id)}"
                         f"{did_you_mean(intervention_id.lower()[:100], rules.ids)} (the ids are the file names in "
                         f"rules/interventions/)")
    compiled = rules.interventions[rules.index(intervention_id)]
    iv = compiled.model
    low, high = compiled.age_range
    age = f"{low}-{high}"
    if (low, high) != (iv.age.min, iv.age.max):  # the municipality's own limits (policy.yaml) are in force
        age += f" ({t(lang, 'card.age_municipal', low=iv.age.min, high=iv.age.max)})"
    elif iv.age.confidence != "confirmed":
        age += f" ({t(lang, f'card.confidence.{iv.age.confidence}')})"
    facts = {
        t(lang, "card.type"): t(lang, f"card.type.{iv.type}"),
        t(lang, "card.actor"): t(lang, f"actor.{iv.actor}"),
        t(lang, "card.age"): age,
        t(lang, "card.intensity"): t(lang, f"intensity.{iv.intensity}"),
    }
    if iv.group_format:
        facts[t(lang, "card.format")] = t(lang, "card.format.group")
    dose = _dose(compiled, lang)
    if dose:
        facts[t(lang, "card.dose")] = dose
    if iv.fidelity:
        facts[t(lang, "card.fidelity")] = f"{iv.fidelity.requires.get(lang)} {iv.fidelity.why.get(lang)}"
    if iv.prerequisites:
        facts[t(lang, "card.prerequisites")] = ", ".join(t(lang, f"card.prerequisite.{p}") for p in iv.prerequisites)
    level = evidence_level(rules, compiled)
    cat = rules.catalogue
    evidence = [{**evidence_entry(e, rules.policy, lang),
                 "confidence_label": t(lang, f"card.confidence.{e.confidence}")} for e in iv.evidence]
    return {
        "id": iv.id,
        "name": iv.name.get(lang),
        "summary": iv.summary.get(lang),
        "do_not_offer": iv.do_not_offer,
        "facts": facts,
        "strength": level,
        "strength_label": t(lang, f"strength.{level}"),
        "eligibility": _eligibility(rules, compiled, lang),
        "contraindications": [{"when": in_words(node, rules.leaves, lang), "reason": contra.reason.get(lang),
                               "source": contra.source, "url": contra.url,
                               "confidence_label": t(lang, f"card.confidence.{contra.confidence}")}
                              for node, contra in compiled.contraindications],
        "priority": {"when": in_words(compiled.priority[0], rules.leaves, lang),
                     "reason": compiled.priority[1].get(lang)} if compiled.priority else None,
        "targets": [{"factor": cat.factor(name).name.get(lang), "weight": weight} for name, weight in
                    sorted(iv.targets.items(), key=lambda item: -item[1])],
        "leverages": [{"factor": cat.factor(name).name.get(lang), "weight": weight} for name, weight in
                      sorted(iv.leverages.items(), key=lambda item: -item[1])],
        "evidence": evidence,
        "status": [f"{e['clearinghouse']}: {e['rating_label']}" for e, entry in zip(evidence, iv.evidence, strict=True)
                   if entry.clearinghouse in STATUS_CLEARINGHOUSES],
        "warnings": [{"code": w.code, "message": w.message.get(lang),
                      "when": in_words(node, rules.leaves, lang) if node is not None else None}
                     for node, w in compiled.warnings],
    }


def evidence_level(rules: RuleBase, iv: CompiledIntervention) -> str:
    """The insats' evidence strength: harmful when any counted source rates it harmful, else the strength the
    engine scores it with (its best counted entry), else insufficient."""
    policy = rules.policy
    counted = [policy.evidence_ratings[e.clearinghouse][e.rating] for e in iv.model.evidence
               if e.confidence in policy.counted_confidence]
    if "harmful" in counted:
        return "harmful"
    best = iv.best_evidence
    return policy.evidence_ratings[best.clearinghouse][best.rating] if best else "insufficient"


def find_interventions(rules: RuleBase, text: str = "", types: Collection[str] = (), age: int | None = None,
                       strengths: Collection[str] = ()) -> list[str]:
    """The ids of the insatser that match every given filter: ``text`` in the id, a name or a summary (either
    language, any case); one of ``types``; an age range that includes ``age``; one of ``strengths``."""
    for name, given, known in (("type", types, TYPES), ("evidence strength", strengths, STRENGTHS)):
        for value in given:
            if value not in known:
                raise InputError(f"unknown {name} '{value}'{did_you_mean(value, known)}; expected one of "
                                 f"{', '.join(known)}")
    needle = text.strip().casefold()
    found = []
    for iv in rules.interventions:
        model = iv.model
        words = " ".join([model.id, model.name.sv, model.name.en, model.summary.sv, model.summary.en]).casefold()
        if needle and needle not in words:
            continue
        if types and model.type not in types:
            continue
        if age is not None and not iv.age_range[0] <= age <= iv.age_range[1]:
            continue
        if strengths and evidence_level(rules, iv) not in strengths:
            continue
        found.append(iv.id)
    return found


def _eligibility(rules: RuleBase, iv: CompiledIntervention, lang: str) -> list[str]:
    """The file's own eligibility condition in words, one line per part of a top-level 'all'."""
    if iv.model.eligibility is None:
        return []
    own: Node = iv.eligibility.children[-1]
    parts = own.children if own.kind == "all" else (own,)
    return [in_words(part, rules.leaves, lang) for part in parts]


def _dose(iv: CompiledIntervention, lang: str) -> str:
    dose = iv.model.dose
    if dose is None:
        return ""
    parts = []
    for name in DOSE_SPANS:
        span = getattr(dose, name)
        if span is not None:
            amount = number(lang, span.min) if span.min == span.max else \
                f"{number(lang, span.min)}–{number(lang, span.max)}"
            parts.append(t(lang, f"card.dose.{name}", amount=amount))
    if dose.note:
        parts.append(dose.note.get(lang))
    return "; ".join(parts)
