"""Swedish personal identity numbers: validated, then kept only as a keyed HMAC for look-up.

The key is a subkey of the outside key (``matcher.keys``), kept outside the database and the data folder.
Without it, a stored HMAC cannot be linked back to a person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

from matcher.errors import InputError
from matcher.i18n import swedish_today

PATTERN = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})$")


def normalise(text: str, today: dt.date | None = None) -> str:
    """The 12-digit form YYYYMMDDNNNN of a valid personnummer or samordningsnummer."""
    today = today or swedish_today()
    shown = "a personnummer like YYYYMMDD-NNNN"
    match = PATTERN.match(text.strip().replace(" ", ""))
    if not match:
        raise InputError(f"personnummer: expected {shown}; found a value of {len(text.strip())} characters "
                         f"that does not have that form")
    century, yy, mm, dd, sep, tail = match.groups()
    if century is None:
        year = today.year - (today.year - int(yy)) % 100
        year -= 100 if sep == "+" else 0
        century = f"{year // 100:02d}"
    day = int(dd) - 60 if int(dd) > 60 else int(dd)  # samordningsnummer add 60 to the day
    try:
        dt.date(int(century + yy), int(mm), day)
    except ValueError:
        raise InputError(f"personnummer: the date part is not a real date; expected {shown}") from None
    ten = yy + mm + dd + tail
    if _luhn(ten) != 0:
        raise InputError("personnummer: the check digit does not match; check the number and try again")
    return century + ten


def birth_date(personnummer: str) -> dt.date:
    """The date of birth in a valid personnummer or samordningsnummer (its day less 60)."""
    twelve = normalise(personnummer)
    day = int(twelve[6:8])
    return dt.date(int(twelve[:4]), int(twelve[4:6]), day - 60 if day > 60 else day)


def _luhn(digits: str) -> int:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10


def pseudonym(personnummer: str, key: bytes) -> str:
    """The keyed HMAC-SHA256 of the normalised number, as hex."""
    return hmac.new(key, normalise(personnummer).encode(), hashlib.sha256).hexdigest()
