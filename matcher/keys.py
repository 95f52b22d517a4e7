"""The outside key: one secret kept outside the database and the data folder, from which every keyed hash
is derived (personnummer look-up, the audit chain and its checkpoints, case-row seals, model signatures).

Where it is looked for, in order: ``INSATSMATCH_HMAC_KEY`` (hex, at least 32 bytes), else the file named by
``INSATSMATCH_KEY_FILE``, else ``$XDG_CONFIG_HOME/insatsmatch/hmac.key`` (``~/.config/insatsmatch/hmac.key``).
A key is only created when the caller says that nothing keyed exists yet (a new, empty database); otherwise a
missing key is an error that says where it was looked for. Every part derives its own subkey with
``subkey(key, purpose)``, so one key never signs two kinds of thing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

MIN_BYTES = 32


class OutsideKeyError(Exception):
    """The outside key is missing, malformed or too short; the message says which and where it was looked for."""


def key_file() -> Path:
    """The key file in use when ``INSATSMATCH_HMAC_KEY`` is not set."""
    named = os.environ.get("INSATSMATCH_KEY_FILE")
    if named:
        return Path(named)
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "insatsmatch" / "hmac.key"


def where() -> str:
    """Where the key is looked for, in words for an error message."""
    return f"INSATSMATCH_HMAC_KEY is not set and the key file {key_file()} (INSATSMATCH_KEY_FILE)"


def _parse(text: str, origin: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise OutsideKeyError(f"{origin}: expected the key as hexadecimal digits (0-9, a-f); found "
                              f"{len(text.strip())} characters that are not. Generate one with `python -c "
                              f"\"import secrets; print(secrets.token_hex(32))\"`") from None
    if len(key) < MIN_BYTES:
        raise OutsideKeyError(f"{origin}: the key has {len(key)} bytes; at least {MIN_BYTES} are required. "
                              f"Generate one with `python -c \"import secrets; print(secrets.token_hex(32))\"`")
    return key


def load(create: bool = False) -> bytes:
    """The outside key. ``create=True`` writes a new random key file (owner-only) when none exists: pass it only
    when nothing keyed has been stored yet, or lookups and verification would silently break."""
    env = os.environ.get("INSATSMATCH_HMAC_KEY")
    if env is not None:
        return _parse(env, "INSATSMATCH_HMAC_KEY")
    path = key_file()
    if not path.exists():
        if not create:
            raise OutsideKeyError(f"the outside key is missing: {where()} does not exist. Restore the key this "
                                  f"database was created with (docs/security.md, 'Keys'); a new key cannot read "
                                  f"existing data")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(MIN_BYTES))
    return _parse(path.read_text(encoding="ascii", errors="replace"), str(path))


def subkey(key: bytes, purpose: str) -> bytes:
    """The key for one purpose (e.g. ``"personnummer"``, ``"audit-chain"``, ``"model-registry"``)."""
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()


def check_value(key: bytes) -> str:
    """A short public fingerprint of the key, stored beside keyed data so a wrong key is named as such."""
    return hmac.new(key, b"key-check-value", hashlib.sha256).hexdigest()[:16]
