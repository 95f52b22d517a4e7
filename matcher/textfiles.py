"""Text files from real offices: the encoding of a file read, and CSV read and written the one way.

Swedish Excel saves CSV with semicolons, a byte-order mark, decimal commas and often Windows-1252; other
tools write commas and UTF-8. Reading detects the encoding (a byte-order mark, else UTF-8, else
Windows-1252) and the separator (the header's commonest of ``;``, ``,`` and tab) and says which were used.
A duplicate column or a row with more or fewer cells than the header is refused with its line, never
resolved silently. A file of any size is read by ``stream_csv``: the same detection (UTF-8 checked over the whole
file, a block at a time) and header checks on its first block, then pyarrow's CSV reader in blocks of
``STREAM_BLOCK`` bytes (memory stays bounded), every cell as text, each row with its line, and a row with the
wrong number of cells reported with its line and left out.
Writing takes a dialect: ``excel-sv`` (semicolon, byte-order mark, decimal comma: what
Swedish Excel opens) or ``standard`` (comma, UTF-8, decimal point); a text cell that a spreadsheet would
run as a formula gets a leading apostrophe.
"""

from __future__ import annotations

import codecs
import csv
import io
import numbers
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from matcher.errors import InputError, shown

MAX_BYTES = 50 * 1024 * 1024  # a case or training file; far more than any office's data
MAX_CELL = 128 * 1024  # characters in one cell
SEPARATORS = {";": "semicolon", ",": "comma", "\t": "tab"}
DIALECTS = ("excel-sv", "standard")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOMS = ((codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with a byte-order mark"),
        (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"), (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"))
STREAM_BLOCK = 4 * 1024 * 1024  # bytes parsed at a time by stream_csv; a row may not be longer


def read_text(path: Path, display: str | None = None, limit: int = MAX_BYTES) -> tuple[str, str]:
    """The text of a file and the name of the encoding it was read with (for a note to the reader)."""
    display = display or str(path)
    if not path.is_file():
        raise InputError(f"{display}: no such file")
    size = path.stat().st_size
    if size > limit:
        raise InputError(f"{display}: {size:,} bytes; the limit is {limit:,} bytes ({limit // 2**20} MiB). "
                         f"Split the file")
    return decode(path.read_bytes(), display)


def decode(data: bytes, display: str) -> tuple[str, str]:
    """Bytes as text: a byte-order mark decides; else UTF-8; else Windows-1252 (Swedish Excel's 'CSV'). A NUL
    character is refused: it is UTF-16 without a byte-order mark, or no text file at all."""
    for bom, codec, name in BOMS:
        if data.startswith(bom):
            try:
                return _no_nul(data.decode(codec).removeprefix("\ufeff"), display), name
            except UnicodeDecodeError as exc:
                raise InputError(f"{display}: starts as {name} but byte {exc.start} is not {name}; save the file "
                                 f"again as UTF-8") from None
    if b"\0" in data:
        _no_nul(data.decode("latin-1"), display)
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{display}:{line}: neither UTF-8 nor Windows-1252 text (byte 0x{data[exc.start]:02x} at "
                         f"offset {exc.start}); save the file as UTF-8") from None
    return text, "Windows-1252"


def _no_nul(text: str, display: str) -> str:
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise InputError(f"{display}:{line}: a NUL character: this is UTF-16 without a byte-order mark or not a text "
                         f"file; save it as UTF-8 text")
    return text


@dataclass(frozen=True)
class CsvTable:
    """A CSV file read: the header, the rows as (line, cells), and how it was read."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str
    separator: str

    @property
    def read_as(self) -> str:
        return _read_as(self.encoding, self.separator)

    def records(self) -> Iterable[tuple[int, dict[str, str]]]:
        for line, cells in self.rows:
            yield line, dict(zip(self.header, cells, strict=True))


def _read_as(encoding: str, separator: str) -> str:
    return f"read as {encoding}, separated by {SEPARATORS[separator]}s"


def read_csv(path: Path, display: str | None = None) -> CsvTable:
    """A CSV file with a header row; every structural problem is refused with its line."""
    display = display or str(path)
    text, encoding = read_text(path, display)
    separator = _separator(text)
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=separator)
    rows: list[tuple[int, list[str]]] = []
    problems: list[str] = []
    limit = csv.field_size_limit(MAX_CELL)
    try:
        header, rows = _rows(reader, display, problems)
    except csv.Error as exc:
        message = (f"a cell is longer than {MAX_CELL:,} characters (the limit)" if "field larger" in str(exc)
                   else str(exc))
        raise InputError(f"{display}:{reader.line_num}: {message}") from None
    finally:
        csv.field_size_limit(limit)
    problems = _header_problems(header, display) + problems
    if problems:
        raise InputError(_listed(problems))
    return CsvTable(header, rows, encoding, separator)


def _rows(reader: Any, display: str, problems: list[str]) -> tuple[list[str], list[tuple[int, list[str]]]]:
    header = [cell.strip() for cell in next(reader, [])]
    rows = []
    start = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            if len(cells) != len(header):
                problems.append(_cell_count(display, start, len(cells), len(header)))
            else:
                rows.append((start, cells))
        start = reader.line_num + 1
    return header, rows


def _cell_count(display: str, line: int | None, cells: int, columns: int) -> str:
    return (f"{display}:{line}: {cells} cells; the header has {columns} columns (a separator too many or too few, "
            f"or a quote left open?)")


def _header_problems(header: list[str], display: str) -> list[str]:
    if not any(header):
        return [f"{display}:1: no header row; expected the column names on the first line"]
    out = []
    seen: dict[str, int] = {}
    for n, name in enumerate(header, 1):
        if not name:
            out.append(f"{display}:1: column {n} has no name")
        elif name in seen:
            out.append(f"{display}:1: column {shown(name)} appears twice (columns {seen[name]} and {n}); "
                       f"keep one, so that no value is silently replaced by another")
        seen.setdefault(name, n)
    return out


def _separator(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _listed(problems: list[str], shown_at_most: int = 20) -> str:
    more = len(problems) - shown_at_most
    return "\n".join(problems[:shown_at_most] + ([f"... and {more} more problems"] if more > 0 else []))


# ---------------------------------------------------------------- streaming


@dataclass
class CsvStream:
    """A CSV file read block by block (``stream_csv``): the header, how it was read, and ``blocks()``."""

    path: Path
    display: str
    header: list[str]
    encoding: str
    separator: str
    codec: str  # what pyarrow decodes with
    block_size: int = STREAM_BLOCK
    problems: list[str] = field(default_factory=list)  # rows left out (wrong number of cells), by line

    @property
    def read_as(self) -> str:
        return _read_as(self.encoding, self.separator)

    def blocks(self, coded: Collection[str] = ()) -> Iterator[tuple[np.ndarray, pa.RecordBatch]]:
        """(line of each row, the rows with every cell as text), in file order. Rows with the wrong number of cells
        are left out and described in ``problems`` (read it after each block); a quoted line break in a cell is
        allowed and counted, so every later line number stays right. The ``coded`` columns (few distinct values)
        come dictionary-encoded: each distinct text once, and an index per row."""
        pending: list[tuple[int, int, int]] = []  # rows left out, not yet placed: (row number, cells, line breaks)

        def wrong_row(row: Any) -> str:
            pending.append((row.number, row.actual_columns, row.text.count("\n")))
            return "skip"

        names = [f"c{i}" for i in range(len(self.header))]
        types = {name: pa.dictionary(pa.int32(), pa.string()) if title in coded else pa.string()
                 for name, title in zip(names, self.header, strict=True)}
        place = _Place()
        try:  # open_csv parses the first block at once
            reader = pa_csv.open_csv(
                self.path,
                read_options=pa_csv.ReadOptions(skip_rows=1, column_names=names, block_size=self.block_size,
                                                encoding=self.codec, use_threads=False),  # one thread: numbered rows
                parse_options=pa_csv.ParseOptions(delimiter=self.separator, ignore_empty_lines=False,
                                                  invalid_row_handler=wrong_row),
                convert_options=pa_csv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                                      quoted_strings_can_be_null=False))
            for batch in reader:
                if batch.num_rows:
                    yield place.lines(batch, pending, self), batch
        except pa.ArrowInvalid as exc:
            raise InputError(f"{self.display}: {_arrow_message(str(exc), self.block_size)}") from None
        except UnicodeDecodeError:  # pyarrow decodes other encodings than UTF-8 with Python's codecs
            raise InputError(f"{self.display}: bytes that are not {self.encoding} text further down the file; save "
                             f"the whole file as UTF-8") from None
        place.lines(None, pending, self)


class _Place:
    """Turns pyarrow's row numbers into line numbers: a row that holds a quoted line break spans more lines."""

    def __init__(self) -> None:
        self.row = 2  # the row number the next row cannot start before (the header is row 1)
        self.breaks = 0  # line breaks inside the rows so far

    def lines(self, batch: pa.RecordBatch | None, pending: list[tuple[int, int, int]], stream: CsvStream) -> np.ndarray:
        """The line each row of ``batch`` starts on; rows left out before its end are placed and reported."""
        n = batch.num_rows if batch is not None else 0
        extra = np.zeros(n, dtype=np.int64)
        for column in batch.columns if batch is not None else ():
            words = column.dictionary if pa.types.is_dictionary(column.type) else column
            if pc.any(pc.match_substring(words, "\n")).as_py():
                breaks = pc.count_substring(words, "\n")
                extra += (pc.take(breaks, column.indices) if words is not column else breaks).to_numpy(
                    zero_copy_only=False)
        rows = self.row + np.arange(n, dtype=np.int64)
        left_out = []
        while pending and (batch is None or pending[0][0] <= rows[-1]):
            number, cells, breaks = pending.pop(0)
            rows[rows >= number] += 1
            left_out.append((number, cells, breaks))
        numbers = np.concatenate([rows, np.array([r[0] for r in left_out], dtype=np.int64)])
        spans = np.concatenate([extra, np.array([r[2] for r in left_out], dtype=np.int64)])
        order = np.argsort(numbers, kind="stable")
        before = np.empty_like(spans)
        before[order] = np.cumsum(spans[order]) - spans[order]  # breaks in the rows before each
        lines = numbers + self.breaks + before
        stream.problems += [_cell_count(stream.display, int(lines[n + j]), cells, len(stream.header))
                            for j, (_, cells, _) in enumerate(left_out)]
        if n:
            self.row = int(rows[-1]) + 1
        self.breaks += int(spans.sum())
        return lines[:n]


def stream_csv(path: Path, display: str | None = None, block_size: int = STREAM_BLOCK) -> CsvStream:
    """A CSV file of any size with a header row, to read in blocks: the header's problems are refused at once."""
    display = display or str(path)
    if not path.is_file():
        raise InputError(f"{display}: no such file")
    with path.open("rb") as file:
        sample = file.read(64 * 1024)
    codec, encoding, text = _sample_text(path, sample, display)
    first = re.split(r"[\r\n]", text, maxsplit=1)[0]  # a line ends at a line feed or a carriage return
    separator = _separator(first)
    header = [cell.strip() for cell in next(csv.reader([first], delimiter=separator), [])]
    problems = _header_problems(header, display)
    if problems:
        raise InputError(_listed(problems))
    return CsvStream(path, display, header, encoding, separator, codec, block_size)


def _sample_text(path: Path, sample: bytes, display: str) -> tuple[str, str, str]:
    """(pyarrow's codec, the encoding's name, the sample as text) from a file's first bytes, as ``decode`` decides
    on the whole file: UTF-8 only when every byte of the file is (pyarrow would stop at a later byte that is not,
    in its own words, or fail to report a row with the wrong number of cells that holds one)."""
    for bom, codec, name in BOMS:
        if sample.startswith(bom):
            if codec == "utf-8-sig" and (bad := _not_utf8_at(path)) is not None:
                raise InputError(f"{display}:{bad[0]}: starts as {name} but byte {bad[1]} is not {name}; save the "
                                 f"file again as UTF-8")
            text = codecs.getincrementaldecoder(codec)("replace").decode(sample)
            return ("utf8" if codec == "utf-8-sig" else codec), name, text.removeprefix("\ufeff")
    if b"\0" in sample:
        _no_nul(sample.decode("latin-1"), display)
    if _not_utf8_at(path) is None:
        return "utf8", "UTF-8", codecs.getincrementaldecoder("utf-8")().decode(sample)
    return "cp1252", "Windows-1252", sample.decode("cp1252", "replace")


def _not_utf8_at(path: Path) -> tuple[int, int] | None:
    """(line, byte offset) of the first bytes of the file that are not UTF-8; None when it is UTF-8 throughout.
    Read a block at a time, so memory stays bounded (about 1.5 ms a megabyte)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as file:
        while True:
            block = file.read(STREAM_BLOCK)
            held = len(decoder.getstate()[0])  # the start of a character the previous block ended inside
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                at = offset - held + exc.start
                file.seek(0)
                return 1 + sum(file.read(min(STREAM_BLOCK, at - done)).count(b"\n")
                               for done in range(0, at, STREAM_BLOCK)), at
            if not block:
                return None
            offset += len(block)


def _arrow_message(message: str, block_size: int) -> str:
    if "straddling" in message or "block size" in message:
        return (f"a row longer than {block_size:,} bytes (the limit), or a quote left open that runs over many lines; "
                f"close the quote or shorten the row")
    return message.splitlines()[0]


# ---------------------------------------------------------------- writing


def default_dialect(lang: str) -> str:
    """Swedish-language files open in Swedish Excel; English ones are plain comma-separated UTF-8."""
    return "excel-sv" if lang == "sv" else "standard"


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], dialect: str) -> str:
    """Rows as CSV text in ``dialect`` (``DIALECTS``); formula-looking text cells are neutralised."""
    if dialect not in DIALECTS:
        raise InputError(f"--csv-dialect: expected one of {', '.join(DIALECTS)}; found {shown(dialect)}")
    excel = dialect == "excel-sv"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else "\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column), excel) for column in columns])
    return ("\ufeff" if excel else "") + out.getvalue()


def write_csv(path: Path, rows: Iterable[Mapping[str, Any]], columns: Sequence[str], dialect: str) -> None:
    path.write_text(csv_text(rows, columns, dialect), encoding="utf-8", newline="")


def _cell(value: Any, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, numbers.Real):
        text = str(value)
        return text.replace(".", ",") if decimal_comma else text
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
