"""Synthetic populations as encoded case matrices, for bulk runs (impact analysis, benchmarks).

The same generative process as ``matcher.modelling.synth.synthetic_cases`` (factors from its latent-severity
model; each yes/no fact true with probability 0.4, whole numbers uniform, enum values uniform among those
that fit the age), drawn
column by column so that a million cases take a second, not minutes. Every case is labelled synthetic.
``write_population`` writes such a population as a case CSV (``matcher synth --cases N``), so anyone can run
the population benchmark's input through ``matcher recommend``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from matcher.engine.cases import CaseBatch
from matcher.modelling.synth import fitting_values, synthetic_ratings
from matcher.rulebase.factors import UNRATED
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


def write_population(rules: RuleBase, n: int, seed: int, out: Path, chunk: int = 100_000) -> int:
    """``n`` synthetic cases (``synthetic_batch``) as a case CSV (docs/case-format.md), every row labelled
    synthetic: what ``matcher recommend FILE.csv`` reads. An unrated factor is an empty cell."""
    cat = rules.catalogue
    batch = synthetic_batch(rules, n, seed)
    columns = ["case_id", "synthetic", *(c.id for c in cat.context), *(f.id for f in cat.factors)]
    with pa_csv.CSVWriter(out, pa.schema([(c, _type(rules, c)) for c in columns])) as writer:
        for start in range(0, n, chunk):
            rows = batch.values[start: start + chunk]
            data: dict[str, pa.Array] = {"case_id": pa.array(batch.ids[start: start + chunk]),
                                         "synthetic": pa.array(np.ones(len(rows), dtype=bool))}
            for fact in cat.context:
                codes = rows[:, cat.context_index[fact.id]]
                data[fact.id] = (pa.array(codes.astype(bool)) if fact.type == "bool"
                                 else pc.take(pa.array(fact.values), pa.array(codes.astype(np.int64)))
                                 if fact.type == "enum" else pa.array(codes.astype(np.int64)))
            for j, factor in enumerate(cat.factors):
                data[factor.id] = pa.array(rows[:, j].astype(np.int64), mask=rows[:, j] == UNRATED)
            writer.write_table(pa.table(data))
    return n


def _type(rules: RuleBase, column: str) -> pa.DataType:
    cat = rules.catalogue
    if column == "case_id" or (column in cat.context_index and cat.fact(column).type == "enum"):
        return pa.string()
    if column == "synthetic" or (column in cat.context_index and cat.fact(column).type == "bool"):
        return pa.bool_()
    return pa.int64()
