"""Population runs, file to file: a case CSV of any size in, one row (or one explanation) per case out.

The file is read in blocks (``textfiles.stream_csv``), encoded column by column (``case_columns``), matched
(``match_matrix``) and written before the next block is read, so memory stays bounded whatever the file's
size. A row with a problem is reported with its line and left out; the others are matched and written (the
command then exits 2), or with ``strict`` the first problem stops the run and no output is kept. Output goes
to a temporary file beside ``out`` that takes its name only when the run is complete.

Formats: ``csv`` (case id, synthetic, risk level and score, the top k ids with their scores, act-first ids,
warning codes), ``jsonl`` (the same fields, one JSON object a line) and ``jsonl`` with ``explain`` (the full
explanation of every case, as ``matcher recommend --format json`` gives it). The version stamp (rule base,
model, evidence date) is written once, to ``<out>.version.json``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from matcher.engine.case_columns import coded_columns, encode_rows
from matcher.engine.case_files import check_csv_header
from matcher.engine.explained_lines import explained_lines
from matcher.engine.matching import MatchResult, Version, match_matrix
from matcher.engine.risk import RiskModel
from matcher.engine.scoring import gate_levels, scoring_tables
from matcher.engine.write_behind import WriteBehind
from matcher.errors import InputError
from matcher.rulebase.conditions import evaluate
from matcher.rulebase.factors import RISK_LEVELS, UNRATED
from matcher.rulebase.loading import RuleBase
from matcher.textfiles import DIALECTS, FORMULA_START, stream_csv

CHUNK = 65_536  # cases matched and written at a time
EXPLAINED_CHUNK = 8_192  # ... with explanations, whose chunk's parts are all held until it is written (a peak of
# 390 MB for 20,000 cases against 344 MB with 4,096; 4-6 % faster than 4,096 in two rounds, 16,384 no faster)
EXPLAINED_AT_ONCE = 256  # explanations to a block written at once (about 6 MB)
FORMATS = ("csv", "jsonl")


@dataclass(frozen=True)
class RunSummary:
    cases: int  # written
    rows_with_problems: int
    read_as: str
    version: dict[str, str]


def run_population(source: Path, out: Path | None, rules: RuleBase, model: RiskModel, *, fmt: str = "csv",
                   explain: bool = False, lang: str = "sv", dialect: str = "standard", top_k: int | None = None,
                   strict: bool = False, chunk: int | None = None, report: Callable[[str], None] = print,
                   stdout: IO[bytes] | None = None) -> RunSummary:
    """Match every case of ``source`` (.csv) into ``out`` (or ``stdout``); each problem goes to ``report``.
    ``chunk``: cases matched at a time (default ``CHUNK``, ``EXPLAINED_CHUNK`` with ``explain``)."""
    if source.suffix.lower() != ".csv":
        raise InputError(f"{source}: a population run reads a .csv case file (docs/case-format.md); for a .json or "
                         f".jsonl file use --format json")
    if fmt not in FORMATS or (explain and fmt != "jsonl") or dialect not in DIALECTS:
        raise InputError("--explain goes with --format jsonl: a CSV row holds no explanation" if explain
                         else f"--format: expected one of {', '.join(FORMATS)}; found {fmt}")
    if out is not None and not out.parent.is_dir():
        raise InputError(f"--out {out}: the folder {out.parent} does not exist; create it or choose another")
    stream = stream_csv(source)
    check_csv_header(stream.header, str(source), rules)
    k = rules.policy.top_k if top_k is None else top_k
    cases = bad = 0
    with _Target(out, stdout) as target:
        with WriteBehind(target, discarded=out is not None) if fmt == "jsonl" else nullcontext() as behind:
            write = _jsonl_writer(behind, explain, lang, k) if behind is not None else \
                _csv_writer(target, dialect, _nothing(rules, model, k))
            at_once = chunk or (EXPLAINED_CHUNK if explain else CHUNK)
            for result, problems in _matched(stream, rules, model, k, at_once, explain):
                for problem in problems:
                    if strict:
                        raise InputError(f"{problem}\n--strict: stopped at the first problem; "
                                         + ("nothing was written" if out is not None else "the output stops here"))
                    report(problem)
                bad += len(problems)  # one entry per row left out
                write(result)
                cases += len(result)
            write(None)
        target.flush()  # every byte written (or its failure raised) before the version stamp says the run is done
        if out is not None:
            _version_file(out, rules, model, source, k, cases, bad)
    return RunSummary(cases, bad, stream.read_as,
                      Version(rules.content_hash, model.id, rules.evidence_snapshot.isoformat()).as_dict())


def _matched(stream: Any, rules: RuleBase, model: RiskModel, k: int, chunk: int,
             explain: bool) -> Iterator[tuple[MatchResult, list[str]]]:
    """Per block of at most ``chunk`` rows: the match of its valid rows and the problems of the others."""
    numbered = 0
    for lines, batch in stream.blocks(coded_columns(stream.header, rules)):
        for start in range(0, batch.num_rows, chunk):
            part = batch.slice(start, chunk)
            rows = encode_rows(part, stream.header, lines[start: start + chunk], numbered, stream.display, rules)
            numbered = rows.given
            problems = [*stream.problems, *rows.problems]
            stream.problems.clear()
            yield match_matrix(rows.values, rules, model, k, ids=tuple(rows.ids), synthetic=rows.synthetic,
                               scores=True, keep_pairs=explain), sorted(problems, key=_line_of)
    if stream.problems:
        yield _nothing(rules, model, k), list(stream.problems)


def _line_of(problem: str) -> int:
    where = problem.split(": ", 1)[0]
    number = where.rsplit(":", 1)[-1]
    return int(number) if number.isdigit() else 0


class _Target:
    """The output file, written under a temporary name beside it and renamed when complete; or standard output."""

    def __init__(self, out: Path | None, stdout: IO[bytes] | None):
        self.out, self.stdout, self.tmp = out, stdout, ""

    def __enter__(self) -> IO[bytes]:
        if self.out is None:
            assert self.stdout is not None
            return self.stdout
        handle, self.tmp = tempfile.mkstemp(prefix=f".{self.out.name}.", suffix=".partial", dir=self.out.parent)
        self.file = os.fdopen(handle, "wb")
        return self.file

    def __exit__(self, kind: Any, *_: Any) -> None:
        if self.out is None:
            return
        self.file.close()
        if kind is None:
            os.replace(self.tmp, self.out)
        else:
            os.unlink(self.tmp)


def _nothing(rules: RuleBase, model: RiskModel, k: int) -> MatchResult:
    return match_matrix(np.empty((0, rules.catalogue.n_columns), np.int8), rules, model, k, scores=True)


def _jsonl_writer(sink: WriteBehind, explain: bool, lang: str, k: int) -> Callable[[MatchResult | None], None]:
    def lines(result: MatchResult | None) -> None:
        if result is None:
            return
        if explain:  # an explanation is about 24 kB: written a few at a time, so memory stays bounded
            for block in explained_lines(result, lang, EXPLAINED_AT_ONCE):
                sink.write(block)
            return
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in _table(result, k, "").to_pylist())
        sink.write([text.encode("utf-8")])
    return lines


def _csv_writer(sink: IO[bytes], dialect: str, empty: MatchResult) -> Callable[[MatchResult | None], None]:
    k = empty.top.shape[1]
    excel = dialect == "excel-sv"
    schema = _table(empty, k, "excel" if excel else "").schema
    if excel:
        sink.write("\ufeff".encode())
    writer = pa_csv.CSVWriter(sink, schema, write_options=pa_csv.WriteOptions(
        delimiter=";" if excel else ",", eol="\r\n" if excel else "\n"))

    def rows(result: MatchResult | None) -> None:
        if result is None:
            writer.close()
        elif len(result):
            writer.write_table(_table(result, k, "excel" if excel else ""))
    return rows


def _table(result: MatchResult, k: int, dialect: str) -> pa.Table:
    """The output columns of a result: ids, risk, the top k with scores, act-first ids and warning codes."""
    rules = result.rules
    ids = pa.array(result.ids if result.ids is not None else [result.case_id(n) for n in range(len(result))],
                   pa.string())
    unsafe = pc.starts_with(ids, FORMULA_START[0])
    for start in FORMULA_START[1:]:
        unsafe = pc.or_(unsafe, pc.starts_with(ids, start))
    columns: dict[str, pa.Array] = {
        "case_id": pc.if_else(unsafe, pc.binary_join_element_wise("'", ids, ""), ids),  # a formula is shown, not run
        "synthetic": pa.array(result.synthetic),
        "risk_level": pc.take(pa.array(RISK_LEVELS), pa.array(result.level.astype(np.int64))),
        "risk_score": _number(result.risk_score, 2, dialect),
    }
    item_ids = pa.array([iv.id for iv in rules.interventions])
    assert result.top_score is not None
    for rank in range(k):
        chosen = result.top[:, rank].astype(np.int64)
        columns[f"insats_{rank + 1}"] = pc.take(item_ids, pa.array(chosen, mask=chosen < 0))
        columns[f"score_{rank + 1}"] = _number(result.top_score[:, rank], 3, dialect)
    leaves = result.leaf_results
    columns["act_first"] = _spelled([_flags([(a.model.id, evaluate(a.when, leaves)) for a in rules.act_first])])
    columns["warnings"] = _spelled(warning_flags(result, leaves))
    return pa.table(columns)


def _number(values: np.ndarray, decimals: int, dialect: str) -> pa.Array:
    rounded = pc.round(pa.array(values, mask=np.isnan(values)), decimals)
    return pc.replace_substring(pc.cast(rounded, pa.string()), ".", ",") if dialect == "excel" else rounded


def _flags(codes: list[tuple[str, np.ndarray]]) -> tuple[np.ndarray, _Words]:
    """Up to 63 (code, mask) pairs as one key per case: bit j set where code j holds."""
    keys = np.zeros(len(codes[0][1]) if codes else 0, dtype=np.int64)
    for j, (_, mask) in enumerate(codes):
        keys |= mask.astype(np.int64) << j
    return keys, _Words([[code for code, _ in codes]], len(codes))


class _Words:
    """The codes of a key ``item << width | bits``: the codes of that item whose bit is set."""

    def __init__(self, per_item: list[list[str]], width: int):
        self.per_item, self.width = per_item, width

    def __getitem__(self, key: int) -> list[str]:
        return [code for j, code in enumerate(self.per_item[key >> self.width]) if key >> j & 1]


def _spelled(groups: list[tuple[np.ndarray, _Words]]) -> pa.Array:
    """Per case the codes of every group, in order, separated by spaces ('' for none): each distinct key of a
    group is spelled once and looked up for the cases that share it."""
    parts = []
    for keys, words in groups:
        unique, inverse = np.unique(keys, return_inverse=True)
        texts = pa.array(["".join(code + " " for code in words[int(key)]) if key >= 0 else "" for key in unique],
                         pa.string())
        parts.append(pc.take(texts, pa.array(inverse.ravel())))
    if not parts:
        return pa.array([], pa.string())
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "")
    return pc.utf8_rtrim(joined, characters=" ")


def warning_flags(result: MatchResult, leaves: np.ndarray) -> list[tuple[np.ndarray, _Words]]:
    """The codes of ``explain``'s warnings for every case, in its order (tests check that they agree case by
    case): the case's own, then per rank those of the insats recommended there."""
    rules = result.rules
    cat = rules.catalogue
    values, top, n = result.values, result.top.astype(np.int64), len(result)
    level = result.level
    low = level == RISK_LEVELS.index("low")
    held_back = np.zeros(n, dtype=bool)
    allowed = np.take(scoring_tables(rules).intensity_allowed, gate_levels(rules, values, level), axis=0, mode="clip")
    for i, iv in enumerate(rules.interventions):
        if low.any() and not iv.model.do_not_offer:
            held_back |= ~allowed[:, i] & evaluate(iv.eligibility, leaves)
    actors = sorted({iv.model.actor for iv in rules.interventions} - {"socialtjanst"})
    item_actor = np.array([actors.index(iv.model.actor) if iv.model.actor in actors else -1
                           for iv in rules.interventions])
    actor_at = np.where(top >= 0, item_actor[np.maximum(top, 0)], -1)
    has = {a: (actor_at == j).any(axis=1) for j, a in enumerate(actors)}
    other = np.logical_or.reduce([has[a] for a in actors]) if actors else np.zeros(n, dtype=bool)
    age = values[:, cat.context_index["age"]]
    missing = (values[:, cat.context_index["consent_youth"]] == 0) | (
        (age < rules.policy.multi_agency_consent_age) & (values[:, cat.context_index["consent_guardian"]] == 0))
    groups = [_flags([("unrated_factors", (values[:, : len(cat.factors)][:, cat.rated()] == UNRATED).any(axis=1)),
                      ("low_risk_intensive", low & held_back), ("consent_missing", other & missing),
                      ("sip", has.get("region", np.zeros(n, dtype=bool)))])]
    high = level == RISK_LEVELS.index("high")
    per_item: list[list[tuple[str, Any]]] = [
        ([("peer_grouping_risk", high)] if iv.model.group_format else []) + [(w.code, node) for node, w in iv.warnings]
        for iv in rules.interventions]
    width = max((len(codes) for codes in per_item), default=0)
    held: dict[int, list[np.ndarray]] = {}
    for rank in range(top.shape[1]):
        at = top[:, rank]
        keys = np.where(at >= 0, at << width, -1)
        for i in np.unique(at[at >= 0]).tolist():
            if i not in held:
                held[i] = [mask if isinstance(mask, np.ndarray) else np.ones(n, dtype=bool) if mask is None
                           else evaluate(mask, leaves) for _, mask in per_item[i]]
            here = at == i
            for j, mask in enumerate(held[i]):
                keys |= (here & mask).astype(np.int64) << j
        groups.append((keys, _Words([[code for code, _ in codes] for codes in per_item], width)))
    return groups


def _version_file(out: Path, rules: RuleBase, model: RiskModel, source: Path, k: int, cases: int, bad: int) -> None:
    version = Version(rules.content_hash, model.id, rules.evidence_snapshot.isoformat())
    side = out.with_name(out.name + ".version.json")
    side.write_text(json.dumps({"version": version.as_dict(), "source": source.name, "top_k": k, "cases": cases,
                                "rows_with_problems": bad}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
