"""Free text the store saves (views, goals, reasons) never carries a personnummer: the case code identifies the
young person, and a personnummer is kept only as a keyed HMAC (``personnummer.py``). Checked before anything is
saved, so a refused call leaves no trace but its audit entry."""

from __future__ import annotations

from collections.abc import Iterable

from matcher.engine.identifiers import personnummer_in
from matcher.errors import InputError


def refuse_personnummer(where: str, fields: Iterable[tuple[str, str]]) -> None:
    """``fields``: (name, text) pairs; the first that holds a personnummer is refused, named by ``where`` and name."""
    for name, text in fields:
        if personnummer_in(text):
            raise InputError(f"{where}, {name}: holds what reads as a personnummer or samordningsnummer (a date and "
                             f"a valid check digit); a personnummer is never stored in clear. Write the text "
                             f"without it: the case code identifies the young person")
