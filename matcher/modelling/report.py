"""An evaluation as Markdown or HTML, with ROC and calibration plots (PNG) beside it."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_curve

from matcher.i18n import number

FAIRNESS_COLUMNS = ("n", "flagged", "fpr", "fnr", "ppv", "mean_predicted", "observed")


def write_plots(y: np.ndarray, score: np.ndarray, report: dict[str, Any], out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    label = " (synthetic data)" if report["data"]["synthetic"] else ""
    fpr, tpr, _ = roc_curve(y, score)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(fpr, tpr, label=f"AUC {report['auc']:.3f}")
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title=f"ROC, {report['model']}{label}")
    ax.legend(loc="lower right")
    fig.savefig(out / "roc.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    files = ["roc.png"]
    if "calibration_table" in report:
        table = report["calibration_table"]
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        ax.plot([r["mean_predicted"] for r in table], [r["observed"] for r in table], marker="o")
        ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
        ax.set(xlabel="mean predicted probability", ylabel="observed rate", xlim=(0, 1), ylim=(0, 1),
               title=f"Calibration, {report['model']}{label}")
        fig.savefig(out / "calibration.png", dpi=100, bbox_inches="tight")
        plt.close(fig)
        files.append("calibration.png")
    return files


def cell(value: Any, lang: str = "en") -> str:
    """A figure with three decimals as a reader of ``lang`` writes it; an interval as low–high."""
    if isinstance(value, float):
        return number(lang, value, 3)
    if isinstance(value, list):  # an interval; [None, None] when there was nothing to resample
        return "" if None in value else "–".join(number(lang, v, 3) for v in value)
    return "" if value is None else str(value)


def tables(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table in the report."""
    data = report["data"]
    summary = [["rows", cell(report["rows"])], ["base rate", cell(report["base_rate"])],
               ["AUC (95% CI)", f"{report['auc']:.3f} ({cell(report['auc_ci95'])})"]]
    for key in ("brier", "calibration_slope", "calibration_intercept", "ece"):
        if key in report:
            summary.append([key.replace("_", " "), cell(report[key])])
    if report.get("in_sample"):
        summary.append(["in-sample", report["in_sample_note"]])
    out = [(f"{report['model']} on {data['source']}" + (" (synthetic data)" if data["synthetic"] else ""),
            ["figure", "value"], summary),
           ("Risk levels", ["level", "n", "observed rate"],
            [[r["level"], cell(r["n"]), cell(r["observed"])] for r in report["levels"]])]
    if "calibration_table" in report:
        out.append(("Calibration", ["bin", "n", "mean predicted", "observed"],
                    [[r["bin"], cell(r["n"]), cell(r["mean_predicted"]), cell(r["observed"])]
                     for r in report["calibration_table"]]))
    for column, table in report["fairness"].items():
        rows = []
        for group, r in table["groups"].items():
            rows.append([group, *(f"{cell(r.get(k))}" + (f" ({cell(r[k + '_ci95'])})" if k + "_ci95" in r else "")
                                  for k in FAIRNESS_COLUMNS if k in r), cell(table["fpr_ratio"][group])])
        header = ["group", *(k for k in FAIRNESS_COLUMNS if k in next(iter(table["groups"].values()))),
                  f"FPR ratio to {table['reference']}"]
        out.append((f"Fairness by {column} (flagged = high level; FPR gap {cell(table['fpr_gap'])})", header, rows))
    return out


def markdown(report: dict[str, Any], plots: list[str]) -> str:
    lines = []
    for title, header, rows in tables(report):
        lines += [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines.append("")
    lines += [f"![{p}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def html_page(report: dict[str, Any], plots: list[str]) -> str:
    parts = [f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{html.escape(report['model'])}</title>"]
    for title, header, rows in tables(report):
        parts.append(f"<h2>{html.escape(title)}</h2><table><tr>"
                     + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts += [f"<img src='{p}' alt='{p}'>" for p in plots]
    return "\n".join(parts) + "\n</html>\n"
