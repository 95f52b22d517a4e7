"""A unit's local service catalogue: what it offers, by whom, capacity, waiting time and licences, with its
history. Methodologists and admins change it, as a table or by reading in a file; other roles read it."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from matcher import InputError
from matcher.auth import PERMISSIONS, AccessDenied, Action
from matcher.errors import Problem
from matcher.i18n import swedish_today
from matcher.local.availability import fidelity_warning
from matcher.local.catalogue import (
    FIELDS,
    PROVIDERS,
    CatalogueError,
    LocalCatalogue,
    catalogue_yaml,
    from_rows,
    load_catalogue,
    parse_catalogue,
    table_rows,
)
from ui.shared.context import Page, page, report, swedish_time
from ui.shared.unit_choice import current_unit


def labels(ctx: Page) -> dict[str, dict[str, str]]:
    """The table shows names and labels; they are mapped back to ids when the catalogue is saved."""
    return {"insats": {iv.id: iv.model.name.get(ctx.lang) for iv in ctx.rules.interventions
                       if not iv.model.do_not_offer},
            "provider": {p: ctx.t(f"provider.{p}") for p in PROVIDERS}}


def shown_rows(ctx: Page, catalogue: LocalCatalogue) -> pd.DataFrame:
    rows = pd.DataFrame(table_rows(catalogue), columns=list(FIELDS))
    for column, names in labels(ctx).items():
        rows[column] = rows[column].map(lambda value, names=names: names.get(value, value))
    return rows


def fidelity(ctx: Page, catalogue: LocalCatalogue) -> None:
    today = swedish_today()
    warnings = [w for o in catalogue.offers if o.insats in ctx.rules.ids
                and (w := fidelity_warning(ctx.rules, o.insats, o, today, ctx.lang))]
    needed = [o for o in catalogue.offers if o.offered and o.insats in ctx.rules.ids
              and ctx.rules.interventions[ctx.rules.index(o.insats)].model.fidelity]
    if not needed:
        return
    st.subheader(ctx.t("ui.catalogue.fidelity_title"))
    for warning in warnings:
        st.warning(warning)
    if not warnings:
        st.success(ctx.t("ui.catalogue.fidelity_ok"))


def edit(ctx: Page, unit: str, catalogue: LocalCatalogue) -> None:
    names = labels(ctx)
    label = {column: ctx.t(f"ui.catalogue.column.{column}") for column in FIELDS}
    config = {column: st.column_config.TextColumn(label[column]) for column in FIELDS}
    config.update(
        insats=st.column_config.SelectboxColumn(label["insats"], options=list(names["insats"].values()),
                                                required=True, width="medium"),
        offered=st.column_config.CheckboxColumn(label["offered"], default=False),
        provider=st.column_config.SelectboxColumn(label["provider"], options=list(names["provider"].values())),
        capacity=st.column_config.NumberColumn(label["capacity"], min_value=0, step=1),
        waiting_weeks=st.column_config.NumberColumn(label["waiting_weeks"], min_value=0, max_value=104, step=1),
        cost_per_case=st.column_config.NumberColumn(label["cost_per_case"], min_value=0, step=1000),
        licence_valid_until=st.column_config.DateColumn(label["licence_valid_until"]))
    edited = st.data_editor(shown_rows(ctx, catalogue), num_rows="dynamic", hide_index=True, key="catalogue-editor",
                            column_config=config)
    reason = st.text_input(ctx.t("ui.catalogue.reason"), key="catalogue-reason")
    if st.button(ctx.t("ui.catalogue.save"), type="primary", key="catalogue-save"):
        back = {column: {label: key for key, label in mapping.items()} for column, mapping in names.items()}
        records: list[dict[str, Any]] = edited.to_dict("records")
        for record in records:
            for column, mapping in back.items():
                record[column] = mapping.get(record[column], record[column])
            until = record["licence_valid_until"]
            record["licence_valid_until"] = pd.Timestamp(until).date() if pd.notna(until) else None
        try:
            save(ctx, parse_catalogue(from_rows(unit, records), ctx.rules, ctx.t("ui.page.catalogue")), reason)
        except CatalogueError as exc:
            st.error(ctx.t("ui.error.input") + "\n\n" + "\n".join(f"- {table_problem(ctx, p)}" for p in exc.problems))
        except (InputError, AccessDenied) as exc:
            report(ctx, exc)


def table_problem(ctx: Page, problem: Problem) -> str:
    """A problem of the table by its row and column as the page shows them (the file format's path is offers[n])."""
    place = re.match(r"offers\[(\d+)\]\.?(\w*)\.?(\w*)", problem.path)
    if place is None:
        return problem.text(ctx.lang)
    row, key, sub = place.groups()
    column = f"{key}_{sub}" if key == "licence" and sub else key
    where = ctx.t("ui.catalogue.row", row=int(row) + 1)
    if column in FIELDS:
        where += f", {ctx.t(f'ui.catalogue.column.{column}')}"
    return f"{where}: {problem.text(ctx.lang)}"


def stale(ctx: Page, catalogue: LocalCatalogue) -> None:
    """A saved catalogue checked against the rule base in use, which may have changed since it was saved."""
    try:
        parse_catalogue(catalogue.model_dump(mode="json"), ctx.rules, ctx.t("ui.page.catalogue"))
    except CatalogueError as exc:
        st.warning(ctx.t("ui.catalogue.stale") + "\n\n" + "\n".join(f"- {table_problem(ctx, p)}"
                                                                      for p in exc.problems))


def upload(ctx: Page, unit: str) -> None:
    file = st.file_uploader(ctx.t("ui.catalogue.upload"), type=["yaml", "yml"], key="catalogue-file")
    if file is None:
        return
    reason = st.text_input(ctx.t("ui.catalogue.reason"), key="catalogue-file-reason")
    if st.button(ctx.t("ui.catalogue.upload_save"), key="catalogue-file-save"):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "catalogue.yaml"
            path.write_bytes(file.getvalue())
            try:
                catalogue = load_catalogue(path, ctx.rules, display=file.name)
                if catalogue.unit != unit:
                    raise InputError(ctx.t("ui.catalogue.other_unit", file=file.name, found=catalogue.unit, unit=unit))
                save(ctx, catalogue, reason)
            except (InputError, AccessDenied) as exc:
                report(ctx, exc)


def save(ctx: Page, catalogue: LocalCatalogue, reason: str) -> None:
    version, new = ctx.store.save_catalogue(ctx.user, catalogue, reason)
    st.success(ctx.t("ui.catalogue.saved" if new else "ui.catalogue.unchanged", version=version))


def history(ctx: Page, unit: str) -> None:
    rows = ctx.store.catalogue_log(ctx.user, unit)
    if rows:
        st.subheader(ctx.t("ui.catalogue.history"))
        st.dataframe(pd.DataFrame([{ctx.t(f"ui.catalogue.column.{key}"): swedish_time(row[key]) if key == "saved_at"
                                    else row[key] for key in ("version", "saved_at", "author", "reason", "offers")}
                                   for row in rows]),
                     hide_index=True, key="catalogue-history")


ctx = page()
st.title(ctx.t("ui.page.catalogue"))
unit = current_unit(ctx)
stored = ctx.store.catalogue(ctx.user, unit)
if stored is None:
    st.info(ctx.t("ui.catalogue.none"))
else:
    st.caption(ctx.t("ui.catalogue.stored", version=stored.version, saved_at=swedish_time(stored.saved_at),
                     author=stored.author, reason=stored.reason))
catalogue = stored.catalogue if stored else LocalCatalogue(unit=unit)
stale(ctx, catalogue)
fidelity(ctx, catalogue)
if Action.CATALOGUE_WRITE in PERMISSIONS[ctx.user.role]:
    st.subheader(ctx.t("ui.catalogue.edit"))
    edit(ctx, unit, catalogue)
    upload(ctx, unit)
else:
    table = shown_rows(ctx, catalogue)
    table["offered"] = table["offered"].map({True: ctx.t("ui.yes"), False: ctx.t("ui.no")})
    st.dataframe(table.rename(columns={c: ctx.t(f"ui.catalogue.column.{c}") for c in FIELDS}), hide_index=True,
                 key="catalogue-table")
if stored is not None:
    st.download_button(ctx.t("ui.catalogue.download"), catalogue_yaml(stored.catalogue),
                       file_name=f"catalogue-{unit}-v{stored.version}.yaml", mime="application/yaml",
                       key="catalogue-download", on_click="ignore")
history(ctx, unit)
