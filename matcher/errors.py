"""Errors a person can act on: each names the place, what was expected and what was found."""

from __future__ import annotations

from dataclasses import dataclass

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
    ``key`` names a message of ``matcher.i18n`` (filled in with ``values``).
    """

    def __init__(self, message: str, *, key: str | None = None, **values: str):
        super().__init__(message)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Problem:
    """One problem in a rule file, located by file, line and YAML path."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConflictError(Exception):
    """Someone else saved the same record first; nothing was overwritten."""


class RuleBaseError(Exception):
    """A rule base that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        count = len(problems)
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the rule base:\n{lines}")
