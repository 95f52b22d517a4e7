"""CaseStore: every read and write of case data, permission-checked and audited in one transaction.

Each public method opens one transaction: it checks the acting user's permission (``matcher.auth``),
does its work, and appends its audit entry; all of it commits together or not at all. A denied attempt
is itself logged. The command line and the app call these methods and nothing below them.
"""

from __future__ import annotations

from matcher.store.audit_reading import AuditRecords
from matcher.store.cases import CaseRecords
from matcher.store.catalogues import CatalogueRecords
from matcher.store.decisions import DecisionRecords
from matcher.store.effects import EffectRecords
from matcher.store.follow_ups import FollowUpRecords
from matcher.store.model_events import ModelEventRecords
from matcher.store.rule_versions import RuleRecords
from matcher.store.sessions import LoginRecords
from matcher.store.sig import SigRecords
from matcher.store.users import UserRecords


class CaseStore(LoginRecords, UserRecords, CaseRecords, DecisionRecords, SigRecords, FollowUpRecords,
                CatalogueRecords, RuleRecords, ModelEventRecords, AuditRecords, EffectRecords):
    """The one store the app and the command line use: each aggregate in its own module, every call through
    ``core.StoreCore._tx`` (permission, work and audit entry in one transaction)."""
