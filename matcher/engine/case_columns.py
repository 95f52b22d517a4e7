"""Case CSV rows encoded column by column: the population path of ``matcher recommend`` (``population.py``).

The columns and what each accepts come from the loaded catalogue (``csv_columns``: factors with their scale's
values, context facts by type, instrument items with their words), so a factor added to ``rules/factors.yaml``
is read here with no change. Each column is checked as a whole with pyarrow: a cell in its plain form (a
scale value, a yes/no word, an enum value, a whole number in range, a case code of letters, digits, ``-``,
``_`` and ``.``) is encoded at once. Every other row goes through the one case path (``csv_case`` and
``encode_cases``, the same as a small file): it is encoded there if valid, and its problems come from there,
located at its line, in the same words. So a population file and a small file accept the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from matcher.engine.case_files import FALSE_WORDS, TRUE_WORDS, csv_case
from matcher.engine.cases import Place, encode_cases
from matcher.errors import InputError
from matcher.rulebase.factors import UNRATED
from matcher.rulebase.loading import RuleBase

PLAIN_ID = r"^[A-Za-z0-9_.][A-Za-z0-9_.\-]{0,63}$"  # printable, no space (no name), no formula start, <= 64
DIGIT_RUN = r"[0-9]{6}[-+ ]?[0-9]{4}"  # may be a personnummer: the case path decides
MAX_SET = 100_000  # a whole-number fact with a wider range is left to the case path


@dataclass(frozen=True)
class _Column:
    """How one CSV column is read: its plain words and their codes; what an empty cell means."""

    words: tuple[str, ...]
    codes: np.ndarray  # int64, one per word
    empty: int | None  # the code of an empty cell; None: an empty cell needs the case path (a required fact)
    lower: bool = False  # yes/no words: compared in lower case


@dataclass(frozen=True)
class EncodedRows:
    """The valid rows of one block, in file order, and the located problems of the others."""

    values: np.ndarray  # n x (F + C), Fortran order
    ids: list[str]
    synthetic: np.ndarray  # n bool
    lines: np.ndarray  # n: the line of each case
    problems: list[str]  # per row left out, its located messages (one or more lines)
    given: int  # rows that were not blank (valid or not): numbers the cases of the next block


def code_dtype(rules: RuleBase) -> type[np.signedinteger]:
    """The smallest integer type that holds every code of the catalogue (int8 reads fastest)."""
    cat = rules.catalogue
    high = max([max(cat.scale(f).values) for f in cat.factors]
               + [len(c.values or ()) if c.type == "enum" else int(c.max or 2**15) for c in cat.context])
    low = min([UNRATED] + [int(c.min or 0) for c in cat.context if c.type == "int"])
    return np.int8 if low >= -128 and high <= 127 else np.int16


@cache
def _columns(rules: RuleBase) -> dict[str, _Column]:
    cat = rules.catalogue
    yes_no = _Column((*sorted(TRUE_WORDS), *sorted(FALSE_WORDS)),
                     np.array([1] * len(TRUE_WORDS) + [0] * len(FALSE_WORDS)), 0, lower=True)
    out = {"synthetic": yes_no}
    for factor in cat.factors:
        values = cat.scale(factor).values
        out[factor.id] = _Column(tuple(str(v) for v in values), np.array(values), UNRATED)
    for fact in cat.context:
        empty = None if fact.required else cat.encode_context(fact, False if fact.type == "bool" else fact.default)
        if fact.type == "bool":
            out[fact.id] = yes_no
        elif fact.type == "enum":
            out[fact.id] = _Column(tuple(fact.values or ()), np.arange(len(fact.values or ())), empty)
        elif fact.min is not None and fact.max is not None and fact.max - fact.min <= MAX_SET:
            span = np.arange(int(fact.min), int(fact.max) + 1)
            out[fact.id] = _Column(tuple(map(str, span)), span, empty)
    for key, adapter in rules.instruments.items():
        for item in adapter.model.items:
            scale = adapter.model.scales[item.scale]
            words = adapter.accepted_words(item.scale)
            out[f"{key}.{item.id}"] = _Column(tuple(words), np.array([scale.values[scale.aliases.get(w, w)]
                                                                      for w in words]), UNRATED)
    return out


def encode_rows(batch: pa.RecordBatch, header: list[str], lines: np.ndarray, numbered: int, file: str,
                rules: RuleBase) -> EncodedRows:
    """Encode one block of CSV rows (every cell text) whose first non-blank row is case number ``numbered + 1``."""
    cat = rules.catalogue
    cells = {name: batch.column(i) for i, name in enumerate(header)}
    empties = {name: _empty(column) for name, column in cells.items()}
    blank = np.logical_and.reduce(list(empties.values())) if empties else np.ones(batch.num_rows, dtype=bool)
    values = np.empty((batch.num_rows, cat.n_columns), dtype=code_dtype(rules), order="F")
    values[:] = cat.default_row()
    plain = ~blank
    columns = _columns(rules)
    codes: dict[str, np.ndarray] = {}
    for name, column in cells.items():
        if name == "case_id":
            column = cells[name] = pc.ascii_trim_whitespace(_text(column))
            plain &= pc.or_(pc.equal(column, ""), pc.and_(pc.match_substring_regex(column, PLAIN_ID),
                                                          pc.invert(pc.match_substring_regex(column, DIGIT_RUN))
                                                          )).to_numpy(zero_copy_only=False)
            continue
        how = columns.get(name)
        if how is None:  # an int fact without a narrow range: the case path reads it
            plain[:] = False
            continue
        code, ok = _plain(column, how)
        plain &= ok
        codes[name] = code
    for name, code in codes.items():
        if name in cat.factor_index or name in cat.context_index:
            values[:, cat.factor_index.get(name, cat.context_index.get(name, -1))] = code
    for key, adapter in rules.instruments.items():  # several sources of one factor: the highest rating counts
        for item in adapter.model.items:
            given = codes.get(f"{key}.{item.id}")
            if given is None:
                continue
            for factor_id in item.factors:
                j = cat.factor_index[factor_id]
                values[:, j] = np.maximum(values[:, j], given)
    plain &= _ages_fit(values, rules)
    numbers = numbered + np.cumsum(~blank)
    synthetic = codes["synthetic"].astype(bool) if "synthetic" in codes else np.zeros(batch.num_rows, dtype=bool)
    given_ids = cells["case_id"].to_pylist() if "case_id" in cells else [""] * batch.num_rows
    ids = [given or f"case-{number}" for given, number in zip(given_ids, numbers.tolist(), strict=True)]
    keep, problems = plain.copy(), []
    for r in np.flatnonzero(~plain & ~blank):
        record = {name: batch.column(i)[r].as_py() for i, name in enumerate(header)}
        if not any(cell.strip() for cell in record.values()):
            continue
        try:
            one = encode_cases([(Place(file, line=int(lines[r])), csv_case(record, rules))], rules)
        except InputError as exc:
            problems.append(str(exc))  # one entry per row (its lines)
            continue
        values[r], synthetic[r], keep[r] = one.values[0], one.synthetic[0], True
        ids[r] = one.ids[0] if record.get("case_id", "").strip() else ids[r]
    rows = np.flatnonzero(keep)
    return EncodedRows(np.asfortranarray(values[rows]), [ids[r] for r in rows], synthetic[rows], lines[rows],
                       problems, int(numbers[-1]) if len(numbers) else numbered)


def coded_columns(header: list[str], rules: RuleBase) -> list[str]:
    """The columns with few distinct values, read dictionary-encoded (every column but the case code)."""
    return [name for name in header if name in _columns(rules)]


def _text(column: pa.Array) -> pa.Array:
    return column.dictionary_decode() if pa.types.is_dictionary(column.type) else column


def _per_word(column: pa.Array, fn: Any) -> Any:
    """``fn`` of a column's distinct texts, spread over its rows (the texts themselves for a plain column)."""
    if not pa.types.is_dictionary(column.type):
        return fn(column)
    out = fn(column.dictionary)
    indices = column.indices.to_numpy(zero_copy_only=False)
    return tuple(o[indices] for o in out) if isinstance(out, tuple) else out[indices]


def _empty(column: pa.Array) -> np.ndarray:
    return _per_word(column, lambda words: pc.equal(pc.ascii_trim_whitespace(words), "").to_numpy(
        zero_copy_only=False))


def _plain(column: pa.Array, how: _Column) -> tuple[np.ndarray, np.ndarray]:
    """(code of each cell, whether the cell is in its plain form) for one column."""

    def of(words: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        trimmed = pc.ascii_trim_whitespace(words)
        index = pc.fill_null(pc.index_in(pc.ascii_lower(trimmed) if how.lower else trimmed,
                                         value_set=pa.array(how.words, pa.string())), -1)
        found = index.to_numpy(zero_copy_only=False)
        ok = found >= 0
        code = np.where(ok, how.codes[np.maximum(found, 0)] if len(how.codes) else 0, 0)
        empty = pc.equal(trimmed, "").to_numpy(zero_copy_only=False)
        if how.empty is not None:
            code[empty], ok[empty] = how.empty, True
        return code, ok

    return _per_word(column, of)


def _ages_fit(values: np.ndarray, rules: RuleBase) -> np.ndarray:
    """Rows whose enum values fit the age (``value_ages``); the others get their message from the case path."""
    cat = rules.catalogue
    age = values[:, cat.context_index["age"]]
    fits = np.ones(len(values), dtype=bool)
    for fact in cat.context:
        for k, value in enumerate(fact.values or ()):
            limit = (fact.value_ages or {}).get(value)
            if limit is not None:
                fits &= (values[:, cat.context_index[fact.id]] != k) | ((age >= limit.min) & (age <= limit.max))
    return fits
