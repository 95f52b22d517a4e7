"""Strict reading of the models folder's JSON files (registry, model artefact, card).

A file is read as bytes once by the caller; here those bytes become data or an ``InputError`` that names the
file, the place in it (a JSON path such as ``models[0].sha256``) and the value found. Refused: bytes that
are not UTF-8, JSON syntax errors, NaN and Infinity, a key given twice in one object, nesting deeper than
``MAX_DEPTH``, and (through ``validated``) anything the file's pydantic schema does not allow.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from matcher.errors import InputError

MAX_DEPTH = 16  # the deepest real file (a card's fairness table) nests 6 levels
SHOWN = 60  # characters of a found value in a message

Model = TypeVar("Model", bound=BaseModel)


def json_path(loc: Sequence[str | int]) -> str:
    """``("models", 0, "sha256")`` as ``models[0].sha256``; the top level is ``$``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "$"


def found(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}... ({len(text)} characters)"


class _Twice:
    """A key given twice in one object, kept in its place so the message can say where."""

    def __init__(self, first: Any, second: Any):
        self.values = (first, second)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        out[key] = _Twice(out[key], value) if key in out else value
    return out


def _check(value: Any, loc: tuple[str | int, ...], display: str) -> None:
    """Refuse a duplicate key, a non-finite number or too deep a nesting at ``loc``, depth first."""
    if isinstance(value, _Twice):
        raise InputError(f"{display}: {json_path(loc)}: the key is given twice in one object (found "
                         f"{found(value.values[0])} and {found(value.values[1])}); a duplicate key could hide "
                         f"a value, so the file is not read. Keep one")
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{display}: {json_path(loc)}: expected a finite number; found {value} (NaN, "
                         f"Infinity or a number too large for a float). Restore the file from version control")
    if isinstance(value, dict | list):
        if len(loc) >= MAX_DEPTH:
            raise InputError(f"{display}: {json_path(loc)}: nested more than {MAX_DEPTH} levels deep; no "
                             f"model file nests so deeply, so the file is not read")
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            _check(child, (*loc, key), display)


def parse(data: bytes, display: str) -> Any:
    """The JSON value in ``data`` (the bytes of the file named ``display``), or a located InputError."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{display}: not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
                         f"restore the file from version control") from None
    try:
        value = json.loads(text, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise InputError(f"{display}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}; "
                         f"restore it from version control") from None
    except RecursionError:
        raise InputError(f"{display}: $: nested too deeply to read (more than {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise InputError(f"{display}: not readable as JSON: {exc}; restore it from version control") from None
    _check(value, (), display)
    return value


def validated(schema: type[Model], value: Any, display: str) -> Model:
    """``value`` checked against ``schema``; every problem located by JSON path with the value found."""
    try:
        return schema.model_validate(value)
    except ValidationError as exc:
        problems = [f"{display}: {json_path(e['loc'])}: {e['msg']}; found {found(e.get('input'))}"
                    for e in exc.errors()[:5]]
        more = len(exc.errors()) - len(problems)
        raise InputError("\n".join(problems) + (f"\n... and {more} more" if more > 0 else "")) from None
