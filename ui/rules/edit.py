"""Change one insats: edit it in a form or as YAML with the problems shown as you go, run the rule tests, see
the impact on the stored cases (counts only) and on a synthetic population, then save with a reason."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, get_args

import pandas as pd
import streamlit as st

from matcher import InputError
from matcher.auth import AccessDenied
from matcher.authoring.diff import field_changes, impact, translate
from matcher.authoring.edit import FORM_FIELDS, Candidate, apply_form, candidate, current_text, form_values, save
from matcher.authoring.rule_tests import run_rule_tests
from matcher.engine.cards import TYPES, intervention_card
from matcher.engine.risk import RiskModel
from matcher.errors import ConflictError
from matcher.modelling.population import synthetic_batch
from matcher.modelling.registry import active_model
from matcher.rulebase.loading import content_hash, default_rules_dir
from matcher.rulebase.schema import Actor, Intensity, Prerequisite
from ui.shared.context import Page, page, report
from ui.shared.rule_card import do_not_offer_warning, show_card

SYNTHETIC_SEED = 1
ACTORS, INTENSITIES, PREREQUISITES = get_args(Actor), get_args(Intensity), get_args(Prerequisite)


@st.cache_resource(max_entries=16, show_spinner=False)
def _checked(root: str, digest: str, intervention: str, text: str) -> Candidate:
    """The edited text checked in a copy of the rule base (``digest``: the folder's content, so a save elsewhere
    checks again); kept while cached, so a rerun does not check the same text twice."""
    return candidate(Path(root), intervention, text)


def _model(checked: Candidate) -> RiskModel:
    assert checked.rules is not None
    return active_model(checked.rules)


def _open(intervention: str) -> None:
    """Start editing from the file as it is now."""
    text = current_text(default_rules_dir(), intervention)
    st.session_state[f"rules_edit_text_{intervention}"] = text
    st.session_state[f"rules_edit_base_{intervention}"] = text


def _apply(intervention: str, rev: str) -> None:
    key = f"rules_edit_text_{intervention}"
    values = {name: st.session_state[f"rules_edit_f_{name}_{rev}"] for name in FORM_FIELDS}
    st.session_state[key] = apply_form(st.session_state[key], values)


def _save(ctx: Page, intervention: str) -> None:
    try:
        digest, new = save(ctx.store, ctx.user, default_rules_dir(), intervention,
                           st.session_state[f"rules_edit_text_{intervention}"],
                           st.session_state[f"rules_edit_base_{intervention}"],
                           st.session_state.get("rules_edit_reason", ""))
    except (InputError, AccessDenied, ConflictError, OSError) as exc:
        st.session_state["rules_edit_outcome"] = exc
        return
    st.session_state["rules_edit_outcome"] = ctx.t("ui.rules_edit.saved" if new else "ui.rules_edit.unchanged",
                                                   file=f"rules/interventions/{intervention}.yaml", version=digest[:19])
    st.session_state["rules_edit_reason"] = ""
    _open(intervention)


def _form(ctx: Page, intervention: str, text: str, rev: str) -> None:
    try:
        values = form_values(text)
    except InputError:
        st.info(ctx.t("ui.rules_edit.form_needs_valid"))
        return
    with st.form(f"rules_edit_form_{rev}", border=False):
        def key(name: str) -> str:
            return f"rules_edit_f_{name}_{rev}"

        sv, en = st.columns(2)
        for column, lang in ((sv, "sv"), (en, "en")):
            column.text_input(ctx.t(f"ui.rules_edit.name_{lang}"), values[f"name.{lang}"], key=key(f"name.{lang}"))
            column.text_area(ctx.t(f"ui.rules_edit.summary_{lang}"), values[f"summary.{lang}"], height=120,
                             key=key(f"summary.{lang}"))
        left, middle, right = st.columns(3)
        left.selectbox(ctx.t("card.type"), TYPES, TYPES.index(values["type"]), key=key("type"),
                       format_func=lambda v: ctx.t(f"card.type.{v}"))
        middle.selectbox(ctx.t("card.actor"), ACTORS, ACTORS.index(values["actor"]), key=key("actor"),
                         format_func=lambda v: ctx.t(f"actor.{v}"))
        right.selectbox(ctx.t("card.intensity"), INTENSITIES, INTENSITIES.index(values["intensity"]),
                        key=key("intensity"), format_func=lambda v: ctx.t(f"intensity.{v}"))
        left.number_input(ctx.t("ui.rules_edit.age_min"), 0, 30, values["age.min"], key=key("age.min"))
        middle.number_input(ctx.t("ui.rules_edit.age_max"), 0, 30, values["age.max"], key=key("age.max"))
        right.multiselect(ctx.t("card.prerequisites"), PREREQUISITES, values["prerequisites"], key=key("prerequisites"),
                          format_func=lambda v: ctx.t(f"card.prerequisite.{v}"),
                          placeholder=ctx.t("ui.rules_edit.no_prerequisites"))
        left.checkbox(ctx.t("card.format.group"), values["group_format"], key=key("group_format"))
        middle.checkbox(ctx.t("ui.rules_edit.do_not_offer"), values["do_not_offer"], key=key("do_not_offer"))
        st.form_submit_button(ctx.t("ui.rules_edit.apply"), on_click=_apply, args=(intervention, rev),
                              key=f"rules_edit_apply_{rev}")
    st.caption(ctx.t("ui.rules_edit.form_scope"))


def _problems(ctx: Page, checked: Candidate) -> None:
    """What is wrong with the edited rule base, as it stands: file, line, YAML path, message."""
    rows = [{"severity": "error", "problem": p, "message": p.text(ctx.lang)} for p in checked.problems] + \
        [{"severity": f.severity, "problem": f.problem, "message": f.text(ctx.lang)} for f in checked.findings]
    errors = len(checked.errors)
    if errors:
        st.error(ctx.t("ui.rules_edit.invalid", count=errors))
    else:
        st.success(ctx.t("ui.rules_edit.valid", warnings=len(rows)))
    if rows:
        st.markdown("\n".join(ctx.t("ui.rules_edit.problem", severity=ctx.t(f"ui.rules_edit.{row['severity']}"),
                                     file=row["problem"].file, line=row["problem"].line or "-",
                                     path=row["problem"].path or "-", message=row["message"])
                               for row in rows))


def _tests(ctx: Page, checked: Candidate, stamp: str) -> None:
    if st.button(ctx.t("ui.rules_edit.run_tests"), key="rules_edit_run_tests", disabled=checked.rules is None):
        with st.spinner(ctx.t("ui.rules_edit.testing")):
            assert checked.rules is not None
            st.session_state["rules_edit_tests"] = (stamp, run_rule_tests(checked.rules, _model(checked)))
    done = st.session_state.get("rules_edit_tests")
    if done and done[0] == stamp:
        result = done[1]
        if result.ok:
            st.success(ctx.t("ui.rules_edit.tests_passed", passed=result.passed))
        else:
            st.error(ctx.t("ui.rules_edit.tests_failed", failed=len(result.failures) + len(result.problems),
                           passed=result.passed))
            st.code(str(result), language=None)


def _impact(ctx: Page, checked: Candidate, stamp: str) -> None:
    size = st.number_input(ctx.t("ui.rules_edit.population"), 100, 200_000, 10_000, step=1_000,
                           key="rules_edit_population")
    if st.button(ctx.t("ui.rules_edit.show_impact"), key="rules_edit_impact", disabled=checked.rules is None):
        assert checked.rules is not None
        with st.status(ctx.t("ui.rules_edit.impact_running"), expanded=False) as status:
            new_model = _model(checked)
            st.write(ctx.t("ui.rules_edit.impact_stored_step"))
            stored = ctx.store.stored_case_impact(ctx.user, ctx.rules, checked.rules, ctx.model, new_model)
            st.write(ctx.t("ui.rules_edit.impact_synthetic_step", size=int(size)))
            population = synthetic_batch(checked.rules, int(size), SYNTHETIC_SEED)
            diff = impact(ctx.rules, checked.rules, translate(population, checked.rules, ctx.rules), population,
                          ctx.model, new_model, lang=ctx.lang)
            status.update(label=ctx.t("ui.rules_edit.impact_done"), state="complete")
        st.session_state["rules_edit_impact_result"] = (stamp, stored, diff)
    done = st.session_state.get("rules_edit_impact_result")
    if not done or done[0] != stamp:
        return
    _, stored, diff = done
    names = {iv.id: iv.model.name.get(ctx.lang) for iv in ctx.rules.interventions}
    scope = ctx.t("ui.rules_edit.scope_unit", unit=ctx.user.unit) if ctx.user.unit else ctx.t("ui.rules_edit.scope_all")
    st.markdown(f"**{ctx.t('ui.rules_edit.stored_heading', cases=stored['cases'], scope=scope)}**")
    st.caption(ctx.t("ui.rules_edit.stored_note", unreadable=stored["unreadable"]))
    _counts(ctx, stored["impact"], names)
    st.markdown(f"**{ctx.t('ui.rules_edit.synthetic_heading', cases=diff.cases)} {ctx.t('text.synthetic')}**")
    _counts(ctx, [vars(i) for i in diff.impacts], names)
    examples = [e for i in diff.impacts for e in i.examples]
    if examples:
        with st.expander(ctx.t("ui.rules_edit.examples")):
            for e in examples:
                badge = f" {ctx.t('text.synthetic')}" if e["synthetic"] else ""
                st.markdown(ctx.t(f"ui.rules_edit.example_{e['change']}", case=e["case"] + badge,
                                  before=", ".join(e["before"]) or "-", after=", ".join(e["after"]) or "-"))
                st.caption(f"{ctx.t('ui.rules_edit.before')}: {' '.join(e['why_before'])}  \n"
                           f"{ctx.t('ui.rules_edit.after')}: {' '.join(e['why_after'])}")


def _counts(ctx: Page, rows: list[dict[str, Any]], names: dict[str, str]) -> None:
    if not rows:
        st.info(ctx.t("ui.rules_edit.no_change"))
        return
    st.dataframe(pd.DataFrame([{ctx.t("ui.rules_browse.name"): names.get(r["intervention"], r["intervention"]),
                                ctx.t("ui.rules_edit.gained"): r["gained"], ctx.t("ui.rules_edit.lost"): r["lost"]}
                               for r in rows]), hide_index=True, width="stretch")


ctx = page()
root = default_rules_dir()
st.title(ctx.t("ui.rules_edit.title"))
st.caption(ctx.t("ui.rules_edit.intro"))
names = {iv.id: iv.model.name.get(ctx.lang) for iv in ctx.rules.interventions}
intervention = st.selectbox(ctx.t("ui.rules_edit.choose"), ctx.rules.ids, key="rules_edit_pick",
                            format_func=lambda iid: f"{names[iid]} ({iid})")
if not {f"rules_edit_text_{intervention}", f"rules_edit_base_{intervention}"} <= set(st.session_state):
    try:
        _open(intervention)
    except (InputError, OSError) as exc:
        report(ctx, exc)
        st.stop()
text: str = st.session_state[f"rules_edit_text_{intervention}"]
rev = hashlib.sha256(text.encode()).hexdigest()[:12]
digest = content_hash(root)
stamp = f"{digest}:{intervention}:{rev}"
with st.spinner(ctx.t("ui.rules_edit.checking")):
    checked = _checked(str(root), digest, intervention, text)
do_not_offer_warning(ctx, intervention_card(checked.rules or ctx.rules, intervention, ctx.lang))

as_form, as_yaml = st.tabs([ctx.t("ui.rules_edit.tab_form"), ctx.t("ui.rules_edit.tab_yaml")])
with as_form:
    _form(ctx, intervention, text, rev)
with as_yaml:
    st.text_area(ctx.t("ui.rules_edit.yaml", file=f"rules/interventions/{intervention}.yaml"), height=520,
                 key=f"rules_edit_text_{intervention}")
    with st.expander(ctx.t("ui.rules_edit.line_numbers")):
        st.code(text, language="yaml", line_numbers=True)
    st.button(ctx.t("ui.rules_edit.reload"), key="rules_edit_reload", on_click=_open, args=(intervention,))

st.subheader(ctx.t("ui.rules_edit.check_heading"))
_problems(ctx, checked)
if checked.rules is not None:
    changes = [c for c in field_changes(ctx.rules, checked.rules) if c.intervention == intervention]
    with st.expander(ctx.t("ui.rules_edit.changes", count=len(changes))):
        if changes:
            st.dataframe(pd.DataFrame([{ctx.t("ui.rules_edit.path"): c.field, ctx.t("ui.rules_edit.before"): str(c.old),
                                        ctx.t("ui.rules_edit.after"): str(c.new)} for c in changes]),
                         hide_index=True, width="stretch")
    with st.expander(ctx.t("ui.rules_edit.preview")):
        show_card(ctx, intervention_card(checked.rules, intervention, ctx.lang))

st.subheader(ctx.t("ui.rules_edit.tests_heading"))
_tests(ctx, checked, stamp)
st.subheader(ctx.t("ui.rules_edit.impact_heading"))
_impact(ctx, checked, stamp)

st.subheader(ctx.t("ui.rules_edit.save_heading"))
st.text_input(ctx.t("ui.rules_edit.reason"), key="rules_edit_reason", placeholder=ctx.t("ui.rules_edit.reason_hint"))
st.button(ctx.t("ui.rules_edit.save"), key="rules_edit_save", type="primary", on_click=_save, args=(ctx, intervention),
          disabled=bool(checked.errors))
if checked.errors:
    st.caption(ctx.t("ui.rules_edit.save_blocked", count=len(checked.errors)))
outcome = st.session_state.pop("rules_edit_outcome", None)
if isinstance(outcome, Exception):
    report(ctx, outcome)
elif outcome:
    st.success(outcome)
