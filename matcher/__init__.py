"""Insatsmatch: match a young person's assessed factors to evidence-based insatser, with reasons.

Typical use::

    rules = load_rule_base()
    model = load_scorecard(rules.catalogue)
    result = match(encode_cases([("case", case_dict)], rules), rules, model)
    explain(result, 0, lang="sv")
"""

from matcher.engine.cards import intervention_card
from matcher.engine.case_files import read_cases
from matcher.engine.cases import CaseBatch, case_json_schema, encode_cases
from matcher.engine.explain import explain
from matcher.engine.matching import MatchResult, Version, match, match_matrix
from matcher.engine.render import card_text, result_text
from matcher.engine.risk import RiskModel, RiskScores, Scorecard, load_scorecard
from matcher.errors import InputError, Problem, RuleBaseError
from matcher.rulebase.loading import RuleBase, load_rule_base

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
