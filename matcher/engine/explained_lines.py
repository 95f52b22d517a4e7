"""Explanations of every case of a batch as JSON lines (bulk output: ``matcher recommend FILE.csv --format jsonl
--explain``): the bytes of ``json.dumps(explain(result, n, lang), ensure_ascii=False)`` for every case, made per batch.

An explanation is about 24 kB, most of it texts that depend on few of a case's values: a why-not on the outcomes of
the insats's conditions and the values they can describe, the reasons for a recommended insats on the needs it
targets and the conditions it met, a warning on the ratings, consent or the insatser it concerns. Each such part is
told apart by a numpy key over the whole batch (one row per case), made once per distinct key by the per-case
functions of ``explain`` on a case that has it (so the texts are ``explain``'s) and kept across batches
(``keyed_parts.Fragments``). Per case only the numbers that are its own are formatted (risk points, scores), with
Python's ``round`` and ``float.__repr__`` as ``json`` writes them, and its line is the join of its parts.
tests/engine/test_explain.py compares every line with ``explain`` (both languages, both kinds of model, hostile
values).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from itertools import chain, islice
from typing import Any

import numpy as np

from matcher.engine.act_first import act_first
from matcher.engine.explain import (
    SHOWN_NEEDS,
    _case_warnings,
    _insats_warnings,
    _json,
    _needs_reasons,
    _why_suits,
    _words,
)
from matcher.engine.keyed_parts import distinct_rows, fragments
from matcher.engine.matching import CaseDetail, MatchResult
from matcher.engine.risk import Scorecard, shown_points_of_batch
from matcher.engine.scoring import TERMS, scoring_tables
from matcher.engine.why_not import flagged, requirements_unmet, why_not_texts
from matcher.i18n import number, t
from matcher.rulebase.conditions import evaluate, holds
from matcher.rulebase.factors import RISK_LEVELS, UNRATED


def explained_lines(result: MatchResult, lang: str, at_once: int) -> Iterator[list[bytes]]:
    """``json.dumps(explain(result, n, lang), ensure_ascii=False)`` for every case ``n``, UTF-8 encoded, in order
    (see the module's docstring), each followed by a newline: ``at_once`` (at least 1) lines to a block, given as
    the parts its bytes are made of (a line is about 24 kB from about 100 parts: writing the parts as they are,
    ``os.writev``, spares joining them)."""
    if not len(result):
        return
    lines = zip(*_BatchLines(result, lang).columns, [b"\n"] * len(result), strict=True)
    while block := list(chain.from_iterable(islice(lines, at_once))):
        yield block


def _utf8(value: Any) -> bytes:
    return _json(value).encode("utf-8")


class _BatchLines:
    """One batch's explanations as columns of encoded parts, one entry per case each: a line is the join of its
    entries in column order (``columns``)."""

    def __init__(self, result: MatchResult, lang: str):
        self.result, self.lang = result, lang
        self.rules = rules = result.rules
        self.words = _words(rules, lang)
        self.cache = fragments(rules, lang)
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

    def keyed_rows(self, kind: tuple[str, Any], key: np.ndarray, make: Callable[[list[int]], bytes]) -> list[bytes]:
        """As ``keyed``, for a part that ``make`` makes from its row of ``key`` alone (as ints), without the case."""
        first, inverse, rows = distinct_rows(key)
        name, item = kind
        made = [self.cache.get(name, (item, row), partial(make, listed))
                for row, listed in zip(rows, key[first].astype(np.int64).tolist(), strict=True)]
        return [made[j] for j in inverse]

    def distinct_parts(self, kind: tuple[str, Any], key: np.ndarray, make: Callable[[CaseDetail], bytes],
                       cases: np.ndarray | None = None) -> tuple[list[bytes], list[int]]:
        """``keyed`` as the distinct parts and, per row, the number of its part."""
        first, inverse, rows = distinct_rows(key)
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
        points = result.points
        ratings = values[:, :n_factors]
        profiles, tails = self._risk_lists()
        heads = [_utf8({"level": level, "label": t(lang, f"risk.{level}")})[:-1] + b', "score": '
                 for level in RISK_LEVELS]
        shown, hundredths = shown_points_of_batch(result.risk_score, points)
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

    def _risk_lists(self) -> tuple[list[bytes], list[bytes]]:
        """Per case the end of its risk points and its need profile; and its welfare needs and note to the end of
        the risk part."""
        result, rules, words, lang = self.result, self.rules, self.words, self.lang
        cat = rules.catalogue
        needs = result.needs
        criminogenic = np.array(words.criminogenic, dtype=bool)
        order = np.argsort(-needs, axis=1, kind="stable")
        profile = np.where(np.take_along_axis((needs > 0) & criminogenic, order, axis=1), order, -1)
        ratings = result.values[:, : len(cat.factors)]
        welfare = np.where(ratings[:, words.welfare] > 0, ratings[:, words.welfare], 0)
        not_scored = result.values[:, words.age] < rules.policy.risk_score_min_age
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
        return profiles, tails

    def _recommendations(self) -> list[list[bytes]]:
        """Per rank: the insats's name and rank, its score and terms, its reasons (looked up by what they read) and
        its evidence."""
        result, rules, words = self.result, self.rules, self.words
        n, k = self.n, self.top.shape[1]
        terms = result.terms
        ends = [b', "evidence": ' + evidence.encode("utf-8") + b"}" for evidence in words.evidence_json]
        columns: list[list[bytes]] = []
        for rank in range(k):
            at = self.top[:, rank]
            starts = [(b", " if rank else b"") + _utf8({"id": iv.id, "name": words.names[i], "rank": rank + 1,
                                                        "score": 0})[:-2] for i, iv in enumerate(rules.interventions)]
            start_col, numbers_col, reasons_col, end_col = [b""] * n, [b""] * n, [b""] * n, [b""] * n
            present = np.flatnonzero(at >= 0)
            chosen = at[present]
            shown = np.column_stack([terms[name][present, chosen] for name in TERMS])
            first, inverse, _ = distinct_rows(shown.view(f"u{shown.itemsize}"), None)  # the bits: -0.0 is not 0.0
            distinct = [self._numbers(shown[row]) for row in first]
            reasons: list[bytes] = [b""] * len(present)
            for i in np.unique(chosen).tolist():
                mine = np.flatnonzero(chosen == i)
                for m, part in zip(mine.tolist(), self._reasons(i, present[mine]), strict=True):
                    reasons[m] = part
            for m, (case, i) in enumerate(zip(present.tolist(), chosen.tolist(), strict=True)):
                start_col[case] = starts[i]
                numbers_col[case] = distinct[inverse[m]]
                reasons_col[case] = reasons[m]
                end_col[case] = ends[i]
            columns += [start_col, numbers_col, reasons_col, end_col]
        return columns

    def _reasons(self, i: int, cases: np.ndarray) -> list[bytes]:
        """The reasons for recommended insats ``i`` of ``cases``, in parts, each looked up by what it reads: the
        priority and the needs targeted (``_why_needs``); then from ``_why_suits``: the intensity and evidence (by
        the gate level), the protective factors built on, the conditions met."""
        result, rules, words, lang = self.result, self.rules, self.words, self.lang
        values = result.values[cases]
        ratings = values[:, : len(rules.catalogue.factors)]
        contribution = result.needs[cases] * scoring_tables(rules).targets[:, i]
        order = np.argsort(-contribution, axis=1, kind="stable")[:, :SHOWN_NEEDS]
        counted = np.take_along_axis(contribution, order, axis=1) > 0
        weight = rules.policy.weights.need_fit
        share = np.rint(100 * result.terms["need_fit"][cases, i].astype(np.float64) / weight) if weight else \
            np.zeros(len(cases))
        needs_key = np.column_stack([result.priority[cases, i], np.where(counted, order, -1),
                                     np.where(counted, np.take_along_axis(ratings, order, axis=1), 0), share])
        met = words.met_leaves
        part = slice(met.bounds[i], met.bounds[i + 1])
        outcomes = self.leaves[cases][:, met.leaves[part]]
        described = np.where(outcomes == met.described_if[part], values[:, met.columns[part]], 0)

        def needs(row: list[int]) -> bytes:  # a row of needs_key: priority, SHOWN_NEEDS factors, their ratings, share
            named = [(j, rating) for j, rating in zip(row[1: 1 + SHOWN_NEEDS], row[1 + SHOWN_NEEDS: -1], strict=True)
                     if j >= 0]
            return b", ".join(map(_utf8, _needs_reasons(rules, i, bool(row[0]), named, row[-1], words, lang)))

        def suits(pick: slice, end: bytes) -> Callable[[CaseDetail], bytes]:
            """The texts ``pick`` of ``_why_suits``, each after ", " (the intensity and evidence, the leverage if any,
            the conditions met)."""
            return lambda case: b"".join(b", " + _utf8(text) for text in _why_suits(
                rules, case, i, RISK_LEVELS[case.level], words, met.of(case), lang)[pick]) + end
        parts = [self.keyed_rows(("why_needs", i), needs_key, needs),
                 self.keyed(("why_gate", i), np.column_stack([self.levels[cases],
                                                              values[:, words.age] < rules.policy.risk_score_min_age]),
                            suits(slice(0, 2), b""), cases),
                 self.keyed(("why_leverage", i), ratings[:, words.leverages[i]] > 0, suits(slice(2, -1), b""), cases),
                 self.keyed(("why_met", i), np.column_stack([outcomes, described]), suits(slice(-1, None), b"]"),
                            cases)]
        return list(map(b"".join, zip(*parts, strict=True)))

    @staticmethod
    def _numbers(shown: np.ndarray) -> bytes:
        """A recommendation's score and terms, rounded as ``explain`` rounds them, followed by its reasons' key."""
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
        # the place of each eligible insats, as explain sorts them: priority first, then by score, then in order
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
        that hold) and cut from ``why_not_texts``'s reasons by their number."""
        result, rules, words, lang = self.result, self.rules, self.words, self.lang
        iv = rules.interventions[i]
        keys = words.why_not_leaves
        part = slice(keys.bounds[i], keys.bounds[i + 1])
        outcomes = self.leaves[out][:, keys.leaves[part]]
        described = np.where(outcomes == keys.described_if[part], result.values[out][:, keys.columns[part]], 0)
        allowed = result.intensity_allowed[out, i]
        if iv.model.do_not_offer:
            return self.keyed(("why_not", i), np.zeros((len(out), 0)), lambda case: start + b", ".join(
                map(_utf8, why_not_texts(rules, case, i, RISK_LEVELS[case.level], lang, rules.leaves))) + b"]}", out)
        eligibility = len(flagged(iv.eligibility, False))  # the first leaves of the key are its eligibility's

        def cut(case: CaseDetail) -> tuple[list[bytes], int, int]:
            texts = [_utf8(text) for text in why_not_texts(rules, case, i, RISK_LEVELS[case.level], lang,
                                                             rules.leaves)]
            contraindications = sum(holds(node, case.leaf_row) for node, _ in iv.contraindications)
            intensity = int(not case.intensity_allowed[i])
            return texts, len(texts) - contraindications - intensity, len(texts) - contraindications

        def requirements(case: CaseDetail) -> bytes:  # the first of why_not_texts's reasons, alone (many are made)
            return b", ".join(map(_utf8, requirements_unmet(rules, case, i, lang, rules.leaves)))

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
        first, inverse, _ = distinct_rows(np.column_stack([numbers for _, numbers in three]), np.int64)
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
        low = (self.levels == RISK_LEVELS.index("low"))[:, None]
        held_back = low & ~result.intensity_allowed & offered & result.conditions_met
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
