"""CSV the one way: Swedish Excel's files read right, duplicate columns and ragged rows refused, formulas defused."""

from pathlib import Path

import pytest

from matcher import InputError
from matcher.textfiles import csv_text, read_csv

ROWS = [{"insats": "mst", "name": "=HYPERLINK(\"http://x\")", "share": 0.25, "count": -3, "note": "+46 70"},
        {"insats": "fft", "name": "@SUM(A1)", "share": None, "count": 2, "note": "\tx"}]
COLUMNS = ["insats", "name", "share", "count", "note"]


def test_excel_sv_has_semicolons_a_bom_decimal_commas_and_no_formulas() -> None:
    assert csv_text(ROWS, COLUMNS, "excel-sv") == (
        "\ufeffinsats;name;share;count;note\r\n"
        "mst;\"'=HYPERLINK(\"\"http://x\"\")\";0,25;-3;'+46 70\r\n"
        "fft;'@SUM(A1);;2;'\tx\r\n")


def test_standard_has_commas_and_decimal_points_and_no_formulas() -> None:
    assert csv_text(ROWS, COLUMNS, "standard") == (
        "insats,name,share,count,note\n"
        "mst,\"'=HYPERLINK(\"\"http://x\"\")\",0.25,-3,'+46 70\n"
        "fft,'@SUM(A1),,2,'\tx\n")


@pytest.mark.parametrize(("data", "read_as"), [
    ("\ufeffcase_id;age\r\nÅ-1;15\r\n".encode(), "read as UTF-8 with a byte-order mark, separated by semicolons"),
    ("case_id;age\r\nÅ-1;15\r\n".encode("cp1252"), "read as Windows-1252, separated by semicolons"),
    ("case_id\tage\nÅ-1\t15\n".encode("utf-16"), "read as UTF-16, separated by tabs"),
    ("case_id,age\nÅ-1,15\n".encode(), "read as UTF-8, separated by commas"),
])
def test_the_encoding_and_separator_are_detected_and_said(tmp_path: Path, data: bytes, read_as: str) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes(data)
    table = read_csv(path)
    assert (table.header, table.rows, table.read_as) == (["case_id", "age"], [(2, ["Å-1", "15"])], read_as)


@pytest.mark.parametrize(("text", "message"), [
    ("a,b,a\n1,2,3\n", "{path}:1: column 'a' appears twice (columns 1 and 3); keep one, so that no value is silently "
                       "replaced by another"),
    ("a,b\n1,2\n1,2,3\n4\n", "{path}:3: 3 cells; the header has 2 columns (a separator too many or too few, or a "
                             "quote left open?)\n{path}:4: 1 cells; the header has 2 columns (a separator too many "
                             "or too few, or a quote left open?)"),
    ("a,b\n1,\"" + "x" * 140_000 + "\"\n", "{path}:2: a cell is longer than 131,072 characters (the limit)"),
    ("a,b\n1,\x002\n", "{path}:2: a NUL character: this is UTF-16 without a byte-order mark or not a text file; "
                       "save it as UTF-8 text"),
    ("\n\n", "{path}:1: no header row; expected the column names on the first line"),
])
def test_a_broken_csv_is_refused_with_its_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_csv(path)
    assert str(caught.value) == message.format(path=path)
