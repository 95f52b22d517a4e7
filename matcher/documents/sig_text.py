"""The SIG meeting view in words, for the page and the SIP alike: changes since the last meeting, task reports,
what consent covers per agency, homecoming warnings and the short version stamp."""

from __future__ import annotations

from typing import Any

from matcher.i18n import t
from matcher.rulebase.loading import RuleBase
from matcher.store.consents import CATEGORIES, Coverage
from matcher.store.homecoming import HomecomingWarning
from matcher.store.sig import Report
from matcher.store.sig_changes import Change

STAMP_HEX = 8  # hex digits of the rule-base hash in a short version stamp


def insats_name(rules: RuleBase, insats: str, lang: str) -> str:
    return rules.interventions[rules.index(insats)].model.name.get(lang) if insats in rules.ids else insats


def fact_value(rules: RuleBase, fact_id: str, value: str | None, lang: str) -> str:
    """A context value (school or work, placement) in words; '-' when none was recorded before."""
    fact = rules.catalogue.fact(fact_id)
    if value is None or value not in (fact.values or []):
        return value or "-"
    return rules.catalogue.context_label(fact, fact.values.index(value), lang)  # type: ignore[union-attr]


def change_text(change: Change, rules: RuleBase, lang: str) -> str:
    values: dict[str, Any] = {**change.values, "date": change.on.isoformat()}
    if change.kind in ("school", "placement"):
        fact = "school_work_status" if change.kind == "school" else "placement"
        values |= {k: fact_value(rules, fact, change.values[k], lang) for k in ("before", "after")}
    if "insats" in values:
        values["insats"] = insats_name(rules, values["insats"], lang)
    if change.kind == "report":
        values |= {"agency": t(lang, f"actor.{values['agency']}"),
                   "status": report_text(Report(values["done"], values["why"], change.on, ""), lang, by=False)}
    return t(lang, f"sig.change.{change.kind}", **values)


def report_text(report: Report | None, lang: str, by: bool = True) -> str:
    if report is None:
        return t(lang, "sig.report.none")
    text = t(lang, "sig.report.done") if report.done else t(lang, "sig.report.not_done", why=report.why)
    return text + (" " + t(lang, "sig.report.by", by=report.by, date=report.reported_on.isoformat()) if by else "")


def coverage_text(agency: str, coverage: dict[str, Coverage], lang: str) -> str:
    """What an agency may see today: the categories a valid consent covers, or that it sees nothing."""
    shown = [t(lang, f"sig.category.{c}") for c in CATEGORIES if coverage[c].shown]
    name = t(lang, f"actor.{agency}")
    if not shown:
        return t(lang, "sig.coverage.none", agency=name)
    return t(lang, "sig.coverage.some", agency=name, categories=", ".join(shown))


def warning_text(warning: HomecomingWarning, lang: str) -> str:
    return t(lang, f"sig.homecoming.warning.{warning.kind}", part=t(lang, f"sig.homecoming.part.{warning.part}"),
             due=warning.due_on.isoformat() if warning.due_on else "-", discharge=warning.discharge_on.isoformat())


def held_up_text(lang: str, held_up: str | None) -> str:
    """How a homecoming part held up after the young person came home; '-' while not recorded."""
    return t(lang, f"sig.homecoming.held.{held_up}") if held_up else "-"


def short_stamp(version: dict[str, str] | None, lang: str) -> str:
    """The version stamp with the rule-base hash cut to its first hex digits (enough to find the version)."""
    if not version:
        return t(lang, "export.no_version")
    rule_base = version["rule_base"].removeprefix("sha256:")[:STAMP_HEX]
    return t(lang, "text.version", **{**version, "rule_base": rule_base})
