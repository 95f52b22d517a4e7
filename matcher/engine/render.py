"""Plain-text rendering of an explained result and of an intervention card."""

from __future__ import annotations

from typing import Any

from matcher.engine.scoring import TERMS
from matcher.i18n import number, t


def result_text(res: dict[str, Any], lang: str = "sv") -> str:
    lines = [t(lang, "text.case", case_id=res["case_id"]) + (f" {t(lang, 'text.synthetic')}" if res["synthetic"]
                                                              else "")]
    lines += act_first_lines(res["act_first"], lang)
    risk = res["risk"]
    lines.append(t(lang, "text.risk", level=risk["label"], score=number(lang, risk["score"])))
    if "note" in risk:
        lines.append(risk["note"])
    intercept = risk.get("intercept")  # a trained model's starting value; a result saved before issue 16 has none
    start = [t(lang, "text.intercept", value=number(lang, intercept, sign=True))] if intercept else []
    lines.append(t(lang, "text.points") + ": " + ", ".join(
        start + [f"{p['name']} ({p['rating']}) {number(lang, p['points'], sign=True)}" for p in risk["points"]]))
    names = {p["factor"]: p["name"] for p in risk["points"]}
    lines.append(t(lang, "text.need_profile") + ": " + ", ".join(names[f] for f in risk["need_profile"]))
    if risk["welfare_needs"]:
        lines.append(t(lang, "text.welfare_needs") + ": " + ", ".join(f"{w['name']} ({w['rating']})"
                                                                      for w in risk["welfare_needs"]))
    lines += ["", t(lang, "text.recommendations")]
    if "availability" in res:
        lines.append(caption(res["availability"], lang))
    if not res["recommendations"]:
        lines.append("  " + t(lang, "text.no_recommendations"))
    for rec in res["recommendations"]:
        terms = " + ".join(f"{t(lang, f'term.{name}')} {number(lang, rec['terms'][name], 2)}" for name in TERMS)
        lines.append(t(lang, "text.score_line", rank=rec["rank"], name=rec["name"], score=number(lang, rec["score"], 2),
                       terms=terms))
        lines += [f"   - {reason}" for reason in rec["reasons"]]
        if "availability" in res:
            lines += _availability_lines(res["availability"]["items"][rec["id"]])
    lines += ["", t(lang, "text.not_recommended")]
    for item in res["not_recommended"]:
        lines.append(f"  {item['name']}: " + " ".join(item["reasons"]))
    if res["warnings"]:
        lines += ["", t(lang, "text.warnings")]
        lines += [f"  ! {w['message']}" for w in res["warnings"]]
    short = {**res["version"], "rule_base": res["version"]["rule_base"][:19]}
    lines += ["", t(lang, "text.version", **short), t(lang, "text.decision_note")]
    return "\n".join(lines)


def act_first_lines(actions: list[dict[str, Any]], lang: str) -> list[str]:
    """The act-first actions, first in every text a person reads (empty when none is triggered)."""
    if not actions:
        return []
    lines = [t(lang, "text.act_first")]
    for action in actions:
        lines += [f"  !! {action['trigger']}", f"     {action['action']}",
                  f"     {t(lang, 'text.act_first_who')}: {action['who']} "
                  f"({t(lang, 'text.act_first_when.' + action['when_by'])})"]
    return [*lines, ""]


def _availability_lines(entry: dict[str, Any]) -> list[str]:
    lines = [f"   [{entry['label']}] {entry['text']}"]
    if "fidelity_warning" in entry:
        lines.append(f"   ! {entry['fidelity_warning']}")
    if "alternative" in entry:
        lines.append(f"   > {entry['alternative']['text']}")
    return lines


def card_text(card: dict[str, Any], lang: str = "sv") -> str:
    lines = []
    if card["do_not_offer"]:
        lines += [t(lang, "lookup.do_not_offer", message=w["message"]) for w in card["warnings"]
                  if w["code"] == "do_not_offer"]
    lines.append(t(lang, "lookup.card", name=card["name"], id=card["id"]))
    lines.append(card["summary"])
    lines += [f"  {key}: {value}" for key, value in card["facts"].items()]
    if card["eligibility"]:
        lines.append(f"  {t(lang, 'card.eligibility')}:")
        lines += [f"    - {part}" for part in card["eligibility"]]
    if card["contraindications"]:
        lines.append(f"  {t(lang, 'card.contraindications')}:")
        lines += [f"    - {c['when']}: {c['reason']} ({t(lang, 'card.source')}: {c['source']}; {c['confidence_label']})"
                  for c in card["contraindications"]]
    lines.append(f"  {t(lang, 'card.strength')}: {card['strength_label']}")
    lines += [f"  - {e['clearinghouse']}: {e['rating_label']} ({e['source']}, {e['read']})" for e in card["evidence"]]
    lines += [f"  ! {w['message']}" for w in card["warnings"] if w["code"] != "do_not_offer"]
    return "\n".join(lines)


def caption(available: dict[str, Any], lang: str) -> str:
    """Which catalogue the availability comes from, and that it does not change the ranking."""
    if available["catalogue_version"] is None:
        return t(lang, "availability.file", unit=available["unit"])
    return t(lang, "availability.version", unit=available["unit"], version=available["catalogue_version"])
