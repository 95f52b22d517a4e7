"""libyaml reads a rule file exactly as PyYAML's own parser does: the same values, the same line of every path,
the same message for every file either refuses; a text that could nest deeper than libyaml handles in bounded
memory is left to PyYAML's parser."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.rulebase import yamlsource
from matcher.rulebase.loading import rule_files
from matcher.rulebase.yamlsource import LIBYAML_NESTING, YamlDoc, YamlSyntaxError, load_yaml
from tests.conftest import ROOT, RULES

TOKENS = ["a", "b: ", ": ", "- ", "? ", "[", "]", "{", "}", ", ", "\n", "  ", "\t", "&x ", "*x", "'", '"', "#", "|",
          ">", "1", "2026-13-01", "yes", "~", "\\", "é", "\x00", "\x85", "---", "...", "%YAML 1.1\n", "!!str ",
          "!!int ", "!!bool ", "!!float ", "!!timestamp ", "!!null ", "!!binary ", "!!python/name:x "]


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """(what load_yaml gives, what it gives with PyYAML's parser alone): a YamlDoc's values and lines, or the
    messages of the YamlSyntaxError it raises."""

    def outcome() -> object:
        try:
            doc: YamlDoc = load_yaml(path, "rules/x.yaml")
        except YamlSyntaxError as exc:
            return [str(p) for p in exc.problems]
        return doc.data, doc.lines

    first = outcome()
    with monkeypatch.context() as m:
        m.setattr(yamlsource, "C_LOADER", None)
        return first, outcome()


@pytest.mark.parametrize("path", [*rule_files(RULES), *sorted((ROOT / "matcher" / "i18n").glob("*.yaml"))],
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_shipped_file_reads_the_same_with_both_parsers(path: Path, monkeypatch) -> None:
    assert yamlsource.C_LOADER is not None  # the pinned PyYAML wheel carries libyaml
    fast, pure = _both(path, monkeypatch)
    assert fast == pure


def test_any_text_reads_the_same_with_both_parsers(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "x.yaml"

    @settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
    def check(text: str) -> None:
        path.write_text(text, encoding="utf-8")
        fast, pure = _both(path, monkeypatch)
        assert fast == pure, text

    check()


@pytest.mark.parametrize("depth", [LIBYAML_NESTING - 10, 200_000], ids=["libyaml", "pyyaml"])
def test_deep_nesting_is_refused_in_bounded_memory(depth: int, tmp_path: Path) -> None:
    """Nesting that libyaml is given (under its bound) and nesting left to PyYAML (400 KB of brackets, under the
    size limit; libyaml would take more than 24 GB) get the same message."""
    path = tmp_path / "policy.yaml"
    path.write_text("top_k: 5\nweights:\n  need: " + "[" * depth + "]" * depth, encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(YamlSyntaxError) as raised:
        load_yaml(path, "rules/policy.yaml")
    assert [str(p) for p in raised.value.problems] == ["rules/policy.yaml: nested more than 40 levels deep (the limit)"]
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 300 * 1024  # KB


def test_a_value_its_tag_cannot_read_is_left_to_validation(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("top_k: !!int\nflag: !!bool maybe\nread: !!timestamp x\n", encoding="utf-8")
    assert load_yaml(path, "rules/policy.yaml").data == {"top_k": "", "flag": "maybe", "read": "x"}
