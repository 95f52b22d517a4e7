"""Synthetic populations as encoded case matrices, for bulk runs (impact analysis, benchmarks).

The same generative process as ``matcher.modelling.synth.synthetic_cases`` (factors from its latent-severity
model; each yes/no fact true with probability 0.4, whole numbers uniform, enum values uniform among those
that fit the age), drawn
column by column so that a million cases take a second, not minutes. Every case is labelled synthetic.
"""

from __future__ import annotations

import numpy as np

from matcher.engine.cases import CaseBatch
from matcher.modelling.synth import fitting_values, synthetic_ratings
from matcher.rulebase.loading import RuleBase

BOOL_SHARE = 0.4


def synthetic_batch(rules: RuleBase, n: int, seed: int) -> CaseBatch:
    rng = np.random.default_rng(seed)
    cat = rules.catalogue
    ratings, _ = synthetic_ratings(rules, rng, n)
    values = np.empty((n, cat.n_columns), dtype=np.int16, order="F")
    values[:, : len(cat.factors)] = ratings
    for fact in sorted(cat.context, key=lambda f: f.id != "age"):  # the age first: some values depend on it
        column = cat.context_index[fact.id]
        if fact.type == "bool":
            values[:, column] = rng.random(n) < BOOL_SHARE
        elif fact.type == "int":
            values[:, column] = rng.integers(int(fact.min or 0), int(fact.max or 0) + 1, n)
        else:  # uniform among the values that fit each case's age (factors.yaml value_ages)
            fits = fitting_values(fact, values[:, cat.context_index["age"]])
            values[:, column] = np.argmax(rng.random(fits.shape) * fits, axis=1)
    return CaseBatch(tuple(f"SYN-{seed}-{i}" for i in range(n)), np.ones(n, dtype=bool), values)
