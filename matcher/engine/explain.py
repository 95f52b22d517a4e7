"""One case's result in words: risk, ranked recommendations with why, why-not, warnings.

Everything here is computed from the columnar result (terms, points, leaf results); nothing is
written separately, so an explanation always agrees with the score it explains.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import lru_cache, partial
from typing import Any

import numpy as np

from matcher.engine.act_first import act_first
from matcher.engine.matching import CaseDetail, MatchResult
from matcher.engine.risk import Scorecard, shown_points
from matcher.engine.scoring import TERMS, scoring_tables
from matcher.i18n import number, t
from matcher.rulebase.conditions import evaluate, failed_parts, holds, met_parts
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


# ------------------------------------------------------------ every case of a batch, as JSON lines (bulk output)

def explained_lines(result: MatchResult, lang: str = "sv") -> Iterator[bytes]:
    """``json.dumps(explain(result, n, lang), ensure_ascii=False)`` for every case ``n``, UTF-8 encoded, in order:
    the same bytes, made per batch. The parts of an explanation that depend on few of a case's values (a why-not,
    the reasons for an insats, the warnings, the act-first actions) are told apart by numpy keys over the whole
    batch, written once per distinct key by the per-case functions above (on a case that has it, so the texts are
    those of ``explain``) and kept across batches (``_Fragments``); per case only the numbers that are its own
    (risk points, scores) are formatted, and the line is the join of its parts."""
    if not len(result):
        return iter(())
    result.evaluate_all()
    return map(b"".join, zip(*_BatchLines(result, lang).columns, strict=True))


class _Fragments:
    """Encoded parts of explanations by kind and key, for one rule base and language. A kind is cleared when it
    holds ``CACHED`` parts (about 300 bytes each with its key): ``why_not`` entries, say, recur across batches
    (20,000 synthetic cases have about 40,000 distinct ones, 4,096 cases 22,000)."""

    CACHED = 50_000

    def __init__(self) -> None:
        self.kinds: dict[str, dict[tuple[Any, ...], bytes]] = {}

    def get(self, kind: str, key: tuple[Any, ...], make: Callable[[], bytes]) -> bytes:
        parts = self.kinds.setdefault(kind, {})
        part = parts.get(key)
        if part is None:
            if len(parts) >= self.CACHED:
                parts.clear()
            part = parts[key] = make()
        return part

    def clear(self) -> None:
        self.kinds.clear()


@lru_cache(maxsize=4)
def _fragments(rules: RuleBase, lang: str) -> _Fragments:
    return _Fragments()


def _distinct(key: np.ndarray, dtype: Any = np.int16) -> tuple[list[int], list[int], list[bytes]]:
    """The distinct rows of ``key`` (as ``dtype``: every code, index and share fits the default), in order of first
    appearance: the first case of each, every case's row number and each row as bytes (dicts of the rows' bytes:
    several times sooner than ``np.unique(axis=0)``, which sorts them)."""
    key = np.ascontiguousarray(key, dtype=dtype).reshape(len(key), -1)
    width = key.shape[1] * key.itemsize
    rows: list[bytes] = key.view(np.dtype((np.void, width))).ravel().tolist() if width else \
        [b""] * len(key)  # type: ignore[assignment]  # numpy types a void's tolist loosely
    distinct = list(dict.fromkeys(rows))
    first_of = dict(zip(reversed(rows), range(len(rows) - 1, -1, -1), strict=True))  # the first wins: written last
    number_of = {row: number_ for number_, row in enumerate(distinct)}
    return [first_of[row] for row in distinct], list(map(number_of.__getitem__, rows)), distinct


def _shown_points(risk_score: np.ndarray, points: np.ndarray) -> tuple[list[list[int]], list[list[int]]]:
    """``_risk``'s points for a batch: per case the factors shown (non-zero points, largest first, then in catalogue
    order) and the intercept, their points and the score in hundredths, as ``shown_points`` rounds them case by case.
    The cases with as many points shown are taken together: numpy adds a row of a contiguous matrix as it adds that
    row alone (pairwise along the row), so every sum is the one ``_risk`` makes."""
    n = len(points)
    order = np.argsort(-np.abs(points), axis=1, kind="stable")
    counts = np.count_nonzero(points, axis=1)
    shown: list[list[int]] = [[] for _ in range(n)]
    hundredths: list[list[int]] = [[] for _ in range(n)]
    for count in np.unique(counts).tolist():
        cases = np.flatnonzero(counts == count)
        factors = np.ascontiguousarray(order[cases, :count])
        gathered = np.ascontiguousarray(np.take_along_axis(points[cases], factors, axis=1))
        intercept = risk_score[cases] - gathered.sum(axis=1).astype(np.float64)
        exact = np.column_stack([intercept, gathered.astype(np.float64)]) * 100
        total = np.round(exact.sum(axis=1)).astype(np.int64)
        floor = np.floor(exact)
        units = floor.astype(np.int64)
        short = total - units.sum(axis=1)
        ranked = np.argsort(-(exact - floor), axis=1, kind="stable")
        np.put_along_axis(units, ranked, np.take_along_axis(units, ranked, axis=1)
                          + (np.arange(count + 1) < short[:, None]), axis=1)
        for m, factors_m, units_m, total_m in zip(cases.tolist(), factors.tolist(), units.tolist(), total.tolist(),
                                                  strict=True):
            shown[m] = factors_m
            hundredths[m] = [*units_m, total_m]
    return shown, hundredths


def _utf8(value: Any) -> bytes:
    return _json(value).encode("utf-8")


class _BatchLines:
    """One batch's explanations as columns of encoded parts, one entry per case each: a line is the join of its
    entries in column order (``columns``)."""

    def __init__(self, result: MatchResult, lang: str):
        self.result, self.lang = result, lang
        self.rules = rules = result.rules
        self.words = _words(rules, lang)
        self.cache = _fragments(rules, lang)
        self.n = len(result)
        self.levels = result.level.astype(np.intp)
        self.leaves = np.ascontiguousarray(result.leaf_results)
        self.top = result.top.astype(np.intp)
        self._details: dict[int, CaseDetail] = {}
        synthetic = [b', "synthetic": false, "version": ', b', "synthetic": true, "version": ']
        version = _utf8(result.version.as_dict()) + b', "act_first": '
        head = [b'{"case_id": ' + _utf8(result.case_id(n)) + synthetic[flag] + version
                for n, flag in enumerate(result.synthetic.tolist())]
        self.columns: list[list[bytes]] = [head, self._act_first(), self._risk(), *self._recommendations(),
                                           *self._not_recommended(), self._warnings()]

    def detail(self, n: int) -> CaseDetail:
        case = self._details.get(n)
        if case is None:
            case = self._details[n] = self.result.detail(n)
        return case

    def _made(self, make: Callable[[CaseDetail], bytes], n: int) -> bytes:
        return make(self.detail(n))

    def keyed(self, kind: tuple[str, Any], key: np.ndarray, make: Callable[[CaseDetail], bytes],
              cases: np.ndarray | None = None) -> list[bytes]:
        """Per row of ``key`` (one per case, or per case of ``cases``) the part made by ``make`` for it: once per
        distinct row, on the first case that has it."""
        parts, inverse = self.distinct_parts(kind, key, make, cases)
        return [parts[j] for j in inverse]

    def distinct_parts(self, kind: tuple[str, Any], key: np.ndarray, make: Callable[[CaseDetail], bytes],
                       cases: np.ndarray | None = None) -> tuple[list[bytes], list[int]]:
        """``keyed`` as the distinct parts and, per row, the number of its part."""
        first, inverse, rows = _distinct(key)
        if cases is not None:
            first = cases[first].tolist()
        name, item = kind
        return [self.cache.get(name, (item, row), partial(self._made, make, n))
                for n, row in zip(first, rows, strict=True)], inverse

    def _act_first(self) -> list[bytes]:
        rules, lang = self.rules, self.lang
        triggered = np.column_stack([evaluate(a.when, self.leaves) for a in rules.act_first] or
                                    [np.zeros(self.n, dtype=bool)])
        return self.keyed(("act_first", None), triggered, lambda case: _utf8(act_first(rules, case.leaf_row, lang))
                          + b', "risk": ')

    def _risk(self) -> list[bytes]:
        """The risk part of every case: the points and score are its own; the rest is looked up."""
        result, rules, words, lang = self.result, self.rules, self.words, self.lang
        cat = rules.catalogue
        n_factors = len(cat.factors)
        values = result.values
        points = result.risk.points
        needs = result._needs
        criminogenic = np.array(words.criminogenic, dtype=bool)
        order = np.argsort(-needs, axis=1, kind="stable")
        profile = np.where(np.take_along_axis((needs > 0) & criminogenic, order, axis=1), order, -1)
        ratings = values[:, :n_factors]
        welfare = np.where(ratings[:, words.welfare] > 0, ratings[:, words.welfare], 0)
        not_scored = values[:, words.age] < rules.policy.risk_score_min_age
        # the need profile is the ids of the criminogenic needs in order (nearly one per case): joined per case
        ids = [_utf8(f.id) for f in cat.factors]
        profiles = [b'], "need_profile": [' + b", ".join([ids[j] for j in row if j >= 0]) + b"], "
                    for row in profile.tolist()]

        welfare_entries: dict[tuple[int, int], bytes] = {}
        note = [b"", b', "note": ' + _utf8(t(lang, "risk.not_scored_note", age=rules.policy.risk_score_min_age))]
        tails = []
        for row, young in zip(welfare.tolist(), not_scored.tolist(), strict=True):
            entries = []
            for j, rating in zip(words.welfare, row, strict=True):
                if rating > 0:
                    entry = welfare_entries.get((j, rating))
                    if entry is None:
                        entry = welfare_entries[j, rating] = _utf8({"factor": cat.factors[j].id, "name":
                                                                    words.factor_names[j],
                                                                    "rating": words.label(j, rating)})
                    entries.append(entry)
            tails.append(b'"welfare_needs": [' + b", ".join(entries) + b"]" + note[young] + b'}, "recommendations": [')
        heads = [_utf8({"level": level, "label": t(lang, f"risk.{level}")})[:-1] + b', "score": '
                 for level in RISK_LEVELS]
        shown, hundredths = _shown_points(result.risk_score, points)
        rated = ratings.tolist()
        texts: dict[int, bytes] = {}  # hundredths -> the float json writes
        prefix: dict[tuple[int, int], bytes] = {}
        parts = []
        for n, (level, shown_n, numbers) in enumerate(zip(self.levels.tolist(), shown, hundredths, strict=True)):
            for number_ in numbers:
                if number_ not in texts:
                    texts[number_] = float.__repr__(number_ / 100).encode()
            entries = []
            for j, number_ in zip(shown_n, numbers[1:-1], strict=True):
                rating = rated[n][j]
                start = prefix.get((j, rating))
                if start is None:
                    start = prefix[j, rating] = _utf8({"factor": cat.factors[j].id, "name": words.factor_names[j],
                                                       "rating": words.label(j, rating), "points": 0})[:-2]
                entries.append(start + texts[number_] + b"}")
            probability = b""
            if not isinstance(result.model, Scorecard):  # case by case, as _risk asks the model
                probabilities = result.model.score(values[n: n + 1, :n_factors]).probability
                assert probabilities is not None
                probability = b', "probability": ' + float.__repr__(round(float(probabilities[0]), 3)).encode()
            parts.append(heads[level] + texts[numbers[-1]] + b', "intercept": ' + texts[numbers[0]] + probability
                         + b', "points": [' + b", ".join(entries) + profiles[n] + tails[n])
        return parts

    def _recommendations(self) -> list[list[bytes]]:
        """Per rank: the insats's name and rank, its score and terms, its reasons (looked up by what they read) and
        its evidence."""
        result, rules, words, lang = self.result, self.rules, self.words, self.lang
        n, k = self.n, self.top.shape[1]
        values, leaves = result.values, self.leaves
        ratings = values[:, : len(rules.catalogue.factors)]
        terms = result.terms
        needs = result._needs
        priority = result.priority
        targets = scoring_tables(rules).targets
        weight = rules.policy.weights.need_fit
        not_scored = values[:, words.age] < rules.policy.risk_score_min_age
        met = words.met_leaves
        columns: list[list[bytes]] = []
        for rank in range(k):
            at = self.top[:, rank]
            starts = [_utf8({"id": iv.id, "name": words.names[i], "rank": rank + 1, "score": 0})[:-2]
                      for i, iv in enumerate(rules.interventions)]
            if rank:
                starts = [b", " + start for start in starts]
            ends = [b', "evidence": ' + words.evidence_json[i].encode("utf-8") + b"}" for i in range(len(starts))]
            start_col = [b""] * n
            numbers_col = [b""] * n
            reasons_col = [b""] * n
            end_col = [b""] * n
            present = np.flatnonzero(at >= 0)
            if not len(present):
                columns += [start_col, numbers_col, reasons_col, end_col]
                continue
            chosen = at[present]
            shown = np.column_stack([terms[name][present, chosen] for name in TERMS])
            first, inverse, _ = _distinct(shown.view(f"u{shown.itemsize}"), None)  # the bits: -0.0 is not 0.0
            distinct = [self._numbers(shown[row]) for row in first]
            numbers = [distinct[j] for j in inverse]
            reasons: list[bytes] = [b""] * len(present)
            for i in np.unique(chosen).tolist():
                mine = np.flatnonzero(chosen == i)
                cases = present[mine]
                contribution = needs[cases] * targets[:, i]
                order = np.argsort(-contribution, axis=1, kind="stable")[:, :SHOWN_NEEDS]
                counted = np.take_along_axis(contribution, order, axis=1) > 0
                named = np.where(counted, order, -1)
                named_ratings = np.where(counted, np.take_along_axis(ratings[cases], order, axis=1), 0)
                share = np.rint(100 * terms["need_fit"][cases, i].astype(np.float64) / weight) if weight else \
                    np.zeros(len(cases))
                outcomes = leaves[cases][:, met.leaves[met.bounds[i]: met.bounds[i + 1]]]
                described = np.where(outcomes == met.described_if[met.bounds[i]: met.bounds[i + 1]],
                                     values[cases][:, met.columns[met.bounds[i]: met.bounds[i + 1]]], 0)
                # the reasons in two halves, each looked up by what it reads: the priority and the needs targeted; the
                # intensity, evidence, leverage and conditions met
                needs_key = np.column_stack([priority[cases, i], named, named_ratings, share])
                rest_key = np.column_stack([self.levels[cases], not_scored[cases],
                                            ratings[cases][:, words.leverages[i]] > 0, outcomes, described])

                def first_half(case: CaseDetail, i: int = i) -> bytes:
                    return b", ".join(map(_utf8, _why_needs(rules, case, i, words, lang)))

                def second_half(case: CaseDetail, i: int = i) -> bytes:
                    return b", " + b", ".join(map(_utf8, _why_suits(rules, case, i, RISK_LEVELS[case.level], words,
                                                                   met.of(case), lang))) + b"]"
                halves = zip(self.keyed(("why_needs", i), needs_key, first_half, cases),
                             self.keyed(("why_rest", i), rest_key, second_half, cases), strict=True)
                for m, (first_part, second_part) in zip(mine.tolist(), halves, strict=True):
                    reasons[m] = first_part + second_part
            for m, (case, i) in enumerate(zip(present.tolist(), chosen.tolist(), strict=True)):
                start_col[case] = starts[i]
                numbers_col[case] = numbers[m]
                reasons_col[case] = reasons[m]
                end_col[case] = ends[i]
            columns += [start_col, numbers_col, reasons_col, end_col]
        return columns

    @staticmethod
    def _numbers(shown: np.ndarray) -> bytes:
        """A recommendation's score and terms, rounded as ``_explained`` rounds them, followed by its reasons' key."""
        terms = {name: round(float(value), 2) for name, value in zip(TERMS, shown.tolist(), strict=True)}
        return (f"{float.__repr__(round(sum(terms.values()), 2))}, \"terms\": {_json(terms)}, \"reasons\": ["
                .encode())

    def _not_recommended(self) -> list[list[bytes]]:
        """Per insats, every case's entry for it: none where it is recommended, its place among the eligible where it
        ranked lower, else its why-not (looked up by what it reads)."""
        result, rules, words, lang = self.result, self.rules, self.words, self.lang
        n, n_items = self.n, len(rules.interventions)
        k = result.top.shape[1]
        eligible, score = result.eligible, result.score
        recommended = np.zeros((n, n_items), dtype=bool)
        rows = np.arange(n)
        for rank in range(k):
            at = self.top[:, rank]
            recommended[rows[at >= 0], at[at >= 0]] = True
        # the place of each eligible insats, as _explained sorts them: priority first, then by score, then in order
        items = np.broadcast_to(np.arange(n_items), (n, n_items))
        order = np.lexsort((items, -score, ~result.priority, ~eligible), axis=-1)
        place = np.empty((n, n_items), dtype=np.intp)
        np.put_along_axis(place, order, items + 1, axis=1)
        # an entry follows ", " unless it is the case's first: a column of separators before each insats's
        separators = np.array([b"", b", "], dtype=object)[(~recommended & (np.argmin(recommended, axis=1)[:, None]
                                                                           != np.arange(n_items))).view(np.int8)]
        columns: list[list[bytes]] = [[b'], "not_recommended": ['] * n]
        for i, iv in enumerate(rules.interventions):
            start = _utf8({"id": iv.id, "name": words.names[i], "reasons": []})[:-2]
            column = np.full(n, b"", dtype=object)
            lower = np.flatnonzero(eligible[:, i] & ~recommended[:, i])
            if len(lower):
                texts: dict[tuple[float, int], bytes] = {}
                column[lower] = [texts.get(key) or texts.setdefault(key, start + _utf8(t(
                    lang, "why_not.ranked_lower", score=number(lang, key[0], 2), rank=key[1], k=k)) + b"]}")
                    for key in zip(score[lower, i].tolist(), place[lower, i].tolist(), strict=True)]
            out = np.flatnonzero(~eligible[:, i])
            if len(out):
                column[out] = self._why_not(i, out, start)
            columns += [separators[:, i].tolist(), column.tolist()]
        return columns

    def _why_not(self, i: int, out: np.ndarray, start: bytes) -> list[bytes]:
        """The ``not_recommended`` entry of insats ``i`` for the cases ``out`` where it is not eligible: its reasons in
        three parts, each looked up by what it reads (the conditions not met, the intensity, the contraindications
        that hold) and cut from ``_why_not_texts``'s reasons by their number."""
        result, rules, words, lang = self.result, self.rules, self.words, self.lang
        iv = rules.interventions[i]
        keys = words.why_not_leaves
        part = slice(keys.bounds[i], keys.bounds[i + 1])
        outcomes = self.leaves[out][:, keys.leaves[part]]
        described = np.where(outcomes == keys.described_if[part], result.values[out][:, keys.columns[part]], 0)
        allowed = result.intensity_allowed[out, i]
        if iv.model.do_not_offer:
            return self.keyed(("why_not", i), np.zeros((len(out), 0)), lambda case: start + b", ".join(
                map(_utf8, _why_not_texts(rules, case, i, RISK_LEVELS[case.level], lang))) + b"]}", out)
        eligibility = len(_flagged(iv.eligibility, False))  # the first leaves of the key are its eligibility's

        def cut(case: CaseDetail) -> tuple[list[bytes], int, int]:
            texts = [_utf8(text) for text in _why_not_texts(rules, case, i, RISK_LEVELS[case.level], lang)]
            contraindications = sum(holds(node, case.leaf_row) for node, _ in iv.contraindications)
            intensity = int(not case.intensity_allowed[i])
            return texts, len(texts) - contraindications - intensity, len(texts) - contraindications

        def requirements(case: CaseDetail) -> bytes:  # the first of _why_not_texts's reasons, alone (many are made)
            return b", ".join(_utf8(t(lang, "why_not.requires", requirement=text)) for text in
                              failed_parts(iv.eligibility, case.leaf_row, case.values, rules.leaves, lang))

        def intensity(case: CaseDetail) -> bytes:
            texts, start_, end = cut(case)
            return b", ".join(texts[start_:end])

        def contraindications(case: CaseDetail) -> bytes:
            texts, _, start_ = cut(case)
            return b", ".join(texts[start_:])
        three = [self.distinct_parts(("why_not_requires", i), np.column_stack([outcomes[:, :eligibility],
                                                                                described[:, :eligibility]]),
                                     requirements, out),
                 self.distinct_parts(("why_not_intensity", i), np.column_stack([self.levels[out], allowed]), intensity,
                                     out),
                 self.distinct_parts(("why_not_contraindicated", i), np.column_stack([outcomes[:, eligibility:],
                                                                                      described[:, eligibility:]]),
                                     contraindications, out)]
        # each distinct combination of the three parts joined once
        first, inverse, _ = _distinct(np.column_stack([numbers for _, numbers in three]), np.int64)
        entries = [start + b", ".join([part for part in (parts[numbers[m]] for parts, numbers in three) if part])
                   + b"]}" for m in first]
        return [entries[j] for j in inverse]

    def _warnings(self) -> list[bytes]:
        """Every case's warnings: those about the case, looked up by what they read, then those of each insats
        recommended, looked up by the insats, the risk level and its warnings' conditions."""
        result, rules, words, lang = self.result, self.rules, self.words, self.lang
        cat = rules.catalogue
        values = result.values
        offered = np.array([not iv.model.do_not_offer for iv in rules.interventions], dtype=bool)
        holding = np.column_stack([evaluate(iv.eligibility, self.leaves) for iv in rules.interventions])
        low = (self.levels == RISK_LEVELS.index("low"))[:, None]
        held_back = low & ~result.intensity_allowed & offered & holding
        actors = sorted({iv.model.actor for iv in rules.interventions})
        actor_of = np.array([actors.index(iv.model.actor) for iv in rules.interventions])
        with_actor = np.zeros((self.n, len(actors)), dtype=bool)
        rows = np.arange(self.n)
        for rank in range(self.top.shape[1]):
            at = self.top[:, rank]
            with_actor[rows[at >= 0], actor_of[at[at >= 0]]] = True
        age = values[:, cat.context_index["age"]]
        consent = np.column_stack([
            with_actor, values[:, cat.context_index["consent_youth"]] == 0,
            (age < rules.policy.multi_agency_consent_age) & (values[:, cat.context_index["consent_guardian"]] == 0)])

        def encoded(out: list[tuple[str, str]]) -> bytes:
            return b", ".join(_utf8({"code": code, "message": message}) for code, message in out)

        def case_warnings(codes: tuple[str, ...]) -> Callable[[CaseDetail], bytes]:
            """The case's warnings with these codes: each kind looked up by what it reads alone."""
            return lambda case: encoded([(code, message) for code, message in _case_warnings(
                rules, case, RISK_LEVELS[case.level], words, lang) if code in codes])
        columns = [self.keyed(("unrated_factors", None), values[:, words.rated] == UNRATED,
                              case_warnings(("unrated_factors",))),
                   self.keyed(("low_risk_intensive", None), np.column_stack([low, held_back]),
                              case_warnings(("low_risk_intensive",))),
                   self.keyed(("consent_missing", None), consent, case_warnings(("consent_missing", "sip")))]
        high = self.levels == RISK_LEVELS.index("high")
        for rank in range(self.top.shape[1]):
            at = self.top[:, rank]
            column = [b""] * self.n
            for i in np.unique(at[at >= 0]).tolist():
                cases = np.flatnonzero(at == i)
                nodes = [evaluate(node, self.leaves[cases]) for node, _ in rules.interventions[i].warnings
                         if node is not None]
                def made(case: CaseDetail, i: int = i) -> bytes:
                    return encoded(_insats_warnings(rules, i, RISK_LEVELS[case.level], case.leaf_row, words, lang))
                parts = self.keyed(("insats_warnings", i), np.column_stack([high[cases], *nodes]), made, cases)
                for m, part in zip(cases.tolist(), parts, strict=True):
                    column[m] = part
            columns.append(column)
        return [b'], "warnings": [' + b", ".join([part for part in parts if part]) + b"]}"
                for parts in zip(*columns, strict=True)]
