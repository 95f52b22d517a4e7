"""The effects report (``matcher.local.effects``) as JSON, Markdown and HTML with its chart, and the one-line
local context a methodologist reads beside an insats's evidence. Synthetic data is labelled on every figure."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from matcher.i18n import number, t
from matcher.local.effects import ALL, HORIZONS, OUTCOMES, PROPORTIONS, Cell, EffectsReport, Estimate, InsatsEffects
from matcher.rulebase.loading import RuleBase

CHART_OUTCOME = ("reoffended", 12)


def _names(rules: RuleBase, lang: str) -> dict[str, str]:
    return {iv.id: iv.model.name.get(lang) for iv in rules.interventions}


def group_label(rules: RuleBase, group: str, lang: str) -> str:
    if group == ALL:
        return t(lang, "effects.group.all")
    kind, value = group.split(":", 1)
    if kind == "risk":
        return t(lang, "effects.group.risk", level=t(lang, f"risk.{value}"))
    if kind == "age":
        return t(lang, "effects.group.age", band=value.replace("-", "–"))
    name = rules.catalogue.factor(value).name.get(lang) if value in rules.catalogue.factor_index else value
    return t(lang, "effects.group.need", need=name)


def _value(name: str, value: float, lang: str) -> str:
    return f"{100 * value:.0f} %" if name in PROPORTIONS else number(lang, round(value, 1), 1)


def _difference(name: str, value: float, lang: str) -> str:
    scale = 100 if name in PROPORTIONS else 1
    return number(lang, round(scale * value, 0 if name in PROPORTIONS else 1), 0 if name in PROPORTIONS else 1,
                  sign=True).replace("-", "−")


def estimate_text(name: str, estimate: Estimate | None, lang: str, min_group: int) -> str:
    """"20 % mot 47 % (−28; −37 till −15)": who got it against the adjusted comparison, the difference and its
    interval (percentage points for shares)."""
    if estimate is None:
        return t(lang, "effects.too_few_observed", k=min_group)
    return t(lang, "effects.estimate", treated=_value(name, estimate.treated, lang),
             compared=_value(name, estimate.compared, lang), difference=_difference(name, estimate.difference, lang),
             low=_difference(name, estimate.low, lang), high=_difference(name, estimate.high, lang))


def heading(report: EffectsReport, lang: str) -> list[str]:
    """The title, what was counted, and the synthetic label when any young person in it is synthetic."""
    lines = [t(lang, "effects.title", unit=report.unit, start=report.start.isoformat(), end=report.end.isoformat()),
             t(lang, "effects.summary", episodes=report.episodes, k=report.min_group, bootstrap=report.bootstrap)]
    if report.synthetic:
        lines.append(t(lang, "effects.synthetic", synthetic=report.synthetic))
    if report.unreadable:
        lines.append(t(lang, "effects.unreadable", n=report.unreadable))
    return lines


def insats_intro(item: InsatsEffects, min_group: int, lang: str) -> str:
    if item.excluded_share is None:
        return t(lang, "effects.insats_suppressed", k=min_group)
    return t(lang, "effects.insats_intro", n=item.n_treated, excluded=f"{100 * item.excluded_share:.0f} %")


def table_rows(report: EffectsReport, rules: RuleBase, item: InsatsEffects, months: int,
               lang: str) -> list[list[str]]:
    """Header and one row per profile group: the group, n (got it / comparison), and each outcome."""
    header = [t(lang, "effects.column.group"), t(lang, "effects.column.n"),
              *(t(lang, f"effects.outcome.{name}") for name in OUTCOMES)]
    rows = [header]
    for cell in item.cells:
        label = group_label(rules, cell.group, lang)
        if cell.suppressed:
            rows.append([label, t(lang, "effects.suppressed", k=report.min_group), *([""] * len(OUTCOMES))])
            continue
        rows.append([label, f"{cell.n_treated} / {cell.n_compared}",
                     *(estimate_text(name, cell.estimates[(name, months)], lang, report.min_group)
                       for name in OUTCOMES)])
    return rows


def effects_json(report: EffectsReport, rules: RuleBase, lang: str) -> dict[str, Any]:
    names = _names(rules, lang)

    def cell(c: Cell) -> dict[str, Any]:
        return {"group": c.group, "label": group_label(rules, c.group, lang), "suppressed": c.suppressed,
                "n_treated": None if c.suppressed else c.n_treated,
                "n_compared": None if c.suppressed else c.n_compared,
                "outcomes": [] if c.suppressed else [
                    {"outcome": name, "months": months, **({"suppressed": True} if e is None else {
                        "suppressed": False, "treated": round(e.treated, 4), "compared_adjusted": round(e.compared, 4),
                        "difference": round(e.difference, 4), "interval_95": [round(e.low, 4), round(e.high, 4)],
                        "n_treated": e.n_treated, "n_compared": e.n_compared})}
                    for (name, months), e in c.estimates.items()]}

    return {"report": "effects", "unit": report.unit, "from": report.start.isoformat(), "to": report.end.isoformat(),
            "episodes": report.episodes, "synthetic": report.synthetic, "unreadable": report.unreadable,
            "min_group": report.min_group, "bootstrap": report.bootstrap, "caveat": t(lang, "effects.caveat"),
            "how": t(lang, "effects.how"),
            "insatser": [{"insats": i.intervention, "name": names.get(i.intervention, i.intervention),
                          "suppressed": i.excluded_share is None,
                          "n_treated": None if i.excluded_share is None else i.n_treated,
                          "excluded_for_overlap": i.excluded_share, "cells": [cell(c) for c in i.cells]}
                         for i in report.insatser]}


def effects_markdown(report: EffectsReport, rules: RuleBase, lang: str) -> str:
    title, *intro = heading(report, lang)
    lines = [f"# {title}", "", *(f"{line}  " for line in intro), "", f"**{t(lang, 'effects.caveat')}**", "",
             t(lang, "effects.how"), ""]
    if not report.insatser:
        return "\n".join([*lines, t(lang, "effects.empty"), ""])
    names = _names(rules, lang)
    for item in report.insatser:
        lines += [f"## {names.get(item.intervention, item.intervention)}", "", insats_intro(item, report.min_group,
                                                                                         lang), ""]
        for months in HORIZONS if item.cells else ():
            rows = table_rows(report, rules, item, months, lang)
            lines += [f"### {t(lang, 'effects.at_months', months=months)}", "",
                      "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0]),
                      *("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows[1:]), ""]
    return "\n".join(lines)


def effects_chart(report: EffectsReport, rules: RuleBase, lang: str) -> bytes | None:
    """The difference in new offences within 12 months, with its interval, per insats (all young people in the
    overlap); labelled synthetic when the data is. None when no insats has a shown estimate."""
    names = _names(rules, lang)
    shown = [(names.get(i.intervention, i.intervention), c.estimates[CHART_OUTCOME]) for i in report.insatser
             for c in i.cells if c.group == ALL and not c.suppressed and c.estimates[CHART_OUTCOME] is not None]
    if not shown:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * len(shown) + 1.6))
    for y, (_, e) in enumerate(reversed(shown)):
        assert e is not None
        ax.plot([100 * e.low, 100 * e.high], [y, y], color="#33658a", linewidth=2)
        ax.plot([100 * e.difference], [y], "o", color="#33658a")
    ax.axvline(0, color="#777777", linewidth=1)
    ax.set_yticks(range(len(shown)), [name for name, _ in reversed(shown)])
    ax.set(xlabel=t(lang, "effects.chart.axis"), title=t(lang, "effects.chart.title"))
    if report.synthetic:
        fig.text(0.5, 0.5, t(lang, "effects.chart.synthetic"), ha="center", va="center", fontsize=22,
                 color="#c8553d", alpha=0.25, rotation=20)
        ax.annotate(t(lang, "effects.chart.synthetic"), xy=(0, 0), xycoords="axes fraction", xytext=(0, -36),
                    textcoords="offset points", va="top", fontsize=9, color="#c8553d")  # under the axis label
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def effects_html(report: EffectsReport, rules: RuleBase, lang: str, chart: bytes | None = None) -> str:
    """One HTML page: heading, caveat, how to read it, the chart and a table per insats and horizon."""
    e = html.escape
    title, *intro = heading(report, lang)
    parts = [f"<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{e(title)}</title>"
             "<style>body{font-family:sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}"
             "table{border-collapse:collapse;margin-bottom:1.5rem}td,th{border:1px solid #bbb;padding:.3rem .5rem;"
             "text-align:left;vertical-align:top}.caveat{background:#fff4e5;padding:.6rem}"
             ".synthetic{color:#c8553d;font-weight:bold}</style></head><body>", f"<h1>{e(title)}</h1>"]
    synthetic = t(lang, "effects.synthetic", synthetic=report.synthetic)
    parts += [f"<p class=\"synthetic\">{e(line)}</p>" if line == synthetic else f"<p>{e(line)}</p>" for line in intro]
    parts += [f"<p class=\"caveat\"><strong>{e(t(lang, 'effects.caveat'))}</strong></p>",
              f"<p>{e(t(lang, 'effects.how'))}</p>"]
    png = effects_chart(report, rules, lang) if chart is None else chart
    if png:
        parts.append(f"<img alt=\"{e(t(lang, 'effects.chart.title'))}\" src=\"data:image/png;base64,"
                     f"{base64.b64encode(png).decode()}\">")
    if not report.insatser:
        parts.append(f"<p>{e(t(lang, 'effects.empty'))}</p>")
    names = _names(rules, lang)
    for item in report.insatser:
        parts += [f"<h2>{e(names.get(item.intervention, item.intervention))}</h2>",
                  f"<p>{e(insats_intro(item, report.min_group, lang))}</p>"]
        for months in HORIZONS if item.cells else ():
            header, *rows = table_rows(report, rules, item, months, lang)
            parts += [f"<h3>{e(t(lang, 'effects.at_months', months=months))}</h3><table>",
                      "<tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>",
                      *("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows), "</table>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def context_line(report: EffectsReport, iid: str, lang: str) -> str:
    """What a methodologist reads beside the evidence: "lokalt: n = 37, nytt brott inom 12 mån 31 % mot 44 %
    justerat, intervall ..."; never an input to the ranking."""
    item = next((i for i in report.insatser if i.intervention == iid), None)
    cell = next((c for c in item.cells if c.group == ALL), None) if item else None
    estimate = cell.estimates[CHART_OUTCOME] if cell and not cell.suppressed else None
    where = t(lang, "effects.context.where", unit=report.unit, start=report.start.isoformat(),
              end=report.end.isoformat())
    synthetic = " " + t(lang, "effects.chart.synthetic") if report.synthetic else ""
    if estimate is None:
        return t(lang, "effects.context.none", where=where, k=report.min_group) + synthetic
    name = CHART_OUTCOME[0]
    return t(lang, "effects.context.line", where=where, n=estimate.n_treated,
             treated=_value(name, estimate.treated, lang), compared=_value(name, estimate.compared, lang),
             low=_difference(name, estimate.low, lang), high=_difference(name, estimate.high, lang),
             m=estimate.n_compared) + synthetic
