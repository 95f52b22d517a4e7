"""YAML files read with the line of every key, so errors can point at file:line and YAML path."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from matcher.errors import Problem

YamlPath = tuple[str | int, ...]


class YamlDoc:
    """A parsed YAML document with the line number of every path in it."""

    def __init__(self, file: str, data: Any, lines: dict[YamlPath, int]):
        self.file = file
        self.data = data
        self.lines = lines

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        path = tuple(path)
        probe = path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        return Problem(self.file, self.lines.get(probe), format_path(path), message)


def format_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def load_yaml(path: Path, display: str) -> YamlDoc:
    """Parse one YAML file; raise ``Problem`` as a ``ValueError`` subclass on syntax errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(Problem(display, None, "", f"not UTF-8 text (byte {exc.start}); save the file as "
                                                         f"UTF-8")) from None
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # a character YAML does not allow (a control character, NUL)
        raise YamlSyntaxError(Problem(display, None, "", f"not valid YAML: {getattr(exc, 'reason', exc)} "
                                                         f"at character {getattr(exc, 'position', '?')}")) from None
    lines: dict[YamlPath, int] = {}
    duplicates: list[Problem] = []
    try:
        root = loader.get_single_node()

        def build(node: Node, where: YamlPath) -> Any:
            lines.setdefault(where, node.start_mark.line + 1)
            if isinstance(node, MappingNode):
                out: dict[Any, Any] = {}
                for key_node, value_node in node.value:
                    key = loader.construct_object(key_node, deep=True)
                    if key in out:
                        duplicates.append(Problem(display, key_node.start_mark.line + 1,
                                                  format_path((*where, key)), "duplicate key"))
                    lines[(*where, key)] = key_node.start_mark.line + 1
                    out[key] = build(value_node, (*where, key))
                return out
            if isinstance(node, SequenceNode):
                return [build(item, (*where, i)) for i, item in enumerate(node.value)]
            try:
                return loader.construct_object(node, deep=True)
            except ValueError:  # a scalar YAML cannot read (a date like 2026-13-01): validation names it
                return node.value

        data = build(root, ()) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise YamlSyntaxError(Problem(display, line, "", f"not valid YAML: {reason}")) from exc
    finally:
        loader.dispose()
    if duplicates:
        raise YamlSyntaxError(*duplicates)
    return YamlDoc(display, data, lines)


class YamlSyntaxError(ValueError):
    def __init__(self, *problems: Problem):
        self.problems = list(problems)
        super().__init__("\n".join(map(str, problems)))
