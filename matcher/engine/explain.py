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
from matcher.i18n import number, t
from matcher.rulebase.conditions import failed_parts, holds, met_parts
from matcher.rulebase.factors import RISK_LEVELS, UNRATED
from matcher.rulebase.loading import CompiledIntervention, RuleBase

SHOWN_NEEDS = 3
_Key = tuple[int, str, bool, bytes]  # a why-not's: (insats, risk level, intensity allowed, its leaf key)


def explain(result: MatchResult, n: int, lang: str = "sv") -> dict[str, Any]:
    """The result for case ``n`` in the documented JSON shape (docs/case-format.md)."""
    words = _words(result.rules, lang)
    res, top, not_recommended = _explained(result, n, words, lang)
    for rec, i in zip(res["recommendations"], top, strict=True):
        rec["evidence"] = [dict(entry) for entry in words.evidence[i]]
    res["not_recommended"] = [{"id": result.rules.interventions[i].id, "name": words.names[i],
                               "reasons": list(reasons)} for i, reasons, _ in not_recommended]
    return res


_json = json.JSONEncoder(ensure_ascii=False).encode  # what json.dumps(..., ensure_ascii=False) does


def _explained(result: MatchResult, n: int, words: _Words,
               lang: str) -> tuple[dict[str, Any], list[int], list[tuple[int, list[str], _Key | None]]]:
    """Case ``n``'s explanation in its order of keys, without the evidence of each recommendation and with
    ``not_recommended`` left empty; the insatser recommended; and for every other insats its reasons and, for a
    why-not (which many cases share), the key it is cached by."""
    rules = result.rules
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
        })
    eligible, score = case.eligible.tolist(), case.score.tolist()
    priority = case.priority.tolist()
    eligible_order = sorted((i for i in range(len(rules.interventions)) if eligible[i]),
                            key=lambda i: (not priority[i], -score[i], i))
    not_recommended: list[tuple[int, list[str], _Key | None]] = []
    for i in range(len(rules.interventions)):
        if i in top:
            continue
        if eligible[i]:
            not_recommended.append((i, [t(lang, "why_not.ranked_lower", score=number(lang, score[i], 2),
                                              rank=eligible_order.index(i) + 1, k=result.top.shape[1])], None))
        else:
            not_recommended.append((i, *_why_not(rules, case, i, level, words, why_not_key, lang)))
    res = {
        "case_id": result.case_id(n),
        "synthetic": bool(result.synthetic[n]),
        "version": result.version.as_dict(),
        "act_first": act_first(rules, case.leaf_row, lang),
        "risk": risk,
        "recommendations": recommendations,
        "not_recommended": [],
        "warnings": _warnings(rules, case, level, words, lang),
    }
    return res, top, not_recommended


class _Words:
    """What an explanation in one language says that does not depend on the case, or depends on few of its values:
    made once per rule base and language, so that explaining a case mostly looks texts up."""

    CACHED = 20_000  # entries kept per kind of case-dependent text: about 20 MB at most in all (20,000 explained
    # cases made 10,456 why-nots, 3 MB of them as JSON)

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
        self.why_not_leaves = _LeafKeys(rules, [[(iv.eligibility, False), *((node, True) for node, _ in
                                                                            iv.contraindications)]
                                                for iv in rules.interventions])
        self.met_leaves = _LeafKeys(rules, [[(iv.eligibility, True)] for iv in rules.interventions])
        self.age = cat.context_index["age"]
        self.labels: dict[tuple[int, int], str] = {}
        self.intensity: dict[tuple[int, str, bool], str] = {}
        self.met: dict[tuple[int, bytes], str] = {}  # (insats, its leaf key) -> why.conditions
        self.why_not: dict[_Key, list[str]] = {}  # see _Key -> texts

    def label(self, j: int, rating: int) -> str:
        """Factor ``j``'s rating in words."""
        text = self.labels.get((j, rating))
        if text is None:
            cat = self.rules.catalogue
            text = self.labels[j, rating] = cat.factor_label(cat.factors[j], rating, self.lang)
        return text


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
    shown = [j for j in sorted(range(len(cat.factors)), key=lambda j: (-abs(listed[j]), j)) if listed[j] != 0]
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
    iv = rules.interventions[i]
    ratings = case.values.tolist()
    contribution = case.needs * scoring_tables(rules).targets[:, i]
    named = [f"{words.factor_names[j]} ({words.label(j, ratings[j])})"
             for j in np.argsort(-contribution, kind="stable")[:SHOWN_NEEDS].tolist() if contribution[j] > 0]
    weight = rules.policy.weights.need_fit
    share = round(100 * float(case.terms["need_fit"][i]) / weight) if weight else 0
    reasons = []
    if iv.priority and case.priority[i]:
        reasons.append(t(lang, "why.priority", reason=iv.priority[1].get(lang)))
    reasons.append(t(lang, "why.needs", needs=", ".join(named), share=share) if named else t(lang, "why.no_needs"))
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


class _LeafKeys:
    """What a text about some condition trees of each insats depends on, as bytes to cache it by: the outcomes of
    the trees' leaves and the recorded value of every leaf the text can describe. ``failed_parts`` describes the
    leaves that failed, ``met_parts`` those that held, each turned round under a ``not``; a leaf is counted as
    describable when its outcome is the one flagged for it (a superset of those described, so the key is exact).
    Two cases with the same key get the same text; a value nothing describes (an age that met its bound) does
    not make a new one."""

    def __init__(self, rules: RuleBase, trees: list[list[tuple[Any, bool]]]):
        per_insats = [[pair for node, described_if in nodes for pair in _flagged(node, described_if)]
                      for nodes in trees]
        self.leaves = np.array([leaf for pairs in per_insats for leaf, _ in pairs], dtype=np.intp)
        self.columns = np.array([rules.leaves.leaves[leaf].column for leaf in self.leaves.tolist()], dtype=np.intp)
        self.described_if = np.array([flag for pairs in per_insats for _, flag in pairs], dtype=bool)
        self.bounds = np.cumsum([0, *(len(pairs) for pairs in per_insats)]).tolist()

    def of(self, case: CaseDetail) -> Callable[[int], bytes]:
        """The key of insats ``i`` for this case (one pass over every insats's leaves, then slices)."""
        outcomes = case.leaf_row[self.leaves]
        values = np.where(outcomes == self.described_if, case.values[self.columns], 0)
        seen, recorded, width, bounds = outcomes.tobytes(), values.tobytes(), values.itemsize, self.bounds
        return lambda i: seen[bounds[i]: bounds[i + 1]] + recorded[bounds[i] * width: bounds[i + 1] * width]


def _flagged(node: Any, described_if: bool) -> list[tuple[int, bool]]:
    """The leaves of a tree, each with the outcome for which its text can be shown (turned round under a not)."""
    if node.kind == "leaf":
        return [(node.leaf, described_if)]
    inner = not described_if if node.kind == "not" else described_if
    return [pair for child in node.children for pair in _flagged(child, inner)]


def _why_not(rules: RuleBase, case: CaseDetail, i: int, level: str, words: _Words, why_not_key: Callable[[int], bytes],
             lang: str) -> tuple[list[str], _Key]:
    """Why insats ``i`` is not eligible, and the key it is cached by: a function of its leaves' outcomes and the
    values it can describe (``_LeafKeys``), so made once per distinct key (many cases share one) and looked up
    after that."""
    key = (i, level, bool(case.intensity_allowed[i]), why_not_key(i))
    texts = words.why_not.get(key)
    if texts is None:
        if len(words.why_not) >= words.CACHED:
            words.why_not.clear()
        texts = words.why_not[key] = _why_not_texts(rules, case, i, level, lang)
    return texts, key


def _why_not_texts(rules: RuleBase, case: CaseDetail, i: int, level: str, lang: str) -> list[str]:
    iv = rules.interventions[i]
    if iv.model.do_not_offer:
        return [t(lang, "why_not.do_not_offer", message=w.message.get(lang))
                for w in iv.model.warnings if w.code == "do_not_offer"]
    row = case.values
    leaf_row = case.leaf_row
    reasons = [t(lang, "why_not.requires", requirement=text)
               for text in failed_parts(iv.eligibility, leaf_row, row, rules.leaves, lang)]
    if not case.intensity_allowed[i]:
        reasons.append(t(lang, "why_not.intensity", intensity=t(lang, f"intensity.{iv.model.intensity}"),
                         level=t(lang, f"risk.{level}")))
    for node, contra in iv.contraindications:
        if holds(node, leaf_row):
            facts = "; ".join(met_parts(node, leaf_row, row, rules.leaves, lang))
            reasons.append(t(lang, "why_not.contraindication", reason=contra.reason.get(lang), facts=facts))
    return reasons


def _warnings(rules: RuleBase, case: CaseDetail, level: str, words: _Words, lang: str) -> list[dict[str, str]]:
    out = _case_warnings(rules, case, level, words, lang)
    for i in case.top:
        out += _insats_warnings(rules, i, level, case.leaf_row, words, lang)
    return [{"code": code, "message": message} for code, message in out]


def _case_warnings(rules: RuleBase, case: CaseDetail, level: str, words: _Words, lang: str) -> list[tuple[str, str]]:
    """The warnings about the case as a whole (its ratings, risk level, consent and the actors recommended)."""
    cat = rules.catalogue
    row = case.values
    leaf_row = case.leaf_row
    out = []
    # the registered criminal history is numbers, often not known: it is no rating to warn about
    unrated = [words.factor_names[j] for j in words.rated[row[words.rated] == UNRATED].tolist()]
    if unrated:
        out.append(("unrated_factors", t(lang, "warning.unrated_factors", factors=", ".join(unrated))))
    if level == "low":
        held_back = [words.names[i] for i, iv in enumerate(rules.interventions)
                     if not case.intensity_allowed[i] and not iv.model.do_not_offer
                     and holds(iv.eligibility, leaf_row)]
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
