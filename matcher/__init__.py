"""Insatsmatch: match a young person's assessed factors to evidence-based insatser, with reasons.

Typical use::

    rules = load_rule_base()
    model = load_scorecard(rules.catalogue)
    result = match(encode_cases([("case", case_dict)], rules), rules, model)
    explain(result, 0, lang="sv")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matcher.engine.cards import intervention_card
    from matcher.engine.case_files import read_cases
    from matcher.engine.cases import CaseBatch, case_json_schema, encode_cases
    from matcher.engine.explain import explain
    from matcher.engine.matching import MatchResult, Version, match, match_matrix
    from matcher.engine.render import card_text, result_text
    from matcher.engine.risk import RiskModel, RiskScores, Scorecard, load_scorecard
    from matcher.errors import InputError, Problem, RuleBaseError
    from matcher.rulebase.loading import RuleBase, load_rule_base

# name -> the module that defines it: imported at first use, so that importing a part of the package (the command
# line's start, matcher.errors) does not import the engine
_WHERE = {
    "CaseBatch": "matcher.engine.cases",
    "InputError": "matcher.errors",
    "MatchResult": "matcher.engine.matching",
    "Problem": "matcher.errors",
    "RiskModel": "matcher.engine.risk",
    "RiskScores": "matcher.engine.risk",
    "RuleBase": "matcher.rulebase.loading",
    "RuleBaseError": "matcher.errors",
    "Scorecard": "matcher.engine.risk",
    "Version": "matcher.engine.matching",
    "card_text": "matcher.engine.render",
    "case_json_schema": "matcher.engine.cases",
    "encode_cases": "matcher.engine.cases",
    "explain": "matcher.engine.explain",
    "intervention_card": "matcher.engine.cards",
    "load_rule_base": "matcher.rulebase.loading",
    "load_scorecard": "matcher.engine.risk",
    "match": "matcher.engine.matching",
    "match_matrix": "matcher.engine.matching",
    "read_cases": "matcher.engine.case_files",
    "result_text": "matcher.engine.render",
}
__all__ = [
    "CaseBatch",
    "InputError",
    "MatchResult",
    "Problem",
    "RiskModel",
    "RiskScores",
    "RuleBase",
    "RuleBaseError",
    "Scorecard",
    "Version",
    "card_text",
    "case_json_schema",
    "encode_cases",
    "explain",
    "intervention_card",
    "load_rule_base",
    "load_scorecard",
    "match",
    "match_matrix",
    "read_cases",
    "result_text",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'matcher' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
