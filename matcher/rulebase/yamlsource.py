"""YAML files read with the line of every key, so errors can point at file:line and YAML path."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from matcher.errors import Problem, shown
from matcher.i18n import Message, message, thousands

YamlPath = tuple[str | int, ...]
MAX_BYTES = 1024 * 1024  # a rule or catalogue file; the largest shipped one is 34 KB
MAX_DEPTH = 40  # levels of nesting; a deep eligibility condition needs about 15
MAX_VALUES = 200_000  # values once aliases are expanded; the whole shipped rule base has about 10,000
MAX_STRING = 64 * 1024  # characters in one text
SHOWN_PATH = 8
SHOWN_KEY = 80
PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
LIBYAML_NESTING = 5_000  # nesting characters in a text libyaml parses (at most 140 MB); the shipped files have 1,200
C_LOADER = getattr(yaml, "CSafeLoader", None)  # PyYAML built without libyaml has none
# where libyaml reads what PyYAML's parser refuses or reads otherwise: a tab (PyYAML allows one only in a few
# places), a block scalar's header running into a comment ("|#") and a question mark before a space ("{a? b}")
LIBYAML_DIFFERS = re.compile(r"\t|[|>][-+0-9]*#|\?\s")


class YamlDoc:
    """A parsed YAML document with the line number of every path in it."""

    def __init__(self, file: str, data: Any, lines: dict[YamlPath, int]):
        self.file = file
        self.data = data
        self.lines = lines

    def problem(self, path: Sequence[str | int], message: str | Message) -> Problem:
        path = tuple(path)
        probe = path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        return Problem(self.file, self.lines.get(probe), format_path(path), str(message),
                       message if isinstance(message, Message) else None)


def format_path(path: Iterable[str | int]) -> str:
    """A path as a message shows it: ``offers[2].capacity``; a key with control characters or over 80 characters
    is quoted and cut, so a message never moves the reader's terminal."""
    out = ""
    for part in path:
        text = str(part)
        if not text.isprintable() or len(text) > SHOWN_KEY:
            text = shown(text, SHOWN_KEY)
        out += f"[{part}]" if isinstance(part, int) else (f".{text}" if out else text)
    return out


YAML_REASONS_SV = {  # the YAML parser's commonest complaints, as a Swedish reader needs them
    "mapping values are not allowed here": "ett kolon står där det inte får stå (saknas ett mellanslag efter "
                                           "kolonet, eller citattecken runt en text med kolon?)",
    "could not find expected ':'": "ett kolon saknas efter en nyckel",
    "did not find expected key": "indraget stämmer inte: här borde en nyckel stå",
    "did not find expected '-' indicator": "indraget stämmer inte: här borde en listrad (-) stå",
    "found character '\\t' that cannot start any token": "ett tabbtecken; dra in med mellanslag",
    "found unexpected end of stream": "filen tar slut mitt i ett värde (ett citattecken som inte stängs?)",
    "found undefined alias": "ett alias (*namn) som inte är definierat",
}


def did_you_mean(name: str, candidates: Iterable[str]) -> Message | str:
    close = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return message("problem.did_you_mean", name=close[0]) if close else ""


def load_yaml(path: Path, display: str) -> YamlDoc:
    """Parse one YAML file; raise ``YamlSyntaxError`` with every problem located. A file over ``MAX_BYTES``, nesting
    deeper than ``MAX_DEPTH``, more than ``MAX_VALUES`` values once aliases are expanded (an alias bomb or an alias
    to itself) and a text over ``MAX_STRING`` characters are refused, each naming its limit."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise YamlSyntaxError(Problem.of(display, None, "", message("problem.file_too_big", size=thousands(size),
                                                                    limit=thousands(MAX_BYTES))))
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(Problem.of(display, data.count(b"\n", 0, exc.start) + 1, "", message(
            "problem.not_utf8", byte=f"0x{data[exc.start]:02x}", offset=exc.start))) from None
    return parse_yaml(text, display)


def parse_yaml(text: str, display: str) -> YamlDoc:
    """A YAML text (of a file called ``display``) as ``load_yaml`` parses a file, with the same limits."""
    doc = _load_with_libyaml(text, display)
    if doc is not None:
        return doc
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # a character YAML does not allow (a control character, NUL)
        position = getattr(exc, "position", 0) or 0
        raise YamlSyntaxError(Problem.of(display, text.count("\n", 0, position) + 1, "", message(
            "problem.yaml_character", reason=getattr(exc, "reason", exc), position=position + 1))) from None
    try:
        builder = _Builder(loader, display)
        root = loader.get_single_node()
        value = builder.build(root, (), 0) if root is not None else None
    except RecursionError:
        raise YamlSyntaxError(Problem.of(display, None, "", message("problem.too_deep", limit=MAX_DEPTH))) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise YamlSyntaxError(Problem.of(display, line, "", message(
            "problem.yaml_syntax", reason={"en": reason, "sv": YAML_REASONS_SV.get(reason, reason)}))) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise YamlSyntaxError(*builder.problems)
    return YamlDoc(display, value, builder.lines)


def _load_with_libyaml(text: str, display: str) -> YamlDoc | None:
    """The document as libyaml parses it (about 25 times faster than PyYAML's own parser), or None where the
    text is left to PyYAML's parser: where the two parsers read a text differently (``LIBYAML_DIFFERS``), where it
    could nest deeper than ``LIBYAML_NESTING``, and wherever there is something to complain about, so that every
    complaint is worded as PyYAML's parser words it (the Swedish reasons are written for its messages).

    Every level of nesting needs a character of its own among ``[{-?:`` (a bracket, a list dash, a key's
    question mark or colon), so their count bounds the depth. The bound matters: libyaml's memory grows with the
    square of the depth (20,000 nested brackets took 417 MB, 200,000 more than 24 GB) and its composer
    recurses on the C stack, where PyYAML's stops at Python's recursion limit."""
    if C_LOADER is None or LIBYAML_DIFFERS.search(text) or sum(map(text.count, "[{-?:")) > LIBYAML_NESTING:
        return None
    try:
        loader = C_LOADER(text)
    except yaml.YAMLError:
        return None
    try:
        builder = _Builder(loader, display)
        root = loader.get_single_node()
        if not isinstance(root, MappingNode | SequenceNode):  # no file to read: its messages come from PyYAML
            return None
        value = builder.build(root, (), 0)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return None if builder.problems else YamlDoc(display, value, builder.lines)


class _Limit(Exception):
    """A limit of ``load_yaml`` passed: building stops at once (the problem is in ``_Builder.problems``)."""


class _Builder:
    """Python values from composed YAML nodes, recording the line of every path and refusing duplicate keys,
    keys that are not single values, and whatever passes a limit."""

    def __init__(self, loader: yaml.SafeLoader | yaml.CSafeLoader, display: str):
        self.loader, self.display = loader, display
        self.lines: dict[YamlPath, int] = {}
        self.problems: list[Problem] = []
        self.values = 0
        self.open: set[int] = set()  # the mappings and lists being built: an alias to one of them is a loop

    def build(self, node: Node, where: YamlPath, depth: int) -> Any:
        try:
            return self._build(node, where, depth)
        except _Limit:
            return None

    def _stop(self, node: Node, where: YamlPath, said: Message) -> _Limit:
        path = format_path(where[:SHOWN_PATH]) + (" ..." if len(where) > SHOWN_PATH else "")
        self.problems.append(Problem.of(self.display, node.start_mark.line + 1, path, said))
        return _Limit()

    def _build(self, node: Node, where: YamlPath, depth: int) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise self._stop(node, where, message("problem.too_many_values", limit=thousands(MAX_VALUES)))
        if depth > MAX_DEPTH:
            raise self._stop(node, where, message("problem.too_deep", limit=MAX_DEPTH))
        self.lines.setdefault(where, node.start_mark.line + 1)
        if isinstance(node, MappingNode | SequenceNode):
            if node.tag not in PLAIN_TAGS:
                raise self._stop(node, where, message("problem.yaml_tag", tag=shown(node.tag)))
            if id(node) in self.open:
                raise self._stop(node, where, message("problem.alias_loop"))
            self.open.add(id(node))
            try:
                return self._mapping(node, where, depth) if isinstance(node, MappingNode) else \
                    [self._build(item, (*where, i), depth + 1) for i, item in enumerate(node.value)]
            finally:
                self.open.discard(id(node))
        if isinstance(node.value, str) and len(node.value) > MAX_STRING:
            raise self._stop(node, where, message("problem.text_too_long", length=thousands(len(node.value)),
                                                  limit=thousands(MAX_STRING)))
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, LookupError, AttributeError):  # a scalar its tag cannot read (2026-13-01, "!!int" with
            # no digits, "!!bool maybe", "!!timestamp x" each fail in PyYAML's own way): validation names it
            return node.value

    def _mapping(self, node: MappingNode, where: YamlPath, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self._stop(key_node, where, message("problem.key_is_list" if isinstance(key_node, SequenceNode)
                                                          else "problem.key_is_mapping"))
            key = self._build(key_node, where, depth + 1)
            if key in out:
                self.problems.append(Problem.of(self.display, key_node.start_mark.line + 1,
                                                format_path((*where, key)), message("problem.duplicate_key")))
            self.lines[(*where, key)] = key_node.start_mark.line + 1
            out[key] = self._build(value_node, (*where, key), depth + 1)
        return out


class YamlSyntaxError(ValueError):
    def __init__(self, *problems: Problem):
        self.problems = list(problems)
        super().__init__("\n".join(map(str, problems)))
