"""Random valid cases for invariant tests (synthetic; a fixed seed makes every run the same)."""

from typing import Any

import numpy as np

from matcher import RuleBase


def random_cases(rules: RuleBase, n: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    cat = rules.catalogue
    out = []
    for i in range(n):
        severity = rng.uniform(0.02, 0.9)  # spreads cases over all risk levels
        factors = {}
        for factor in cat.factors:
            if rng.random() < 0.05:
                continue  # not rated
            top = max(cat.scale(factor).values)
            p = severity if factor.kind == "risk" else 1 - severity
            factors[factor.id] = int(rng.binomial(top, p))
        context: dict[str, Any] = {}
        for fact in cat.context:
            if fact.type == "bool":
                context[fact.id] = bool(rng.random() < 0.4)
            elif fact.type == "int":
                context[fact.id] = int(rng.integers(fact.min, fact.max + 1))  # type: ignore[operator]
            else:
                context[fact.id] = str(rng.choice(fact.values))
        out.append((f"generated[{i}]", {"case_id": f"GEN-{i}", "synthetic": True, "context": context,
                                        "factors": factors}))
    return out
