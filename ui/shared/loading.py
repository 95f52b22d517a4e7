"""The rule base and risk model the app serves, reloaded when the rule files or the model registry change.

A rule base or model that fails to load is reported, and the last good pair keeps serving: the one loaded
earlier by this server, or else the copy of the last good rule files kept in the data folder
(``last-good-rules/``), so that a restart with a broken file on disk still serves. Methodologists and admins
read what is wrong; everyone else reads which version of the rules is in force (``notice``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import streamlit as st

from matcher import InputError, RiskModel, RuleBase, RuleBaseError, load_rule_base
from matcher.auth import Role
from matcher.i18n import t
from matcher.modelling.registry import active_model, default_models_dir, registry_digest
from matcher.rulebase.loading import content_hash, default_rules_dir, rule_files
from matcher.store.db import data_dir

LAST_GOOD = "last-good-rules"
SEES_PROBLEMS = (Role.METHODOLOGIST, Role.ADMIN)
_last_good: dict[str, tuple[RuleBase, RiskModel]] = {}
_changed: dict[str, dt.datetime] = {}  # content hash -> when those rule files were last changed, read while good


@st.cache_resource(max_entries=4)
def _load(root: str, digest: str) -> tuple[RuleBase, RiskModel]:
    rules = load_rule_base(Path(root))
    return rules, active_model(rules)


def served() -> tuple[RuleBase, RiskModel, Exception | None]:
    """(rules, model, problem): problem is the error of a failed reload, else None."""
    root = default_rules_dir()
    try:
        pair = _load(str(root), content_hash(root) + registry_digest(default_models_dir()))
    except (RuleBaseError, InputError, OSError) as exc:
        kept = _last_good.get(str(root)) or _kept_copy()
        if kept is None:
            raise
        _last_good[str(root)] = kept
        return (*kept, exc)
    if _last_good.get(str(root)) is not pair:
        _changed[pair[0].content_hash] = _newest(pair[0].root)
        _keep_copy(pair[0])
    _last_good[str(root)] = pair
    return (*pair, None)


def worded(exc: Exception, lang: str) -> str:
    """A rule base that could not be read, for the reader: each problem at its place, in the reader's language."""
    if isinstance(exc, RuleBaseError):
        return "  \n".join(p.located(lang) for p in exc.problems)
    return str(exc)


def notice(lang: str, role: Role, rules: RuleBase, problem: Exception) -> str:
    """What a failed reload means to a reader: the problems for those who fix rules, the version in force for
    everyone else."""
    if role in SEES_PROBLEMS:
        return t(lang, "ui.rules_reload_failed") + "\n\n" + worded(problem, lang)
    changed = _changed.get(rules.content_hash) or _newest(rules.root)
    return t(lang, "ui.rules_in_force", date=changed.strftime("%Y-%m-%d %H:%M"))


def _newest(root: Path) -> dt.datetime:
    """When the rule files in ``root`` were last changed (the newest of them)."""
    return dt.datetime.fromtimestamp(max(path.stat().st_mtime for path in rule_files(root) if path.is_file()))


def _keep_copy(rules: RuleBase) -> None:
    """The good rule files copied to the data folder, replacing the older copy only once complete."""
    target = data_dir() / LAST_GOOD
    staging = Path(tempfile.mkdtemp(prefix=f".{LAST_GOOD}-", dir=data_dir()))
    for path in rule_files(rules.root):
        copy = staging / path.relative_to(rules.root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
    old = target.with_name(f".{LAST_GOOD}-old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _kept_copy() -> tuple[RuleBase, RiskModel] | None:
    folder = data_dir() / LAST_GOOD
    if not (folder / "factors.yaml").is_file():
        return None
    try:
        rules = load_rule_base(folder)
        pair = rules, active_model(rules)
    except (RuleBaseError, InputError, OSError):
        return None
    _changed[rules.content_hash] = _newest(folder)
    return pair
