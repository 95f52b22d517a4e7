"""A model card on screen (models and training pages): figures with intervals, the ROC and calibration
plots, the fairness table, the points table; and the figures of two models side by side."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from matcher.engine.risk import Scorecard
from matcher.i18n import number
from matcher.modelling.registry import gate_failures, plots_of
from matcher.modelling.report import FAIRNESS_COLUMNS, cell
from matcher.rulebase.loading import RuleBase
from matcher.rulebase.policy_schema import ModelGates
from ui.shared.context import Page, swedish_time


def synthetic_label(ctx: Page, synthetic: bool) -> str:
    return f" {ctx.t('ui.models.synthetic_data')}" if synthetic else ""


def when(iso: str) -> str:
    """A registry or card timestamp (ISO 8601, UTC) as a Swedish reader's clock shows it."""
    return swedish_time(dt.datetime.fromisoformat(iso))


def gates_text(ctx: Page, gates: ModelGates) -> str:
    def n(value: float) -> str:
        return number(ctx.lang, value)

    return ctx.t("ui.models.gates", repeats=gates.repeats, folds=gates.folds, auc=n(gates.min_auc),
                 ece=n(gates.max_calibration_error), min_group=gates.min_group_size, fpr=n(gates.max_fpr_ratio),
                 fnr=n(gates.max_fnr_ratio), moderate=n(gates.levels["moderate"]), high=n(gates.levels["high"]))


def _with(values: dict[str, Any], key: str, beside: str, lang: str) -> str:
    """A figure and, in brackets, its interval or spread (``beside``: '_ci95' or '_repeats') when the card has it."""
    extra = f" ({cell(values[key + beside], lang)})" if key + beside in values else ""
    return cell(values.get(key), lang) + extra


def _figures(ctx: Page, cv: dict[str, Any]) -> dict[str, str]:
    lang = ctx.lang
    return {ctx.t("ui.models.auc"): _with(cv, "auc", "_ci95", lang),
            ctx.t("ui.models.spread") + ", AUC": _with(cv, "auc", "_repeats", lang),
            ctx.t("ui.models.brier"): _with(cv, "brier", "_repeats", lang),
            ctx.t("ui.models.slope"): cell(cv["calibration_slope"], lang),
            ctx.t("ui.models.intercept"): cell(cv["calibration_intercept"], lang),
            ctx.t("ui.models.ece"): _with(cv, "ece", "_repeats", lang)}


def _rating(rules: RuleBase, factor: str, english: str, lang: str) -> tuple[str, str]:
    """The factor's name and the rating's label in ``lang`` (the card keeps the English rating label)."""
    cat = rules.catalogue
    if factor not in cat.factor_index:
        return factor, english
    scale = cat.scale(cat.factor(factor))
    name = getattr(cat.factor(factor).name, lang)
    if scale.numeric or english not in scale.labels["en"]:  # a number or a bin of numbers ("3-5")
        return name, english.replace("-", "–")
    return name, scale.labels[lang][scale.labels["en"].index(english)]


def show_card(ctx: Page, models: Path, item: dict[str, Any], card: dict[str, Any]) -> None:
    cv = card["cross_validation"]
    data = card["data"]
    st.subheader(ctx.t("ui.models.card_title", id=card["id"]) + synthetic_label(ctx, card["synthetic"]))
    st.caption(ctx.t("ui.models.card_meta", kind=ctx.t(f"ui.models.kind.{card['model']}"),
                     status=ctx.t(f"ui.models.status.{item['status']}"), created=when(card["created"]),
                     by=card["trained_by"], source=data["source"], rows=data["rows"],
                     base_rate=number(ctx.lang, data["base_rate"], 3),
                     target=card["target"]) + synthetic_label(ctx, data["synthetic"]))
    if card["note"]:  # written by the evaluator who trained the model, in their words
        with st.expander(ctx.t("ui.models.note"), expanded=True, key=f"card-note-{card['id']}"):
            st.markdown(card["note"])
    failures = gate_failures(card, ctx.rules.policy.model_gates, ctx.lang)
    if failures:
        st.warning(ctx.t("ui.models.fails_gates") + "\n" + "".join(f"\n- {f}" for f in failures))
    else:
        st.success(ctx.t("ui.models.passes_gates"))
    st.markdown(f"**{ctx.t('ui.models.figures')}** — "
                + ctx.t("ui.models.repeats", repeats=cv.get("repeats", 1), folds=cv["folds"]))
    st.dataframe(pd.DataFrame({ctx.t("ui.models.figure"): list(_figures(ctx, cv)),
                               ctx.t("ui.models.value"): list(_figures(ctx, cv).values())}),
                 hide_index=True, key=f"figures-{card['id']}")
    plots = [(name, png) for name, png in plots_of(models, item, card) if name != "shapes.png"]
    if plots:
        for column, (name, png) in zip(st.columns(len(plots)), plots, strict=True):
            column.image(png, caption=ctx.t(f"ui.models.plot.{Path(name).stem}"))
    else:
        st.info(ctx.t("ui.models.no_plots", id=card["id"]))
    st.markdown(f"**{ctx.t('ui.models.levels')}** — "
                + ctx.t("ui.models.cut_points", moderate=number(ctx.lang, card["levels"]["moderate"]),
                        high=number(ctx.lang, card["levels"]["high"])))
    st.dataframe(pd.DataFrame([{ctx.t("ui.models.level"): ctx.t(f"risk.{r['level']}"), "n": r["n"],
                                ctx.t("ui.models.observed"): cell(r["observed"], ctx.lang)} for r in cv["levels"]]),
                 hide_index=True, key=f"levels-{card['id']}")
    _fairness(ctx, card)
    _shapes(ctx, models, item, card)
    _points(ctx, card)


def _fairness(ctx: Page, card: dict[str, Any]) -> None:
    fairness = card["cross_validation"]["fairness"]
    if not fairness:
        st.warning(ctx.t("ui.models.no_fairness"))
    for column, table in fairness.items():
        st.markdown(f"**{ctx.t('ui.models.fairness_by', column=column)}** — "
                    + ctx.t("ui.models.fairness_note", gap=cell(table["fpr_gap"], ctx.lang),
                            reference=table["reference"]))
        rows = [{ctx.t("ui.models.group"): group,
                 **{ctx.t(f"ui.models.col.{key}"): _with(values, key, "_ci95", ctx.lang)
                    for key in FAIRNESS_COLUMNS if key in values},
                 ctx.t("ui.models.fpr_ratio", reference=table["reference"]): _ratio(table, "fpr", group, ctx.lang),
                 ctx.t("ui.models.fnr_ratio", reference=table["reference"]): _ratio(table, "fnr", group, ctx.lang),
                 ctx.t("ui.models.gating"): ctx.t("ui.yes") if values.get("gating", True)
                 else ctx.t("ui.models.too_small", n=table.get("min_group", ""))}
                for group, values in table["groups"].items()]
        st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"fairness-{card['id']}-{column}")


def _ratio(table: dict[str, Any], rate: str, group: str, lang: str) -> str:
    value = table.get(f"{rate}_ratio", {}).get(group)
    ci = table.get(f"{rate}_ratio_ci95", {}).get(group)
    return cell(value, lang) + (f" ({cell(ci, lang)})" if ci and None not in ci else "")


def _shapes(ctx: Page, models: Path, item: dict[str, Any], card: dict[str, Any]) -> None:
    """Each factor's points by level or bin: the plot the card records, and the table beside it."""
    if "shapes" not in card:
        return
    st.markdown(f"**{ctx.t('ui.models.shapes')}** — {ctx.t('ui.models.shapes_note')}")
    if card.get("non_monotone"):
        names = [_rating(ctx.rules, f, "", ctx.lang)[0] for f in card["non_monotone"]]
        st.warning(ctx.t("ui.models.non_monotone", factors=", ".join(names)))
    for name, png in plots_of(models, item, card):
        if name == "shapes.png":
            st.image(png, caption=ctx.t("ui.models.shapes"))


def _points(ctx: Page, card: dict[str, Any]) -> None:
    st.markdown(f"**{ctx.t('ui.models.points')}** — "
                + ctx.t("ui.models.points_note", intercept=number(ctx.lang, card["intercept"]),
                        probability=card["probability"]))
    rows = []
    for p in card["points"]:
        name, rating = _rating(ctx.rules, p["factor"], p["rating"], ctx.lang)
        rows.append({ctx.t("ui.models.factor"): name, ctx.t("ui.models.rating"): rating,
                     ctx.t("ui.models.points_col"): number(ctx.lang, p["points"])})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"points-{card['id']}")


def side_by_side(ctx: Page, left: tuple[dict[str, Any], dict[str, Any]],
                 right: tuple[dict[str, Any], dict[str, Any]] | None, baseline: Scorecard) -> pd.DataFrame:
    """Figures of two registered models ((entry, card) each); ``right`` None is the hand-set baseline."""
    columns = [_column(ctx, *left)]
    columns.append(_column(ctx, *right) if right else _baseline_column(ctx, left[1], baseline))
    name = ctx.t("ui.models.model")
    rows = [key for key in dict.fromkeys(key for column in columns for key in column) if key != name]
    return pd.DataFrame({ctx.t("ui.models.figure"): rows,
                         **{column[name]: [column.get(r, "–") for r in rows] for column in columns}})


def _column(ctx: Page, item: dict[str, Any], card: dict[str, Any]) -> dict[str, str]:
    cv = card["cross_validation"]
    data = card["data"]
    failures = gate_failures(card, ctx.rules.policy.model_gates, ctx.lang)
    return {ctx.t("ui.models.model"): card["id"],
            ctx.t("ui.models.status_col"): ctx.t(f"ui.models.status.{item['status']}"),
            ctx.t("ui.models.kind_col"): ctx.t(f"ui.models.kind.{card['model']}"),
            ctx.t("ui.models.data"): f"{data['source']}, {data['rows']}" + synthetic_label(ctx, data["synthetic"]),
            ctx.t("ui.models.base_rate"): cell(data["base_rate"], ctx.lang), **_figures(ctx, cv),
            **{ctx.t("ui.models.gap_by", column=c): cell(table["fpr_gap"], ctx.lang)
               for c, table in cv["fairness"].items()},
            ctx.t("ui.models.cut_points_col"): f"{number(ctx.lang, card['levels']['moderate'])} / "
                                               f"{number(ctx.lang, card['levels']['high'])}",
            ctx.t("ui.models.gates_col"): ctx.t("ui.models.gates_failed", n=len(failures)) if failures
            else ctx.t("ui.models.gates_passed")}


def _baseline_column(ctx: Page, other: dict[str, Any], baseline: Scorecard) -> dict[str, str]:
    figures = [ctx.t("ui.models.data"), *_figures(ctx, other["cross_validation"]),
               *(ctx.t("ui.models.gap_by", column=c) for c in other["cross_validation"]["fairness"])]
    moderate, high = baseline.cut_points
    same = other["cross_validation"].get("baseline")  # the baseline on the same rows, figured when the card was made
    shown = ({ctx.t("ui.models.data"): f"{other['data']['source']}, {other['data']['rows']}",
              ctx.t("ui.models.auc"): _with(same, "auc", "_ci95", ctx.lang),
              **{ctx.t("ui.models.gap_by", column=c): cell(t["fpr_gap"], ctx.lang)
                 for c, t in same["fairness"].items()}}
             if same else {})
    return {ctx.t("ui.models.model"): baseline.id, ctx.t("ui.models.status_col"): ctx.t("ui.models.status.baseline"),
            ctx.t("ui.models.kind_col"): ctx.t("ui.models.kind.baseline"),
            **{name: ctx.t("ui.models.not_trained") for name in figures}, **shown,
            ctx.t("ui.models.cut_points_col"): ctx.t("ui.models.score_cuts", moderate=f"{moderate:g}",
                                                     high=f"{high:g}"),
            ctx.t("ui.models.gates_col"): ctx.t("ui.models.gates_baseline")}

