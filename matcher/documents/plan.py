"""The individual plan as a document to share: Markdown and PDF, in Swedish, with the version stamp.

It is the multi-agency view: another agency's items appear only while a valid consent covers that
agency (``CaseStore.shared_plan``); withheld items are counted with the reason, never shown.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF

from matcher.i18n import t
from matcher.rulebase.loading import RuleBase
from matcher.store.plans import SharedItem

LANG = "sv"
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def plan_lines(code: str, synthetic: bool, items: Sequence[SharedItem], rules: RuleBase,
               recommendation: dict[str, Any] | None, decision: dict[str, Any] | None, today: dt.date) -> list[str]:
    """The plan as Markdown lines (also the content of the PDF); the act-first actions of the latest saved
    recommendation come first, before any insats."""
    names = {iv.id: iv.model.name.get(LANG) for iv in rules.interventions}
    title = t(LANG, "export.title", code=code) + (f" {t(LANG, 'text.synthetic')}" if synthetic else "")
    lines = [f"# {title}", "", t(LANG, "export.date", date=today.isoformat()), ""]
    lines += _act_first(rules, (recommendation or {}).get("act_first", []))
    version = recommendation["version"] if recommendation else None
    if decision:
        lines += [f"## {t(LANG, 'export.views')}", "",
                  f"- {t(LANG, 'ui.decision.youth_view')}: {decision['youth_view'] or '-'}",
                  f"- {t(LANG, 'ui.decision.youth_goals')}: {decision['youth_goals'] or '-'}",
                  f"- {t(LANG, 'ui.decision.guardian_view')}: {decision['guardian_view'] or '-'}", ""]
    lines += [f"## {t(LANG, 'export.items')}", "",
              "| " + " | ".join(t(LANG, f"export.column.{c}") for c in ("insats", "actor", "goal", "start",
                                                                          "follow_up", "status")) + " |",
              "|---|---|---|---|---|---|"]
    shown = [s.item for s in items if s.shown]
    for item in shown:
        lines.append(f"| {names.get(item.intervention, item.intervention)} | {t(LANG, f'actor.{item.actor}')} | "
                     f"{item.goal} | {item.start_on} | {item.follow_up_on} | "
                     f"{t(LANG, f'export.status.{item.status}')} |")
    if not shown:
        lines.append("| - | - | - | - | - | - |")
    withheld = Counter((s.item.actor, s.reason(LANG)) for s in items if not s.shown)
    if withheld:
        lines += ["", f"## {t(LANG, 'export.withheld_title')}", ""]
        lines += [f"- {t(LANG, 'export.withheld', count=n, actor=t(LANG, f'actor.{actor}'), reason=reason)}"
                  for (actor, reason), n in sorted(withheld.items())]
    lines += ["", f"## {t(LANG, 'export.version_title')}", ""]
    lines.append(t(LANG, "text.version", **version) if version else t(LANG, "export.no_version"))
    lines += ["", t(LANG, "text.decision_note")]
    return lines


def _act_first(rules: RuleBase, saved: list[dict[str, Any]]) -> list[str]:
    """The saved act-first actions in Swedish (from the rule base by id; as saved when the id is gone)."""
    if not saved:
        return []
    current = {a.model.id: a.model for a in rules.act_first}
    lines = [f"## {t(LANG, 'text.act_first').rstrip(':')}", ""]
    for entry in saved:
        action = current.get(entry["id"])
        trigger, what, who = ((action.trigger.get(LANG), action.action.get(LANG), action.who.get(LANG)) if action
                              else (entry["trigger"], entry["action"], entry["who"]))
        when = t(LANG, f"text.act_first_when.{entry['when_by']}")
        lines += [f"- {trigger} {what} {t(LANG, 'text.act_first_who')}: {who} ({when}).", ""]
    return lines


def plan_markdown(lines: Sequence[str]) -> str:
    return "\n".join(lines) + "\n"


def plan_pdf(lines: Sequence[str]) -> bytes:
    """The same content laid out as an A4 PDF (DejaVu Sans, which has å, ä, ö and the dashes)."""
    pdf = FPDF(format="A4")
    pdf.set_title(lines[0].removeprefix("# "))
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    table: list[list[str]] = []
    for line in [*lines, ""]:
        if line.startswith("|"):
            if not line.startswith("|---"):
                table.append([cell.strip() for cell in line.strip("|").split("|")])
            continue
        if table:
            _table(pdf, table)
            table = []
        if line.startswith("# "):
            pdf.set_font("DejaVu", "B", 16)
            pdf.multi_cell(0, 9, line[2:], new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("## "):
            pdf.set_font("DejaVu", "B", 12)
            pdf.multi_cell(0, 8, line[3:], new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(0, 5.5, line or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _table(pdf: FPDF, rows: list[list[str]]) -> None:
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(34, 22, 50, 20, 20, 18), text_align="LEFT", line_height=5) as table:
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(cell)
