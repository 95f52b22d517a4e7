"""Each feature's shape: the points of every rating level or bin of numbers, whether they run the way risk does,
and a plot of them all (the card's ``shapes`` and ``shapes.png``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from matcher.modelling.binned import direction
from matcher.rulebase.loading import RuleBase

TOLERANCE = 1e-9
PLOT = "shapes.png"


def shapes(estimator: Any, features: Sequence[str], rules: RuleBase) -> list[dict[str, Any]]:
    """Per feature: its bins (consecutive values of a number with the same points; each level of a rating), the
    points of each, and ``monotone``: whether the points never move against the known direction of risk."""
    cat = rules.catalogue
    given: dict[tuple[int, int], float] = {(j, v): p for j, v, p in estimator.level_points()}
    out = []
    for j, name in enumerate(features):
        factor = cat.factor(name)
        scale = cat.scale(factor)
        points = [given.get((j, v), 0.0) for v in scale.values]
        way = direction(factor, scale)
        bins: list[dict[str, Any]] = []
        for v, p in zip(scale.values, points, strict=True):
            if scale.numeric and bins and abs(bins[-1]["points"] - round(p, 4)) < TOLERANCE:
                bins[-1]["to"] = v
            else:
                bins.append({"from": v, "to": v, "points": round(p, 4)})
        for b in bins:
            b["label"] = (scale.label(b["from"], "en") if not scale.numeric
                          else str(b["from"]) if b["from"] == b["to"] else f"{b['from']}-{b['to']}")
        steps = np.diff(points) * way
        out.append({"factor": name, "name": factor.name.en, "name_sv": factor.name.sv, "numeric": scale.numeric,
                    "direction": "up" if way > 0 else "down", "bins": bins,
                    "monotone": bool(np.all(steps >= -TOLERANCE))})
    return out


def write_shape_plot(shape: list[dict[str, Any]], model_id: str, synthetic: bool, out: Path) -> list[str]:
    """One small step plot per feature (points by rating or bin); a feature whose points go against the direction
    of risk is titled so."""
    columns = 4
    rows = math.ceil(len(shape) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.2 * rows), squeeze=False)
    for ax, s in zip(axes.flat, shape, strict=False):
        labels = [b["label"] for b in s["bins"]]
        ax.bar(range(len(labels)), [b["points"] for b in s["bins"]], color="#4c72b0" if s["monotone"] else "#c44e52")
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.set_xticks(range(len(labels)), labels, fontsize=7, rotation=30 if s["numeric"] else 0)
        ax.set_title(s["name"] + ("" if s["monotone"] else " (not monotone)"), fontsize=8)
    for ax in list(axes.flat)[len(shape):]:
        ax.axis("off")
    fig.suptitle(f"Points per feature, {model_id}" + (" (synthetic data)" if synthetic else ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(out / PLOT, dpi=90)
    plt.close(fig)
    return [PLOT]
