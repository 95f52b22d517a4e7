"""Take a case, run it through the engine, show ranked and explained recommendations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from matcher import InputError, RuleBaseError, encode_cases, explain, match
from matcher.i18n import t
from matcher.scoring import TERMS
from ui.loading import served

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

lang: str = st.session_state.get("lang", "sv")
st.title(t(lang, "ui.title"))
st.caption(t(lang, "text.decision_note"))

try:
    rules, model, reload_problem = served()
except RuleBaseError as exc:
    st.error(t(lang, "ui.rules_broken") + "\n\n" + str(exc))
    st.stop()
if reload_problem:
    st.warning(t(lang, "ui.rules_reload_failed") + "\n\n" + reload_problem)

examples = sorted(EXAMPLES.glob("*.json"))
choice = st.selectbox(t(lang, "ui.example"), examples, format_func=lambda p: f"{p.stem} {t(lang, 'text.synthetic')}",
                      key="example")
uploaded = st.file_uploader(t(lang, "ui.upload"), type=["json"], key="upload")
initial = uploaded.getvalue().decode("utf-8") if uploaded else Path(choice).read_text(encoding="utf-8")
case_text = st.text_area(t(lang, "ui.case_json"), initial, height=260, key=f"case-{choice}-{uploaded is not None}")
run = st.button(t(lang, "ui.run"), type="primary", key="run")


def _term_chart(rec: dict[str, Any]) -> alt.Chart:
    data = pd.DataFrame({"term": [t(lang, f"term.{name}") for name in TERMS],
                         "points": [rec["terms"][name] for name in TERMS], "row": rec["name"]})
    names = [t(lang, f"term.{name}") for name in TERMS]
    return alt.Chart(data).mark_bar(size=26).encode(
        x=alt.X("sum(points):Q", title=t(lang, "ui.score"), scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("row:N", title=None, axis=None),
        color=alt.Color("term:N", title=None, sort=names, legend=None),
        order=alt.Order("order:Q"),
        tooltip=["term:N", "points:Q"],
    ).transform_calculate(order=f"indexof({names!r}, datum.term)").properties(height=40)


def _show(res: dict[str, Any]) -> None:
    risk = res["risk"]
    heading = t(lang, "text.case", case_id=res["case_id"])
    st.header(heading + (f" {t(lang, 'text.synthetic')}" if res["synthetic"] else ""))
    st.subheader(t(lang, "text.risk", level=risk["label"], score=f"{risk['score']:g}"))
    with st.expander(t(lang, "text.points")):
        st.dataframe(pd.DataFrame(risk["points"]), hide_index=True)
    for warning in res["warnings"]:
        st.warning(warning["message"])
    st.subheader(t(lang, "text.recommendations"))
    if not res["recommendations"]:
        st.info(t(lang, "text.no_recommendations"))
    for rec in res["recommendations"]:
        with st.container(border=True):
            terms = " + ".join(f"{t(lang, f'term.{name}')} {rec['terms'][name]:.2f}" for name in TERMS)
            st.markdown(f"**{rec['rank']}. {rec['name']}** – {t(lang, 'ui.score')} {rec['score']:.2f} ({terms})")
            st.altair_chart(_term_chart(rec), use_container_width=True)
            st.markdown("\n".join(f"- {reason}" for reason in rec["reasons"]))
            with st.expander(t(lang, "ui.evidence")):
                st.dataframe(pd.DataFrame(rec["evidence"]), hide_index=True)
    with st.expander(t(lang, "text.not_recommended")):
        st.markdown("\n".join(f"- **{item['name']}**: {' '.join(item['reasons'])}" for item in res["not_recommended"]))
    st.caption(t(lang, "text.version", **res["version"]))


if run:
    try:
        case = json.loads(case_text)
        result = match(encode_cases([(t(lang, "ui.case_json"), case)], rules), rules, model)
        st.session_state["result"] = explain(result, 0, lang)
    except json.JSONDecodeError as exc:
        st.error(t(lang, "ui.bad_json", message=exc.msg, line=exc.lineno, column=exc.colno))
    except InputError as exc:
        st.error(t(lang, "ui.bad_case") + "\n\n" + str(exc))
if "result" in st.session_state:
    _show(st.session_state["result"])
