"""The individual plan as a document to share: Markdown and PDF, in Swedish, with the version stamp.

It is the multi-agency view: another agency's items appear only while a valid consent covers that
agency (``CaseStore.shared_plan``); withheld items are counted with the reason, never shown.

What people wrote (goals, the young person's and the guardians' views) is escaped for Markdown (``text``): a
``|`` stays inside its table cell, line breaks become spaces, and ``*_`[]<>~&\\`` show as themselves instead of
formatting or HTML. The PDF is laid out from the same lines, unescaped; a table cell longer than ``CELL_LIMIT``
characters is shortened in the table and printed in full after it, since a table row cannot span pages.
"""

from __future__ import annotations

import datetime as dt
import re
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
CELL_LIMIT = 400  # characters of a table cell in the PDF; the rest follows the table
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_ESCAPED = re.compile(r"\\(.)")
_CELL_BORDER = re.compile(r"(?<!\\)\|")


def text(value: str) -> str:
    """User text as it must stand in a Markdown line or table cell: on one line, every special character
    escaped, so it reads as written and cannot break the table or the layout."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def _plain(markdown: str) -> str:
    return _ESCAPED.sub(r"\1", markdown)


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
                  f"- {t(LANG, 'ui.decision.youth_view')}: {text(decision['youth_view'] or '-')}",
                  f"- {t(LANG, 'ui.decision.youth_goals')}: {text(decision['youth_goals'] or '-')}",
                  f"- {t(LANG, 'ui.decision.guardian_view')}: {text(decision['guardian_view'] or '-')}", ""]
    lines += [f"## {t(LANG, 'export.items')}", "",
              "| " + " | ".join(t(LANG, f"export.column.{c}") for c in ("insats", "actor", "goal", "start",
                                                                          "follow_up", "status")) + " |",
              "|---|---|---|---|---|---|"]
    shown = [s.item for s in items if s.shown]
    for item in shown:
        lines.append(f"| {names.get(item.intervention, item.intervention)} | {t(LANG, f'actor.{item.actor}')} | "
                     f"{text(item.goal)} | {item.start_on} | {item.follow_up_on} | "
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
    pdf.set_title(_plain(lines[0].removeprefix("# ")))
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    table: list[list[str]] = []
    for line in [*lines, ""]:
        if line.startswith("|"):
            if not line.startswith("|---"):
                table.append([_plain(cell.strip()) for cell in _CELL_BORDER.split(line.strip().strip("|"))])
            continue
        if table:
            _table(pdf, table)
            table = []
        if line.startswith("# "):
            pdf.set_font("DejaVu", "B", 16)
            pdf.multi_cell(0, 9, _plain(line[2:]), new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("## "):
            pdf.set_font("DejaVu", "B", 12)
            pdf.multi_cell(0, 8, _plain(line[3:]), new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(0, 5.5, _plain(line) or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _table(pdf: FPDF, rows: list[list[str]]) -> None:
    """The table, each cell at most ``CELL_LIMIT`` characters; longer cells follow it in full."""
    header, long = rows[0], []
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(34, 22, 50, 20, 20, 18), text_align="LEFT", line_height=5) as table:
        for n, cells in enumerate(rows):
            row = table.row()
            for column, cell in enumerate(cells):
                if len(cell) > CELL_LIMIT:
                    long.append(t(LANG, "export.full_text", column=header[column], row=n) + " " + cell)
                    cell = cell[:CELL_LIMIT] + " " + t(LANG, "export.continued")
                row.cell(cell)
    pdf.set_font("DejaVu", "", 10)
    for paragraph in long:
        pdf.multi_cell(0, 5.5, paragraph, new_x="LMARGIN", new_y="NEXT")
