"""A unit's local catalogue as numbered versions, and the service-gap report over its cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.auth import Action, Principal, authorize
from matcher.errors import InputError
from matcher.i18n import swedish_today
from matcher.local.catalogue import LocalCatalogue, StoredCatalogue
from matcher.local.gaps import GapReport, PlanItemRecord, StoredRecommendation, gap_report
from matcher.store.core import StoreCore, existing_unit
from matcher.store.free_text import refuse_personnummer
from matcher.store.tables import (
    Case,
    CatalogueVersion,
    Plan,
    PlanItem,
    Recommendation,
    Unit,
)


class CatalogueRecords(StoreCore):
    """Local catalogue versions and the gap report."""


    def units(self, who: Principal) -> list[str]:
        """The units whose catalogue ``who`` may read: the own unit, or every unit for a user without one."""
        with self._tx(who, "unit.list") as session:
            authorize(who, Action.CATALOGUE_READ)
            if who.unit is not None:
                return [who.unit]
            return list(session.scalars(select(Unit.code).order_by(Unit.code)))

    def save_catalogue(self, who: Principal, catalogue: LocalCatalogue, reason: str) -> tuple[int, bool]:
        """Record the unit's catalogue (validated by ``local_catalogue``) as its next version:
        (the version, whether it was new; an unchanged catalogue keeps its version)."""
        if not reason.strip():
            raise InputError("catalogue save: a reason is required; say why the catalogue changed")
        refuse_personnummer(f"catalogue save for unit {catalogue.unit}", [("reason", reason)])
        with self._tx(who, "catalogue.save", detail=f"{catalogue.unit}: {reason}") as session:
            authorize(who, Action.CATALOGUE_WRITE, catalogue.unit)
            unit = existing_unit(session, catalogue.unit, lock=True)  # two saves at once get numbers in turn
            latest = _latest_catalogue(session, unit)
            offers = catalogue.model_dump(mode="json")["offers"]
            if latest is not None and latest.offers == offers:
                return latest.version, False
            version = (latest.version if latest else 0) + 1
            session.add(CatalogueVersion(unit_id=unit.id, version=version, offers=offers, author=who.username,
                                         reason=reason))
            return version, True

    def catalogue(self, who: Principal, unit: str, version: int | None = None) -> StoredCatalogue | None:
        """The unit's catalogue, the newest or a given version; None when the unit has none yet."""
        with self._tx(who, "catalogue.read", detail=f"{unit} {version or 'latest'}") as session:
            authorize(who, Action.CATALOGUE_READ, unit)
            unit_row = existing_unit(session, unit)
            if version is None:
                row = _latest_catalogue(session, unit_row)
            else:
                row = session.scalar(select(CatalogueVersion).where(CatalogueVersion.unit_id == unit_row.id,
                                                                    CatalogueVersion.version == version))
                if row is None:
                    raise InputError(f"unit {unit} has no catalogue version {version}; 'matcher catalogue log "
                                     f"--unit {unit}' lists them")
            return _stored_catalogue(unit, row) if row else None

    def catalogue_log(self, who: Principal, unit: str) -> list[dict[str, Any]]:
        with self._tx(who, "catalogue.log", detail=unit) as session:
            authorize(who, Action.CATALOGUE_READ, unit)
            unit_row = existing_unit(session, unit)
            rows = session.scalars(select(CatalogueVersion).where(CatalogueVersion.unit_id == unit_row.id)
                                   .order_by(CatalogueVersion.version.desc()))
            return [{"version": r.version, "saved_at": r.saved_at, "author": r.author, "reason": r.reason,
                     "offers": len(r.offers), "offered": sum(1 for o in r.offers if o["offered"])} for r in rows]

    def gap_report(self, who: Principal, unit: str, start: dt.date, end: dt.date, top_k: int | None = None,
                   today: dt.date | None = None) -> GapReport:
        """The service-gap report of a unit for a period (``gaps.py``): counts only, no case leaves here."""
        if end < start:
            raise InputError(f"gap report: the period ends ({end}) before it starts ({start})")
        most = self.rules.policy.top_k
        top_k = most if top_k is None else top_k
        if not 1 <= top_k <= most:
            raise InputError(f"gap report: top k must be from 1 to {most}, the number of recommendations a saved "
                             f"result holds (policy.yaml top_k); found {top_k}")
        with self._tx(who, "report.gaps", detail=f"{unit} {start}..{end} top {top_k}") as session:
            authorize(who, Action.REPORTS_READ, unit)
            unit_row = existing_unit(session, unit)
            in_unit = select(Case.id).where(Case.unit_id == unit_row.id)
            recommendations = [StoredRecommendation(r.case_id, r.created_at, r.result, synthetic) for r, synthetic in
                               session.execute(select(Recommendation, Case.synthetic)
                                               .join(Case, Case.id == Recommendation.case_id)
                                               .where(Case.unit_id == unit_row.id).order_by(Recommendation.id))]
            catalogues = [_stored_catalogue(unit, r) for r in session.scalars(
                select(CatalogueVersion).where(CatalogueVersion.unit_id == unit_row.id)
                .order_by(CatalogueVersion.version))]
            items = [PlanItemRecord(case_id, i.intervention, i.status, i.start_on, i.follow_up_on,
                                    i.sessions_delivered, i.hours_delivered) for case_id, i in session.execute(
                select(Plan.case_id, PlanItem).join(Plan, Plan.id == PlanItem.plan_id)
                .where(Plan.case_id.in_(in_unit)).order_by(PlanItem.id))]
        return gap_report(self.rules, unit, start, end, top_k, recommendations, catalogues, items,
                          today or swedish_today())



def _latest_catalogue(session: Session, unit: Unit) -> CatalogueVersion | None:
    return session.scalar(select(CatalogueVersion).where(CatalogueVersion.unit_id == unit.id)
                          .order_by(CatalogueVersion.version.desc()).limit(1))


def _stored_catalogue(unit: str, row: CatalogueVersion) -> StoredCatalogue:
    return StoredCatalogue(LocalCatalogue.model_validate({"unit": unit, "offers": row.offers}), row.version,
                           row.saved_at, row.author, row.reason)
