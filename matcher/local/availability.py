"""Availability beside each recommendation: offered, waited for, or not offered in the unit's local catalogue;
a warning for a programme offered without a valid licence; and, for an insats the unit cannot give, the
nearest offered alternative that targets the same needs.

The ranking is by need and evidence alone; nothing here changes a score or an order.

The nearest alternative is, among the insatser eligible for this case and offered by the unit, the one
that covers most of the need the missing insats targets for this young person: the share
sum_f need_f * min(t_f(missing), t_f(other)) / sum_f need_f * t_f(missing) over the factors f, with t the
target weights of the rule base and need the case's need profile (its dynamic risk points). Where the
case has no need among the missing insats' targets, every target counts with need 1. Ties go to the
higher match score for this case, then to rule-base order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from matcher.engine.matching import CaseDetail, MatchResult
from matcher.engine.scoring import scoring_tables
from matcher.i18n import number, t
from matcher.local.catalogue import LocalCatalogue, Offer
from matcher.rulebase.loading import RuleBase

SHOWN_SHARED = 3


def status(offer: Offer | None) -> str:
    """offered, waiting (offered with a waiting time), not_offered, or unlisted (not in the catalogue)."""
    if offer is None:
        return "unlisted"
    if not offer.offered:
        return "not_offered"
    return "waiting" if offer.waiting_weeks else "offered"


def availability(result: MatchResult, n: int, catalogue: LocalCatalogue, version: int | None, on: dt.date,
                 lang: str = "sv") -> dict[str, Any]:
    """Case n's recommendations against the unit's catalogue at ``on``: {unit, catalogue_version, on, items:
    {insats id: entry}}; ``version`` is the saved version, None for a catalogue file not saved in the store."""
    rules = result.rules
    case = result.detail(n)
    items = {}
    for i in case.top:
        iid = rules.interventions[i].id
        offer = catalogue.offer(iid)
        state = status(offer)
        entry: dict[str, Any] = {"status": state, "label": t(lang, f"availability.{state}"),
                                 "text": offer_text(rules, iid, offer, catalogue.unit, lang)}
        warning = fidelity_warning(rules, iid, offer, on, lang)
        if warning:
            entry["fidelity_warning"] = warning
        if state in ("not_offered", "unlisted"):
            entry["alternative"] = nearest_alternative(rules, case, i, catalogue, lang)
        items[iid] = entry
    return {"unit": catalogue.unit, "catalogue_version": version, "on": on.isoformat(), "items": items}


def offer_text(rules: RuleBase, iid: str, offer: Offer | None, unit: str, lang: str) -> str:
    name = rules.interventions[rules.index(iid)].model.name.get(lang)
    if offer is None:
        return t(lang, "availability.text.unlisted", name=name, unit=unit)
    if not offer.offered:
        return t(lang, "availability.text.not_offered", name=name, unit=unit) + _note(offer)
    parts = [t(lang, f"provider.{offer.provider}") + (f" ({offer.provider_name})" if offer.provider_name else "")]
    if offer.waiting_weeks:
        parts.append(t(lang, "availability.waiting_weeks", weeks=number(lang, offer.waiting_weeks)))
    if offer.capacity is not None:
        parts.append(t(lang, "availability.capacity", places=offer.capacity))
    if offer.contact:
        parts.append(t(lang, "availability.contact", contact=offer.contact))
    return t(lang, "availability.text.offered", unit=unit, details="; ".join(parts)) + _note(offer)


def _note(offer: Offer) -> str:
    return f" {offer.note}" if offer.note else ""


def fidelity_warning(rules: RuleBase, iid: str, offer: Offer | None, on: dt.date, lang: str) -> str | None:
    """For a programme that needs a licence or certification and is offered without a valid one."""
    model = rules.interventions[rules.index(iid)].model
    if model.fidelity is None or offer is None or not offer.offered or offer.licensed(on):
        return None
    state = (t(lang, "fidelity.expired", kind=offer.licence.kind, until=offer.licence.valid_until.isoformat())
             if offer.licence else t(lang, "fidelity.none"))
    return t(lang, "fidelity.warning", name=model.name.get(lang), state=state,
             requires=model.fidelity.requires.get(lang), why=model.fidelity.why.get(lang), source=model.fidelity.source)


def nearest_alternative(rules: RuleBase, case: CaseDetail, i: int, catalogue: LocalCatalogue,
                        lang: str) -> dict[str, Any]:
    """The offered insats eligible for this case that covers most of what insats i targets for it, or None."""
    name, kind = rules.interventions[i].model.name.get(lang), rules.interventions[i].model.type
    targets = scoring_tables(rules).targets  # F x I
    weight = case.needs if float(case.needs @ targets[:, i]) > 0 else np.ones(len(case.needs))
    wanted = weight * targets[:, i]
    if not wanted.any():  # an insats without targets (a placement, a court sanction) has no like
        return {"id": None, "text": t(lang, "availability.no_alternative", name=name)}
    best: tuple[float, float, int] | None = None  # (share, score, -index): the largest wins
    for j, iv in enumerate(rules.interventions):
        offer = catalogue.offer(iv.id)
        if j == i or not case.eligible[j] or offer is None or not offer.offered or iv.model.type != kind:
            continue  # only an insats of the same kind stands in (defector support never by family therapy)
        key = (float(np.minimum(wanted, weight * targets[:, j]).sum() / wanted.sum()), float(case.score[j]), -j)
        if key[0] > 0 and (best is None or key > best):
            best = key
    if best is None:
        return {"id": None, "text": t(lang, "availability.no_alternative", name=name)}
    share, j = best[0], -best[2]
    alternative = rules.interventions[j]
    cat = rules.catalogue
    covered = np.minimum(wanted, weight * targets[:, j])
    shared = [cat.factors[f].name.get(lang) for f in np.argsort(-covered, kind="stable")[:SHOWN_SHARED]
              if covered[f] > 0]
    rank = case.top.index(j) + 1 if j in case.top else None
    return {"id": alternative.id, "name": alternative.model.name.get(lang), "share": round(share, 2),
            "shared": shared,
            "text": t(lang, "availability.alternative", alternative=alternative.model.name.get(lang), name=name,
                      share=round(100 * share), needs=", ".join(shared),
                      ranked=t(lang, "availability.ranked", rank=rank) if rank else
                      t(lang, "availability.not_ranked", score=number(lang, round(float(case.score[j]), 2))),
                      offer=offer_text(rules, alternative.id, catalogue.offer(alternative.id), catalogue.unit,
                                       lang))}
