"""The model registry: every version, a model's card, the model beside the active one (or the baseline),
promotion with a reason and the gates of rules/policy.yaml, and retirement."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from matcher import InputError
from matcher.auth import AccessDenied
from matcher.engine.risk import load_scorecard
from matcher.modelling.registry import (
    card_of,
    default_models_dir,
    entry,
    gate_failures,
    promote,
    read_registry,
    retire,
)
from ui.shared.context import page, report
from ui.shared.model_card import gates_text, show_card, side_by_side, synthetic_label, when

DONE = "models.done"


def _event(event: dict[str, str]) -> str:
    return ctx.t("ui.models.event", action=ctx.t(f"ui.models.action.{event['action']}"), at=when(event["at"]),
                 by=event["by"], reason=event["reason"])


ctx = page()
st.title(ctx.t("ui.page.models"))
models = default_models_dir()
gates = ctx.rules.policy.model_gates
baseline = load_scorecard(ctx.rules.catalogue)
st.caption(ctx.t("ui.models.in_use", model=ctx.model.id) + " " + gates_text(ctx, gates))
if DONE in st.session_state:
    st.success(st.session_state.pop(DONE))
try:
    registry = read_registry(models)
except InputError as exc:
    report(ctx, exc)
    st.stop()

listed = registry["models"]
st.dataframe(pd.DataFrame([{ctx.t("ui.models.model"): e["id"],
                            ctx.t("ui.models.status_col"): ctx.t(f"ui.models.status.{e['status']}"),
                            ctx.t("ui.models.synthetic_col"): ctx.t("ui.yes") if e["synthetic"] else "",
                            ctx.t("ui.models.last_event"): _event(e["history"][-1])}
                           for e in listed], columns=[ctx.t(k) for k in ("ui.models.model", "ui.models.status_col",
                                                                         "ui.models.synthetic_col",
                                                                         "ui.models.last_event")]),
             hide_index=True, key="models-table")
st.caption(ctx.t("ui.models.baseline_note", id=baseline.id))
if not listed:
    st.info(ctx.t("ui.models.none"))
    st.page_link("ui/models/train.py", label=ctx.t("ui.page.train"), icon=":material/model_training:")
    st.stop()

by_id = {e["id"]: e for e in listed}
ids = list(by_id)
candidates = [i for i in ids if by_id[i]["status"] == "candidate"]
# The labels never change with an action (no status in them: the table above and the card show it): the browser
# keeps the choice as its label, and a label that changed would match no option, so the page would fall back to
# the default model after a promotion or a retirement.
chosen = st.selectbox(ctx.t("ui.models.choose"), ids, index=ids.index(candidates[-1] if candidates else ids[-1]),
                      key="models-chosen", format_func=lambda i: i + synthetic_label(ctx, by_id[i]["synthetic"]))
item = entry(registry, chosen, models)
active = next((e for e in listed if e["status"] == "active" and e["id"] != chosen), None)
try:
    card = card_of(models, item)
    other = (active, card_of(models, active)) if active else None
except InputError as exc:
    report(ctx, exc)
    st.stop()

card_tab, compare_tab, promote_tab, history_tab = st.tabs(
    [ctx.t("ui.models.tab_card"), ctx.t("ui.models.tab_compare"), ctx.t("ui.models.tab_promote"),
     ctx.t("ui.models.tab_history")])
with card_tab:
    try:
        show_card(ctx, models, item, card)
    except InputError as exc:
        report(ctx, exc)
with compare_tab:
    st.markdown(ctx.t("ui.models.compare_note", left=chosen, right=other[1]["id"] if other else baseline.id))
    compared = side_by_side(ctx, (item, card), other, baseline)
    st.dataframe(compared, hide_index=True, key="models-compare", height=36 * (len(compared) + 1))
    if other is None:
        st.caption(ctx.t("ui.models.baseline_figures"))
with promote_tab:
    failures = gate_failures(card, gates, ctx.lang)
    st.caption(gates_text(ctx, gates))
    if failures:
        st.error(ctx.t("ui.models.fails_gates") + "\n" + "".join(f"\n- {f}" for f in failures))
    else:
        st.success(ctx.t("ui.models.passes_gates"))
    if item["status"] == "active":
        st.info(ctx.t("ui.models.is_active", id=chosen))
    else:
        # Each form belongs to the model on screen (its id is in the keys and on the button): a submission made
        # while another model was shown can never act on this one.
        with st.form(f"models-promote-{chosen}"):
            reason = st.text_area(ctx.t("ui.models.reason"), key=f"models-promote-reason-{chosen}",
                                  help=ctx.t("ui.models.reason_help"))
            force = st.checkbox(ctx.t("ui.models.force"), key=f"models-force-{chosen}", disabled=not failures,
                                help=ctx.t("ui.models.force_help"))
            if st.form_submit_button(ctx.t("ui.models.promote_this", id=chosen), type="primary",
                                     key=f"models-promote-submit-{chosen}"):
                if not reason.strip():
                    st.error(ctx.t("ui.models.reason_needed"))
                elif failures and not force:
                    st.error(ctx.t("ui.models.blocked", n=len(failures)))
                else:
                    try:
                        forced = ctx.store.change_models(
                            ctx.user, "promote", chosen, reason,
                            lambda: promote(models, chosen, reason, ctx.user.username, gates, force), forced=force)
                        st.session_state[DONE] = (ctx.t("ui.models.promoted_forced", id=chosen, n=len(forced))
                                                  if forced else ctx.t("ui.models.promoted", id=chosen))
                        st.rerun()
                    except (InputError, AccessDenied) as exc:
                        report(ctx, exc)
    if item["status"] != "retired":
        with st.form(f"models-retire-{chosen}"):
            st.markdown(ctx.t("ui.models.retire_note"))
            why = st.text_input(ctx.t("ui.models.reason"), key=f"models-retire-reason-{chosen}")
            if st.form_submit_button(ctx.t("ui.models.retire_this", id=chosen), key=f"models-retire-submit-{chosen}"):
                if not why.strip():
                    st.error(ctx.t("ui.models.reason_needed"))
                else:
                    try:
                        ctx.store.change_models(ctx.user, "retire", chosen, why,
                                                lambda: retire(models, chosen, why, ctx.user.username))
                        st.session_state[DONE] = ctx.t("ui.models.retired", id=chosen)
                        st.rerun()
                    except (InputError, AccessDenied) as exc:
                        report(ctx, exc)
with history_tab:
    st.dataframe(pd.DataFrame([{ctx.t("ui.models.when"): when(h["at"]),
                                ctx.t("ui.models.action"): ctx.t(f"ui.models.action.{h['action']}"),
                                ctx.t("ui.models.by"): h["by"], ctx.t("ui.models.reason"): h["reason"],
                                ctx.t("ui.models.failed_gates"): "; ".join(h.get("failed_gates", []))}
                               for h in item["history"]]), hide_index=True, key="models-history")
