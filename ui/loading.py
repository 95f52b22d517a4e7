"""The rule base and risk model the app serves, reloaded when the rule files change.

A rule base that fails to load is reported, and the last good one keeps serving.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from matcher import RuleBase, RuleBaseError, Scorecard, load_rule_base, load_scorecard
from matcher.rulebase import content_hash, default_rules_dir

_last_good: dict[str, tuple[RuleBase, Scorecard]] = {}


@st.cache_resource(max_entries=4)
def _load(root: str, digest: str) -> tuple[RuleBase, Scorecard]:
    rules = load_rule_base(Path(root))
    return rules, load_scorecard(rules.catalogue)


def served() -> tuple[RuleBase, Scorecard, str | None]:
    """(rules, model, problem): problem is the text of a failed reload, else None."""
    root = default_rules_dir()
    try:
        pair = _load(str(root), content_hash(root))
    except (RuleBaseError, OSError) as exc:
        if str(root) in _last_good:
            return (*_last_good[str(root)], str(exc))
        raise
    _last_good[str(root)] = pair
    return (*pair, None)
