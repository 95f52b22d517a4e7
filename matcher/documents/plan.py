"""The plan as the SIG meeting's document, a samordnad individuell plan (SIP): Markdown and PDF, in Swedish.

Built from the SIG meeting view (``CaseStore.meeting``), so a copy holds exactly what its reader may see: social
services' copy the whole plan (another agency's items only while consent covers that agency; withheld items
are counted with the reason), a partner's copy only the categories a valid consent gives that partner. The
parts follow a SIP: the young person's and guardians' views in their own words, the goals, who does what by
when, the coordinator, the consents per agency, the next follow-up and meeting, the act-first actions, the risk
level, the decisions with their reasons, the homecoming from SiS, a short version stamp, and lines to sign.

What people wrote (goals, views, reasons) is escaped for Markdown (``text``): a ``|`` stays inside its table
cell, line breaks become spaces, and ``*_`[]<>~&\\`` show as themselves instead of formatting or HTML. The PDF
is laid out from the same lines, unescaped; a table cell longer than ``CELL_LIMIT`` characters is shortened in
the table and printed in full after it, since a table row cannot span pages.
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

from matcher.auth import OWN_AGENCY
from matcher.documents.sig_text import (
    coverage_text,
    held_up_text,
    insats_name,
    report_text,
    short_stamp,
    warning_text,
)
from matcher.i18n import in_sweden, t
from matcher.rulebase.loading import RuleBase
from matcher.store.homecoming import homecoming_warnings
from matcher.store.sig import MeetingView

LANG = "sv"
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
CELL_LIMIT = 400  # characters of a table cell in the PDF; the rest follows the table
SIGN_LINE, DATE_LINE = "_" * 34, "_" * 12
KEEP_WITH_HEADING = 35  # mm of the page a heading needs below it, or it starts the next page
# Relative PDF column widths by the column's message key, so that no name or heading breaks inside a word at 8 pt
# (the longest words: "socialtjänsten", "Uppföljning"); free text (goal, reason, report) gets the most room.
WIDTHS = {"export.column.insats": 2.4, "export.column.actor": 1.9, "export.column.goal": 3.2,
          "export.column.start": 1.35, "export.column.follow_up": 1.5, "export.column.status": 1.1,
          "sip.report": 2.2, "ui.decision.outcome": 1.3, "sip.reason": 3.2, "sig.homecoming.column.part": 1.7,
          "sig.homecoming.column.agency": 1.9, "sig.homecoming.column.goal": 3.2, "sig.homecoming.column.due": 1.5,
          "sig.homecoming.column.ready": 0.9, "sig.homecoming.column.held_up": 1.6}
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_ESCAPED = re.compile(r"\\(.)")
_CELL_BORDER = re.compile(r"(?<!\\)\|")


def text(value: str) -> str:
    """User text as it must stand in a Markdown line or table cell: on one line, every special character
    escaped, so it reads as written and cannot break the table or the layout."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def _plain(markdown: str) -> str:
    return _ESCAPED.sub(r"\1", markdown)


def sip_lines(view: MeetingView, rules: RuleBase, today: dt.date) -> list[str]:
    """The SIP as Markdown lines (also the content of the PDF): act-first actions first, before any insats."""
    title = t(LANG, "sip.title", code=view.code) + (f" {t(LANG, 'text.synthetic')}" if view.synthetic else "")
    lines = [f"# {title}", ""]
    if view.audience is not None:
        lines += [t(LANG, "sip.partner_copy", agency=t(LANG, f"actor.{view.audience}"), date=view.on.isoformat()),
                  ""]
    lines += [f"- {t(LANG, 'export.date', date=today.isoformat())}",
              f"- {t(LANG, 'sip.coordinator')}: {text(view.coordinator or t(LANG, 'sip.not_recorded'))}",
              f"- {t(LANG, 'sip.last_meeting')}: {_date(view.last_meeting)}",
              f"- {t(LANG, 'sip.next_meeting')}: {_date(view.next_meeting)}",
              f"- {t(LANG, 'sip.next_follow_up')}: {_date(view.next_follow_up)}", ""]
    lines += _act_first(rules, list(view.act_first or []))
    lines += _assessment(view, rules)
    lines += _views(view)
    lines += _tasks(view, rules)
    lines += _homecoming(view, rules, today)
    lines += _decisions(view, rules)
    lines += _consents(view)
    lines += ["", f"## {t(LANG, 'export.version_title')}", "", short_stamp(view.version, LANG), "",
              t(LANG, "text.decision_note"), ""]
    lines += _signatures(view)
    return lines


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day else "-"


def _swedish_day(at: dt.datetime) -> str:
    """A stored timestamp (UTC; SQLite returns it without its zone) as the day in Sweden."""
    return in_sweden(at).date().isoformat()


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows or [["-"] * len(header)])]


def _assessment(view: MeetingView, rules: RuleBase) -> list[str]:
    lines = []
    if view.risk:
        drivers = ", ".join(rules.catalogue.factor(f).name.get(LANG).lower() for f in view.risk["drivers"])
        lines += [f"## {t(LANG, 'sip.risk', level=t(LANG, 'risk.' + view.risk['level']))}", "",
                  t(LANG, "sip.drivers", drivers=drivers or "-"), ""]
    if view.needs:
        lines += [f"## {t(LANG, 'sip.needs')}", "",
                  *(f"- {rules.catalogue.factor(f).name.get(LANG)}" for f in view.needs), ""]
    return lines


def _views(view: MeetingView) -> list[str]:
    lines = []
    if "views" in view.shown:
        lines += [f"## {t(LANG, 'export.views')}", "",
                  f"- {t(LANG, 'ui.decision.youth_view')}: {text(view.youth_view or '-')}",
                  f"- {t(LANG, 'ui.decision.guardian_view')}: {text(view.guardian_view or '-')}", ""]
    if "goals" in view.shown:
        lines += [f"## {t(LANG, 'sip.goals')}", "",
                  f"- {t(LANG, 'ui.decision.youth_goals')}: {text(view.youth_goals or '-')}", ""]
    return lines


def _tasks(view: MeetingView, rules: RuleBase) -> list[str]:
    if "plan_items" not in view.shown:
        return []
    header = [t(LANG, f"export.column.{c}") for c in ("insats", "actor", "goal", "start", "follow_up", "status")]
    shown = [task for task in view.tasks if task.shared.shown]
    rows = [[insats_name(rules, task.shared.item.intervention, LANG), t(LANG, f"actor.{task.shared.item.actor}"),
             text(task.shared.item.goal), task.shared.item.start_on.isoformat(),
             task.shared.item.follow_up_on.isoformat(), t(LANG, f"export.status.{task.shared.item.status}"),
             text(report_text(task.report, LANG))] for task in shown]
    lines = [f"## {t(LANG, 'sip.tasks')}", "", *_markdown_table([*header, t(LANG, "sip.report")], rows)]
    withheld = Counter((s.item.actor, s.reason(LANG)) for s in (task.shared for task in view.tasks) if not s.shown)
    if withheld:
        lines += ["", f"## {t(LANG, 'export.withheld_title')}", ""]
        lines += [f"- {t(LANG, 'export.withheld', count=n, actor=t(LANG, f'actor.{actor}'), reason=reason)}"
                  for (actor, reason), n in sorted(withheld.items())]
    return [*lines, ""]


def _homecoming(view: MeetingView, rules: RuleBase, today: dt.date) -> list[str]:
    """The homecoming plan from SiS; social services' copy also warns of a part missing or late."""
    plan = view.homecoming
    if plan is None:
        return []
    warnings = homecoming_warnings(plan, today, rules.policy.homecoming_start_weeks) if view.audience is None else []
    rows = [[t(LANG, f"sig.homecoming.part.{p.part}"), t(LANG, f"actor.{p.agency}"), text(p.goal),
             p.due_on.isoformat(), t(LANG, "ui.yes") if p.ready else t(LANG, "ui.no"), held_up_text(LANG, p.held_up)]
            for p in plan.parts]
    header = [t(LANG, f"sig.homecoming.column.{c}") for c in ("part", "agency", "goal", "due", "ready", "held_up")]
    return [f"## {t(LANG, 'sig.homecoming.title')}", "",
            t(LANG, "sig.homecoming.summary", home=text(plan.youth_home), discharge=plan.discharge_on.isoformat()),
            "", *_markdown_table(header, rows), "", *(f"- {warning_text(w, LANG)}" for w in warnings),
            *([""] if warnings else [])]


def _decisions(view: MeetingView, rules: RuleBase) -> list[str]:
    if not view.decisions:
        return []
    first = view.decisions[0]
    rows = [[insats_name(rules, d["intervention"], LANG), t(LANG, f"ui.decision.{d['outcome']}"),
             text(d["reason"] or "-")] for d in view.decisions]
    header = [t(LANG, "export.column.insats"), t(LANG, "ui.decision.outcome"), t(LANG, "sip.reason")]
    return [f"## {t(LANG, 'sip.decisions')}", "",
            t(LANG, "sip.decided", by=first["decided_by"], date=_swedish_day(first["decided_at"])), "",
            *_markdown_table(header, rows), "",
            *((t(LANG, "sip.overrides"), "") if any(d["outcome"] == "overridden" for d in view.decisions) else ())]


def _consents(view: MeetingView) -> list[str]:
    lines = [f"## {t(LANG, 'sip.consents')}", ""]
    lines += [f"- {coverage_text(agency, coverage, LANG)}" for agency, coverage in view.coverage.items()]
    if not view.coverage:
        lines.append(t(LANG, "sip.no_agencies"))
    return [*lines, ""]


def _signatures(view: MeetingView) -> list[str]:
    """A line to sign for the young person, a guardian, the coordinator and each agency with a task."""
    signers = [t(LANG, "sip.sign.youth"), t(LANG, "sip.sign.guardian"), t(LANG, "sip.sign.coordinator")]
    agencies = dict.fromkeys(task.shared.item.actor for task in view.tasks if task.shared.shown)
    signers += [t(LANG, f"actor.{a}").capitalize() for a in agencies if a != OWN_AGENCY]
    lines = [f"## {t(LANG, 'sip.signatures')}", ""]
    for signer in signers:
        lines += [f"{signer}: {SIGN_LINE}   {t(LANG, 'sip.sign.date')}: {DATE_LINE}", ""]
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
    for line in lines:
        if line.startswith("|"):
            if not line.startswith("|---"):
                table.append([_plain(cell.strip()) for cell in _CELL_BORDER.split(line.strip().strip("|"))])
            continue
        if table:
            _table(pdf, table)
            table = []
        if not line:
            if pdf.get_y() > pdf.t_margin + 1:  # a blank line moves down; it never starts a page of its own
                pdf.ln(5.5)
        elif line.startswith("# "):
            pdf.set_font("DejaVu", "B", 16)
            pdf.multi_cell(0, 9, _plain(line[2:]), align="L", new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("## "):
            if pdf.will_page_break(KEEP_WITH_HEADING):
                pdf.add_page()  # a heading never stands alone at the foot of a page
            pdf.set_font("DejaVu", "B", 12)
            pdf.multi_cell(0, 8, _plain(line[3:]), align="L", new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(0, 5.5, _plain(line), align="L", new_x="LMARGIN", new_y="NEXT")
    if table:
        _table(pdf, table)
    return bytes(pdf.output())


def _table(pdf: FPDF, rows: list[list[str]]) -> None:
    """The table, each cell at most ``CELL_LIMIT`` characters; longer cells follow it in full."""
    header, long = rows[0], []
    by_name = {t(LANG, key): width for key, width in WIDTHS.items()}
    widths = tuple(by_name.get(name, 1.0) for name in header)
    pdf.set_font("DejaVu", "", 8)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=5) as table:
        for n, cells in enumerate(rows):
            row = table.row()
            for column, cell in enumerate(cells):
                if len(cell) > CELL_LIMIT:
                    long.append(t(LANG, "export.full_text", column=header[column], row=n) + " " + cell)
                    cell = cell[:CELL_LIMIT] + " " + t(LANG, "export.continued")
                row.cell(cell)
    pdf.set_font("DejaVu", "", 10)
    for paragraph in long:
        pdf.multi_cell(0, 5.5, paragraph, align="L", new_x="LMARGIN", new_y="NEXT")
