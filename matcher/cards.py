"""An intervention looked up by id: its card, with the do-not-offer warning first where it applies."""

from __future__ import annotations

from typing import Any

from matcher.errors import InputError
from matcher.explain import evidence_entry
from matcher.i18n import t
from matcher.rulebase import RuleBase
from matcher.yamlsource import did_you_mean


def intervention_card(rules: RuleBase, intervention_id: str, lang: str = "sv") -> dict[str, Any]:
    if intervention_id not in rules.ids:
        raise InputError(f"unknown intervention '{intervention_id}'{did_you_mean(intervention_id, rules.ids)} "
                         f"'matcher rules check' lists the rule base")
    iv = rules.interventions[rules.index(intervention_id)].model
    facts = {
        t(lang, "card.actor"): t(lang, f"actor.{iv.actor}"),
        t(lang, "card.age"): f"{iv.age.min}-{iv.age.max}",
        t(lang, "card.intensity"): t(lang, f"intensity.{iv.intensity}"),
    }
    if iv.dose and iv.dose.note:
        facts[t(lang, "card.dose")] = iv.dose.note.get(lang)
    return {
        "id": iv.id,
        "name": iv.name.get(lang),
        "summary": iv.summary.get(lang),
        "do_not_offer": iv.do_not_offer,
        "facts": facts,
        "evidence": [evidence_entry(e, rules.policy, lang) for e in iv.evidence],
        "warnings": [{"code": w.code, "message": w.message.get(lang)} for w in iv.warnings],
    }
