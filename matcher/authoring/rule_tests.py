"""Rule tests: the worked examples inside rule files and the scenarios under rules/tests/.

`matcher rules test` runs them all through the engine and reports each failure the way pytest does:
which file and line, which example, what was expected, what came out, and why (the engine's own
reasons for that case).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from matcher.engine.cases import encode_cases
from matcher.engine.explain import explain
from matcher.engine.matching import match
from matcher.engine.risk import RiskModel
from matcher.errors import InputError, Problem
from matcher.rulebase.loading import RuleBase, validation_problems
from matcher.rulebase.schema import Strict
from matcher.rulebase.yamlsource import YamlDoc, YamlSyntaxError, did_you_mean, load_yaml

# ---------------------------------------------------------------- scenario files (rules/tests/*.yaml)


class ScenarioExpectation(Strict):
    top: list[str] = Field(default_factory=list)  # each must be among the recommendations
    excluded: list[str] = Field(default_factory=list)  # none may be among the recommendations
    first: str | None = None  # must be ranked first
    act_first: list[str] = Field(default_factory=list)  # each must be among the act-first actions
    no_act_first: bool = False  # the act-first list must be empty
    not_eligible: dict[str, str] = Field(default_factory=dict)  # insats id -> a part of the reason it is not eligible


class Scenario(Strict):
    name: str = Field(min_length=1)
    source: str = Field(min_length=1)  # the statement it pins and where it comes from
    top_k: int | None = Field(default=None, ge=1, le=20)  # run at this --top (default: the policy's)
    case: dict[str, Any]
    expect: ScenarioExpectation


class ScenarioFile(Strict):
    scenarios: list[Scenario] = Field(min_length=1)


@dataclass(frozen=True)
class Failure:
    where: str  # file:line: item
    expected: str
    got: str
    because: str
    why: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"FAILED {self.where}", f"  expected: {self.expected}", f"  got:      {self.got}",
                 f"  because:  {self.because}"]
        lines += [f"  why:      {reason}" if i == 0 else f"            {reason}" for i, reason in enumerate(self.why)]
        return "\n".join(lines)


@dataclass(frozen=True)
class Report:
    passed: int
    failures: list[Failure]
    problems: list[Problem]  # scenario files that could not be read

    def __str__(self) -> str:
        parts = [str(p) for p in self.problems] + [str(f) for f in self.failures]
        summary = f"{len(self.failures)} failed, {self.passed} passed"
        if self.problems:
            summary += f", {len(self.problems)} unreadable"
        return "\n\n".join([*parts, summary]) if parts else summary

    @property
    def ok(self) -> bool:
        return not self.failures and not self.problems


@dataclass(frozen=True)
class _Check:
    where: str
    case: dict[str, Any]
    because: str
    intervention: str | None = None  # examples: the intervention and the expectation
    expect_eligible: bool | None = None
    top: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    first: str | None = None
    top_k: int | None = None  # judged as if run at this --top (the ranking is cut; act-first never is)
    act_first: tuple[str, ...] = ()
    no_act_first: bool = False
    not_eligible: tuple[tuple[str, str], ...] = ()  # (insats, a part of the reason it is not eligible)


def run_rule_tests(rules: RuleBase, model: RiskModel) -> Report:
    checks, problems = _examples(rules), []
    for path in sorted((rules.root / "tests").glob("*.yaml")):
        found, trouble = _scenarios(rules, path)
        checks += found
        problems += trouble
    failures: list[Failure] = []
    runnable = []
    for check in checks:
        try:
            encode_cases([(check.where, check.case)], rules)
            runnable.append(check)
        except InputError as exc:
            failures.append(Failure(check.where, "a valid case", "an invalid case", check.because,
                                    str(exc).splitlines()))
    if runnable:
        result = match(encode_cases([(c.where, c.case) for c in runnable], rules), rules, model)
        for n, check in enumerate(runnable):
            failure = _judge(check, explain(result, n, "en"), bool(result.eligible[n, rules.index(check.intervention)])
                             if check.intervention else None)
            if failure:
                failures.append(failure)
    return Report(len(checks) - len(failures), failures, problems)


def _examples(rules: RuleBase) -> list[_Check]:
    checks = []
    for iv in rules.interventions:
        if not iv.model.examples:
            continue
        path = rules.root / "interventions" / f"{iv.id}.yaml"
        doc = load_yaml(path, _display(rules, path))
        for i, example in enumerate(iv.model.examples):
            line = doc.lines.get(("examples", i))
            checks.append(_Check(f"{doc.file}:{line}: {iv.id} examples[{i}]", example.case, example.because,
                                 iv.id, example.expect == "eligible"))
    return checks


def _scenarios(rules: RuleBase, path: Path) -> tuple[list[_Check], list[Problem]]:
    display = _display(rules, path)
    try:
        doc: YamlDoc = load_yaml(path, display)
        parsed = ScenarioFile.model_validate(doc.data)
    except YamlSyntaxError as exc:
        return [], exc.problems
    except ValidationError as exc:
        return [], validation_problems(doc, exc)
    checks, problems = [], []
    for i, scenario in enumerate(parsed.scenarios):
        expect = scenario.expect
        named = [("top", x) for x in expect.top] + [("excluded", x) for x in expect.excluded] + \
            ([("first", expect.first)] if expect.first else []) + [("not_eligible", x) for x in expect.not_eligible]
        unknown = [(key, x) for key, x in named if x not in rules.ids]
        actions = [a.model.id for a in rules.act_first]
        for name in expect.act_first:
            if name not in actions:
                problems.append(doc.problem(("scenarios", i, "expect", "act_first"),
                                            f"unknown act-first action '{name}'{did_you_mean(name, actions)}"))
        for key, name in unknown:
            problems.append(doc.problem(("scenarios", i, "expect", key), f"unknown intervention '{name}'"
                                                                          f"{did_you_mean(name, rules.ids)}"))
        if not unknown:
            line = doc.lines.get(("scenarios", i))
            checks.append(_Check(f"{display}:{line}: {scenario.name}", scenario.case, scenario.source,
                                 top=tuple(expect.top), excluded=tuple(expect.excluded), first=expect.first,
                                 top_k=scenario.top_k, act_first=tuple(expect.act_first),
                                 no_act_first=expect.no_act_first, not_eligible=tuple(expect.not_eligible.items())))
    return checks, problems


def _judge(check: _Check, res: dict[str, Any], eligible: bool | None) -> Failure | None:
    recommended = [r["id"] for r in res["recommendations"]]
    reasons = {r["id"]: r["reasons"] for r in res["recommendations"]} | \
        {r["id"]: r["reasons"] for r in res["not_recommended"]}
    if check.intervention is not None:
        if eligible == check.expect_eligible:
            return None
        words = {True: "eligible", False: "not eligible"}
        return Failure(check.where, words[bool(check.expect_eligible)], words[bool(eligible)], check.because,
                       reasons[check.intervention])
    recommended = recommended[: check.top_k or len(recommended)]
    why = _act_first_problems(check, [a["id"] for a in res["act_first"]])
    eligible_ids = {r["id"] for r in res["recommendations"]}
    for iid, part in check.not_eligible:
        text = " ".join(reasons[iid])
        if iid in eligible_ids or part not in text:
            why.append(f"{iid} is not excluded for '{part}': {text}")
    missing = [x for x in check.top if x not in recommended]
    present = [x for x in check.excluded if x in recommended]
    why += [f"{x} not recommended: {' '.join(reasons[x])}" for x in missing]
    why += [f"{x} recommended: {' '.join(reasons[x])}" for x in present]
    wrong_first = check.first is not None and (not recommended or recommended[0] != check.first)
    if wrong_first and check.first not in missing:
        why.append(f"{check.first} is not first: {' '.join(reasons[check.first])}")
    if not why:
        return None
    expected = []
    if check.top:
        expected.append(f"recommended {', '.join(check.top)}")
    if check.excluded:
        expected.append(f"not recommended {', '.join(check.excluded)}")
    if check.first:
        expected.append(f"{check.first} first")
    if check.act_first or check.no_act_first:
        expected.append(f"act first: {', '.join(check.act_first) or 'nothing'}")
    if check.not_eligible:
        expected.append(f"not eligible: {', '.join(iid for iid, _part in check.not_eligible)}")
    return Failure(check.where, "; ".join(expected), f"recommended {', '.join(recommended) or 'nothing'}",
                   check.because, why)


def _act_first_problems(check: _Check, actions: list[str]) -> list[str]:
    why = [f"act-first action {x} not triggered (triggered: {', '.join(actions) or 'none'})"
           for x in check.act_first if x not in actions]
    if check.no_act_first and actions:
        why.append(f"act-first actions triggered where none were expected: {', '.join(actions)}")
    return why


def _display(rules: RuleBase, path: Path) -> str:
    try:
        return path.relative_to(rules.root.parent).as_posix()
    except ValueError:
        return str(path)
