"""The same matching done one case at a time, for comparison with the engine in the same run.

``python_loop``: a plain Python loop over the compiled rule objects (leaves, condition trees, the
scoring tables and the scorecard weights), one case after another: what one would write without
vectorising. ``ZenMatcher``: the rule base expressed for zen-engine (GoRules JDM): one expression
node computes the risk score and level, every intervention's eligibility (its condition tree,
intensity rule, contraindications, do-not-offer), priority and score; Python then takes the top k.
Both work on the baseline scorecard (a points model that both can express).
"""

from __future__ import annotations

import json
import operator
from typing import Any

import numpy as np

from matcher.engine.risk import Scorecard
from matcher.engine.scoring import NOT_SCORED, scoring_tables
from matcher.rulebase.conditions import ORDER_OPS, Leaf, Node
from matcher.rulebase.loading import RuleBase

PY_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
          "!=": operator.ne}
assert PY_OPS.keys() == ORDER_OPS.keys()


class _Plan:
    """Plain Python lists and floats taken from the rule base, so the loop does no numpy per case."""

    def __init__(self, rules: RuleBase, model: Scorecard):
        tables = scoring_tables(rules)
        weights = rules.policy.weights
        self.rules = rules
        self.n_factors = len(rules.catalogue.factors)
        self.point_weights = [float(w) for w in model.weights]
        self.cuts = [float(c) for c in model.cut_points]
        self.need = [bool(m) for m in tables.need_mask]
        welfare = set(tables.welfare_columns.tolist())  # welfare needs: rating x policy points, not the model's
        self.need_weights = [float(rules.policy.welfare_need_points) if f in welfare else pw
                             for f, pw in enumerate(self.point_weights)]
        self.age_column = rules.catalogue.context_index["age"]
        self.min_age = rules.policy.risk_score_min_age
        self.protective = [bool(m) for m in tables.protective_mask]
        items = range(len(rules.interventions))
        self.targets = [[(f, float(tables.targets[f, i])) for f in np.flatnonzero(tables.targets[:, i])] for i in items]
        self.leverages = [[(f, float(tables.leverages[f, i])) for f in np.flatnonzero(tables.leverages[:, i])]
                          for i in items]
        self.leverage_totals = [float(x) for x in tables.leverage_totals]
        self.allowed = tables.intensity_allowed.tolist()
        self.intensity = (weights.intensity_fit * tables.intensity_fit).tolist()
        self.evidence = (weights.evidence * tables.evidence).tolist()
        self.weights = weights


def _leaf(leaf: Leaf, row: list[int]) -> bool:
    value = row[leaf.column]
    if leaf.op == "in":
        return value in leaf.values
    if leaf.op == "not_in":
        return value not in leaf.values
    return bool(PY_OPS[leaf.op](value, leaf.values[0]))


def _holds(node: Node, leaves: list[bool]) -> bool:
    if node.kind == "leaf":
        return leaves[node.leaf]
    if node.kind == "all":
        return all(_holds(child, leaves) for child in node.children)
    if node.kind == "any":
        return any(_holds(child, leaves) for child in node.children)
    return not _holds(node.children[0], leaves)


def python_loop(values: np.ndarray, rules: RuleBase, model: Scorecard, k: int) -> list[list[int]]:
    """The top k per case, one case at a time in plain Python, in the engine's arithmetic: each term in float32
    (products added in factor order, then divided and weighted), the score their float64 sum in TERMS order.
    In float64 throughout, 3 of 1,000 cases came out in another order: two insatser whose scores are equal in
    exact arithmetic (58 1/3 each) differ in the last float32 bit, and float64 rounds them the other way."""
    plan = _Plan(rules, model)
    f32, zero = np.float32, np.float32(0)
    need_weight, leverage_weight = f32(plan.weights.need_fit), f32(plan.weights.protective_leverage)
    point_weights = [f32(x) for x in plan.point_weights]
    need_weights = [f32(x) for x in plan.need_weights]
    targets = [[(f, f32(t)) for f, t in item] for item in plan.targets]
    leverages = [[(f, f32(t)) for f, t in item if plan.protective[f]] for item in plan.leverages]
    out = []
    for row in values.tolist():
        ratings = row[: plan.n_factors]
        score = sum(float(f32(max(r, 0)) * pw) for r, pw in zip(ratings, point_weights, strict=True))
        level = sum(score >= c for c in plan.cuts)
        level = NOT_SCORED if row[plan.age_column] < plan.min_age else level  # the intensity gate's level
        needs = [f32(max(r, 0)) * nw if m else zero for r, nw, m in zip(ratings, need_weights, plan.need, strict=True)]
        total = zero
        for f in np.flatnonzero(plan.need).tolist():
            total += needs[f]
        leaves = [_leaf(leaf, row) for leaf in rules.leaves.leaves]
        ranked = []
        for i, iv in enumerate(rules.interventions):
            if iv.model.do_not_offer or not plan.allowed[level][i] or not _holds(iv.eligibility, leaves) \
                    or any(_holds(node, leaves) for node, _ in iv.contraindications):
                continue
            need_sum, present = zero, zero
            for f, t in targets[i]:
                need_sum += needs[f] * t
            for f, t in leverages[i]:
                present += f32(ratings[f] > 0) * t
            need_fit = need_sum / (total if total > 0 else f32(1)) * need_weight
            divisor = f32(plan.leverage_totals[i]) if plan.leverage_totals[i] > 0 else f32(1)
            score = float(need_fit) + float(f32(plan.intensity[level][i])) + float(f32(plan.evidence[i]))
            score += float(present / divisor * leverage_weight)
            priority = bool(iv.priority and _holds(iv.priority[0], leaves))
            ranked.append((not priority, -score, i))
        out.append([i for _, _, i in sorted(ranked)[:k]])
    return out


# ---------------------------------------------------------------- zen-engine


def _zen_condition(node: Node, rules: RuleBase) -> str:
    if node.kind == "leaf":
        leaf = rules.leaves.leaves[node.leaf]
        if leaf.op in ("in", "not_in"):
            listed = f"c{leaf.column} in [{', '.join(map(str, leaf.values))}]"
            return listed if leaf.op == "in" else f"not ({listed})"
        return f"c{leaf.column} {leaf.op} {leaf.values[0]}"
    if node.kind == "not":
        return f"not ({_zen_condition(node.children[0], rules)})"
    joiner = " and " if node.kind == "all" else " or "
    return "(" + joiner.join(_zen_condition(child, rules) for child in node.children) + ")"


def zen_decision(rules: RuleBase, model: Scorecard) -> dict[str, Any]:
    """The JDM graph: input -> one expression node -> output; inputs are the encoded columns c0, c1, ..."""
    plan = _Plan(rules, model)
    w = plan.weights

    def positive(f: int) -> str:
        return f"(c{f} > 0 ? c{f} : 0)"

    expressions = [
        ("risk", " + ".join(f"{positive(f)} * {pw}" for f, pw in enumerate(plan.point_weights) if pw)),
        ("level", f"c{plan.age_column} < {plan.min_age} ? {NOT_SCORED} : ($.risk >= {plan.cuts[1]} ? 2 : "
                  f"($.risk >= {plan.cuts[0]} ? 1 : 0))"),
        ("need", " + ".join(f"{positive(f)} * {plan.need_weights[f]}" for f in range(plan.n_factors)
                            if plan.need[f] and plan.need_weights[f] > 0) or "0"),
    ]
    for i, iv in enumerate(rules.interventions):
        allowed = " or ".join(f"$.level == {lvl}" for lvl in range(len(plan.allowed)) if plan.allowed[lvl][i])
        parts = [_zen_condition(iv.eligibility, rules), f"({allowed or 'false'})"]
        parts += [f"not ({_zen_condition(node, rules)})" for node, _ in iv.contraindications]
        eligible = "false" if iv.model.do_not_offer else " and ".join(parts)
        need_sum = " + ".join(f"{positive(f)} * {plan.need_weights[f] * t}" for f, t in plan.targets[i]
                              if plan.need[f] and plan.need_weights[f] > 0) or "0"
        lev_total = plan.leverage_totals[i]
        leverage = " + ".join(f"(c{f} > 0 ? {t} : 0)" for f, t in plan.leverages[i] if plan.protective[f])
        intensity = " : ".join(f"$.level == {lvl} ? {plan.intensity[lvl][i]}" for lvl in range(NOT_SCORED)) \
            + f" : {plan.intensity[NOT_SCORED][i]}"
        score = (f"{w.need_fit} * ($.need > 0 ? ({need_sum}) / $.need : 0) + ({intensity}) + {plan.evidence[i]}"
                 + (f" + {w.protective_leverage} * ({leverage}) / {lev_total}" if leverage and lev_total else ""))
        expressions += [(f"e{i}", eligible), (f"s{i}", score)]
        if iv.priority:
            expressions.append((f"p{i}", f"$.e{i} and {_zen_condition(iv.priority[0], rules)}"))
    node = {"id": "match", "type": "expressionNode", "name": "match", "position": {"x": 200, "y": 0},
            "content": {"expressions": [{"id": key, "key": key, "value": value} for key, value in expressions]}}
    return {"nodes": [{"id": "in", "type": "inputNode", "name": "case", "position": {"x": 0, "y": 0}}, node,
                      {"id": "out", "type": "outputNode", "name": "result", "position": {"x": 400, "y": 0}}],
            "edges": [{"id": "a", "type": "edge", "sourceId": "in", "targetId": "match"},
                      {"id": "b", "type": "edge", "sourceId": "match", "targetId": "out"}]}


class ZenMatcher:
    """One zen-engine evaluation per case, then the top k of its eligible scores in Python."""

    def __init__(self, rules: RuleBase, model: Scorecard):
        import zen

        self.n_items = len(rules.interventions)
        self.decision = zen.ZenEngine().create_decision(json.dumps(zen_decision(rules, model)))

    def top(self, values: np.ndarray, k: int) -> list[list[int]]:
        out = []
        for row in values.tolist():
            result = self.decision.evaluate({f"c{j}": v for j, v in enumerate(row)})["result"]
            ranked = sorted((not result.get(f"p{i}", False), -result[f"s{i}"], i)
                            for i in range(self.n_items) if result[f"e{i}"])
            out.append([i for _, _, i in ranked[:k]])
        return out
