"""Reading input tables (CSV, Parquet, JSON Lines, JSON arrays) as batches of addressable cells.

A table is a sequence of rows. Flat formats expose one column per header; nested JSON exposes one
column per leaf path: `cellPhone.e164`, `address.city`, `identifiers[].value` (every list element).
Batches stream through the engine so memory stays bounded however long the file is.
"""

from __future__ import annotations

import csv
import io
import json
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice, pairwise
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from sanitizer.errors import InputError

Format = Literal["csv", "parquet", "jsonl", "json"]
FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}
# Rows per streamed batch. Pass 2 holds two batches (one replaced, the next read while its notes are
# scanned): at a million rows, all processes peaked at about 1,420 MiB with 100,000 rows a batch and
# about 1,330 with 50,000, in about the same CPU time (benchmarks/README.md).
BATCH_ROWS = 50_000
_INVISIBLE = re.compile(
    r"^[\ufeff\u200b\u200c\u200d\u2060\s]+|[\ufeff\u200b\u200c\u200d\u2060\s]+$"
)


_DOUBLED_QUOTES = re.compile(r'(^|,)""([^",]*)""(?=,|\r?$)')


def clean_header_name(name: str) -> str:
    """A header name without invisible characters, and without quotes only when they wrap all of it
    (Genesys exports write `""inin-outbound-id""`); `Say "hi"` keeps its quotes."""
    name = _INVISIBLE.sub("", name)
    while len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
        name = _INVISIBLE.sub("", name[1:-1])
    return name


# A whole number held as a float is read as its digits up to this size (a card number has at most 19).
_WHOLE_FLOAT_LIMIT = 1e19


def is_whole_float(value: object) -> bool:
    """Whether a cell is a float that holds a whole number (2125550143.0): pandas makes a column of
    numbers float when it has a null, and JSON may spell an integer with ".0"."""
    if not isinstance(value, float | np.floating):
        return False
    number = float(value)
    return abs(number) < _WHOLE_FLOAT_LIMIT and number.is_integer()


def cell_text(value: object) -> str:
    """A cell as text: a whole number held as a float as its digits ("2125550143", not
    "2125550143.0": the ".0" is no part of a phone or card number), anything else as `str()` writes it."""
    return str(int(value)) if is_whole_float(value) else str(value)  # type: ignore[call-overload]


class Batch(ABC):
    """A slice of a table's rows whose cells can be read and replaced column by column."""

    start_row: int
    num_rows: int

    @abstractmethod
    def paths(self) -> list[str]:
        """Column names (flat) or leaf paths (nested), in first-seen order."""

    @abstractmethod
    def cells(self, path: str) -> tuple[pd.Series, np.ndarray]:
        """The cells of a column and, for each, its row index within the batch."""

    @abstractmethod
    def set_cells(self, path: str, values: pd.Series) -> None:
        """Replace the cells of a column (same length and order as `cells`)."""

    @abstractmethod
    def drop(self, path: str) -> None:
        """Remove a column from the output."""

    @abstractmethod
    def is_text(self, path: str) -> bool:
        """Whether the column holds text (numbers, booleans and timestamps do not)."""


class RowCells:
    """A column's cells by row, as they are when it is made: `cells[row]` is the row's one cell in a flat
    batch, and its several cells (a list in a record) or none (a record without the field) in a nested
    one."""

    def __init__(self, batch: Batch, path: str) -> None:
        values, rows = batch.cells(path)
        self._flat: list[Any] | None = None
        self._nested: dict[int, list[Any]] = {}
        if np.array_equal(rows, np.arange(batch.num_rows)):
            self._flat = values.tolist()
            return
        for row, value in zip(rows.tolist(), values.tolist(), strict=True):
            self._nested.setdefault(row, []).append(value)

    def __getitem__(self, row: int) -> Sequence[Any]:
        if self._flat is not None:
            return (self._flat[row],)
        return self._nested.get(row, ())


class FrameBatch(Batch):
    """A flat batch: one pandas column per table column.

    Read from a file, it stays in Arrow until its cells are first read (`frame`): a batch that is only
    passed on, to a worker process that verifies it, is converted there, and crosses the process
    boundary in Arrow's own format. A pickled frame is every cell as a Python string, built, held and
    sent by the process that reads the file (at a million rows, the verification's main process held
    a few hundred megabytes of them, and spent its time making them).
    """

    def __init__(self, frame: pd.DataFrame, start_row: int) -> None:
        self._frame: pd.DataFrame | None = frame
        self._arrow: pa.Table | None = None
        self.start_row = start_row
        self.num_rows = len(frame)

    @classmethod
    def of_arrow(cls, table: pa.Table, start_row: int) -> FrameBatch:
        """A batch of `table`'s rows, converted to pandas when its cells are first read."""
        batch = cls.__new__(cls)
        batch._frame = None
        batch._arrow = table
        batch.start_row = start_row
        batch.num_rows = table.num_rows
        return batch

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            assert self._arrow is not None
            self._frame, self._arrow = _frame(self._arrow), None
        return self._frame

    @frame.setter
    def frame(self, frame: pd.DataFrame) -> None:
        self._frame, self._arrow = frame, None

    def split(self, size: int) -> tuple[FrameBatch, FrameBatch]:
        """The first `size` rows and the rest, as two batches (without converting an Arrow batch)."""
        if self._arrow is not None:
            return (
                FrameBatch.of_arrow(self._arrow.slice(0, size), self.start_row),
                FrameBatch.of_arrow(self._arrow.slice(size), self.start_row + size),
            )
        return (
            FrameBatch(self.frame.iloc[:size].reset_index(drop=True), self.start_row),
            FrameBatch(self.frame.iloc[size:].reset_index(drop=True), self.start_row + size),
        )

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self._arrow is not None:
            # Arrow pickles a slice with all of its parent's buffers; its stream format holds the
            # slice's rows only.
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, self._arrow.schema) as writer:
                writer.write_table(self._arrow)
            state["_arrow"] = sink.getvalue()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("_arrow") is not None:
            state["_arrow"] = pa.ipc.open_stream(state["_arrow"]).read_all()
        self.__dict__.update(state)

    def paths(self) -> list[str]:
        if self._arrow is not None:
            return [str(c) for c in self._arrow.column_names]
        return [str(c) for c in self.frame.columns]

    def cells(self, path: str) -> tuple[pd.Series, np.ndarray]:
        return self.frame[path], np.arange(self.num_rows)

    def set_cells(self, path: str, values: pd.Series) -> None:
        # Positional (the frame's index is not the series'); an extension array (nullable integers)
        # keeps its type.
        self.frame[path] = values.to_numpy() if values.dtype == object else values.array

    def drop(self, path: str) -> None:
        self.frame = self.frame.drop(columns=[path])

    def is_text(self, path: str) -> bool:
        dtype = self.frame[path].dtype
        return bool(pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype))


@dataclass
class _Leaves:
    values: list[Any] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    homes: list[tuple[dict[str, Any] | list[Any], str | int]] = field(default_factory=list)


class RecordsBatch(Batch):
    """A nested batch: JSON objects addressed by leaf paths."""

    def __init__(
        self, records: list[dict[str, Any]], start_row: int, known: Sequence[str] = ()
    ) -> None:
        self.records = records
        self.start_row = start_row
        self.num_rows = len(records)
        # Columns a table has even where no record shows them (a data table without rows).
        self._leaves: dict[str, _Leaves] = {path: _Leaves() for path in known}
        for row, record in enumerate(records):
            self._walk(record, "", row)

    def _walk(self, node: dict[str, Any] | list[Any], prefix: str, row: int) -> None:
        items: Any = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if isinstance(node, dict):
                path = f"{prefix}.{key}" if prefix else str(key)
            else:
                path = f"{prefix}[]"
            if isinstance(value, dict | list):
                self._walk(value, path, row)
            else:
                leaves = self._leaves.setdefault(path, _Leaves())
                leaves.values.append(value)
                leaves.rows.append(row)
                leaves.homes.append((node, key))

    def paths(self) -> list[str]:
        return list(self._leaves)

    def first_row(self, path: str) -> int:
        """The first record (within the batch) holding `path` (0 for a known column no record holds)."""
        rows = self._leaves[path].rows
        return rows[0] if rows else 0

    def cells(self, path: str) -> tuple[pd.Series, np.ndarray]:
        leaves = self._leaves.get(path)
        if leaves is None:
            return pd.Series([], dtype=object), np.array([], dtype=np.int64)
        return pd.Series(leaves.values, dtype=object), np.asarray(leaves.rows, dtype=np.int64)

    def set_cells(self, path: str, values: pd.Series) -> None:
        leaves = self._leaves[path]
        for (home, key), value in zip(leaves.homes, values.tolist(), strict=True):
            home[key] = value  # type: ignore[index]
        leaves.values = values.tolist()

    def drop(self, path: str) -> None:
        leaves = self._leaves.pop(path, None)
        if leaves is None:
            return
        for home, key in reversed(leaves.homes):
            if isinstance(home, dict):
                home.pop(str(key), None)
            else:
                home[int(key)] = None  # a list keeps its length; the element becomes null

    def is_text(self, path: str) -> bool:
        leaves = self._leaves.get(path)
        return leaves is not None and any(isinstance(v, str) for v in leaves.values)


@dataclass
class TableSource:
    """One input table: where it is, its format, and what is needed to write it back alike."""

    name: str
    path: Path
    format: Format
    header: list[str] = field(default_factory=list)
    has_bom: bool = False
    newline: str = "\n"
    delimiter: str = ","  # a CSV's field separator (`;` from spreadsheets in many European locales)
    is_nested: bool = False
    data: bytes | None = field(
        default=None, repr=False
    )  # in memory: decrypted raw data never touches disk
    stem: str = ""  # output file name without extension (default: the table name)
    # The table's columns when no row may show them (an extracted data table's definition): the
    # output of a table without rows still has them.
    schema: pa.Schema | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.stem = self.stem or self.name

    def open(self) -> BinaryIO:
        """The content as a binary stream, from memory or from the file."""
        return io.BytesIO(self.data) if self.data is not None else self.path.open("rb")

    def batches(self, rows: int = BATCH_ROWS) -> Iterator[Batch]:
        """Stream the table in batches of about `rows` rows."""
        if self.format == "csv":
            yield from _csv_batches(self, rows)
        elif self.format == "parquet":
            yield from _parquet_batches(self, rows)
        elif self.format == "jsonl":
            yield from _chunks(_jsonl_records(self), rows, self)
        else:
            yield from _chunks(iter(_json_records(self)), rows, self)


def _chunks(records: Iterator[dict[str, Any]], rows: int, source: TableSource) -> Iterator[Batch]:
    chunk: list[dict[str, Any]] = []
    start = 0
    for record in records:
        chunk.append(record)
        if len(chunk) >= rows:
            yield _keys_checked(RecordsBatch(chunk, start), source)
            start += len(chunk)
            chunk = []
    if chunk or start == 0:
        known = source.schema.names if source.schema is not None and not chunk else ()
        yield _keys_checked(RecordsBatch(chunk, start, known), source)


_PHONE_KEY = re.compile(r"(?:^|[.\[])\+\d[\d\s().\-/]{8,}\d")
_KEY_PARTS = re.compile(r"\.|\[\]\.?")  # "prefs.Ada Lovelace", "lists[].07700 900123"


def _data_in_keys(path: str) -> str | None:
    """What a key of `path` holds when it is a value, not a field name (None when all are names)."""
    keys = _KEY_PARTS.split(path)
    return (
        "an email address"
        if _EMAIL_CELL.search(path)
        else "a phone number"
        # A number written as a phone ("07700 900123"); digits alone may be an id ({"2125550187": 1}).
        if _PHONE_KEY.search(path) or any(_data_like(k) and not k.isdigit() for k in keys)
        else "a person's name"
        if any(_person_like(key, words_at_least=2) for key in keys)
        else next(filter(None, map(pii_in_name, keys)), None)
    )


def _keys_checked(batch: RecordsBatch, source: TableSource) -> RecordsBatch:
    """A batch whose records' keys are names: an email address, a phone number or a person's full name
    used as a key ({"ada@example.org": "primary"}, {"Ada Lovelace": true}) would be kept in the output
    and shown in the report."""
    for path in batch.paths():
        what = _data_in_keys(path)
        if what:
            record = batch.start_row + batch.first_row(path) + 1
            raise InputError(
                f"{source.path}: record {record}: a key holds {what}, not a field name (values "
                "used as keys would be kept in the output and shown in the report)"
            )
    return batch


def read_sources(inputs: Sequence[Path]) -> list[TableSource]:
    """Resolve input files and folders into table sources, checking each file before any work starts."""
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.is_file() and p.suffix.lower() in FORMATS)
            if not found:
                raise InputError(f"{item}: no .csv, .parquet, .jsonl or .json files in this folder")
            files.extend(found)
        elif item.exists():
            files.append(item)
        else:
            raise InputError(f"{item}: no such file or folder")
    for number, path in enumerate(files, 1):
        # The file's name becomes the table's: in the output's name and in every report.
        held = pii_in_name(path.stem)
        if held:
            raise InputError(
                f"input file {number} of {len(files)} (in {path.parent}): its name holds {held}, "
                "which the output's name and the reports would show (the name is not printed here)",
                hint="rename the file after what it holds (contacts.csv), not after whom",
            )
    sources = [_inspect(path) for path in files]
    seen: dict[str, TableSource] = {}
    for source in sources:
        other = seen.setdefault(source.name, source)
        if other is not source and other.path.resolve() == source.path.resolve():
            raise InputError(
                f"{source.path}: given twice (as a file, or inside a folder also given); give it once"
            )
        if other is not source:
            raise InputError(
                f"{other.path} and {source.path} share the table name {source.name!r} (their outputs "
                "and report entries would collide): rename one or scrub them in separate runs"
            )
    return sources


def source_from_bytes(
    name: str,
    data: bytes,
    fmt: Format,
    *,
    label: str,
    stem: str = "",
    is_extracted: bool = False,
    schema: pa.Schema | None = None,
) -> TableSource:
    """A table held in memory (`label` names it in error messages, like a file path would).

    An extracted table may have no rows at all (an org without external contacts, a data table
    nobody filled): empty JSON Lines is then a table, where a user's empty file is a mistake.
    """
    source = TableSource(
        name=name, path=Path(label), format=fmt, data=data, stem=stem, schema=schema
    )
    if is_extracted and fmt == "jsonl" and not data.strip():
        source.is_nested = True
        return source
    return _check(source, _head(io.BytesIO(data), source), len(data))


def read_output(path: Path) -> TableSource:
    """A published output, read back for verification: a table without rows may be an empty file
    (JSON Lines, or a CSV whose input had no columns either), read as a table of no rows."""
    with path.open("rb") as handle:
        if not handle.read(4096).strip():
            return source_from_bytes(path.stem, b"", "jsonl", label=str(path), is_extracted=True)
    return read_sources([path])[0]


def _inspect(path: Path) -> TableSource:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unknown extension {path.suffix or '(none)'!r}; expected one of {', '.join(sorted(FORMATS))}"
        )
    try:
        size = path.stat().st_size
        source = TableSource(name=path.stem, path=path, format=fmt)
        with path.open("rb") as handle:
            head = _head(handle, source)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    return _check(source, head, size)


# The longest CSV header line read (the reader's block must hold it too); 64 KiB is read after it.
CSV_HEADER_MAX_BYTES = 1 << 24


def _head(handle: BinaryIO, source: TableSource) -> bytes:
    """The start of a file to check it by: 64 KiB, and for a CSV at least its whole first line (a
    header of thousands of columns may be longer: cut, it lost columns or split a character)."""
    head = bytearray(handle.read(65536))
    while source.format == "csv" and b"\n" not in head:
        more = handle.read(1 << 20)
        if not more:
            break
        head += more
        if len(head) > CSV_HEADER_MAX_BYTES and b"\n" not in head[:CSV_HEADER_MAX_BYTES]:
            raise InputError(
                f"{source.path}: row 0 (header): longer than {CSV_HEADER_MAX_BYTES >> 20} MiB "
                "without a line end (expected a header line naming the columns)"
            )
    return bytes(head)


def _check(source: TableSource, head: bytes, size: int) -> TableSource:
    path, fmt = source.path, source.format
    if size == 0 or (fmt != "parquet" and not head.strip()):
        raise InputError(f"{path}: empty file")
    if fmt == "parquet":
        if not head.startswith(b"PAR1"):
            raise InputError(f"{path}: not a Parquet file (missing PAR1 magic bytes)")
        try:
            schema = pq.read_schema(source.open())
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{path}: unreadable Parquet file ({type(exc).__name__})") from None
        duplicate = _duplicate_field(list(schema))
        if duplicate is not None:
            shown = (
                "(not shown: it looks like data)" if _data_in_keys(duplicate) else repr(duplicate)
            )
            raise InputError(f"{path}: schema: duplicate column name {shown}")
        source.is_nested = any(pa.types.is_nested(f.type) for f in schema)
        source.header = schema.names
        if source.schema is None:
            source.schema = schema  # an output of no rows still has the input's columns
        _check_names(schema.names, source, "column")
        return source
    if b"\x00" in head:
        raise InputError(f"{path}: binary file (NUL bytes), expected UTF-8 {fmt.upper()} text")
    if fmt == "csv":
        _read_csv_header(source, head)
    else:
        source.is_nested = True
    return source


def _duplicate_field(fields: list[pa.Field], prefix: str = "") -> str | None:
    """The path of the first field named twice among its siblings (columns, or a struct's fields
    nested in columns and lists), or None."""
    names = [f.name for f in fields]
    twice = [n for n, count in Counter(names).items() if count > 1]
    if twice:
        return f"{prefix}{twice[0]}"
    for item in fields:
        kind = item.type
        while pa.types.is_list(kind) or pa.types.is_large_list(kind):
            kind = kind.value_type
        if pa.types.is_struct(kind):
            found = _duplicate_field(list(kind), f"{prefix}{item.name}.")
            if found is not None:
                return found
    return None


def _read_csv_header(source: TableSource, head: bytes) -> None:
    source.has_bom = head.startswith(b"\xef\xbb\xbf")
    text = head[3:] if source.has_bom else head
    first_break = text.find(b"\n")
    source.newline = (
        "\r\n" if first_break > 0 and text[first_break - 1 : first_break] == b"\r" else "\n"
    )
    try:
        line = (
            text.decode("utf-8", errors="strict")
            if first_break < 0
            else text[:first_break].decode("utf-8")
        )
    except UnicodeDecodeError as exc:
        raise InputError(f"{source.path}: header is not UTF-8 (byte offset {exc.start})") from None
    # Some tools write the quoted header twice quoted (`""inin-outbound-id""`, the Terraform provider's
    # test fixture): read such a name as once quoted.
    line = _DOUBLED_QUOTES.sub(r'\1"\2"', line.lstrip("\ufeff"))
    source.delimiter = _delimiter(line)
    header = next(csv.reader([line], delimiter=source.delimiter), [])
    # Genesys exports quote the header and start with a BOM; some tools double the quotes.
    names = [clean_header_name(name) for name in header]
    if not names or all(n == "" for n in names):
        raise InputError(f"{source.path}: row 0 (header): no column names")
    empty = [i + 1 for i, n in enumerate(names) if n == ""]
    if empty:
        raise InputError(f"{source.path}: row 0 (header): column {empty[0]} has no name")
    for index, name in enumerate(names, start=1):
        looks_like = _data_like(name)
        if looks_like:
            # A file without a header row: its first record would be read as column names, kept as
            # they are in the output and shown in the report.
            raise InputError(
                f"{source.path}: row 0 (header): column {index} holds {looks_like}, not a column "
                "name: the first line must name the columns"
            )
    seen = {n for n, count in Counter(names).items() if count > 1}
    if seen:
        raise InputError(
            f"{source.path}: row 0 (header): duplicate column name {sorted(seen)[0]!r}"
        )
    column = _name_over_names(names, text[first_break + 1 :] if first_break >= 0 else b"", source)
    if column is not None:
        raise InputError(
            f"{source.path}: row 0 (header): column {column} holds a person's name like the values "
            "below it, not a column name: the first line must name the columns"
        )
    _check_names(names, source, "row 0 (header): column")
    source.header = names


_EMAIL_CELL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE_CELL = re.compile(r"\+?[\d\s().\-/]+")


def _check_names(names: Sequence[str], source: TableSource, where: str) -> None:
    """Column names that hold personal data stop the run (`pii_in_name`), naming the column by number."""
    for index, name in enumerate(names, start=1):
        held = pii_in_name(name)
        if held:
            raise InputError(
                f"{source.path}: {where} {index}'s name holds {held}: a column name must not hold "
                "personal data (it would be kept in the output and shown in the report); rename it"
            )


# A phone number inside a longer name ("Call 212-555-0143 re"): nine digits or more in one run.
_PHONE_IN_NAME = re.compile(r"(?<![\w+])\+?\d[\d\s().\-/]{7,}\d")
_NAME_WORDS = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def pii_in_name(name: str) -> str | None:
    """What personal data a column name or key holds inside it ("Notes for ada@example.com", "Call
    212-555-0143 re", "contact of Ada Lovelace"): such a name is kept in the output and shown in the
    report. None for an ordinary name; digits alone may be an id."""
    if _EMAIL_CELL.search(name):
        return "an email address"
    if not name.isdigit() and any(
        sum(c.isdigit() for c in m.group()) >= 9 for m in _PHONE_IN_NAME.finditer(name)
    ):
        return "a phone number"
    words = _NAME_WORDS.findall(name)
    if any(_person_like(f"{a} {b}", words_at_least=2) for a, b in pairwise(words)):
        return "a person's name"
    return None


def _data_like(name: str) -> str | None:
    """What a header cell holds when it is a record's value, not a column name (None for a name)."""
    if _EMAIL_CELL.fullmatch(name):
        return "an email address"
    if _PHONE_CELL.fullmatch(name) and sum(c.isdigit() for c in name) >= 10:
        return "a phone number"
    return None


def _person_like(value: str, words_at_least: int = 1) -> bool:
    if not value[:1].isupper():
        return False  # most values are settled here, without the gazetteer
    from sanitizer.detect.names import looks_like_person

    return looks_like_person(value, words_at_least)


# How many records under the header are compared with it, and the share of them that must be names.
HEADER_SAMPLE_ROWS = 50
_NAMES_BELOW = 0.5


def _name_over_names(names: list[str], rest: bytes, source: TableSource) -> int | None:
    """The (1-based) column whose header cell is a person's name over a column of names: the first
    record of a file without a header (`Ada,Lovelace,Engineer`), which has no email or long number to
    give it away. A name word alone is no proof (`Job` is a first name somewhere), so half the values
    below must be names as well."""
    candidates = [i for i, name in enumerate(names) if _person_like(name)]
    if not candidates:
        return None
    reader = csv.reader(
        io.StringIO(rest.decode("utf-8", errors="ignore")), delimiter=source.delimiter
    )
    rows = list(islice(reader, HEADER_SAMPLE_ROWS + 1))
    if len(rows) > HEADER_SAMPLE_ROWS:
        rows.pop()
    elif len(rows) > 1 and not rest.endswith((b"\n", b"\r")):
        rows.pop()  # the head of a larger file may cut its last line
    for i in candidates:
        values = [row[i].strip() for row in rows if len(row) > i and row[i].strip()]
        if values and sum(map(_person_like, values)) >= _NAMES_BELOW * len(values):
            return i + 1
    return None


# Field separators a CSV may use: spreadsheets write `;` where the decimal mark is a comma.
_DELIMITERS = (",", ";", "\t", "|")


def _delimiter(header: str) -> str:
    """The separator that splits the header line into the most fields (`,` on a tie): a file of
    `id;first_name;email` read with commas would be one column, and its names would go unfound. A
    separator that leaves a quote inside a field is the wrong one (`id,"notes; remarks"` is comma-
    separated)."""

    def fit(delimiter: str) -> tuple[bool, int, bool]:
        fields = next(csv.reader([header], delimiter=delimiter), [])
        return (not any('"' in f for f in fields), len(fields), delimiter == ",")

    return max(_DELIMITERS, key=fit)


# What the CSV reader parses at a time: blocks do not decide the batches (see _csv_batches).
CSV_BLOCK_BYTES = 1 << 24


def _csv_batches(source: TableSource, rows: int) -> Iterator[Batch]:
    bad: list[tuple[int, int]] = []

    def on_invalid(row: Any) -> str:
        bad.append((row.expected_columns, row.actual_columns))
        return "skip"

    options = pcsv.ConvertOptions(
        column_types={name: pa.string() for name in source.header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    _check_quotes(source)
    if _is_header_only(source):  # pyarrow cannot skip a header that has no line end
        yield _no_rows(source)
        return
    start = 0
    try:
        reader = pcsv.open_csv(
            source.open(),
            read_options=pcsv.ReadOptions(
                column_names=source.header, skip_rows=1, block_size=CSV_BLOCK_BYTES
            ),
            parse_options=pcsv.ParseOptions(
                delimiter=source.delimiter,
                newlines_in_values=True,
                invalid_row_handler=on_invalid,
            ),
            convert_options=options,
        )
        # Batches of exactly `rows` rows across the reader's blocks (a 16 MiB block holds about as many
        # rows as a batch: cut per block, every other batch would be a few thousand rows, and pass 2's
        # workers would run out of notes to scan while this process finishes the batch before).
        pending: list[pa.RecordBatch] = []
        held = 0
        for record_batch in reader:
            if bad:
                raise _ragged(source)
            pending.append(record_batch)
            held += record_batch.num_rows
            while held >= rows:
                table = pa.Table.from_batches(pending)
                yield FrameBatch.of_arrow(table.slice(0, rows), start)
                start += rows
                rest = table.slice(rows)
                pending, held = rest.to_batches(), rest.num_rows
        if bad:
            raise _ragged(source)
        if held:
            yield FrameBatch.of_arrow(pa.Table.from_batches(pending), start)
            start += held
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            raise _not_utf8(source) from None
        raise InputError(f"{source.path}: malformed CSV ({_arrow_reason(exc)})") from None
    if start == 0:
        yield _no_rows(source)


def _is_header_only(source: TableSource) -> bool:
    with source.open() as handle:
        handle.readline()
        return not handle.read(1)


def _no_rows(source: TableSource) -> FrameBatch:
    return FrameBatch(
        pd.DataFrame({name: pd.Series([], dtype=object) for name in source.header}), 0
    )


def _arrow_reason(exc: Exception) -> str:
    # Arrow quotes the offending row in its messages; keep only the part before any data.
    return str(exc).split(":")[0].strip()[:80] or type(exc).__name__


def _check_quotes(source: TableSource) -> None:
    """An odd number of quote characters means a quoted field is never closed: the parser would read
    the rest of the file as one cell. Counting is cheap; finding the line happens only on error."""
    count = 0
    with source.open() as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            count += block.count(b'"')
    if count % 2 == 0:
        return
    opened = None
    with source.open() as handle:
        for number, line in enumerate(handle, start=1):
            if line.count(b'"') % 2:
                opened = number if opened is None else None
    where = f"line {opened}" if opened else "somewhere"
    raise InputError(f"{source.path}: {where}: a quoted field is never closed (unbalanced quote)")


def _ragged(source: TableSource) -> InputError:
    """Find the first row with the wrong number of fields (only on the error path) and say where."""
    with io.TextIOWrapper(source.open(), encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=source.delimiter)
        next(reader, None)
        for number, fields in enumerate(reader, start=1):
            if fields and len(fields) != len(source.header):
                return InputError(
                    f"{source.path}: row {number}: expected {len(source.header)} fields, found {len(fields)}"
                )
    return InputError(f"{source.path}: some rows have the wrong number of fields")


def _not_utf8(source: TableSource) -> InputError:
    """Find the first byte that is not UTF-8 (only on the error path) and say in which row: the
    line holding it is read with the byte replaced, so the row it belongs to (a quoted value may
    span lines) is the CSV reader's record that reaches that line."""
    found: list[tuple[int, int]] = []  # (line number, byte offset in the file)

    def lines() -> Iterator[str]:
        position = 0
        with source.open() as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    found.append((number, position + exc.start))
                    yield raw.decode("utf-8", "replace")
                    return
                position += len(raw)
                yield text

    reader = csv.reader(lines(), delimiter=source.delimiter)
    for row, _ in enumerate(reader):  # row 0 is the header
        if found and reader.line_num >= found[0][0]:
            return InputError(
                f"{source.path}: row {row}: not valid UTF-8 text (byte offset {found[0][1]})",
                hint="save the file as UTF-8",
            )
    return InputError(f"{source.path}: not valid UTF-8 text", hint="save the file as UTF-8")


def _parquet_batches(source: TableSource, rows: int) -> Iterator[Batch]:
    try:
        parquet = pq.ParquetFile(source.open())
        start = 0
        for record_batch in parquet.iter_batches(batch_size=rows):
            if source.is_nested:
                yield RecordsBatch(record_batch.to_pylist(), start)
            else:
                yield FrameBatch.of_arrow(pa.Table.from_batches([record_batch]), start)
            start += record_batch.num_rows
        if start == 0:
            empty = parquet.schema_arrow.empty_table()
            yield RecordsBatch([], 0) if source.is_nested else FrameBatch(empty.to_pandas(), 0)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{source.path}: unreadable Parquet file ({type(exc).__name__})") from None


def _frame(table: pa.Table) -> pd.DataFrame:
    """A pandas frame of a table in which integers and booleans with nulls keep their exact type
    (pandas would make them floats: a phone 2125550185 with a null beside it reads 2125550185.0)."""
    frame = table.to_pandas()
    for index, schema_field in enumerate(table.schema):
        column = table.column(index)
        kind = schema_field.type
        if column.null_count and (pa.types.is_integer(kind) or pa.types.is_boolean(kind)):
            frame[schema_field.name] = pd.Series(
                column.to_pandas(types_mapper=pd.ArrowDtype), index=frame.index
            )
    return frame


# Objects and arrays a JSON record may nest (the record itself is level 1). Real exports nest a few
# levels; Parquet outputs hold about 32 (its reader stops at a schema depth of 100, arrays count 2).
MAX_JSON_DEPTH = 32
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a \ud800-\udfff escape, paired or not
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # left once the parser joined the pairs
_CONTAINER_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep(where: str) -> InputError:
    return InputError(
        f"{where}: nested deeper than {MAX_JSON_DEPTH} levels (the limit for a JSON record: "
        "each object or array is one level)"
    )


def _record_checked(record: dict[str, Any], where: str, has_surrogates: bool) -> dict[str, Any]:
    """A record within the nesting limit and, when its text had surrogate escapes, without a lone
    one (it cannot be written as UTF-8). `where` names the file and record."""
    stack: list[tuple[dict[str, Any] | list[Any], str, int]] = [(record, "", 1)]
    while stack:
        node, prefix, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _too_deep(where)
        items: Any = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            is_bad_key = has_surrogates and isinstance(node, dict) and _LONE_SURROGATE.search(key)
            path = (
                (f"{prefix}.{key}" if prefix else str(key))
                if isinstance(node, dict)
                else f"{prefix}[]"
            )
            if is_bad_key or (
                has_surrogates and isinstance(value, str) and _LONE_SURROGATE.search(value)
            ):
                shown = prefix if is_bad_key else path
                place = "(a key path not shown: it holds data)" if _data_in_keys(shown) else shown
                raise InputError(
                    f"{where}: {place or '(top level)'}: invalid Unicode: a lone surrogate escape in "
                    f"{'a key' if is_bad_key else 'the value'} (\\ud800-\\udfff without its pair)"
                )
            if isinstance(value, dict | list):
                stack.append((value, path, depth + 1))
    return record


def _record_too_deep(text: str) -> int:
    """The number of the first record of a JSON array nested deeper than the limit (for the error of
    a record too deep for the parser itself)."""
    depth = record = 0
    for token in _CONTAINER_TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            record += depth == 2
            if depth > MAX_JSON_DEPTH + 1:
                break
        elif mark in "]}":
            depth -= 1
    return record


def _jsonl_records(source: TableSource) -> Iterator[dict[str, Any]]:
    path = source.path
    with source.open() as handle:
        # Lines are read as bytes and decoded one by one, so an encoding error names its own line.
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise InputError(f"{path}: line {number}: not valid UTF-8 text") from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path}: line {number}: invalid JSON ({exc.msg}, column {exc.colno})"
                ) from None
            except RecursionError:
                raise _too_deep(f"{path}: line {number}") from None
            if not isinstance(record, dict):
                raise InputError(
                    f"{path}: line {number}: expected a JSON object, found {_kind(record)}"
                )
            yield _record_checked(
                record, f"{path}: line {number}", bool(_SURROGATE_ESCAPE.search(line))
            )


def _json_records(source: TableSource) -> list[dict[str, Any]]:
    path = source.path
    try:
        with source.open() as handle:
            text = handle.read().decode("utf-8-sig")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 text (byte offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: line {exc.lineno}: invalid JSON ({exc.msg}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise _too_deep(f"{path}: record {_record_too_deep(text)}") from None
    if not isinstance(data, list):
        raise InputError(
            f"{path}: expected a JSON array of objects at the top level, found {_kind(data)}"
        )
    has_surrogates = bool(_SURROGATE_ESCAPE.search(text))
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise InputError(
                f"{path}: item {index + 1}: expected a JSON object, found {_kind(item)}"
            )
        _record_checked(item, f"{path}: record {index + 1}", has_surrogates)
    return data


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else "null"
    )


def csv_text(frame: pd.DataFrame, *, header: bool, newline: str, delimiter: str = ",") -> str:
    """CSV text of a frame: minimal quoting, the given line ending and field separator (shared by
    writers and tests).

    Text-only frames (every CSV input) are joined in Arrow, byte for byte what `DataFrame.to_csv` writes
    with `csv.QUOTE_MINIMAL` and about five times faster; other frames go through pandas.
    """
    body = _arrow_csv_body(frame, newline, delimiter) if len(frame) else None
    if body is None:
        buffer = io.StringIO()
        frame.to_csv(
            buffer,
            index=False,
            header=header,
            sep=delimiter,
            lineterminator=newline,
            quoting=csv.QUOTE_MINIMAL,
        )
        return buffer.getvalue()
    if not header:
        return body
    buffer = io.StringIO()
    csv.writer(
        buffer, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL
    ).writerow([str(c) for c in frame.columns])
    return buffer.getvalue() + body


def _arrow_csv_body(frame: pd.DataFrame, newline: str, delimiter: str) -> str | None:
    """The rows of a frame whose columns all hold text (or nothing), as the csv module quotes them:
    a field holding the delimiter, the quote or a line-ending character is quoted, its quotes doubled;
    a row that is one empty field is written `""`. None when a column holds anything but text."""
    specials = sorted(set(delimiter + '"' + newline))
    special = "[" + re.escape("".join(specials)) + "]"

    def text(value: str) -> pa.Scalar:
        return pa.scalar(value, pa.large_string())

    fields = []
    for name in frame.columns:
        values = frame[name]
        if not (
            pd.api.types.is_string_dtype(values.dtype)
            and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
        ):
            return None
        array = pc.fill_null(pa.array(values, type=pa.large_string(), from_pandas=True), text(""))
        chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
        data = [_text_bytes(chunk) for chunk in chunks]
        if not any(c.encode() in part for part in data for c in specials):
            fields.append(array)  # no value needs quoting (a byte search, not a regex per value)
            continue
        doubled = pc.replace_substring(array, '"', '""')
        quoted = pc.binary_join_element_wise(text('"'), doubled, text('"'), text(""))
        fields.append(pc.if_else(pc.match_substring_regex(array, special), quoted, array))
    if len(fields) == 1:
        fields[0] = pc.if_else(pc.equal(fields[0], text("")), text('""'), fields[0])
    rows = pc.binary_join_element_wise(*fields, text(delimiter)) if len(fields) > 1 else fields[0]
    lines = pc.binary_join_element_wise(rows, text(""), text(newline))
    chunks = lines.chunks if isinstance(lines, pa.ChunkedArray) else [lines]
    return b"".join(_text_bytes(chunk) for chunk in chunks).decode("utf-8")


def _text_bytes(array: pa.Array) -> bytes:
    """The characters of a large_string array's values, concatenated (straight from its data buffer)."""
    if not len(array):
        return b""
    _validity, offsets, data = array.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    return bytes(data[int(bounds[0]) : int(bounds[-1])].to_pybytes())
