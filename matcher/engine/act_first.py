"""The act-first screen: actions that come before any insats (rules/act_first.yaml), on every case.

Safety first: a current suicide risk, acute psychosis, a threat, or violence at home now calls for an action
today, whatever the ranking below it shows and at every top k. The conditions are compiled into the rule
base's leaf table, so the leaf bits kept for every case already say which actions it triggers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.rulebase.conditions import holds
from matcher.rulebase.loading import RuleBase


def act_first(rules: RuleBase, leaf_row: np.ndarray, lang: str) -> list[dict[str, Any]]:
    """The triggered actions of one case (its leaf results), in the file's order, in the documented JSON shape."""
    return [{"id": a.model.id, "trigger": a.model.trigger.get(lang), "action": a.model.action.get(lang),
             "who": a.model.who.get(lang), "when_by": a.model.when_by,
             "sources": [{"source": s.source, "url": s.url, "read": s.read.isoformat(), "confidence": s.confidence}
                         for s in a.model.sources]}
            for a in rules.act_first if holds(a.when, leaf_row)]

