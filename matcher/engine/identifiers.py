"""Direct identifiers that must never be stored in clear: a personnummer or samordningsnummer found inside a
case code or a free-text field (a plan goal, a view, a reason) is refused before anything is saved.

The pattern is deliberately wide (10 or 12 digits, with or without a separator, anywhere in the text) and then
narrowed by the date and the check digit, so a phone number or an amount rarely trips it while a typed
personnummer always does.
"""

from __future__ import annotations

import datetime as dt
import re

CANDIDATE = re.compile(r"(?<!\d)(?:(?:19|20)?\d{2})(\d{2})(\d{2})[-+ ]?\d{4}(?!\d)")


def _luhn_ok(ten: str) -> bool:
    total = 0
    for i, ch in enumerate(ten):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _plausible(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    ten = digits[-10:]
    month, day = int(ten[2:4]), int(ten[4:6])
    day -= 60 if day > 60 else 0  # a samordningsnummer adds 60 to the day
    try:
        dt.date(2000, month, day)  # a leap year, so 29 February passes
    except ValueError:
        return False
    return _luhn_ok(ten)


def personnummer_in(text: str) -> bool:
    """True when ``text`` holds something that is a valid personnummer or samordningsnummer."""
    return any(_plausible(m.group(0)) for m in CANDIDATE.finditer(text))
