"""Bad training data gets a clear error naming the file, column, line and value found."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher import InputError
from matcher.modelling.training_data import read_training
from matcher.rulebase.factors import UNRATED


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


def test_factor_columns_and_items_are_encoded(rules, tmp_path) -> None:
    path = _csv(tmp_path, "peer_delinquency,strong_attachment,y,sex\n2,1,1,F\n,0,0,M\n1,,yes,M\n")
    data = read_training(path, rules, "y", groups=["sex"])
    assert data.features == ("peer_delinquency", "strong_attachment")
    assert data.X.tolist() == [[2, 1], [UNRATED, 0], [1, UNRATED]]
    assert data.y.tolist() == [True, False, True] and data.groups["sex"].tolist() == ["F", "M", "M"]
    items = _csv(tmp_path, "savry.S1,savry.P3,y\nhigh,present,1\nlåg,absent,0\n")
    data = read_training(items, rules, "y", instrument="savry")
    assert data.features == ("peer_delinquency", "strong_attachment") and np.array_equal(data.X, [[2, 1], [0, 0]])


@pytest.mark.parametrize(("text", "kwargs", "message"), [
    ("peer_delinquency,y\n1,0\n2,1\n", {"target": "reoffended"},
     "data.csv: no target column 'reoffended'; the file has: peer_delinquency, y"),
    ("peer_delinquency,y\n1,0\n1,1\n", {"target": "y"},
     "data.csv: feature 'peer_delinquency' is 1 in every row, so nothing can be learned from it; leave it out "
     "with --features or check the data"),
    ("savry.S1,savry.X9,y\nhigh,low,0\nlow,low,1\n", {"target": "y", "instrument": "savry"},
     "data.csv: column 'savry.X9': unknown item code 'X9' of savry; items are H1, H2, H3, H4, H5, H6, H7, H8, H9, "
     "H10, S1, S2, S3, S4, S5, S6, I1, I2, I3, I4, I5, I6, I7, I8, P1, P2, P3, P4, P5, P6"),
    ("peer_delinquency,y\n1,0\nhigh,1\n3,1\n", {"target": "y"},
     "data.csv: column 'peer_delinquency': expected one of 0, 1, 2 (blank = not rated); found 'high' on line 3, "
     "'3' on line 4"),
    ("peer_delinquency,y\n1,0\n2,maybe\n", {"target": "y"},
     "data.csv: target column 'y': expected 0/1 (or yes/no) in every row; found 'maybe' on line 3"),
    ("peer_delinquncy,y\n1,0\n2,1\n", {"target": "y"},
     "data.csv: column 'peer_delinquncy' is not a factor; did you mean 'peer_delinquency'? (other columns are "
     "ignored unless named by --target or --group)"),
    ("peer_delinquency,y\n1,0\n2,1\n", {"target": "y", "features": ["antisocial_attitudes"]},
     "data.csv: --features: no ratings for factor 'antisocial_attitudes'; the file has factor columns: "
     "peer_delinquency"),
])
def test_bad_training_data_is_refused_with_a_clear_message(rules, tmp_path, text, kwargs, message) -> None:
    path = _csv(tmp_path, text)
    target = kwargs.pop("target")
    with pytest.raises(InputError) as caught:
        read_training(path, rules, target, **kwargs)
    assert str(caught.value) == message


def test_train_command_exits_2_on_bad_data(tmp_path, capsys) -> None:
    from matcher.cli import main

    path = _csv(tmp_path, "peer_delinquency,y\n1,0\n2,1\n")
    assert main(["train", str(path), "--target", "outcome", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == "matcher: data.csv: no target column 'outcome'; the file has: peer_delinquency, y\n"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("broken.parquet", b"not parquet", "broken.parquet: could not be read as Parquet (Could not open Parquet input "
                                       "source"),
    ("empty.csv", b"", "empty.csv:1: no header row; expected the column names on the first line"),
])
def test_a_file_that_cannot_be_parsed_is_a_message(rules, tmp_path, name, content, message) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError) as info:
        read_training(tmp_path / name, rules, "reoffended")
    assert str(info.value).startswith(f"{tmp_path}/{message}")


def test_a_file_saved_by_swedish_excel_is_read_as_its_utf8_twin(rules, tmp_path) -> None:
    text = "peer_delinquency,strong_attachment,y,kön\n2,1,1,flicka\n,0,0,pojke\n1,,ja,pojke\n"
    twin = read_training(_csv(tmp_path, text), rules, "y", groups=["kön"])
    excel = tmp_path / "excel.csv"
    excel.write_bytes(text.replace(",", ";").replace("\n", "\r\n").encode("cp1252"))
    data = read_training(excel, rules, "y", groups=["kön"])
    assert data.read_as == "read as Windows-1252, separated by semicolons"
    assert (data.X.tolist(), data.y.tolist(), data.groups["kön"].tolist()) == \
        (twin.X.tolist(), twin.y.tolist(), twin.groups["kön"].tolist())


def test_a_number_off_its_range_is_refused_with_the_range(rules, tmp_path) -> None:
    path = _csv(tmp_path, "prior_records,age_at_offence,y\n3,15,1\n61,14,0\n2,3.5,1\n")
    with pytest.raises(InputError) as caught:
        read_training(path, rules, "y")
    assert str(caught.value) == ("data.csv: column 'prior_records': expected a whole number from 0 to 60 (blank = "
                                 "not known); found '61' on line 3")


def test_numbers_and_instrument_items_are_read_together(rules, tmp_path) -> None:
    path = _csv(tmp_path, "savry.S1,prior_records,age_at_offence,y\nhigh,3,15,1\nlow,,17,0\nmoderate,0,,1\n")
    data = read_training(path, rules, "y")
    assert data.features == ("peer_delinquency", "prior_records", "age_at_offence")
    assert data.X.tolist() == [[2, 3, 15], [0, UNRATED, 17], [1, 0, UNRATED]]
    assert data.instrument == "savry"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.one_of(st.integers(-5, 70).map(str), st.text(max_size=6)), min_size=3, max_size=8))
def test_hostile_numbers_are_read_exactly_or_refused_naming_the_column_and_line(rules, tmp_path, cells) -> None:
    rows = [cell.replace(",", "").replace('"', "").replace("\n", "").replace("\r", "") for cell in cells]
    text = "prior_records,peer_delinquency,y\n" + "".join(f"{c},{i % 3},{i % 2}\n" for i, c in enumerate(rows))
    path = tmp_path / "hostile.csv"
    path.write_bytes(text.encode("utf-8"))
    try:
        data = read_training(path, rules, "y")
    except InputError as exc:
        assert str(exc).startswith(str(path)) or str(exc).startswith(path.name)  # the file named first
        return
    column = data.X[:, list(data.features).index("prior_records")] if "prior_records" in data.features else None
    if column is not None:
        expected = [int(c.strip()) if c.strip() else UNRATED for c in rows]
        assert column.tolist() == expected and all(v == UNRATED or 0 <= v <= 60 for v in expected)
