"""Changing one intervention file from the app: the edited text is checked as part of a copy of the rule base
(validation with file, line and YAML path, the cross-file checks, and lint), and written into the served
folder only when that copy loads with no lint error.

A served rule file is only ever replaced whole (a temporary file renamed over it), so a failed save leaves the
previous file in place; ``ui/shared/loading.py`` keeps serving the last good rule base in any case.
"""

from __future__ import annotations

import difflib
import io
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from matcher.auth import Action, Principal, authorize
from matcher.authoring.json_schema import HEADER
from matcher.authoring.lint import Finding, lint
from matcher.errors import ConflictError, InputError, Problem, RuleBaseError
from matcher.i18n import message
from matcher.rulebase.loading import RuleBase, load_rule_base
from matcher.rulebase.schema import Intervention
from matcher.rulebase.yamlsource import YamlSyntaxError, did_you_mean, parse_yaml


class RuleRecorder(Protocol):
    """Where a saved rule base is recorded as a version: the case store (``CaseStore.save_rules``)."""

    def save_rules(self, who: Principal, root: Path, reason: str) -> tuple[str, bool]: ...


# The fields the form edits; conditions, targets, evidence and warnings are edited as YAML.
FORM_FIELDS = ("name.sv", "name.en", "summary.sv", "summary.en", "type", "actor", "age.min", "age.max",
               "intensity", "group_format", "prerequisites", "do_not_offer")


@dataclass(frozen=True, eq=False)
class Candidate:
    """An edited intervention file inside a temporary copy of the rule base, checked."""

    intervention: str
    text: str
    rules: RuleBase | None  # None when the copy does not load
    problems: tuple[Problem, ...]  # why it does not load: file, line, YAML path, message
    findings: tuple[Finding, ...]  # lint findings when it loads
    folder: tempfile.TemporaryDirectory[str]  # the copy lives as long as the candidate

    @property
    def root(self) -> Path:
        return Path(self.folder.name) / "rules"

    @property
    def errors(self) -> list[str]:
        return [str(p) for p in self.problems] + [str(f) for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.rules is not None and not self.errors


def rule_path(root: Path, intervention_id: str) -> Path:
    path = root / "interventions" / f"{intervention_id}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in (root / "interventions").glob("*.yaml"))
        raise InputError(f"unknown intervention '{intervention_id}'{did_you_mean(intervention_id, known)}; "
                         f"{root / 'interventions'} has no such file")
    return path


def current_text(root: Path, intervention_id: str) -> str:
    return rule_path(root, intervention_id).read_text(encoding="utf-8")


def candidate(root: Path, intervention_id: str, text: str) -> Candidate:
    """``text`` as the file of ``intervention_id`` in a copy of the rule base in ``root``, validated and linted."""
    rule_path(root, intervention_id)
    folder = tempfile.TemporaryDirectory(prefix="insatsmatch-edit-")
    copy = Path(folder.name) / "rules"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".*"))
    path = copy / "interventions" / f"{intervention_id}.yaml"
    path.write_text(text, encoding="utf-8")
    display = f"rules/interventions/{intervention_id}.yaml"
    problems = []
    if text.split("\n", 1)[0] != HEADER:
        problems.append(Problem.of(display, 1, "", message("problem.header", header=HEADER)))
    try:
        rules = load_rule_base(copy)
    except RuleBaseError as exc:
        return Candidate(intervention_id, text, None, (*problems, *exc.problems), (), folder)
    if problems:
        return Candidate(intervention_id, text, None, tuple(problems), (), folder)
    return Candidate(intervention_id, text, rules, (), tuple(lint(rules)), folder)


def save(store: RuleRecorder, who: Principal, root: Path, intervention_id: str, text: str, base: str,
         reason: str) -> tuple[str, bool]:
    """Write the edited file into ``root`` and record the rule base as a version (who, when, why).

    ``base`` is the file's text when the editing began; if the file has changed since, nothing is written
    (ConflictError). Nothing is written either unless the whole edited rule base loads with no lint error.
    Returns (the content hash of the saved rule base, whether it was a new version)."""
    authorize(who, Action.RULES_WRITE)
    if not reason.strip():
        raise InputError("say why the rule changed: a reason is required to save", key="error.rules.reason")
    path = rule_path(root, intervention_id)
    old = path.read_text(encoding="utf-8")
    if old != base:
        raise ConflictError(f"rules/interventions/{intervention_id}.yaml was changed by someone else after you "
                            f"opened it; nothing was saved. Copy your text, reload the file and apply your changes "
                            f"again.")
    checked = candidate(root, intervention_id, text)
    if not checked.ok:
        raise InputError(f"rules/interventions/{intervention_id}.yaml was not saved: the rule base with this change "
                         f"is not usable:\n" + "\n".join(checked.errors))
    _replace(path, text)
    try:
        return store.save_rules(who, root, reason)
    except BaseException:
        _replace(path, old)
        raise


def _replace(path: Path, text: str) -> None:
    """Replace the file whole: a half-written file never carries the rule file's name."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------- the form


def form_values(text: str) -> dict[str, Any]:
    """The form's fields as the text has them; InputError when the text is not a valid intervention file."""
    try:
        model = Intervention.model_validate(parse_yaml(text, "form").data)
    except (YamlSyntaxError, ValidationError) as exc:
        raise InputError(f"the form needs a valid intervention file; correct the YAML first ({exc.__class__.__name__})"
                         ) from None
    dumped = model.model_dump(mode="json", by_alias=True)
    return {name: _get(dumped, name) for name in FORM_FIELDS}


def apply_form(text: str, values: dict[str, Any]) -> str:
    """The text with the form's changed fields written in; comments, order and layout are kept."""
    unknown = sorted(set(values) - set(FORM_FIELDS))
    if unknown:
        raise ValueError(f"The form fields must be among {FORM_FIELDS}. Got {unknown} instead.")
    current = form_values(text)
    editor = _round_trip()
    data = editor.load(text)
    for name, value in values.items():
        if value != current[name]:
            _set(data, name.split("."), value)
    out = io.StringIO()
    editor.dump(data, out)
    return _keep_layout(text, out.getvalue())


def _round_trip() -> YAML:
    editor = YAML()
    editor.preserve_quotes = True
    editor.width = 4096  # never fold a long text onto several lines
    editor.indent(mapping=2, sequence=4, offset=2)
    return editor


def _keep_layout(original: str, dumped: str) -> str:
    """The dumped text, but where it differs from the original only in how lines are wrapped (a long flow mapping
    the writer put on one line), the original lines."""
    before, after = original.splitlines(keepends=True), dumped.splitlines(keepends=True)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        same_words = "".join(before[i1:i2]).split() == "".join(after[j1:j2]).split()
        out += before[i1:i2] if op == "equal" or same_words else after[j1:j2]
    return "".join(out)


def _get(data: dict[str, Any], name: str) -> Any:
    for part in name.split("."):
        data = data[part]
    return data


def _set(data: CommentedMap, path: list[str], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    key = path[-1]
    if isinstance(value, list):
        if isinstance(data.get(key), CommentedSeq):
            data[key].clear()
            data[key].extend(value)
            return
        value = CommentedSeq(value)
        value.fa.set_flow_style()
    if key in data:
        data[key] = value
        return
    order = list(Intervention.model_fields)
    before = [k for k in order[: order.index(key)] if k in data]
    data.insert(list(data).index(before[-1]) + 1 if before else len(data), key, value)
