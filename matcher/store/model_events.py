"""Model registry changes (register, promote, retire) as audited acts of a logged-in evaluator.

The registry itself lives in the models folder (``matcher.modelling.registry``), which knows nothing of the
store. The command line and the app pass the registry change here as a function: it runs inside the store's
transaction, after the permission check, and the audit entry commits only when it succeeded. A refused change
(a failed gate, an unknown model) leaves no entry; a denied one is logged as denied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from matcher.auth import Action, Principal, authorize
from matcher.errors import InputError
from matcher.store.core import StoreCore

Result = TypeVar("Result")
ModelAction = Literal["register", "promote", "retire"]
DETAIL = 500  # characters of the reason kept in the audit entry; the registry keeps all of it


class ModelEventRecords(StoreCore):
    """Changes to the model registry, permission-checked (``Action.MODELS_MANAGE``) and audited."""

    def change_models(self, who: Principal, action: ModelAction, model_id: str, reason: str,
                      change: Callable[[], Result], forced: bool = False) -> Result:
        """Run ``change`` (the registry write) as ``who``; the audit entry ``models.<action>`` names the model,
        whether the promotion was forced past the gates, and the reason."""
        if not reason.strip():
            raise InputError(f"models {action} {model_id}: say why (--reason); the reason is kept in the registry "
                             f"and the audit log")
        detail = f"{model_id}{' (forced)' if forced else ''}: {' '.join(reason.split())[:DETAIL]}"
        with self._tx(who, f"models.{action}", detail=detail):
            authorize(who, Action.MODELS_MANAGE)
            return change()
