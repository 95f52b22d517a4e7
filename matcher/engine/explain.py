"""One case's result in words: risk, ranked recommendations with why, why-not, warnings.

Everything here is computed from the columnar result (terms, points, leaf results); nothing is
written separately, so an explanation always agrees with the score it explains.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from matcher.engine.act_first import act_first
from matcher.engine.matching import CaseDetail, MatchResult
from matcher.engine.risk import Scorecard, shown_points
from matcher.engine.scoring import TERMS, scoring_tables
from matcher.engine.why_not import LeafKeys, Template, why_not_texts
from matcher.i18n import number, t
from matcher.rulebase.conditions import holds, met_parts
from matcher.rulebase.factors import RISK_LEVELS, UNRATED
from matcher.rulebase.loading import CompiledIntervention, RuleBase

SHOWN_NEEDS = 3
_Key = tuple[int, str, bool, bytes]  # a why-not's: (insats, risk level, intensity allowed, its leaf key)


def explain(result: MatchResult, n: int, lang: str = "sv") -> dict[str, Any]:
    """The result for case ``n`` in the documented JSON shape (docs/case-format.md)."""
    rules = result.rules
    words = _words(rules, lang)
    case = result.detail(n)
    level = RISK_LEVELS[case.level]
    top = case.top
    risk = _risk(result, case, words, lang)
    met_key, why_not_key = words.met_leaves.of(case), words.why_not_leaves.of(case)
    recommendations = []
    for rank, i in enumerate(top, start=1):
        terms = {name: round(float(case.terms[name][i]), 2) for name in TERMS}
        recommendations.append({
            "id": rules.interventions[i].id,
            "name": words.names[i],
            "rank": rank,
            "score": round(sum(terms.values()), 2),
            "terms": terms,
            "reasons": _why(rules, case, i, level, words, met_key, lang),
            "evidence": [dict(entry) for entry in words.evidence[i]],
        })
    eligible, score = case.eligible.tolist(), case.score.tolist()
    priority = case.priority.tolist()
    eligible_order = sorted((i for i in range(len(rules.interventions)) if eligible[i]),
                            key=lambda i: (not priority[i], -score[i], i))
    not_recommended = []
    allowed, cached = case.intensity_allowed.tolist(), words.why_not
    for i in range(len(rules.interventions)):
        if i in top:
            continue
        if eligible[i]:
            reasons = [t(lang, "why_not.ranked_lower", score=number(lang, score[i], 2),
                         rank=eligible_order.index(i) + 1, k=result.top.shape[1])]
        else:  # why it is not eligible: a function of the key (``LeafKeys``), made once per key; many cases share one
            key = (i, level, allowed[i], why_not_key(i))
            texts = cached.get(key)
            if texts is None:
                if len(cached) >= words.CACHED:
                    cached.clear()
                texts = cached[key] = words.why_not_texts(case, i, key)
            reasons = list(texts)
        not_recommended.append({"id": rules.interventions[i].id, "name": words.names[i], "reasons": reasons})
    return {
        "case_id": result.case_id(n),
        "synthetic": bool(result.synthetic[n]),
        "version": result.version.as_dict(),
        "act_first": act_first(rules, case.leaf_row, lang),
        "risk": risk,
        "recommendations": recommendations,
        "not_recommended": not_recommended,
        "warnings": _warnings(rules, case, level, words, lang),
    }


_json = json.JSONEncoder(ensure_ascii=False).encode  # what json.dumps(..., ensure_ascii=False) does


class _Words:
    """What an explanation in one language says that does not depend on the case, or depends on few of its values:
    made once per rule base and language, so that explaining a case mostly looks texts up."""

    CACHED = 20_000  # entries kept per kind of case-dependent text: about 20 MB at most in all (1,000 new cases
    # made 10,883 why-nots from 3,217 templates)

    def __init__(self, rules: RuleBase, lang: str):
        cat = rules.catalogue
        tables = scoring_tables(rules)
        self.rules, self.lang = rules, lang
        self.names = [iv.model.name.get(lang) for iv in rules.interventions]
        self.evidence = [[evidence_entry(e, rules.policy, lang) for e in iv.model.evidence]
                         for iv in rules.interventions]
        self.evidence_json = [_json(entries) for entries in self.evidence]
        self.evidence_reason = [_evidence_reason(iv, rules.policy, lang) for iv in rules.interventions]
        self.factor_names = [f.name.get(lang) for f in cat.factors]
        self.welfare = [j for j, f in enumerate(cat.factors) if f.need == "welfare"]
        self.criminogenic = [f.need == "criminogenic" for f in cat.factors]
        self.rated = np.flatnonzero(cat.rated())
        self.leverages = [np.flatnonzero(tables.leverages[:, i]).tolist() for i in range(len(rules.interventions))]
        # the leaves each text can describe: a why-not those of eligibility and contraindications, the met
        # conditions of a recommended insats those of eligibility; described when its outcome is as flagged
        self.why_not_leaves = LeafKeys(rules, [[(iv.eligibility, False), *((node, True) for node, _ in
                                                                            iv.contraindications)]
                                                for iv in rules.interventions])
        self.met_leaves = LeafKeys(rules, [[(iv.eligibility, True)] for iv in rules.interventions])
        self.age = cat.context_index["age"]
        self.labels: dict[tuple[int, int], str] = {}
        self.intensity: dict[tuple[int, str, bool], str] = {}
        self.met: dict[tuple[int, bytes], str] = {}  # (insats, its leaf key) -> why.conditions
        self.why_not: dict[_Key, list[str]] = {}  # see _Key -> texts
        self.templates: dict[tuple[int, str, bool, bytes], Template | None] = {}  # _Key without the values

    def label(self, j: int, rating: int) -> str:
        """Factor ``j``'s rating in words."""
        text = self.labels.get((j, rating))
        if text is None:
            cat = self.rules.catalogue
            text = self.labels[j, rating] = cat.factor_label(cat.factors[j], rating, self.lang)
        return text

    def why_not_texts(self, case: CaseDetail, i: int, key: _Key) -> list[str]:
        """Why insats ``i`` is not eligible for this case (``key``, see ``_Key``): its template for the case's leaf
        outcomes (about a third as many as keys), filled with the case's leaf descriptions."""
        pattern = (*key[:3], key[3][: self.why_not_leaves.bounds[i + 1] - self.why_not_leaves.bounds[i]])
        if pattern not in self.templates:
            if len(self.templates) >= self.CACHED:
                self.templates.clear()
            self.templates[pattern] = Template.of(self.rules, case, i, key[1], self.lang)
        template = self.templates[pattern]
        if template is None:  # a rule text holds a SLOT: worded case by case
            return why_not_texts(self.rules, case, i, key[1], self.lang, self.rules.leaves)
        return template.filled(self.rules.leaves, case.values, self.lang)


@lru_cache(maxsize=4)  # the rule bases in use, per language (the app's editor loads a new one per check)
def _words(rules: RuleBase, lang: str) -> _Words:
    return _Words(rules, lang)


def _risk(result: MatchResult, case: CaseDetail, words: _Words, lang: str) -> dict[str, Any]:
    """The risk level with its points, the need profile (criminogenic) and the welfare needs beside it."""
    rules = result.rules
    cat = rules.catalogue
    row, points, needs = case.values, case.points, case.needs
    level = RISK_LEVELS[case.level]
    # the hand-set scorecard gives no probability: only another model is asked for it
    probability = None if isinstance(result.model, Scorecard) else \
        result.model.score(row[None, : len(cat.factors)]).probability
    not_scored = int(row[words.age]) < rules.policy.risk_score_min_age
    listed = points.tolist()
    # the non-zero points, largest first, then in catalogue order (a stable sort of the factors in order)
    shown = sorted((j for j in range(len(listed)) if listed[j]), key=lambda j: -abs(listed[j]))
    # rounded so that the intercept and the points shown add up to the score shown (issue 16)
    intercept, rounded, score = shown_points(case.risk_score - float(points[shown].sum()),
                                             [float(listed[j]) for j in shown])
    ratings = row.tolist()
    return {
        "level": level,
        "label": t(lang, f"risk.{level}"),
        "score": score,
        "intercept": intercept,
        **({"probability": round(float(probability[0]), 3)} if probability is not None else {}),
        "points": [
            {"factor": cat.factors[j].id, "name": words.factor_names[j], "rating": words.label(j, ratings[j]),
             "points": value}
            for j, value in zip(shown, rounded, strict=True)
        ],
        "need_profile": [cat.factors[j].id for j in np.argsort(-needs, kind="stable").tolist()
                         if needs[j] > 0 and words.criminogenic[j]],
        "welfare_needs": [{"factor": cat.factors[j].id, "name": words.factor_names[j],
                           "rating": words.label(j, ratings[j])} for j in words.welfare if ratings[j] > 0],
        **({"note": t(lang, "risk.not_scored_note", age=rules.policy.risk_score_min_age)} if not_scored else {}),
    }


def _why(rules: RuleBase, case: CaseDetail, i: int, level: str, words: _Words, met_key: Callable[[int], bytes],
         lang: str) -> list[str]:
    return _why_needs(rules, case, i, words, lang) + _why_suits(rules, case, i, level, words, met_key, lang)


def _why_needs(rules: RuleBase, case: CaseDetail, i: int, words: _Words, lang: str) -> list[str]:
    """The first reasons for insats ``i``: its priority, if it has one, and the needs it targets."""
    ratings = case.values.tolist()
    contribution = case.needs * scoring_tables(rules).targets[:, i]
    named = [(j, ratings[j]) for j in np.argsort(-contribution, kind="stable")[:SHOWN_NEEDS].tolist()
             if contribution[j] > 0]
    weight = rules.policy.weights.need_fit
    share = round(100 * float(case.terms["need_fit"][i]) / weight) if weight else 0
    return _needs_reasons(rules, i, bool(case.priority[i]), named, share, words, lang)


def _needs_reasons(rules: RuleBase, i: int, prioritised: bool, named: list[tuple[int, int]], share: int,
                   words: _Words, lang: str) -> list[str]:
    """``_why_needs`` from what it reads: whether the priority condition holds, the needs named (factor, rating) and
    the share of the need the insats targets (bulk explanations have these without the case)."""
    iv = rules.interventions[i]
    reasons = []
    if iv.priority and prioritised:
        reasons.append(t(lang, "why.priority", reason=iv.priority[1].get(lang)))
    needs = ", ".join(f"{words.factor_names[j]} ({words.label(j, rating)})" for j, rating in named)
    reasons.append(t(lang, "why.needs", needs=needs, share=share) if named else t(lang, "why.no_needs"))
    return reasons


def _why_suits(rules: RuleBase, case: CaseDetail, i: int, level: str, words: _Words, met_key: Callable[[int], bytes],
               lang: str) -> list[str]:
    """The other reasons: the intensity, the evidence, the protective factors it builds on, the conditions met."""
    iv = rules.interventions[i]
    row = case.values
    ratings = row.tolist()
    reasons = []
    not_scored = ratings[words.age] < rules.policy.risk_score_min_age
    intensity = words.intensity.get((i, level, not_scored))
    if intensity is None:
        intensity = words.intensity[i, level, not_scored] = _intensity_reason(rules, case, i, level, lang)
    reasons.append(intensity)
    reasons.append(words.evidence_reason[i])
    present = [words.factor_names[j] for j in words.leverages[i] if ratings[j] > 0]
    if present:
        reasons.append(t(lang, "why.leverage", factors=", ".join(present)))
    key = (i, met_key(i))
    met = words.met.get(key)
    if met is None:  # a function of the values its conditions read: made once for the cases that share them
        if len(words.met) >= words.CACHED:
            words.met.clear()
        met = words.met[key] = t(lang, "why.conditions",
                                 conditions="; ".join(met_parts(iv.eligibility, case.leaf_row, row, rules.leaves,
                                                                lang)))
    reasons.append(met)
    return reasons


def _intensity_reason(rules: RuleBase, case: CaseDetail, i: int, level: str, lang: str) -> str:
    """Why the intensity suits: by the crime-risk level (criminogenic insatser), by the clinical need (welfare
    insatser), or with no score to gate by (below the age the risk score is made for)."""
    iv = rules.interventions[i]
    intensity = t(lang, f"intensity.{iv.model.intensity}")
    if iv.model.indication == "welfare":
        return t(lang, "why.intensity_welfare", intensity=intensity)
    if iv.model.type == "legal_sanction":
        return t(lang, "why.intensity_court", intensity=intensity)
    if int(case.values[rules.catalogue.context_index["age"]]) < rules.policy.risk_score_min_age:
        return t(lang, "why.intensity_not_scored", intensity=intensity, age=rules.policy.risk_score_min_age)
    preferred = iv.model.intensity in rules.policy.intensity_matrix[level].preferred  # type: ignore[index]
    return t(lang, "why.intensity_preferred" if preferred else "why.intensity_allowed",
             intensity=intensity, level=t(lang, f"risk.{level}"))


def _evidence_reason(iv: CompiledIntervention, policy: Any, lang: str) -> str:
    best = iv.best_evidence
    if best is None:
        return t(lang, "why.evidence_none")
    strength = policy.evidence_ratings[best.clearinghouse][best.rating]
    return t(lang, "why.evidence", strength=t(lang, f"strength.{strength}"),
             clearinghouse=t(lang, f"clearinghouse.{best.clearinghouse}"),
             rating=t(lang, f"rating.{best.clearinghouse}.{best.rating}"))


def evidence_entry(entry: Any, policy: Any, lang: str) -> dict[str, Any]:
    strength = policy.evidence_ratings[entry.clearinghouse][entry.rating]
    return {
        "clearinghouse": t(lang, f"clearinghouse.{entry.clearinghouse}"),
        "rating": entry.rating,  # the clearinghouse's own word; rating_label is how a reader of lang reads it
        "rating_label": t(lang, f"rating.{entry.clearinghouse}.{entry.rating}"),
        "strength": strength,
        "counted": entry.confidence in policy.counted_confidence,
        "confidence": entry.confidence,
        "source": entry.source,
        "url": entry.url,
        "read": entry.read.isoformat(),
        **({"note": entry.note.get(lang)} if entry.note else {}),
    }


def _warnings(rules: RuleBase, case: CaseDetail, level: str, words: _Words, lang: str) -> list[dict[str, str]]:
    out = _case_warnings(rules, case, level, words, lang)
    for i in case.top:
        out += _insats_warnings(rules, i, level, case.leaf_row, words, lang)
    return [{"code": code, "message": message} for code, message in out]


def _case_warnings(rules: RuleBase, case: CaseDetail, level: str, words: _Words, lang: str) -> list[tuple[str, str]]:
    """The warnings about the case as a whole (its ratings, risk level, consent and the actors recommended)."""
    cat = rules.catalogue
    row = case.values
    out = []
    # the registered criminal history is numbers, often not known: it is no rating to warn about
    unrated = [words.factor_names[j] for j in words.rated[row[words.rated] == UNRATED].tolist()]
    if unrated:
        out.append(("unrated_factors", t(lang, "warning.unrated_factors", factors=", ".join(unrated))))
    if level == "low":
        held_back = [words.names[i] for i in np.flatnonzero(case.conditions_met & ~case.intensity_allowed).tolist()
                     if not rules.interventions[i].model.do_not_offer]
        if held_back:
            out.append(("low_risk_intensive", t(lang, "warning.low_risk_intensive", names=", ".join(held_back))))
    recommended = [rules.interventions[i] for i in case.top]
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
    if "region" in actors:  # social services and health care together: a SIP (HSL 2017:30, 16 kap. 4 §)
        out.append(("sip", t(lang, "warning.sip", actors=", ".join(t(lang, f"actor.{a}") for a in actors))))
    return out


def _insats_warnings(rules: RuleBase, i: int, level: str, leaf_row: np.ndarray, words: _Words,
                     lang: str) -> list[tuple[str, str]]:
    """The warnings of recommended insats ``i``."""
    iv = rules.interventions[i]
    name = words.names[i]
    out = []
    if iv.model.group_format and level == "high":
        out.append(("peer_grouping_risk", t(lang, "warning.peer_grouping_risk", name=name)))
    for node, warning in iv.warnings:
        if node is None or holds(node, leaf_row):
            out.append((warning.code, f"{name}: {warning.message.get(lang)}"))
    return out
