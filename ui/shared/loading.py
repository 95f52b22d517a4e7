"""The rule base and risk model the app serves, reloaded when the rule files or the model registry change.

A rule base or model that fails to load is reported, and the last good pair keeps serving.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from matcher import InputError, RiskModel, RuleBase, RuleBaseError, load_rule_base
from matcher.modelling.registry import active_model, default_models_dir, registry_digest
from matcher.rulebase.loading import content_hash, default_rules_dir

_last_good: dict[str, tuple[RuleBase, RiskModel]] = {}


@st.cache_resource(max_entries=4)
def _load(root: str, digest: str) -> tuple[RuleBase, RiskModel]:
    rules = load_rule_base(Path(root))
    return rules, active_model(rules)


def served() -> tuple[RuleBase, RiskModel, str | None]:
    """(rules, model, problem): problem is the text of a failed reload, else None."""
    root = default_rules_dir()
    try:
        pair = _load(str(root), content_hash(root) + registry_digest(default_models_dir()))
    except (RuleBaseError, InputError, OSError) as exc:
        if str(root) in _last_good:
            return (*_last_good[str(root)], str(exc))
        raise
    _last_good[str(root)] = pair
    return (*pair, None)
