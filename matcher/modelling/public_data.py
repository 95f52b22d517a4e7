"""The two public SAVRY data sets (../shared/data/README.md) turned into the training format.

Read from where they lie and converted in memory (or to a file the evaluator chooses outside the
repository): SAVRY answers become ``savry.<item>`` words that the SAVRY adapter carries over to
factors, the outcome becomes one 0/1 column, and group columns are kept for the fairness audit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from matcher.errors import InputError

ITEMS = [f"H{i}" for i in range(1, 11)] + [f"S{i}" for i in range(1, 7)] + [f"I{i}" for i in range(1, 9)] \
    + [f"P{i}" for i in range(1, 7)]
CATALAN_WORDS = {"Baix": "low", "Moderat": "moderate", "Alt": "high", "Present": "present", "Absent": "absent"}
HUNAN_RISK = {1: "low", 2: "moderate", 3: "high"}
HUNAN_PROTECTIVE = {1: "present", 2: "absent"}
CATALAN_TARGET = "reoffended_2015"
HUNAN_TARGET = "violent_reoffending_5y"
SOURCES = ("catalonia", "hunan")
CATALAN_HISTORY = ("V11_antecedents", "V20_nombre_antecedents", "V8_edat_fet", "V21_fet_nombre", "V16_fet_violencia")


def catalonia(path: Path) -> pd.DataFrame:
    """The 858 rows with a SAVRY (CEJFE): items, the registered criminal history, new offence by 2015, sex and
    nationality group (for the fairness audit only)."""
    raw = pd.read_csv(path, low_memory=False)
    columns = sorted((c for c in raw.columns if c.startswith("V") and 65 <= _number(c) <= 94), key=_number)
    if len(columns) != len(ITEMS) or "V115_reincidencia_2015" not in raw:
        raise InputError(f"{path}: expected the CEJFE columns V65-V94 (SAVRY) and V115_reincidencia_2015")
    rows = raw[raw[columns[0]].isin(["Baix", "Moderat", "Alt"])].reset_index(drop=True)
    frame = pd.DataFrame({"case_id": [f"CEJFE-{i}" for i in rows.index], "synthetic": False})
    for item, column in zip(ITEMS, columns, strict=True):
        frame[f"savry.{item}"] = rows[column].map(CATALAN_WORDS).fillna("")
    for factor, values in catalan_history(rows).items():
        frame[factor] = values
    frame[CATALAN_TARGET] = (rows["V115_reincidencia_2015"] == "Sí").astype(int)
    frame["sex"] = rows["V1_sexe"].map({"Home": "male", "Dona": "female"})
    frame["nationality"] = rows["V2_estranger"].map({"Espanyol": "spanish", "Estranger": "foreign"})
    return frame


def catalan_history(rows: pd.DataFrame) -> dict[str, pd.Series]:
    """The registered criminal history (factors.yaml, criminal_history) from the CEJFE static columns: prior
    records (V20; none when V11 says "Sense antecedents"), the age at the offence (V8), the offences in the
    matter (V21) and violence in the main offence (V16). The data has no age at the first offence. Blank where
    the data is blank."""
    missing = [c for c in CATALAN_HISTORY if c not in rows]
    if missing:
        raise InputError(f"expected the CEJFE static columns {', '.join(CATALAN_HISTORY)}; "
                         f"missing {', '.join(missing)}")
    none_before = rows["V11_antecedents"] == "Sense antecedents"
    prior = pd.to_numeric(rows["V20_nombre_antecedents"], errors="coerce").mask(none_before, 0)
    violent = rows["V16_fet_violencia"].map({"Violent": 1, "No violent": 0})
    age = pd.to_numeric(rows["V8_edat_fet"], errors="coerce")
    return {"prior_records": _whole(prior), "age_at_offence": _whole(age),
            "offences_in_matter": _whole(pd.to_numeric(rows["V21_fet_nombre"], errors="coerce")),
            "violent_main_offence": _whole(violent)}


def _whole(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "" if pd.isna(v) else str(int(v)))


def hunan(path: Path) -> pd.DataFrame:
    """The 246 rows of Zhou et al. 2017 (CC BY 4.0): items and violent reoffending over about five years."""
    raw = pd.read_csv(path)
    needed = [f"SAVRY{i}" for i in range(1, 25)] + [f"P{i}" for i in range(1, 7)] + ["Reoffending"]
    missing = [c for c in needed if c not in raw]
    if missing:
        raise InputError(f"{path}: expected the columns SAVRY1-SAVRY24, P1-P6 and Reoffending; missing "
                         f"{', '.join(missing)}")
    frame = pd.DataFrame({"case_id": [f"HUNAN-{i}" for i in raw.index], "synthetic": False})
    for n, item in enumerate(ITEMS):
        source, words = (f"SAVRY{n + 1}", HUNAN_RISK) if n < 24 else (item, HUNAN_PROTECTIVE)
        frame[f"savry.{item}"] = raw[source].map(words).fillna("")
    frame[HUNAN_TARGET] = raw["Reoffending"].astype(int)
    return frame


def _number(column: str) -> int:
    head = column.split("_")[0][1:]
    return int(head) if head.isdigit() else -1


def load_public(source: str, path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"{path}: no such file; see ../shared/data/README.md for the public data sets")
    frame = catalonia(path) if source == "catalonia" else hunan(path)
    return frame.replace({np.nan: ""})
