"""What a rule change does: the fields that changed, then who gains or loses which insats.

OLD and NEW are rule base folders, git revisions of this repository, or recorded rule versions (a
content hash from `matcher rules log`). Both rule bases run on the same cases (a case file, or a
synthetic population); for each insats the report counts the cases that gain or lose it among their
recommendations, and shows example cases before and after, with the engine's reasons.
"""

from __future__ import annotations

import html
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matcher.engine.cases import CaseBatch
from matcher.engine.explain import explain
from matcher.engine.matching import MatchResult, match
from matcher.engine.risk import RiskModel
from matcher.errors import InputError, RuleBaseError
from matcher.rulebase.loading import RuleBase, load_rule_base

EXAMPLES_PER_CHANGE = 2


def resolve(spec: str, repo: Path, recorded: Callable[[str], dict[str, str]] | None = None) -> Path:
    """A folder holding the rule base named by ``spec`` (a folder, a git revision or a recorded version)."""
    path = Path(spec)
    if path.is_dir():
        return path
    target = Path(tempfile.mkdtemp(prefix="rules-")) / "rules"
    git = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", spec, "rules"], capture_output=True)
    if git.returncode == 0:
        with tarfile.open(fileobj=io.BytesIO(git.stdout)) as archive:
            archive.extractall(target.parent, filter="data")
        return target
    if recorded is not None and spec.removeprefix("sha256:").isalnum():
        for name, text in recorded(spec).items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_text(text, encoding="utf-8")
        return target
    raise InputError(f"'{spec}' is neither a rule base folder nor a git revision of {repo}"
                     f"{' nor a recorded rule version' if recorded else ''}")


@dataclass(frozen=True)
class FieldChange:
    intervention: str
    field: str  # a dotted path; "" for an added or removed intervention
    old: Any
    new: Any


@dataclass(frozen=True)
class Impact:
    intervention: str
    gained: int
    lost: int
    examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Diff:
    old_hash: str
    new_hash: str
    cases: int
    changes: list[FieldChange]
    impacts: list[Impact]  # only the interventions whose recommendations changed

    def as_dict(self) -> dict[str, Any]:
        return {"old": self.old_hash, "new": self.new_hash, "cases": self.cases,
                "changes": [vars(c) for c in self.changes],
                "impact": [{"intervention": i.intervention, "gained": i.gained, "lost": i.lost,
                            "examples": i.examples} for i in self.impacts]}


def field_changes(old: RuleBase, new: RuleBase) -> list[FieldChange]:
    before = {iv.id: iv.model.model_dump(mode="json", by_alias=True) for iv in old.interventions}
    after = {iv.id: iv.model.model_dump(mode="json", by_alias=True) for iv in new.interventions}
    out = [FieldChange("policy", path, a, b) for path, a, b in _walk(old.policy.model_dump(mode="json"),
                                                                      new.policy.model_dump(mode="json"))]
    out += [FieldChange("factors", path, a, b) for path, a, b in _walk(old.catalogue.model.model_dump(mode="json"),
                                                                        new.catalogue.model.model_dump(mode="json"))]
    for iid in sorted(before.keys() | after.keys()):
        if iid not in after:
            out.append(FieldChange(iid, "", "present", "removed"))
        elif iid not in before:
            out.append(FieldChange(iid, "", "absent", "added"))
        else:
            out += [FieldChange(iid, path, a, b) for path, a, b in _walk(before[iid], after[iid])]
    return out


def _walk(a: Any, b: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [item for key in sorted(a.keys() | b.keys(), key=str)
                for item in _walk(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [item for i, (x, y) in enumerate(zip(a, b, strict=True)) for item in _walk(x, y, f"{path}[{i}]")]
    return [] if a == b else [(path, a, b)]


def _membership(result: MatchResult, ids: list[str]) -> np.ndarray:
    """N x U: case n has insats u (in ``ids`` order) among its recommendations."""
    column = np.array([ids.index(i) for i in result.rules.ids])
    top = result.top
    rows, ranks = np.nonzero(top >= 0)
    out = np.zeros((len(top), len(ids)), dtype=bool)
    out[rows, column[top[rows, ranks]]] = True
    return out


def impact(old: RuleBase, new: RuleBase, old_cases: CaseBatch, new_cases: CaseBatch, old_model: RiskModel,
           new_model: RiskModel, examples_per_change: int = EXAMPLES_PER_CHANGE, lang: str = "en") -> Diff:
    """Run both rule bases on the same cases (encoded for each) and compare the recommendations; up to
    ``examples_per_change`` example cases per insats and direction (0: counts only), explained in ``lang``."""
    before, after = match(old_cases, old, old_model), match(new_cases, new, new_model)
    ids = sorted(set(old.ids) | set(new.ids))
    had, has = _membership(before, ids), _membership(after, ids)
    gained, lost = (~had & has), (had & ~has)
    impacts = []
    for u in np.flatnonzero(gained.any(axis=0) | lost.any(axis=0)):
        examples = []
        for kind, mask in (("gains", gained[:, u]), ("loses", lost[:, u])):
            for n in np.flatnonzero(mask)[:examples_per_change]:
                examples.append(_example(kind, ids[u], int(n), before, after, lang))
        impacts.append(Impact(ids[u], int(gained[:, u].sum()), int(lost[:, u].sum()), examples))
    return Diff(old.content_hash, new.content_hash, len(old_cases), field_changes(old, new), impacts)


def _example(kind: str, intervention: str, n: int, before: MatchResult, after: MatchResult,
             lang: str) -> dict[str, Any]:
    old_res, new_res = explain(before, n, lang), explain(after, n, lang)

    def reasons(res: dict[str, Any]) -> list[str]:
        entries = res["recommendations"] + res["not_recommended"]
        return next((e["reasons"] for e in entries if e["id"] == intervention), ["not in this rule base"])

    return {"case": old_res["case_id"], "synthetic": old_res["synthetic"], "change": kind,
            "before": [r["id"] for r in old_res["recommendations"]],
            "after": [r["id"] for r in new_res["recommendations"]],
            "why_before": reasons(old_res), "why_after": reasons(new_res)}


def translate(batch: CaseBatch, source: RuleBase, target: RuleBase) -> CaseBatch:
    """The same cases encoded for another catalogue: columns matched by id, enum values by name; a factor
    the source lacks is unrated, a context fact it lacks takes the target's default."""
    src, dst = source.catalogue, target.catalogue
    values = np.tile(dst.default_row(), (len(batch), 1))
    for factor in dst.factors:
        if factor.id in src.factor_index:
            values[:, dst.factor_index[factor.id]] = batch.values[:, src.factor_index[factor.id]]
    for fact in dst.context:
        if fact.id not in src.context_index:
            continue
        column = batch.values[:, src.context_index[fact.id]]
        old = src.fact(fact.id)
        if fact.type == "enum" and old.type == "enum":
            codes = np.array([(fact.values or []).index(v) if v in (fact.values or []) else dst.default_row()[
                dst.context_index[fact.id]] for v in old.values or []], dtype=np.int16)
            column = codes[column]
        values[:, dst.context_index[fact.id]] = column
    return CaseBatch(batch.ids, batch.synthetic, np.asfortranarray(values))


def load_pair(old_spec: str, new_spec: str, repo: Path,
              recorded: Callable[[str], dict[str, str]] | None = None) -> tuple[RuleBase, RuleBase]:
    return _load(old_spec, repo, recorded), _load(new_spec, repo, recorded)


def _load(spec: str, repo: Path, recorded: Callable[[str], dict[str, str]] | None) -> RuleBase:
    try:
        return load_rule_base(resolve(spec, repo, recorded))
    except RuleBaseError as exc:
        count = len(exc.problems)
        raise InputError(f"the rule base of '{spec}' cannot be compared: it does not load with this version of "
                         f"Insatsmatch (an older rule format, or a broken rule base). What is missing or wrong, "
                         f"{count} problem{'s' if count != 1 else ''}:\n" + "\n".join(map(str, exc.problems))) from None


# ---------------------------------------------------------------- output


def as_text(diff: Diff) -> str:
    lines = [f"Rule base {diff.old_hash[:19]} -> {diff.new_hash[:19]}", "", "Changed fields:"]
    lines += [f"  {c.intervention}: {c.field or '(whole insats)'}: {_short(c.old)} -> {_short(c.new)}"
              for c in diff.changes] or ["  none"]
    lines += ["", f"Impact on {diff.cases} cases (recommended before -> after):"]
    if not diff.impacts:
        lines.append("  no case's recommendations change")
    for item in diff.impacts:
        lines.append(f"  {item.intervention}: +{item.gained} gain it, -{item.lost} lose it")
        for ex in item.examples:
            synthetic = " (synthetic)" if ex["synthetic"] else ""
            lines.append(f"    {ex['case']}{synthetic} {ex['change']} it: {', '.join(ex['before']) or '-'} -> "
                         f"{', '.join(ex['after']) or '-'}")
            lines.append(f"      before: {' '.join(ex['why_before'])}")
            lines.append(f"      after:  {' '.join(ex['why_after'])}")
    return "\n".join(lines)


def as_html(diff: Diff) -> str:
    def esc(value: Any) -> str:
        return html.escape(_short(value))

    rows = "".join(f"<tr><td>{esc(c.intervention)}</td><td>{esc(c.field or '(whole insats)')}</td>"
                   f"<td>{esc(c.old)}</td><td>{esc(c.new)}</td></tr>" for c in diff.changes)
    impact_rows = "".join(
        f"<tr><td>{esc(i.intervention)}</td><td>{i.gained}</td><td>{i.lost}</td><td><ul>"
        + "".join(f"<li>{esc(e['case'])}{' (synthetic)' if e['synthetic'] else ''} {esc(e['change'])} it: "
                  f"{esc(', '.join(e['before']))} &rarr; {esc(', '.join(e['after']))}<br>"
                  f"before: {esc(' '.join(e['why_before']))}<br>after: {esc(' '.join(e['why_after']))}</li>"
                  for e in i.examples) + "</ul></td></tr>" for i in diff.impacts)
    return (f"<!doctype html><html lang='en'><meta charset='utf-8'><title>Rule change impact</title>"
            f"<h1>Rule change impact</h1><p>{esc(diff.old_hash)} &rarr; {esc(diff.new_hash)}; {diff.cases} cases</p>"
            f"<h2>Changed fields</h2><table border='1'><tr><th>insats</th><th>field</th><th>before</th>"
            f"<th>after</th></tr>{rows}</table><h2>Impact</h2><table border='1'><tr><th>insats</th><th>gain</th>"
            f"<th>lose</th><th>examples</th></tr>{impact_rows}</table></html>\n")


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."
