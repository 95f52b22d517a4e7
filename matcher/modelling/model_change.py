"""A case's risk level computed by another model than the one now active: both levels and both model ids, for the
notice social workers see on the recommendation page (issue 16)."""

from __future__ import annotations

from typing import Any

from matcher.i18n import t


def model_change(saved: dict[str, Any] | None, now: dict[str, Any], lang: str) -> dict[str, str] | None:
    """Compare the saved recommendation ``saved`` (an ``explain`` result as it was kept, or None) with ``now``
    (the same case explained with the active model). None when nothing was saved or the model is the same;
    else the two model ids, the two levels in ``lang`` and the notice's text."""
    if saved is None or saved["version"]["model"] == now["version"]["model"]:
        return None
    out = {"then_model": saved["version"]["model"], "then_level": t(lang, f"risk.{saved['risk']['level']}"),
           "now_model": now["version"]["model"], "now_level": t(lang, f"risk.{now['risk']['level']}")}
    return {**out, "text": t(lang, "risk.model_changed", **out)}
