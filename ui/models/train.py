"""Train a candidate model: outcome data in the training format (uploaded, or synthetic and labelled so),
target, model kind and group columns; a progress bar per cross-validation fold; then its card."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from matcher import InputError, RuleBase
from matcher.auth import AccessDenied
from matcher.modelling.registry import card_of, default_models_dir, entry, read_registry, register
from matcher.modelling.synth import TARGET, synthetic_training
from matcher.modelling.train import MODEL_KINDS, train
from matcher.modelling.training_data import frame_sha256, read_frame, training_data
from ui.shared.context import page, report
from ui.shared.model_card import show_card, synthetic_label

TRAINED = "train.model"
SYNTHETIC_GROUPS = ("sex", "born_abroad")


@st.cache_data(max_entries=2, show_spinner=False)
def _synthetic(n: int, seed: int, digest: str, _rules: RuleBase) -> tuple[pd.DataFrame, str]:
    frame = synthetic_training(_rules, n, seed)
    return frame, frame_sha256(frame)


def _uploaded(name: str, content: bytes) -> tuple[pd.DataFrame, str]:
    """The upload read as the command line reads a file (same checks, same fingerprint)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name  # a client could send a name with folders in it
        path.write_bytes(content)
        try:
            frame, digest, _read_as = read_frame(path)
        except InputError as exc:  # name the file as the user knows it, not the temporary copy
            raise InputError(str(exc).replace(f"{folder}/", "")) from None
    return frame, digest


def _step(done: int, total: int) -> str:
    if done <= total - 2:  # every fold of every repeat of the policy's cross-validation
        return ctx.t("ui.train.step_fold", done=done, folds=total - 2)
    return ctx.t("ui.train.step_fit") if done < total else ctx.t("ui.train.step_card")


ctx = page()
st.title(ctx.t("ui.page.train"))
st.caption(ctx.t("ui.train.intro"))
source = st.radio(ctx.t("ui.train.source"), ["synthetic", "upload"], key="train-source", horizontal=True,
                  format_func=lambda s: ctx.t(f"ui.train.source_{s}"))
if source == "synthetic":
    left, right = st.columns(2)
    n = int(left.number_input(ctx.t("ui.train.rows"), min_value=100, max_value=100_000, value=2000, step=100,
                              key="train-rows"))
    seed = int(right.number_input(ctx.t("ui.train.seed"), min_value=0, value=0, step=1, key="train-seed"))
    frame, digest = _synthetic(n, seed, ctx.rules.content_hash, ctx.rules)
    name = f"synthetic-{n}-seed{seed}.csv"
    st.caption(ctx.t("ui.train.synthetic_note", rows=n, seed=seed) + synthetic_label(ctx, True))
else:
    upload = st.file_uploader(ctx.t("ui.train.upload"), type=["csv", "parquet"], key="train-upload",
                              help=ctx.t("ui.train.upload_help"))
    if upload is None:
        st.info(ctx.t("ui.train.no_file"))
        st.stop()
    try:
        frame, digest = _uploaded(upload.name, upload.getvalue())
    except InputError as exc:
        report(ctx, exc)
        st.stop()
    name = upload.name
    st.caption(ctx.t("ui.train.file_note", name=name, rows=len(frame), columns=len(frame.columns)))

columns = [str(c) for c in frame.columns]
with st.expander(ctx.t("ui.train.preview")):
    st.dataframe(frame.head(5), hide_index=True, key="train-preview")
with st.form("train-form"):
    target = st.selectbox(ctx.t("ui.train.target"), columns, index=columns.index(TARGET) if TARGET in columns
                          else len(columns) - 1, key="train-target", help=ctx.t("ui.train.target_help"))
    instrument = st.selectbox(ctx.t("ui.train.instrument"), ["", *ctx.rules.instruments], key="train-instrument",
                              format_func=lambda i: ctx.rules.instruments[i].model.name.split(" (")[0] if i
                              else ctx.t("ui.train.factor_columns"))
    groups = st.multiselect(ctx.t("ui.train.groups"), columns, key="train-groups",
                            default=[g for g in SYNTHETIC_GROUPS if g in columns and source == "synthetic"],
                            help=ctx.t("ui.train.groups_help"))
    kind = st.radio(ctx.t("ui.train.kind"), list(MODEL_KINDS), key="train-kind", horizontal=True,
                    format_func=lambda k: ctx.t(f"ui.models.kind.{k}"))
    left, right = st.columns(2)
    levels = ctx.rules.policy.model_gates.levels  # fairness is judged at these whatever is chosen here
    moderate = left.number_input(ctx.t("ui.train.moderate"), 0.01, 0.99, levels["moderate"], 0.05,
                                 key="train-moderate")
    high = right.number_input(ctx.t("ui.train.high"), 0.01, 0.99, levels["high"], 0.05, key="train-high")
    note = st.text_area(ctx.t("ui.train.note"), key="train-note", help=ctx.t("ui.train.note_help"))
    submitted = st.form_submit_button(ctx.t("ui.train.submit"), type="primary", key="train-submit")

models = default_models_dir()
if submitted:
    try:
        data = training_data(frame, ctx.rules, target, source=name, sha256=digest, instrument=instrument or None,
                             groups=groups)
        bar = st.progress(0.0, text=ctx.t("ui.train.started", rows=data.rows, features=len(data.features)))
        model_id, _ = train(data, ctx.rules, kind, models, cut_points=(moderate, high), note=note.strip(),
                            trained_by=ctx.user.username,
                            progress=lambda done, total: bar.progress(done / total, text=_step(done, total)))
        ctx.store.change_models(ctx.user, "register", model_id, "trained",
                                lambda: register(models, model_id, ctx.user.username))
        st.session_state[TRAINED] = model_id
    except (InputError, AccessDenied) as exc:
        report(ctx, exc)

trained = st.session_state.get(TRAINED)
if trained:
    try:
        item = entry(read_registry(models), trained, models)
        card = card_of(models, item)
    except InputError as exc:
        report(ctx, exc)
        st.stop()
    st.success(ctx.t("ui.train.done", id=trained, status=ctx.t(f"ui.models.status.{item['status']}")))
    st.page_link("ui/models/registry.py", label=ctx.t("ui.train.to_models"), icon=":material/analytics:")
    show_card(ctx, models, item, card)
