"""The service-gap report as a table (text, CSV), as charts (PNG) and as a PDF with both."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from fpdf import FPDF
from matplotlib.ticker import MaxNLocator

from matcher.documents.plan import FONTS
from matcher.i18n import number, t
from matcher.local.gaps import STATUSES, GapReport
from matcher.rulebase.loading import RuleBase
from matcher.textfiles import csv_text, default_dialect

COLUMNS = ("insats", "name", "recommended", "offered", "waiting", "not_offered", "unlisted", "mean_wait_weeks",
           "max_wait_weeks", "dose_compared", "under_dosed", "under_dose_rate", "dose_not_recorded", "status_at_end")
AVAILABILITY_COLUMNS = ("name", "recommended", "offered", "waiting", "not_offered", "unlisted", "mean_wait_weeks",
                        "max_wait_weeks", "status_at_end")
DOSE_COLUMNS = ("name", "dose_compared", "under_dosed", "under_dose_rate", "dose_not_recorded")
COLORS = {"offered": "#4c9a6a", "waiting": "#e3a33b", "not_offered": "#c8553d", "unlisted": "#9a9a9a"}


def gap_rows(report: GapReport, rules: RuleBase, lang: str) -> list[dict[str, Any]]:
    """One record per insats, the columns of ``COLUMNS``; None where a figure does not apply."""
    names = {iv.id: iv.model.name.get(lang) for iv in rules.interventions}
    return [{"insats": r.intervention, "name": names.get(r.intervention, r.intervention), "recommended": r.total,
             **r.recommended, "mean_wait_weeks": _round(r.mean_wait), "max_wait_weeks": _round(r.max_wait),
             "dose_compared": r.dose_compared, "under_dosed": r.under_dosed,
             "under_dose_rate": _round(r.under_dose_rate, 2), "dose_not_recorded": r.not_recorded,
             "status_at_end": r.status_at_end} for r in report.rows]


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def heading(report: GapReport, lang: str) -> list[str]:
    version = (t(lang, "gaps.catalogue_version", version=report.catalogue_version)
               if report.catalogue_version is not None else t(lang, "gaps.no_catalogue"))
    synthetic = t(lang, "gaps.synthetic", synthetic=report.synthetic_cases) if report.synthetic_cases else ""
    return [t(lang, "gaps.title", unit=report.unit, start=report.start.isoformat(), end=report.end.isoformat()),
            t(lang, "gaps.summary", cases=report.cases, synthetic=synthetic, k=report.top_k,
              on=report.dose_on.isoformat()), version]


def gap_csv(report: GapReport, rules: RuleBase, lang: str, dialect: str | None = None) -> str:
    """The table as CSV in ``dialect`` (default: what a reader of ``lang`` opens, ``textfiles.default_dialect``)."""
    return csv_text(gap_rows(report, rules, lang), COLUMNS, dialect or default_dialect(lang))


def gap_text(report: GapReport, rules: RuleBase, lang: str) -> str:
    lines = [*heading(report, lang), ""]
    if not report.rows:
        return "\n".join([*lines, t(lang, "gaps.empty")])
    header = [t(lang, f"gaps.column.{c}") for c in COLUMNS[1:]]
    rows = [[cell(row[c], c, lang) for c in COLUMNS[1:]] for row in gap_rows(report, rules, lang)]
    widths = [max(len(h), *(len(r[n]) for r in rows)) for n, h in enumerate(header)]
    for cells in [header, *rows]:
        lines.append("  ".join(cell.ljust(w) if n == 0 else cell.rjust(w)
                               for n, (cell, w) in enumerate(zip(cells, widths, strict=True))).rstrip())
    return "\n".join(lines)


def cell(value: Any, column: str, lang: str) -> str:
    if value is None:
        return ""
    if column == "status_at_end":
        return t(lang, f"availability.{value}")
    if column == "under_dose_rate":
        return f"{100 * value:.0f} %"
    return number(lang, value) if isinstance(value, float) else str(value)


def gap_charts(report: GapReport, rules: RuleBase, lang: str) -> list[bytes]:
    """PNG charts: how each recommended insats stood in the catalogue; the under-dosing rate per insats."""
    names = {iv.id: iv.model.name.get(lang) for iv in rules.interventions}
    charts = []
    recommended = [r for r in report.rows if r.total]
    if recommended:
        fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(recommended) + 1.4))
        labels = [names.get(r.intervention, r.intervention) for r in recommended][::-1]
        left = [0] * len(recommended)
        for state in STATUSES:
            counts = [r.recommended[state] for r in recommended][::-1]
            ax.barh(labels, counts, left=left, color=COLORS[state], label=t(lang, f"availability.{state}"))
            left = [a + b for a, b in zip(left, counts, strict=True)]
        ax.set(xlabel=t(lang, "gaps.chart.cases"), title=t(lang, "gaps.chart.availability", k=report.top_k))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="lower right", fontsize=8)
        charts.append(_png(fig))
    dosed = [r for r in report.rows if r.dose_compared or r.not_recorded]
    if dosed:  # every bar is labelled, so that 0 % under-dosed reads differently from a dose never recorded
        fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(dosed) + 1.4))
        rows = dosed[::-1]
        ax.barh([names.get(r.intervention, r.intervention) for r in rows],
                [100 * (r.under_dose_rate or 0) for r in rows], color=COLORS["not_offered"])
        for y, r in enumerate(rows):
            if r.dose_compared:
                label = t(lang, "gaps.chart.dose_label", rate=round(100 * (r.under_dose_rate or 0)),
                          under=r.under_dosed, n=r.dose_compared)
                ax.text(100 * (r.under_dose_rate or 0) + 1, y, label, va="center", fontsize=8)
            else:
                ax.text(1, y, t(lang, "gaps.chart.dose_missing", n=r.not_recorded), va="center", fontsize=8,
                        color="#555555", style="italic")
        ax.set(xlim=(0, 115), xlabel=t(lang, "gaps.chart.under_dose_axis"), title=t(lang, "gaps.chart.under_dose"))
        ax.set_xticks(range(0, 101, 20))
        charts.append(_png(fig))
    return charts


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def gap_pdf(report: GapReport, rules: RuleBase, lang: str, charts: list[bytes] | None = None) -> bytes:
    """An A4 landscape PDF: the heading, the table, and the charts (``gap_charts``, drawn here unless given)."""
    pdf = FPDF(orientation="L", format="A4")
    title, *intro = heading(report, lang)
    pdf.set_title(title)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for line in [*intro, t(lang, "gaps.how")]:
        pdf.multi_cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    if report.rows:  # two tables, so that every column is wide enough for its heading's longest word
        rows = gap_rows(report, rules, lang)
        dosed = [row for row in rows if row["dose_compared"] or row["dose_not_recorded"]]
        for columns, shown in ((AVAILABILITY_COLUMNS, rows), (DOSE_COLUMNS, dosed)):
            if not shown:
                continue
            headings = [t(lang, f"gaps.column.{c}") for c in columns]
            cells = [[cell(row[c], c, lang) for c in columns] for row in shown]
            # each column after the names as wide as its longest word (the headings are bold): a text wraps
            # between words, never inside one; the insats names take the rest of the page
            pdf.set_font("DejaVu", "B", 8)
            heading_words = [max(pdf.get_string_width(w) for w in h.split()) for h in headings]
            pdf.set_font("DejaVu", "", 8)
            cell_words = [max((pdf.get_string_width(w) for r in cells for w in r[n].split()), default=0.0)
                          for n in range(len(columns))]
            others = [max(30.0 if columns[n] == "status_at_end" else 16.0, heading_words[n], cell_words[n]) + 4
                      for n in range(1, len(columns))]
            widths = (pdf.epw - sum(others), *others)
            align = ["LEFT", *("LEFT" if c == "status_at_end" else "RIGHT" for c in columns[1:])]
            with pdf.table(col_widths=widths, text_align=align,
                           line_height=4.4) as table:
                for row in [headings, *cells]:
                    table.row(row)
            pdf.ln(4)
    else:
        pdf.multi_cell(0, 5.5, t(lang, "gaps.empty"), new_x="LMARGIN", new_y="NEXT")
    for png in gap_charts(report, rules, lang) if charts is None else charts:
        pdf.add_page()
        pdf.image(io.BytesIO(png), w=230)
    return bytes(pdf.output())
