"""Message catalogues: every text a person reads, in Swedish (default) and English."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

LANGS = ("sv", "en")
DEFAULT_LANG = "sv"
SWEDEN = ZoneInfo("Europe/Stockholm")  # the clock and calendar the app's readers live by


def swedish_today() -> dt.date:
    """Today's date in Sweden, whatever zone the server runs in."""
    return dt.datetime.now(SWEDEN).date()


def in_sweden(at: dt.datetime) -> dt.datetime:
    """A stored timestamp (written in UTC; SQLite returns it without its zone) on the Swedish clock."""
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(SWEDEN)


@cache
def catalogue(lang: str) -> dict[str, str]:
    if lang not in LANGS:
        raise ValueError(f"The language must be one of {', '.join(LANGS)}. Got {lang!r} instead.")
    path = Path(__file__).with_name(f"{lang}.yaml")
    # shipped with the code and trusted as it is, so read with libyaml where PyYAML has it (0.3 s faster a start)
    return dict(yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


def t(lang: str, key: str, /, **values: Any) -> str:
    """The message ``key`` in ``lang`` with its placeholders filled in."""
    return catalogue(lang)[key].format(**values)


@dataclass(frozen=True)
class Message:
    """A message of the catalogue with its values, put into words in the reader's language when shown; as ``str``
    (and in f-strings) in English, the command line's language. A value that is itself a ``Message`` is put into
    words in the same language, and a value given as ``{"sv": ..., "en": ...}`` takes the reader's."""

    key: str
    values: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: str) -> str:
        return t(lang, self.key, **{k: v.text(lang) if isinstance(v, Message) else v[lang] if isinstance(v, dict)
                                    else v for k, v in self.values})

    def __str__(self) -> str:
        return self.text("en")

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def message(key: str, /, **values: Any) -> Message:
    return Message(key, tuple(values.items()))


def thousands(value: int) -> dict[str, str]:
    """A whole number for a ``Message`` value, grouped as each language writes it: 200,000 and 200 000."""
    return {"en": f"{value:,}", "sv": f"{value:,}".replace(",", "\u00a0")}


def number(lang: str, value: float, decimals: int | None = None, sign: bool = False) -> str:
    """A number as a reader of ``lang`` writes it: 3,5 in Swedish, 3.5 in English; with ``decimals`` places
    (else as short as it is) and a + before a positive number when ``sign``."""
    text = f"{value:{'+' if sign else ''}{f'.{decimals}f' if decimals is not None else 'g'}}"
    return text.replace(".", ",") if lang == "sv" else text

