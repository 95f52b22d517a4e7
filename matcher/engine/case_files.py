"""Case files: JSON (one case or a list), JSON lines and CSV, read into ``encode_cases`` with every field located.

Nothing in a file is resolved silently: a key given twice, NaN or Infinity, nesting deeper than
``MAX_DEPTH`` and a number longer than Python reads are refused with their line. The encoding and, for
CSV, the separator are detected (``matcher.textfiles``) and said (``CaseBatch.read_as``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from matcher.engine.cases import JSON_KINDS, CaseBatch, Place, encode_cases
from matcher.errors import InputError, listed, shown
from matcher.i18n import Message, message
from matcher.rulebase.loading import RuleBase
from matcher.rulebase.yamlsource import did_you_mean, format_path
from matcher.textfiles import MAX_BYTES, decode, read_csv, read_text

MAX_DEPTH = 64  # a case is 3 levels deep; more is a broken or hostile file
TRUE_WORDS = {"true", "yes", "ja", "1"}
FALSE_WORDS = {"false", "no", "nej", "0"}
TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+|\n')
LONG_NUMBER = re.compile(r"\d{4301,}")


def read_cases(path: Path, rules: RuleBase) -> CaseBatch:
    """Cases from a .json (one case or a list), .jsonl or .csv file."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".jsonl", ".csv"):
        raise InputError(f"{path}: unknown file type '{shown(suffix, 20)[1:-1]}'; expected .json, .jsonl or .csv")
    if not path.is_file():
        raise InputError(f"{path}: no such file; expected a case file (.json, .jsonl or .csv)")
    if suffix == ".csv":
        table = read_csv(path)
        return dataclasses.replace(encode_cases(_csv_cases(table.header, table.records(), str(path), rules), rules),
                                   read_as=table.read_as)
    text, encoding = read_text(path)
    note = "" if encoding == "UTF-8" else f"read as {encoding}"
    if suffix == ".json":
        data, lines = parse_json(text, str(path))
        if isinstance(data, list):
            items = [(Place(str(path), lines, index=i), item) for i, item in enumerate(data)]
        else:
            items = [(Place(str(path), lines), data)]
        return dataclasses.replace(encode_cases(items, rules), read_as=note)
    items = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            data, lines = parse_json(line, str(path), n)
            items.append((Place(str(path), lines), data))
    return dataclasses.replace(encode_cases(items, rules), read_as=note)


def case_from_bytes(data: bytes, name: str) -> dict[str, Any]:
    """One case object from an uploaded file's bytes, read with the same checks as a case file."""
    if len(data) > MAX_BYTES:
        raise InputError.worded(message("case.file_too_big", file=name, size=f"{len(data):,}", limit=f"{MAX_BYTES:,}"))
    case, _ = parse_json(decode(data, name)[0], name)
    if not isinstance(case, dict):
        kind = message(f"case.json_kind.{JSON_KINDS.get(type(case), 'other')}")
        raise InputError.worded(message("case.located_file", where=name, problem=message("case.not_an_object",
                                                                                          kind=kind, value="")))
    return case


JSON_REASONS_SV = {  # the json module's commonest complaints, as a Swedish reader needs them
    "Expecting value": "ett värde saknas",
    "Expecting ',' delimiter": "ett kommatecken saknas",
    "Expecting ':' delimiter": "ett kolon saknas",
    "Expecting property name enclosed in double quotes": "en nyckel inom dubbla citattecken saknas",
    "Unterminated string starting at": "en text saknar sitt avslutande citattecken",
    "Extra data": "det står mer efter ärendets sista klammer",
    "Invalid control character at": "ett styrtecken som JSON inte tillåter",
}


def parse_json(text: str, file: str, first: int = 1) -> tuple[Any, Mapping[tuple[str | int, ...], int]]:
    """JSON text (whose first line is line ``first`` of ``file``) and the line of every key and list item in it,
    found only when a message needs one."""
    where = file if first == 1 else f"{file}:{first}"
    if text.count("[") + text.count("{") > MAX_DEPTH:
        _depth(text, file, first)
    try:
        data = json.loads(text, object_pairs_hook=_unique, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        reason = {"en": exc.msg, "sv": JSON_REASONS_SV.get(exc.msg, exc.msg)}
        raise InputError.worded(message("case.not_json", where=where, reason=reason, line=exc.lineno,
                                        column=exc.colno)) from None
    except _Duplicate:
        raise InputError.worded(*_duplicates(text, file, first)) from None
    except _Constant as exc:
        line = first + text.count("\n", 0, max(text.find(exc.args[0]), 0))
        raise InputError.worded(message("case.json_constant", where=f"{file}:{line}", value=exc.args[0])) from None
    except ValueError:  # an integer longer than Python converts (4,300 digits)
        match = LONG_NUMBER.search(text)
        line = first + (text.count("\n", 0, match.start()) if match else 0)
        raise InputError(f"{file}:{line}: a number of more than 4,300 digits (the limit); a case holds small "
                         f"whole numbers") from None
    return data, _Lines(text, first)


class _Lines(Mapping[tuple[str | int, ...], int]):
    """The lines of a JSON text's keys and list items, found on first use (only a message needs them)."""

    def __init__(self, text: str, first: int):
        self._text, self._first = text, first

    @cached_property
    def _found(self) -> dict[tuple[str | int, ...], int]:
        return {path: self._first - 1 + line for path, line in _lines(self._text)[0].items()}

    def __getitem__(self, key: tuple[str | int, ...]) -> int:
        return self._found[key]

    def __iter__(self) -> Iterator[tuple[str | int, ...]]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)


class _Duplicate(ValueError):
    pass


class _Constant(ValueError):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate
    return out


def _no_constant(word: str) -> Any:
    raise _Constant(word)


def _depth(text: str, file: str, first: int) -> None:
    depth = 0
    line = first
    for token in TOKEN.finditer(text):
        kind = token.group()
        if kind == "\n":
            line += 1
        elif kind in "{[":
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(f"{file}:{line}: nested more than {MAX_DEPTH} levels deep (the limit); a case "
                                 f"is three levels deep (case, context, age)")
        elif kind in "}]":
            depth -= 1


def _duplicates(text: str, file: str, first: int) -> list[Message]:
    return [message("case.located", where=f"{file}:{first - 1 + again}", path=format_path(path),
                    problem=message("case.key_twice", key=shown(str(path[-1])), line=first - 1 + line))
            for path, line, again in _lines(text)[1]]


def _lines(text: str) -> tuple[dict[tuple[str | int, ...], int], list[tuple[tuple[str | int, ...], int, int]]]:
    """The line of every key and list item of valid JSON text, and every key given twice (path, first, again)."""
    lines: dict[tuple[str | int, ...], int] = {}
    twice = []
    stack: list[list[Any]] = []  # per open object or list: [path, kind, key or index, expecting a key]
    line = 1
    for match in TOKEN.finditer(text):
        token = match.group()
        if token == "\n":
            line += 1
            continue
        top = stack[-1] if stack else None
        if top is not None and top[1] == "{" and top[3] and token.startswith('"'):
            key = json.loads(token)
            path = (*top[0], key)
            if path in lines:
                twice.append((path, lines[path], line))
            lines.setdefault(path, line)
            top[2], top[3] = key, False
            continue
        if token in ",":
            if top is not None and top[1] == "[":
                top[2] += 1
            elif top is not None:
                top[3] = True
            continue
        if token in ":]}":
            if token != ":":
                stack.pop()
            continue
        path = (*top[0], top[2]) if top is not None else ()
        if top is not None and top[1] == "[":
            lines.setdefault(path, line)
        if token in "{[":
            stack.append([path, token, 0, token == "{"])
    return lines, twice


def _csv_cases(header: list[str], records: Any, file: str, rules: RuleBase) -> list[tuple[Place, Any]]:
    check_csv_header(header, file, rules)
    return [(Place(file, line=line), csv_case(record, rules)) for line, record in records]


def check_csv_header(header: list[str], file: str, rules: RuleBase) -> None:
    """Refuse unknown columns (with the nearest known name) and missing required ones."""
    known = csv_columns(rules)
    unknown = [c for c in header if c not in known]
    if unknown:
        raise InputError(f"{file}: unknown column{'s' if len(unknown) > 1 else ''} "
                         + ", ".join(f"{shown(c)}{did_you_mean(c[:100], known)}" for c in unknown))
    missing = [c.id for c in rules.catalogue.context if c.required and c.id not in header]
    if missing:
        raise InputError(f"{file}: missing required column{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)}; the file has: {listed(header) or 'no header'}")


def csv_case(record: Mapping[str, str], rules: RuleBase) -> dict[str, Any]:
    """One CSV row (column -> cell) as a case object for ``encode_cases``; an empty cell is a value not given."""
    cat = rules.catalogue
    case: dict[str, Any] = {"context": {}, "factors": {}, "instruments": {}}
    for column, raw in record.items():
        cell = raw.strip()
        if not cell:
            continue
        if column in ("case_id", "synthetic"):
            case[column] = cell if column == "case_id" else _bool(cell)
        elif column in cat.context_index:
            fact = cat.fact(column)
            case["context"][column] = _bool(cell) if fact.type == "bool" \
                else _int(cell) if fact.type == "int" else cell
        elif column in cat.factor_index:
            case["factors"][column] = _int(cell)
        else:
            instrument, item = column.split(".", 1)
            case["instruments"].setdefault(instrument, {})[item] = cell
    return case


def csv_columns(rules: RuleBase) -> list[str]:
    """Every column a case CSV may have; context facts without a default are required."""
    cat = rules.catalogue
    items = [f"{key}.{item.id}" for key, a in rules.instruments.items() for item in a.model.items]
    return ["case_id", "synthetic", *(c.id for c in cat.context), *cat.factor_index, *items]


def _bool(cell: str) -> Any:
    word = cell.lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else cell


def _int(cell: str) -> Any:
    return int(cell) if cell.isascii() and cell.lstrip("-").isdigit() and len(cell) < 10 else cell
