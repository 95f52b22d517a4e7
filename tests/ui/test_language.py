"""Every page, for every role, in Swedish: no English words, raw keys, English decimal points or UTC times reach a
Swedish reader. The page is rendered in AppTest with a case chosen where the role works with cases; every text,
label, option, placeholder, help text and table cell on it is read. What counts as English is the list below,
kept here and grown whenever a walk-through finds another."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Dataframe, Node

from matcher.auth import PERMISSIONS, Action, Role
from matcher.i18n import t
from tests.ui.apptest import app_as, shown, sign_in, use_demo_database
from ui.shared.context import current_store
from ui.shared.pages import pages_for

ENGLISH = re.compile("|".join([
    r"\bNone\b", r"\bnan\b", r"\bNaT\b", r"\bTrue\b", r"\bFalse\b",
    r"\bChoose\b", r"\bSelect\b", r"\bPage not found\b", r"\bNo results\b", r"\bPlease\b", r"\bError\b",
    r"\b[Tt]he\b", r"\band\b", r"\bof\b", r"\bis\b", r"\bare\b", r"\bnot\b", r"\bmust\b", r"\bcannot\b",
    r"\brequired\b", r"\bshould\b", r"\bwith\b", r"\bfor\b", r"\byou\b", r"\bthis\b",
]))
RAW_KEY = re.compile(r"\b(?:[a-z]+(?:_[a-z0-9]+)+|(?:ui|text|term|risk|why|warning|export|audit|card|role|actor|"
                     r"strength|availability|consent)\.[a-z_]+(?:\.[a-z_]+)*)\b")
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:|\+00:00|\bUTC\b")
DECIMAL_POINT = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")  # 3.5, but not a date, a version a.b.c or an address
ADDRESS = re.compile(r"https?://\S+|\S+@\S+|`[^`]*`")  # links, e-mail addresses and code are not prose
# shown as written, not as the app writes: a person's note, a file's first rows, a file's column names to pick from
AS_WRITTEN = {t("sv", "ui.models.note"), t("sv", "ui.train.preview")}
FILE_COLUMNS = {t("sv", "ui.train.target"), t("sv", "ui.train.groups")}
CITATION = re.compile(r"Källa: [^\n]*")


def _table(node: Dataframe) -> Iterator[str]:
    """A table's column headers as shown and its text and time cells; numbers are formatted by the browser."""
    frame = shown(node)
    yield from (str(c) for c in frame.columns)
    for column in frame.columns:
        if frame[column].dtype == object or str(frame[column].dtype).startswith("datetime"):
            yield from (str(v) for v in frame[column] if v is not None and str(v) not in ("", "nan", "NaT"))


def _texts(node: Node | Block) -> Iterator[str]:
    """Every string a reader sees on a page: texts, and of each widget its label, options, placeholder and help
    (not its value, which is data, not words)."""
    if isinstance(node, Block):
        if isinstance(getattr(node, "label", None), str):
            yield node.label
            if node.label in AS_WRITTEN:
                return
        for child in node.children.values():
            yield from _texts(child)
        return
    if isinstance(node, Dataframe):
        yield from _table(node)
        return
    if node.type == "table":  # st.table: every cell is shown as it is
        frame = node.value
        yield from (str(v) for v in [frame.index.name, *frame.columns, *frame.index, *frame.to_numpy().ravel()]
                    if v is not None and str(v))
        return
    if node.type == "code":  # a file as it is written (the rule editor's YAML), not prose
        return
    widget = hasattr(node, "label")
    for name in ("label", "placeholder", "help") if widget else ("value", "body"):
        try:
            value = getattr(node, name, None)
        except Exception:  # some elements compute a value from state they do not have in AppTest
            continue
        if isinstance(value, str) and value:
            yield value
    options = getattr(node, "options", None) if widget and getattr(node, "label", None) not in FILE_COLUMNS else None
    if isinstance(options, list | tuple):
        yield from (o for o in options if isinstance(o, str))


def problems(at: AppTest, names: list[str]) -> list[str]:
    """What in the page is not Swedish. Insatser keep their names (some are English programme names) and a
    cited source keeps its title."""
    found = []
    for text in set(_texts(at._tree)):
        prose = CITATION.sub(" ", ADDRESS.sub(" ", text))
        for name in names:
            prose = prose.replace(name, " ")
        for kind, pattern in (("English", ENGLISH), ("raw key", RAW_KEY), ("UTC time", UTC_TIME),
                              ("decimal point", DECIMAL_POINT)):
            hit = pattern.search(prose)
            if hit:
                found.append(f"{kind} {hit.group(0)!r} in {text[:160]!r}")
    return sorted(found)


@pytest.fixture(scope="module", autouse=True)
def demo(tmp_path_factory):
    use_demo_database(tmp_path_factory.mktemp("demo-language"))


@pytest.mark.parametrize("role", list(Role))
def test_every_page_of_every_role_reads_in_swedish(role: Role) -> None:
    at = app_as(role)
    rules = current_store("sv").rules  # insatser and instruments keep their names (some are English)
    names = sorted([iv.model.name.sv for iv in rules.interventions]
                   + [adapter.model.name.split(" (")[0] for adapter in rules.instruments.values()],
                   key=len, reverse=True)
    found = {}
    for script, _, _ in pages_for(role):
        if Action.CASE_READ in PERMISSIONS[role]:  # the first case of the unit, as the case list opens it
            at.session_state["case"] = current_store("sv").list_cases(sign_in(role))[0]["code"]
        at.switch_page(script).run()
        assert not at.exception, script
        found[script] = problems(at, names)
    assert {script: hits for script, hits in found.items() if hits} == {}
