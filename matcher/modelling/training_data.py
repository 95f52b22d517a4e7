"""The training format (docs/training-format.md): read, check and encode outcome data.

One row per young person and follow-up period. Features are catalogue factor columns (integer
ratings, or whole numbers for the registered criminal history's counts and ages; blank = not rated or not
known) and item columns ``<instrument>.<item>`` carried over to factors by the adapter (the highest rating
wins per factor, a factor column included). The target is one 0/1 column;
group columns are kept apart for the fairness audit and are never features. Every problem names
the file, the column, the line and the value found.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.errors import InputError, listed, shown
from matcher.rulebase.factors import UNRATED
from matcher.rulebase.loading import RuleBase
from matcher.rulebase.yamlsource import did_you_mean
from matcher.textfiles import read_csv, write_csv

TRUE_WORDS = {"1", "yes", "ja", "true", "sí", "si"}
FALSE_WORDS = {"0", "no", "nej", "false"}
SHOWN_LINES = 5


@dataclass(frozen=True)
class TrainingData:
    """Encoded rows: ``X`` is N x K factor ratings (UNRATED where blank) for ``features``."""

    source: str
    sha256: str
    target: str
    features: tuple[str, ...]
    X: np.ndarray
    y: np.ndarray  # N bool
    groups: dict[str, np.ndarray] = field(default_factory=dict)  # column -> N labels (str)
    instrument: str | None = None
    synthetic: bool = False
    ignored: tuple[str, ...] = ()
    read_as: str = ""  # how a CSV file was read (encoding, separator)

    @property
    def rows(self) -> int:
        return len(self.y)

    @property
    def base_rate(self) -> float:
        return float(self.y.mean())

    def fingerprint(self) -> dict[str, object]:
        return {"source": self.source, "sha256": self.sha256, "rows": self.rows,
                "base_rate": round(self.base_rate, 4), "synthetic": self.synthetic}


def read_frame(path: Path) -> tuple[pd.DataFrame, str, str]:
    """Every cell as text (blank where empty), the SHA-256 of the file's bytes, and how a CSV was read (its
    encoding and separator, ``matcher.textfiles``)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file; expected training data (.csv or .parquet)")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputError(f"{path}: unknown file type '{suffix}'; expected .csv or .parquet")
    read_as = ""
    if suffix == ".csv":
        table = read_csv(path)
        frame = pd.DataFrame([cells for _, cells in table.rows], columns=table.header, dtype=str)
        read_as = table.read_as
    else:
        try:
            frame = pd.read_parquet(path).astype("string").fillna("")
        except (ValueError, OSError) as exc:  # Arrow's errors
            reason = str(exc).splitlines()[0].replace(f"{path}", path.name)[:160]
            raise InputError(f"{path}: could not be read as Parquet ({reason}); expected a Parquet file, or a CSV "
                             f"file with a header row") from None
        if frame.columns.duplicated().any():
            twice = sorted(set(frame.columns[frame.columns.duplicated()]))
            raise InputError(f"{path}: the columns {', '.join(map(str, twice))} appear twice; keep one of each")
    return frame, hashlib.sha256(path.read_bytes()).hexdigest(), read_as


def read_training(path: Path, rules: RuleBase, target: str, *, instrument: str | None = None,
                  features: Sequence[str] | None = None, groups: Sequence[str] = ()) -> TrainingData:
    frame, digest, read_as = read_frame(path)
    data = training_data(frame, rules, target, source=path.name, sha256=digest, instrument=instrument,
                         features=features, groups=groups)
    return dataclasses.replace(data, read_as=read_as)


def write_training(path: Path, frame: pd.DataFrame, dialect: str) -> None:
    """Rows in the training format as a CSV file in ``dialect`` (``matcher.textfiles``); missing cells blank."""
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    write_csv(path, records, [str(c) for c in frame.columns], dialect)


def frame_sha256(frame: pd.DataFrame) -> str:
    """The fingerprint of rows held in memory: SHA-256 of their CSV text (as ``to_csv`` writes it)."""
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


def training_data(frame: pd.DataFrame, rules: RuleBase, target: str, *, source: str, sha256: str,
                  instrument: str | None = None, features: Sequence[str] | None = None,
                  groups: Sequence[str] = ()) -> TrainingData:
    text = frame.astype("string").fillna("").apply(lambda col: col.str.strip())
    columns = list(text.columns)
    for name, what in [(target, "target"), *((g, "group") for g in groups)]:
        if name not in columns:
            raise InputError(f"{source}: no {what} column {shown(name)}{did_you_mean(name, columns)}; "
                             f"the file has: {listed(columns)}")
    y = _binary(text[target], source, target)
    reserved = {target, *groups, "case_id", "synthetic"}
    ratings, used = _factor_ratings(text, rules, source, reserved)
    present = [key for key in rules.instruments if any(c.startswith(f"{key}.") for c in columns)]
    for key in dict.fromkeys([*([instrument] if instrument else []), *present]):
        items, item_columns = _item_ratings(text, rules, source, key)
        for factor_id, values in items.items():
            ratings[factor_id] = np.maximum(ratings[factor_id], values) if factor_id in ratings else values
        used += item_columns
    ratings = {f.id: ratings[f.id] for f in rules.catalogue.factors if f.id in ratings}
    criminogenic = {f.id for f in rules.catalogue.factors if f.need == "criminogenic"}
    chosen = [name for name in ratings if name in criminogenic] if features is None else list(features)
    for name in chosen:
        if name in rules.catalogue.factor_index and name not in criminogenic:
            raise InputError(f"{source}: --features: '{name}' is a welfare need, not a crime-risk factor; a risk "
                             f"model uses criminogenic factors only (rules/README.md); leave it out")
    for name in chosen:
        if name not in ratings:
            where = (f"the columns of instrument {instrument} rate" if instrument else "the file has factor columns")
            known = rules.catalogue.factor_index if name not in rules.catalogue.factor_index else ratings
            raise InputError(f"{source}: --features: no ratings for factor '{name}'{did_you_mean(name, known)}; "
                             f"{where}: {', '.join(ratings) or 'none'}")
    if not chosen:
        raise InputError(f"{source}: no feature columns; expected catalogue factor columns (e.g. peer_delinquency) "
                         f"or, with --instrument, item columns such as savry.H1")
    for name in chosen:
        values = np.unique(ratings[name])
        if len(values) < 2:
            value = "blank (not rated)" if values[0] == UNRATED else str(values[0])
            raise InputError(f"{source}: feature '{name}' is {value} in every row, so nothing can be learned from "
                             f"it; leave it out with --features or check the data")
    ignored = tuple(c for c in columns if c not in (*used, *reserved))
    synthetic = "synthetic" in text and bool(text["synthetic"].str.lower().isin(TRUE_WORDS).all())
    X = np.column_stack([ratings[name] for name in chosen]).astype(np.int16)
    return TrainingData(source, sha256, target, tuple(chosen), X, y,
                        {g: text[g].replace("", "(blank)").to_numpy(dtype=str) for g in groups},
                        instrument or ",".join(present) or None, synthetic, ignored)


def _binary(column: pd.Series, source: str, name: str) -> np.ndarray:
    words = column.str.lower()
    bad = ~words.isin(TRUE_WORDS | FALSE_WORDS)
    if bad.any():
        raise InputError(f"{source}: target column '{name}': expected 0/1 (or yes/no) in every row; "
                         f"found {_found(column, bad)}")
    y = words.isin(TRUE_WORDS).to_numpy()
    if not len(y):
        raise InputError(f"{source}: the file has a header but no rows; a model is trained on rows of cases")
    if y.all() or not y.any():
        raise InputError(f"{source}: target column '{name}' is {int(y[0])} in every row; a model needs both outcomes")
    return y


def _found(column: pd.Series, bad: pd.Series) -> str:
    lines = np.flatnonzero(bad.to_numpy())[:SHOWN_LINES]
    more = f" and {int(bad.sum()) - len(lines)} more" if bad.sum() > len(lines) else ""
    return ", ".join(f"{shown(column.iloc[i])} on line {i + 2}" for i in lines) + more


def _factor_ratings(text: pd.DataFrame, rules: RuleBase, source: str,
                    reserved: set[str]) -> tuple[dict[str, np.ndarray], list[str]]:
    cat = rules.catalogue
    for column in text.columns:
        hint = did_you_mean(column, cat.factor_index)
        known = column in cat.factor_index or column in reserved or column in cat.context_index
        if not known and hint:
            raise InputError(f"{source}: column {shown(column)} is not a factor{hint} (other columns are ignored "
                             f"unless named by --target or --group)")
    out = {}
    for factor in cat.factors:
        if factor.id in text:
            column = text[factor.id]
            scale = cat.scale(factor)
            allowed = {str(v): v for v in scale.values}
            bad = ~column.isin([*allowed, ""])
            if bad.any():
                expected = (f"a whole number from {scale.values[0]} to {scale.values[-1]} (blank = not known)"
                            if scale.numeric else f"one of {', '.join(allowed)} (blank = not rated)")
                raise InputError(f"{source}: column '{factor.id}': expected {expected}; found {_found(column, bad)}")
            out[factor.id] = column.map(lambda v, a=allowed: a.get(v, UNRATED)).to_numpy(dtype=np.int16)
    return out, list(out)


def _item_ratings(text: pd.DataFrame, rules: RuleBase, source: str,
                  instrument: str) -> tuple[dict[str, np.ndarray], list[str]]:
    if instrument not in rules.instruments:
        raise InputError(f"--instrument: unknown instrument '{instrument}'{did_you_mean(instrument, rules.instruments)}"
                         f"; the rule base has: {', '.join(rules.instruments)}")
    adapter = rules.instruments[instrument]
    by_id = {item.id: item for item in adapter.model.items}
    prefix = f"{instrument}."
    used = [c for c in text.columns if c.startswith(prefix)]
    out: dict[str, np.ndarray] = {}
    for column in used:
        key = column[len(prefix):]
        if key not in adapter.item_keys:
            raise InputError(f"{source}: column {shown(column)}: unknown item code {shown(key)} of {instrument}"
                             f"{did_you_mean(key, by_id)}; items are {', '.join(by_id)}")
        item = by_id[adapter.item_keys[key]]
        scale = adapter.model.scales[item.scale]
        words = {**{w: v for w, v in scale.values.items()}, **{a: scale.values[w] for a, w in scale.aliases.items()}}
        lower = text[column].str.lower()
        bad = ~lower.isin([*words, ""])
        if bad.any():
            raise InputError(f"{source}: column '{column}': expected one of {', '.join(scale.values)} "
                             f"(blank = not rated); found {_found(text[column], bad)}")
        values = lower.map(lambda v, w=words: w.get(v, UNRATED)).to_numpy(dtype=np.int16)
        for factor_id in item.factors:
            out[factor_id] = np.maximum(out[factor_id], values) if factor_id in out else values
    if not used:
        raise InputError(f"{source}: no item columns of {instrument}; expected columns such as {prefix}"
                         f"{adapter.model.items[0].id}")
    return {f.id: out[f.id] for f in rules.catalogue.factors if f.id in out}, used

