"""Errors a person can act on: each names the place, what was expected and what was found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matcher.i18n import Message, catalogue, message

SHOWN_CHARACTERS = 80


def shown(value: object, limit: int = SHOWN_CHARACTERS) -> str:
    """A value found in the input, as a message quotes it: its repr, cut after ``limit`` characters (a 10 MB
    cell is never echoed whole), control and escape characters made visible."""
    try:
        text = value if isinstance(value, str) else repr(value)
    except ValueError:  # an integer longer than Python converts to text (4,300 digits)
        return f"a whole number of about {int(value.bit_length() * 0.30103):,} digits"  # type: ignore[attr-defined]
    cut = text[:limit]
    quoted = repr(cut) if isinstance(value, str) else cut
    return quoted + (f" ... ({len(text):,} characters)" if len(text) > limit else "")


def listed(names: list[str], at_most: int = 20) -> str:
    """Names found in the input (a file's columns), each as printable and short as ``shown`` makes it."""
    shown_names = [name if name.isprintable() and len(name) <= SHOWN_CHARACTERS else shown(name)
                   for name in names[:at_most]]
    return ", ".join(shown_names) + (f" and {len(names) - at_most} more" if len(names) > at_most else "")


class InputError(Exception):
    """Bad input from a user: a case file, a command-line argument, an unknown id.

    The command line prints the message and exits with code 2; the app shows it, in the reader's language when
    ``key`` names a message of ``matcher.i18n`` (filled in with ``values``) or its lines are ``details``.
    """

    def __init__(self, message: str, *, key: str | None = None, details: tuple[Message, ...] = (), **values: str):
        super().__init__(message)
        self.key = key
        self.values = values
        self.details = details  # the message line by line, for the reader's language (``message`` in English)

    @classmethod
    def worded(cls, *lines: Message) -> InputError:
        """An error of one or more lines, each a message of the catalogue."""
        return cls("\n".join(map(str, lines)), details=lines)


@dataclass(frozen=True)
class Problem:
    """One problem in a rule file, located by file, line and YAML path."""

    file: str
    line: int | None
    path: str
    message: str  # in English, as the command line shows it
    said: Message | None = field(default=None, compare=False)  # the message for the app, in the reader's language

    @classmethod
    def of(cls, file: str, line: int | None, path: str, said: Message) -> Problem:
        return cls(file, line, path, str(said), said)

    def text(self, lang: str) -> str:
        return self.said.text(lang) if self.said else self.message

    def located(self, lang: str) -> str:
        """The problem at its place, in the reader's language."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.text(lang)}" if self.path else f"{where}: {self.text(lang)}"

    def __str__(self) -> str:
        return self.located("en")  # a message's English is ``message``


class ConflictError(Exception):
    """Someone else saved the same record first; nothing was overwritten."""


class RuleBaseError(Exception):
    """A rule base that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        count = len(problems)
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the rule base:\n{lines}")


class CheckFailed(ValueError):
    """A check of our own inside a pydantic model failed; carries its message for the reader's language."""

    def __init__(self, said: Message):
        self.said = said
        super().__init__(str(said))


def validation_message(err: Any) -> Message:
    """One pydantic error (an item of ``ValidationError.errors()``) in words: in English pydantic's own message,
    in Swedish the catalogue's ``pydantic.<type>`` (with pydantic's context: limits, the values expected), or our
    own check's message; a type the catalogue lacks keeps pydantic's words inside a Swedish sentence."""
    context = err.get("ctx") or {}
    if isinstance(context.get("error"), CheckFailed):
        return context["error"].said
    text = err["msg"].removeprefix("Value error, ")
    key = f"pydantic.{err['type']}"
    if key not in catalogue("sv"):
        return message("pydantic.other", msg=text)
    values = {k: v for k, v in context.items() if k != "error"}
    if "expected" in values:
        values["expected"] = {"en": values["expected"], "sv": str(values["expected"]).replace(" or ", " eller ")}
    return message(key, msg=text, **values)
