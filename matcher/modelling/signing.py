"""Trust in a registry entry: signed on this machine, or shipped with Insatsmatch and pinned here.

An entry (id, status, file digests, history) is trusted when either
- its ``signature`` is the HMAC-SHA256 of the entry's canonical JSON under the outside key's
  ``"model-registry"`` subkey (``matcher.keys``); ``register``, ``promote`` and ``retire`` write it, or
- the SHA-256 of its canonical JSON is listed in ``SHIPPED``: the entries committed in the repository's
  ``models/registry.json``. A signature made with a developer's key means nothing on a machine with another
  outside key, so a shipped entry is trusted by this list in the package instead, exactly as shipped. Once it
  is promoted or retired on a machine, its entry changes and is signed with that machine's key.

The canonical JSON covers the model file's and the card's SHA-256, so trusting the entry trusts their bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from matcher import keys
from matcher.errors import InputError

PURPOSE = "model-registry"
PREFIX = "hmac-sha256:"

# SHA-256 of the canonical JSON of each entry committed in models/registry.json (`matcher models show ID`
# prints it). Update it only together with the committed entry, in the same reviewed commit.
SHIPPED = {
    "d784d60c68a004f17f4ef103953e70e47c83fcd9f03f24ecd5b3042861652407": "logistic-20261203-4276f2cb",
}


def canonical(item: dict[str, Any]) -> bytes:
    """The entry without its signature, as sorted, compact UTF-8 JSON: what is signed and pinned."""
    unsigned = {k: v for k, v in item.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_digest(item: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(item)).hexdigest()


def registry_key() -> bytes:
    """The subkey that signs registry entries; a missing outside key is a user error that says where to put it."""
    try:
        return keys.subkey(keys.load(), PURPOSE)
    except keys.OutsideKeyError as exc:
        raise InputError(f"models/registry.json: signing or checking a model entry needs the outside key: {exc}") \
            from None


def _signature(item: dict[str, Any], key: bytes) -> str:
    return PREFIX + hmac.new(key, canonical(item), hashlib.sha256).hexdigest()


def signed(item: dict[str, Any]) -> dict[str, Any]:
    """The entry with a fresh signature under this machine's outside key."""
    return {**item, "signature": _signature(item, registry_key())}


def unsigned(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "signature"}


def trust(item: dict[str, Any]) -> str:
    """Why the entry is trusted ("shipped" or "signed"), or an empty string when it is not."""
    if entry_digest(item) in SHIPPED:
        return "shipped"
    signature = item.get("signature")
    if isinstance(signature, str) and hmac.compare_digest(signature, _signature(item, registry_key())):
        return "signed"
    return ""


def verify(item: dict[str, Any], where: str) -> None:
    """Raise InputError unless the entry is trusted; ``where`` names it (file and JSON path)."""
    if trust(item):
        return
    what = "has no signature" if not item.get("signature") else "has a signature that does not match"
    raise InputError(f"{where} (model {item.get('id')}): the entry {what}: it was written or changed outside "
                     f"matcher's model commands, or signed with another outside key. Its model is not loaded and "
                     f"cannot be promoted. Restore registry.json from your backup, or train and register the "
                     f"model again on this machine (docs/security.md, 'Models')")
