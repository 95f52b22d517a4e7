"""One case's result in words: risk, ranked recommendations with why, why-not, warnings.

Everything here is computed from the columnar result (terms, points, leaf results); nothing is
written separately, so an explanation always agrees with the score it explains.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.conditions import failed_parts, holds, met_parts
from matcher.engine import MatchResult
from matcher.factors import RISK_LEVELS, UNRATED
from matcher.i18n import t
from matcher.rulebase import CompiledIntervention
from matcher.scoring import TERMS, need, scoring_tables

SHOWN_NEEDS = 3


def explain(result: MatchResult, n: int, lang: str = "sv") -> dict[str, Any]:
    """The result for case ``n`` in the documented JSON shape (docs/case-format.md)."""
    rules = result.rules
    cat = rules.catalogue
    row = result.cases.values[n]
    level = RISK_LEVELS[int(result.risk.level[n])]
    points = result.risk.points[n]
    needs = need(result.risk, scoring_tables(rules))[n]
    top = [int(i) for i in result.top[n] if i >= 0]

    risk = {
        "level": level,
        "label": t(lang, f"risk.{level}"),
        "score": round(float(result.risk.score[n]), 2),
        "points": [
            {"factor": f.id, "name": f.name.get(lang), "rating": cat.factor_label(f, int(row[j]), lang),
             "points": round(float(points[j]), 2)}
            for j, f in sorted(enumerate(cat.factors), key=lambda jf: (-abs(points[jf[0]]), jf[0]))
            if points[j] != 0
        ],
        "need_profile": [cat.factors[j].id for j in np.argsort(-needs, kind="stable") if needs[j] > 0],
    }
    recommendations = []
    for rank, i in enumerate(top, start=1):
        iv = rules.interventions[i]
        terms = {name: round(float(result.terms[name][n, i]), 2) for name in TERMS}
        recommendations.append({
            "id": iv.id,
            "name": iv.model.name.get(lang),
            "rank": rank,
            "score": round(sum(terms.values()), 2),
            "terms": terms,
            "reasons": _why(result, n, i, needs, level, lang),
            "evidence": [evidence_entry(e, rules.policy, lang) for e in iv.model.evidence],
        })
    eligible_order = sorted((i for i in range(len(rules.interventions)) if result.eligible[n, i]),
                            key=lambda i: (not result.priority[n, i], -result.score[n, i], i))
    not_recommended = []
    for i, iv in enumerate(rules.interventions):
        if i in top:
            continue
        if result.eligible[n, i]:
            reasons = [t(lang, "why_not.ranked_lower", score=f"{result.score[n, i]:.2f}",
                         rank=eligible_order.index(i) + 1, k=len(result.top[n]))]
        else:
            reasons = _why_not(result, n, i, level, lang)
        not_recommended.append({"id": iv.id, "name": iv.model.name.get(lang), "reasons": reasons})
    return {
        "case_id": result.cases.ids[n],
        "synthetic": bool(result.cases.synthetic[n]),
        "version": result.version.as_dict(),
        "risk": risk,
        "recommendations": recommendations,
        "not_recommended": not_recommended,
        "warnings": _warnings(result, n, top, level, lang),
    }


def _why(result: MatchResult, n: int, i: int, needs: np.ndarray, level: str, lang: str) -> list[str]:
    rules = result.rules
    cat = rules.catalogue
    iv = rules.interventions[i]
    row = result.cases.values[n]
    tables = scoring_tables(rules)
    contribution = needs * tables.targets[:, i]
    named = [f"{cat.factors[j].name.get(lang)} ({cat.factor_label(cat.factors[j], int(row[j]), lang)})"
             for j in np.argsort(-contribution, kind="stable")[:SHOWN_NEEDS] if contribution[j] > 0]
    weight = rules.policy.weights.need_fit
    share = round(100 * float(result.terms["need_fit"][n, i]) / weight) if weight else 0
    reasons = []
    if iv.priority and result.priority[n, i]:
        reasons.append(t(lang, "why.priority", reason=iv.priority[1].get(lang)))
    reasons.append(t(lang, "why.needs", needs=", ".join(named), share=share) if named else t(lang, "why.no_needs"))
    intensity = t(lang, f"intensity.{iv.model.intensity}")
    preferred = iv.model.intensity in rules.policy.intensity_matrix[level].preferred  # type: ignore[index]
    reasons.append(t(lang, "why.intensity_preferred" if preferred else "why.intensity_allowed",
                     intensity=intensity, level=t(lang, f"risk.{level}")))
    reasons.append(_evidence_reason(iv, rules.policy, lang))
    present = [cat.factors[j].name.get(lang) for j in np.flatnonzero(tables.leverages[:, i])
               if row[j] > 0]
    if present:
        reasons.append(t(lang, "why.leverage", factors=", ".join(present)))
    met = met_parts(iv.eligibility, result.leaf_results[n], row, rules.leaves, lang)
    reasons.append(t(lang, "why.conditions", conditions="; ".join(met)))
    return reasons


def _evidence_reason(iv: CompiledIntervention, policy: Any, lang: str) -> str:
    best = iv.best_evidence
    if best is None:
        return t(lang, "why.evidence_none")
    strength = policy.evidence_ratings[best.clearinghouse][best.rating]
    return t(lang, "why.evidence", strength=t(lang, f"strength.{strength}"),
             clearinghouse=t(lang, f"clearinghouse.{best.clearinghouse}"), rating=best.rating)


def evidence_entry(entry: Any, policy: Any, lang: str) -> dict[str, Any]:
    strength = policy.evidence_ratings[entry.clearinghouse][entry.rating]
    return {
        "clearinghouse": t(lang, f"clearinghouse.{entry.clearinghouse}"),
        "rating": entry.rating,
        "strength": strength,
        "counted": entry.confidence in policy.counted_confidence,
        "confidence": entry.confidence,
        "source": entry.source,
        "url": entry.url,
        "read": entry.read.isoformat(),
        **({"note": entry.note.get(lang)} if entry.note else {}),
    }


def _why_not(result: MatchResult, n: int, i: int, level: str, lang: str) -> list[str]:
    rules = result.rules
    iv = rules.interventions[i]
    if iv.model.do_not_offer:
        return [t(lang, "why_not.do_not_offer", message=w.message.get(lang))
                for w in iv.model.warnings if w.code == "do_not_offer"]
    row = result.cases.values[n]
    leaf_row = result.leaf_results[n]
    reasons = [t(lang, "why_not.requires", requirement=text)
               for text in failed_parts(iv.eligibility, leaf_row, row, rules.leaves, lang)]
    if not result.intensity_allowed[n, i]:
        reasons.append(t(lang, "why_not.intensity", intensity=t(lang, f"intensity.{iv.model.intensity}"),
                         level=t(lang, f"risk.{level}")))
    for node, reason in iv.contraindications:
        if holds(node, leaf_row):
            facts = "; ".join(met_parts(node, leaf_row, row, rules.leaves, lang))
            reasons.append(t(lang, "why_not.contraindication", reason=reason.get(lang), facts=facts))
    return reasons


def _warnings(result: MatchResult, n: int, top: list[int], level: str, lang: str) -> list[dict[str, str]]:
    rules = result.rules
    cat = rules.catalogue
    row = result.cases.values[n]
    leaf_row = result.leaf_results[n]
    out = []
    unrated = [f.name.get(lang) for j, f in enumerate(cat.factors) if row[j] == UNRATED]
    if unrated:
        out.append(("unrated_factors", t(lang, "warning.unrated_factors", factors=", ".join(unrated))))
    if level == "low":
        held_back = [iv.model.name.get(lang) for i, iv in enumerate(rules.interventions)
                     if not result.intensity_allowed[n, i] and not iv.model.do_not_offer
                     and holds(iv.eligibility, leaf_row)]
        if held_back:
            out.append(("low_risk_intensive", t(lang, "warning.low_risk_intensive", names=", ".join(held_back))))
    recommended = [rules.interventions[i] for i in top]
    actors = sorted({iv.model.actor for iv in recommended} - {"socialtjanst"})
    if actors:
        age = int(row[cat.context_index["age"]])
        missing = []
        if not row[cat.context_index["consent_youth"]]:
            missing.append(t(lang, "consent.youth"))
        if age < rules.policy.multi_agency_consent_age and not row[cat.context_index["consent_guardian"]]:
            missing.append(t(lang, "consent.guardian"))
        if missing:
            out.append(("consent_missing", t(lang, "warning.consent_missing", missing=", ".join(missing),
                                             actors=", ".join(t(lang, f"actor.{a}") for a in actors))))
    for iv in recommended:
        name = iv.model.name.get(lang)
        if iv.model.group_format and level == "high":
            out.append(("peer_grouping_risk", t(lang, "warning.peer_grouping_risk", name=name)))
        for node, warning in iv.warnings:
            if node is None or holds(node, leaf_row):
                out.append((warning.code, f"{name}: {warning.message.get(lang)}"))
    return [{"code": code, "message": message} for code, message in out]
