"""Rule-base versions (who saved what, when, why) and what a rule change does to the stored cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.auth import Action, Principal, authorize
from matcher.authoring.diff import impact, translate
from matcher.engine.cases import encode_cases
from matcher.engine.risk import RiskModel
from matcher.errors import InputError
from matcher.rulebase.loading import RuleBase, content_hash, rule_files
from matcher.store.core import StoreCore
from matcher.store.free_text import refuse_personnummer
from matcher.store.tables import (
    Assessment,
    Case,
    RuleVersion,
    Unit,
)

# A version recorded because a recommendation used it before anyone saved it (the app shows these in words)
FIRST_USE_AUTHOR = "(recorded when first used)"
FIRST_USE_REASON = "the rule base in use when a recommendation was saved"


class RuleRecords(StoreCore):
    """Rule-base versions and their impact on stored cases."""


    def save_rules(self, who: Principal, root: Path, reason: str) -> tuple[str, bool]:
        """Record the rule base in ``root`` as a version: (its hash, whether it was new)."""
        if not reason.strip():
            raise InputError("rules save: say why the rules changed (--reason)")
        refuse_personnummer("rules save", [("reason", reason)])
        with self._tx(who, "rules.save", detail=reason) as session:
            authorize(who, Action.RULES_WRITE)
            return record_rules(session, root, who.username, reason)

    def rule_log(self, who: Principal) -> list[dict[str, Any]]:
        with self._tx(who, "rules.log") as session:
            authorize(who, Action.RULES_READ)
            rows = session.scalars(select(RuleVersion).order_by(RuleVersion.saved_at.desc()))
            return [{"hash": r.hash, "saved_at": r.saved_at, "author": r.author, "reason": r.reason,
                     "parent": r.parent, "files": len(r.files)} for r in rows]

    def rule_version(self, who: Principal, wanted: str) -> dict[str, str]:
        """The files of a recorded version, by its hash or an unambiguous prefix (8 or more hex digits)."""
        prefix = wanted if wanted.startswith("sha256:") else f"sha256:{wanted}"
        if len(prefix) < len("sha256:") + 8:
            raise InputError(f"rule version '{wanted}': give at least 8 hex digits of the hash")
        with self._tx(who, "rules.show", detail=prefix) as session:
            authorize(who, Action.RULES_READ)
            found = list(session.scalars(select(RuleVersion).where(RuleVersion.hash.startswith(prefix))))
            if len(found) != 1:
                what = "no recorded rule version" if not found else f"{len(found)} recorded rule versions"
                raise InputError(f"{what} matches '{wanted}'; 'matcher rules log' lists them")
            return dict(found[0].files)

    def stored_case_impact(self, who: Principal, old_rules: RuleBase, new_rules: RuleBase, old_model: RiskModel,
                           new_model: RiskModel) -> dict[str, Any]:
        """What a rule change would do to the stored cases, in counts only, for a methodologist (who may not read
        case data): how many cases there are, how many the old rule base cannot read, and per insats how many
        cases gain or lose it among their recommendations. Each case counts with its latest assessment; the cases
        are the user's unit's, or every unit's for a user without a unit. No case, answer or result leaves here."""
        with self._tx(who, "rules.impact", detail=f"{old_rules.content_hash[:19]} -> "
                                                  f"{new_rules.content_hash[:19]}") as session:
            authorize(who, Action.RULES_WRITE)
            latest = select(Assessment.case_id, func.max(Assessment.version).label("version")) \
                .group_by(Assessment.case_id).subquery()
            query = select(Assessment.data).join(latest, (Assessment.case_id == latest.c.case_id)
                                                 & (Assessment.version == latest.c.version))
            if who.unit is not None:
                query = query.join(Case, Case.id == Assessment.case_id).join(Unit).where(Unit.code == who.unit)
            stored = list(session.scalars(query))
        readable = [(f"stored case {n}", data) for n, data in enumerate(stored) if _readable(data, old_rules)]
        counts: list[dict[str, Any]] = []
        if readable:
            old_cases = encode_cases(readable, old_rules)
            diff = impact(old_rules, new_rules, old_cases, translate(old_cases, old_rules, new_rules), old_model,
                          new_model, examples_per_change=0)
            counts = [{"intervention": i.intervention, "gained": i.gained, "lost": i.lost} for i in diff.impacts]
        return {"cases": len(readable), "unreadable": len(stored) - len(readable), "impact": counts}



def _readable(data: Any, rules: RuleBase) -> bool:
    try:
        encode_cases([("stored case", data)], rules)
    except InputError:
        return False
    return True


def record_rules(session: Session, root: Path, author: str, reason: str) -> tuple[str, bool]:
    """Record the rule base in ``root`` unless a version with its hash exists: (the hash, whether it was new)."""
    digest = content_hash(root)
    if session.get(RuleVersion, digest) is not None:
        return digest, False
    parent = session.scalar(select(RuleVersion.hash).order_by(RuleVersion.saved_at.desc()).limit(1))
    files = {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8") for path in rule_files(root)}
    session.add(RuleVersion(hash=digest, files=files, author=author, reason=reason, parent=parent))
    return digest, True
