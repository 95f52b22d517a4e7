"""The rule base's history: every recorded version, who saved it, when and why; for a chosen version what changed
field by field against the version before it, and on request what the change did to recommendations (a synthetic
population, and for methodologists the stored cases in counts)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from matcher import InputError, RuleBase, RuleBaseError, load_rule_base
from matcher.auth import PERMISSIONS, Action
from matcher.authoring.diff import field_changes, impact, translate
from matcher.modelling.population import synthetic_batch
from matcher.modelling.registry import active_model
from matcher.store.rule_versions import FIRST_USE_AUTHOR, FIRST_USE_REASON
from ui.shared.context import Page, page, report, swedish_time

SYNTHETIC_SEED = 1
POPULATION = 10_000


@st.cache_resource(max_entries=8, show_spinner=False)
def _loaded(digest: str, _files: dict[str, str]) -> tuple[tempfile.TemporaryDirectory[str], RuleBase]:
    """A recorded version loaded from its stored files (``digest`` names it), with the folder it was written to,
    which is removed when the cache lets the version go."""
    folder = tempfile.TemporaryDirectory(prefix="insatsmatch-history-")
    root = Path(folder.name) / "rules"
    for name, text in _files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder, load_rule_base(root)


def _version(ctx: Page, digest: str) -> RuleBase | None:
    try:
        return _loaded(digest, ctx.store.rule_version(ctx.user, digest))[1]
    except (InputError, RuleBaseError) as exc:  # a version recorded under an older rule format
        report(ctx, exc)
        return None


def _changes(ctx: Page, old: RuleBase, new: RuleBase) -> None:
    names = {iv.id: iv.model.name.get(ctx.lang) for iv in [*old.interventions, *new.interventions]}
    changes = field_changes(old, new)
    if not changes:
        st.info(ctx.t("ui.rules_history.no_fields"))
        return
    st.dataframe(pd.DataFrame([{ctx.t("ui.rules_history.where"): names.get(c.intervention, c.intervention),
                                ctx.t("ui.rules_edit.path"): c.field or "-",
                                ctx.t("ui.rules_edit.before"): str(c.old), ctx.t("ui.rules_edit.after"): str(c.new)}
                               for c in changes]), hide_index=True, width="stretch", key="history-changes")


def _effect(ctx: Page, old: RuleBase, new: RuleBase, digest: str) -> None:
    if not st.button(ctx.t("ui.rules_history.show_effect"), key=f"history-effect-{digest}"):
        return
    names = {iv.id: iv.model.name.get(ctx.lang) for iv in [*old.interventions, *new.interventions]}
    old_model, new_model = active_model(old), active_model(new)
    with st.spinner(ctx.t("ui.rules_edit.impact_running")):
        population = synthetic_batch(new, POPULATION, SYNTHETIC_SEED)
        diff = impact(old, new, translate(population, new, old), population, old_model, new_model,
                      examples_per_change=0, lang=ctx.lang)
        stored = ctx.store.stored_case_impact(ctx.user, old, new, old_model, new_model) \
            if Action.RULES_WRITE in PERMISSIONS[ctx.user.role] else None
    if stored is not None:
        scope = ctx.t("ui.rules_edit.scope_unit", unit=ctx.user.unit) if ctx.user.unit \
            else ctx.t("ui.rules_edit.scope_all")
        st.markdown(f"**{ctx.t('ui.rules_edit.stored_heading', cases=stored['cases'], scope=scope)}**")
        _counts(ctx, stored["impact"], names)
    st.markdown(f"**{ctx.t('ui.rules_edit.synthetic_heading', cases=diff.cases)} {ctx.t('text.synthetic')}**")
    _counts(ctx, [vars(i) for i in diff.impacts], names)


def _counts(ctx: Page, rows: list[dict[str, object]], names: dict[str, str]) -> None:
    if not rows:
        st.info(ctx.t("ui.rules_edit.no_change"))
        return
    st.dataframe(pd.DataFrame([{ctx.t("ui.rules_browse.name"): names.get(str(r["intervention"]), r["intervention"]),
                                ctx.t("ui.rules_edit.gained"): r["gained"], ctx.t("ui.rules_edit.lost"): r["lost"]}
                               for r in rows]), hide_index=True, width="stretch")


ctx = page()
st.title(ctx.t("ui.page.rules_history"))
log = [{**row, "author": ctx.t("ui.rules_history.first_use_author")} if row["author"] == FIRST_USE_AUTHOR else row
       for row in ctx.store.rule_log(ctx.user)]
log = [{**row, "reason": ctx.t("ui.rules_history.first_use_reason")} if row["reason"] == FIRST_USE_REASON else row
       for row in log]
if not log:
    st.info(ctx.t("ui.rules_history.none"))
    st.stop()
st.dataframe(pd.DataFrame([{ctx.t("ui.rules_history.saved_at"): swedish_time(row["saved_at"]),
                            ctx.t("ui.rules_history.author"): row["author"],
                            ctx.t("ui.rules_history.reason"): row["reason"],
                            ctx.t("ui.rules_history.version"): row["hash"].removeprefix("sha256:")[:8]}
                           for row in log]), hide_index=True, width="stretch", key="history-log")
chosen = st.selectbox(ctx.t("ui.rules_history.choose"), range(len(log)), key="history-version",
                      format_func=lambda n: ctx.t("ui.rules_history.option", when=swedish_time(log[n]["saved_at"]),
                                                  author=log[n]["author"], reason=log[n]["reason"]))
row = log[chosen]
if row["parent"] is None:
    st.info(ctx.t("ui.rules_history.first"))
    st.stop()
new_rules, old_rules = _version(ctx, row["hash"]), _version(ctx, row["parent"])
if new_rules is None or old_rules is None:
    st.stop()
st.subheader(ctx.t("ui.rules_history.changes"))
_changes(ctx, old_rules, new_rules)
st.subheader(ctx.t("ui.rules_history.effect"))
_effect(ctx, old_rules, new_rules, row["hash"])
