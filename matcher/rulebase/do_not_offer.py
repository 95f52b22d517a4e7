"""Practices not to offer (``do_not_offer: true``): why, on what evidence, and what to consider instead.

The engine never ranks them; the case store refuses them in a decision or a plan with this text."""

from __future__ import annotations

from matcher.rulebase.loading import RuleBase


def refusal(rules: RuleBase, intervention_id: str, where: str) -> str | None:
    """The refusal of a do-not-offer practice in ``where`` (None for any other insats): the evidence and the
    offerable insatser of the same kind to consider instead."""
    iv = rules.interventions[rules.index(intervention_id)].model
    if not iv.do_not_offer:
        return None
    why = " ".join(w.message.en for w in iv.warnings if w.code == "do_not_offer")
    evidence = "; ".join(f"{e.clearinghouse} {e.rating!r} ({e.source})" for e in iv.evidence)
    instead = [other.id for other in rules.interventions
               if other.model.type == iv.type and not other.model.do_not_offer]
    alternatives = (f"consider instead: {', '.join(instead)}" if instead else
                    "choose among the case's recommendations instead")
    return (f"{where}: '{intervention_id}' is a practice not to offer and cannot be saved. {why} "
            f"Evidence: {evidence}. Nothing was saved; {alternatives}.")
