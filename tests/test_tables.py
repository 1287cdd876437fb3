"""Reading input tables: CSV (BOM, quoted header, ragged rows), Parquet, JSON Lines, JSON arrays."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sanitizer.errors import EXIT_INPUT, InputError
from sanitizer.tables import FrameBatch, RecordsBatch, TableSource, read_sources, source_from_bytes

# A Genesys contact-list export: UTF-8 BOM, every header quoted, CRLF line ends.
GENESYS_CSV = (
    b'\xef\xbb\xbf"inin-outbound-id","Cust First Nm","HomePhone","Notes","Balance"\r\n'
    b'"c-1","Ada ""Al""","+1 212 555 0101","Line one\r\nline two","00123"\r\n'
    b'"c-2","Grace","(212) 555-0102","","4.50"\r\n'
    b'"c-3","Brendan","020 7946 0123","plain","-1"\r\n'
)

CONTACT: dict[str, Any] = {
    "id": "00000000-0000-4000-8000-000000000001",
    "firstName": "Ada",
    "cellPhone": {"display": "+1 212 555 0101", "e164": "+12125550101", "countryCode": "US"},
    "identifiers": [
        {"type": "Email", "value": "ada@example.com"},
        {"type": "Phone", "value": "+12125550101"},
    ],
    "schema": {"version": 3},
    "surveyOptOut": False,
}


def _write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def _one(path: Path) -> TableSource:
    sources = read_sources([path])
    assert len(sources) == 1
    return sources[0]


def test_read_sources_genesys_csv_strips_bom_and_header_quotes(tmp_path: Path) -> None:
    source = _one(_write(tmp_path / "contacts.csv", GENESYS_CSV))
    assert source.header == ["inin-outbound-id", "Cust First Nm", "HomePhone", "Notes", "Balance"]
    assert source.has_bom
    assert source.newline == "\r\n"
    assert (source.name, source.format, source.is_nested) == ("contacts", "csv", False)


def test_csv_batches_read_every_cell_as_text(tmp_path: Path) -> None:
    source = _one(_write(tmp_path / "contacts.csv", GENESYS_CSV))
    (batch,) = list(source.batches())
    assert isinstance(batch, FrameBatch)
    assert batch.frame["Cust First Nm"].tolist() == ['Ada "Al"', "Grace", "Brendan"]
    # Leading zeros, signs, decimals: untouched strings, never parsed numbers.
    assert batch.frame["Balance"].tolist() == ["00123", "4.50", "-1"]
    # A quoted line break stays in its cell; an empty cell is an empty string, not null.
    assert batch.frame["Notes"].tolist() == ["Line one\r\nline two", "", "plain"]


def test_csv_batches_stream_in_batches_with_start_rows(tmp_path: Path) -> None:
    rows = "".join(f"c-{i},name{i}\n" for i in range(7))
    source = _one(_write(tmp_path / "t.csv", "id,name\n" + rows))
    batches = list(source.batches(3))
    assert [(b.start_row, b.num_rows) for b in batches] == [(0, 3), (3, 3), (6, 1)]
    assert batches[2].cells("name")[0].tolist() == ["name6"]


@pytest.mark.parametrize("rows", [1, 7, 25, 64, 1000])
def test_csv_batches_are_even_across_reader_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    # Blocks of about 8 lines: batches must not follow them (a short batch after every block).
    monkeypatch.setattr("sanitizer.tables.CSV_BLOCK_BYTES", 256)
    lines = [f'c-{i},"note {i}\nsecond line"' for i in range(200)]
    source = _one(_write(tmp_path / "t.csv", "id,note\n" + "\n".join(lines) + "\n"))
    batches = list(source.batches(rows))
    sizes = [b.num_rows for b in batches]
    assert sizes == [rows] * (200 // rows) + ([200 % rows] if 200 % rows else [])
    assert [b.start_row for b in batches] == [i * rows for i in range(len(batches))]
    ids = [i for b in batches for i in b.cells("id")[0].tolist()]
    notes = [n for b in batches for n in b.cells("note")[0].tolist()]
    assert ids == [f"c-{i}" for i in range(200)]
    assert notes == [f"note {i}\nsecond line" for i in range(200)]


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("id,first_name,email", ","),
        ("id;first_name;email", ";"),
        ("id\tfirst_name\temail", "\t"),
        ("id|first_name|email", "|"),
        ('"a;b",c', ","),  # a separator inside quotes does not count
        ('id,"notes; comments; remarks"', ","),  # more ; but inside a quoted name
        ('"id";"first_name";"email"', ";"),
        ("a,b;c", ","),  # a tie keeps the comma
        ("only", ","),
    ],
)
def test_csv_separator_is_the_one_that_splits_the_header_most(
    tmp_path: Path, header: str, delimiter: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(f"{header}\n", encoding="utf-8")
    (source,) = read_sources([path])
    assert source.delimiter == delimiter


def test_csv_with_semicolons_reads_its_fields(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('id;name\n1;"Lovelace; Ada"\n', encoding="utf-8")
    (source,) = read_sources([path])
    (batch,) = source.batches()
    assert isinstance(batch, FrameBatch)
    assert batch.frame.to_dict(orient="records") == [{"id": "1", "name": "Lovelace; Ada"}]


def test_csv_header_only_gives_one_empty_batch(tmp_path: Path) -> None:
    source = _one(_write(tmp_path / "t.csv", "a,b\n"))
    batches = list(source.batches())
    assert [b.num_rows for b in batches] == [0]
    assert batches[0].paths() == ["a", "b"]


def test_csv_header_only_without_a_line_end_gives_one_empty_batch(tmp_path: Path) -> None:
    # Without a line end, pyarrow could not skip the header: a truncated "malformed CSV" error.
    source = _one(_write(tmp_path / "t.csv", "a,b"))
    batches = list(source.batches())
    assert [b.num_rows for b in batches] == [0]
    assert batches[0].paths() == ["a", "b"]


# Headers past the first 64 KiB, which were cut there: (case, names, rows below the header)
_LONG = [f"Column Name {i:04d}" for i in range(4000)]  # 72 KiB
_SHORT = [f"c{i}" for i in range(20_000)]  # 128 KiB; cut, its last name could repeat an earlier one
LONG_HEADERS: list[tuple[str, list[str], int]] = [
    ("700-columns-no-rows", [f"{'Customer attribute ' * 5}{i:03d}" for i in range(700)], 0),
    ("4000-columns-with-rows", _LONG, 2),
    ("20000-columns-no-false-duplicate", _SHORT, 1),
    ("multi-byte-character-at-64-kib", ["x" * 65535 + "é", "b"], 1),
]


@pytest.mark.parametrize(
    ("names", "rows"), [pytest.param(n, r, id=case) for case, n, r in LONG_HEADERS]
)
def test_csv_header_longer_than_64_kib_is_read_whole(
    tmp_path: Path, names: list[str], rows: int
) -> None:
    lines = [",".join(names)] + [",".join(f"v{i}" for i in range(len(names)))] * rows
    source = _one(_write(tmp_path / "t.csv", "\n".join(lines) + "\n"))
    assert source.header == names
    (batch,) = source.batches()
    assert batch.num_rows == rows
    assert batch.paths() == names


def test_csv_header_beyond_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sanitizer.tables.CSV_HEADER_MAX_BYTES", 1 << 20)
    path = _write(tmp_path / "t.csv", ",".join(f"c{i}" for i in range(200_000)))  # 1.3 MiB
    with pytest.raises(InputError, match=r"row 0 \(header\): longer than 1 MiB without a line end"):
        read_sources([path])


def _nested_records() -> list[dict[str, Any]]:
    second = json.loads(json.dumps(CONTACT))
    second["id"] = "00000000-0000-4000-8000-000000000002"
    second["identifiers"] = [{"type": "Email", "value": "grace@example.org"}]
    second["address"] = {"city": "Springfield"}  # a path first seen in a later row
    return [CONTACT, second]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "parquet"])
def test_nested_batches_expose_leaf_paths(tmp_path: Path, fmt: str) -> None:
    records = _nested_records()
    path = tmp_path / f"external_contacts.{fmt}"
    if fmt == "json":
        path.write_text(json.dumps(records, indent=2), encoding="utf-8")
    elif fmt == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    else:
        # Infer the struct type over every record (from_pylist looks at the first one only).
        pq.write_table(
            pa.Table.from_batches([pa.RecordBatch.from_struct_array(pa.array(records))]), path
        )
    source = _one(path)
    assert source.is_nested
    (batch,) = list(source.batches())
    assert isinstance(batch, RecordsBatch)
    paths = batch.paths()
    for expected in [
        "cellPhone.e164",
        "identifiers[].value",
        "identifiers[].type",
        "schema.version",
        "address.city",
    ]:
        assert expected in paths
    values, rows = batch.cells("identifiers[].value")
    assert values.tolist() == ["ada@example.com", "+12125550101", "grace@example.org"]
    assert rows.tolist() == [0, 0, 1]  # every list element knows its row


def test_records_batch_paths_in_first_seen_order() -> None:
    batch = RecordsBatch(_nested_records(), 0)
    assert batch.paths()[:4] == ["id", "firstName", "cellPhone.display", "cellPhone.e164"]
    assert batch.paths()[-1] == "address.city"


def test_records_batch_set_cells_writes_into_nested_records() -> None:
    import pandas as pd

    records = _nested_records()
    batch = RecordsBatch(records, 0)
    batch.set_cells("identifiers[].value", pd.Series(["x1", "x2", "x3"]))
    assert [i["value"] for i in records[0]["identifiers"]] == ["x1", "x2"]
    assert records[1]["identifiers"][0]["value"] == "x3"
    assert records[0]["identifiers"][0]["type"] == "Email"  # siblings untouched


def test_records_batch_drop_removes_keys_and_nulls_list_elements() -> None:
    records = _nested_records()
    batch = RecordsBatch(records, 0)
    batch.drop("cellPhone.e164")
    batch.drop("identifiers[].value")
    assert "e164" not in records[0]["cellPhone"]
    assert records[0]["cellPhone"]["display"] == "+1 212 555 0101"
    assert "value" not in records[0]["identifiers"][0]
    assert "cellPhone.e164" not in batch.paths()


def test_records_batch_is_text_by_value_type() -> None:
    batch = RecordsBatch(_nested_records(), 0)
    assert batch.is_text("firstName")
    assert not batch.is_text("schema.version")
    assert not batch.is_text("surveyOptOut")


def test_records_batch_list_of_scalars_has_a_path() -> None:
    batch = RecordsBatch([{"tags": ["vip", "ada@example.com"]}], 0)
    assert batch.paths() == ["tags[]"]
    assert batch.cells("tags[]")[0].tolist() == ["vip", "ada@example.com"]


def test_parquet_flat_keeps_column_types(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"name": ["Ada", None], "balance": [1.5, 2.0], "visits": [3, 4]}), path)
    source = _one(path)
    assert not source.is_nested
    (batch,) = list(source.batches())
    assert isinstance(batch, FrameBatch)
    assert batch.is_text("name")
    assert not batch.is_text("balance")
    assert str(batch.frame["visits"].dtype) == "int64"


def test_parquet_batches_stream(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"n": list(range(10))}), path)
    batches = list(_one(path).batches(4))
    assert [(b.start_row, b.num_rows) for b in batches] == [(0, 4), (4, 4), (8, 2)]


def test_read_sources_folder_reads_supported_files_sorted(tmp_path: Path) -> None:
    _write(tmp_path / "b.csv", "a\n1\n")
    _write(tmp_path / "a.jsonl", '{"a": 1}\n')
    _write(tmp_path / "README.txt", "ignored")
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub" / "c.csv", "a\n1\n")  # folders are not searched recursively
    assert [s.name for s in read_sources([tmp_path])] == ["a", "b"]


def test_read_sources_uppercase_extension_is_accepted(tmp_path: Path) -> None:
    assert _one(_write(tmp_path / "T.CSV", "a\n1\n")).format == "csv"


# (case id, file name, content, expected message part) for inputs that must be refused up front.
def _parquet(columns: dict[str, pa.Array] | list[tuple[str, pa.Array]]) -> bytes:
    """Parquet bytes of the columns (a list of pairs may name a column twice)."""
    pairs = list(columns.items()) if isinstance(columns, dict) else columns
    table = pa.Table.from_arrays([a for _, a in pairs], names=[n for n, _ in pairs])
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue())


_NAMES = pa.array(["Ada"])
_TWICE_NAMED = pa.StructArray.from_arrays([_NAMES, _NAMES], names=["first", "first"])

BAD_INPUTS: list[tuple[str, str, bytes, str]] = [
    # Parquet allows a name twice; pandas then failed with an AttributeError (exit 1) in scrub and scan.
    (
        "duplicate-parquet-column",
        "t.parquet",
        _parquet([("name", _NAMES), ("id", pa.array([1])), ("name", _NAMES)]),
        "schema: duplicate column name 'name'",
    ),
    (
        "duplicate-parquet-nested-field",
        "t.parquet",
        _parquet({"id": pa.array([1]), "who": pa.ListArray.from_arrays([0, 1], _TWICE_NAMED)}),
        "schema: duplicate column name 'who.first'",
    ),
    (
        "duplicate-parquet-column-that-is-data",
        "t.parquet",
        _parquet([("ada@example.org", _NAMES), ("ada@example.org", _NAMES)]),
        "schema: duplicate column name (not shown: it looks like data)",
    ),
    ("empty", "t.csv", b"", "empty file"),
    ("blank", "t.jsonl", b"\n  \n", "empty file"),
    ("binary", "t.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file (NUL bytes)"),
    ("unknown-extension", "t.txt", b"a,b\n1,2\n", "unknown extension '.txt'"),
    ("no-extension", "contacts", b"a,b\n1,2\n", "unknown extension '(none)'"),
    ("not-parquet", "t.parquet", b"a,b\n1,2\n", "not a Parquet file"),
    ("truncated-parquet", "t.parquet", b"PAR1\x00\x00garbage", "unreadable Parquet file"),
    (
        "duplicate-header",
        "t.csv",
        b"Email,Name,Email\nx,y,z\n",
        "row 0 (header): duplicate column name 'Email'",
    ),
    ("duplicate-after-quotes", "t.csv", b'"Email",Email\nx,y\n', "duplicate column name 'Email'"),
    ("empty-header-name", "t.csv", b"a,,c\n1,2,3\n", "row 0 (header): column 2 has no name"),
    ("header-not-utf8", "t.csv", b"caf\xe9,b\n1,2\n", "header is not UTF-8"),
    # A file without a header row: its first record would be column names, kept and reported.
    (
        "no-header-email",
        "t.csv",
        b"Ada,ada@example.org\nGrace,grace@example.org\n",
        "row 0 (header): column 2 holds an email address, not a column name",
    ),
    (
        "no-header-phone",
        "t.csv",
        b"c-1;+1 (212) 555-0187\n",
        "row 0 (header): column 2 holds a phone number, not a column name",
    ),
    # Names only: a first name over a column of names (surname first, as some exports write them).
    (
        "no-header-names",
        "t.csv",
        b"Lovelace,Ada,Engineer\r\nHopper,Grace,Admiral\r\nTuring,Alan,Scientist\r\nCurie,Marie,Chem",
        "row 0 (header): column 2 holds a person's name like the values below it, not a column name",
    ),
    (
        "no-header-full-names",
        "t.csv",
        b"7;Ada Lovelace;London\n8;Alan Turing;Wilmslow\n9;Marie Curie;Paris\n",
        "row 0 (header): column 2 holds a person's name like the values below it",
    ),
    # Personal data inside a column's name: kept in the output and shown in every report.
    (
        "header-holds-email",
        "t.csv",
        b"id,Notes for ada.lovelace@example.com\n1,x\n",
        "row 0 (header): column 2's name holds an email address",
    ),
    (
        "header-holds-phone",
        "t.csv",
        b"id,Call 212-555-0143 re\n1,x\n",
        "row 0 (header): column 2's name holds a phone number",
    ),
    (
        "header-holds-name",
        "t.csv",
        b"id,Balance,contact of Ada Lovelace\n1,2,x\n",
        "row 0 (header): column 3's name holds a person's name",
    ),
]


@pytest.mark.parametrize("header", ["Phone 1", "2024-01-01", "e-mail", "@handle", "E-Mail (work)"])
def test_csv_header_names_that_merely_resemble_data_are_names(tmp_path: Path, header: str) -> None:
    path = _write(tmp_path / "t.csv", f"id,{header}\n1,2\n".encode())
    (source,) = read_sources([path])
    assert source.header == ["id", header]


@pytest.mark.parametrize(
    "content",
    [
        # Header words that are also names, over values that are not (`Job` is a first name too).
        "Job,Company,Price\nEngineer,Acme Ltd,12\nNurse,Globex,9\nPilot,Initech,7\n",
        # A first name as a header over a column with few names.
        "id,Alan\n1,Open\n2,Closed\n3,Ada Lovelace\n4,Pending\n",
        # Name columns under proper headers.
        "First Name,Last Name\nAda,Lovelace\nAlan,Turing\n",
    ],
)
def test_csv_header_of_name_words_is_a_header_unless_names_stand_below(
    tmp_path: Path, content: str
) -> None:
    path = _write(tmp_path / "t.csv", content.encode())
    (source,) = read_sources([path])
    assert source.header == content.split("\n")[0].split(",")


@pytest.mark.parametrize(
    ("stem", "held"),
    [
        ("calls for ada.lovelace@example.org", "an email address"),
        ("Ada Lovelace notes", "a person's name"),
        ("callbacks 212-555-0143", "a phone number"),
    ],
)
def test_file_name_holding_personal_data_stops_before_reading_without_printing_it(
    tmp_path: Path, stem: str, held: str
) -> None:
    # The name became the table's name: in the output's name and in all three reports.
    _write(tmp_path / "contacts.csv", b"id\n1\n")
    path = _write(tmp_path / f"{stem}.csv", b"id\n1\n")
    with pytest.raises(InputError) as caught:
        read_sources([tmp_path / "contacts.csv", path])
    message = str(caught.value)
    assert message.startswith(f"input file 2 of 2 (in {tmp_path}): its name holds {held}")
    assert stem not in message and "lovelace" not in message.casefold()


@pytest.mark.parametrize("stem", ["contacts", "Grace Period report", "Spring Campaign 2026"])
def test_file_names_of_ordinary_words_are_table_names(tmp_path: Path, stem: str) -> None:
    path = _write(tmp_path / f"{stem}.csv", b"id\n1\n")
    (source,) = read_sources([path])
    assert source.path == path


def test_csv_header_that_is_data_is_not_shown_in_the_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", b"Ada,ada@example.org,+12125550187\n")
    with pytest.raises(InputError) as caught:
        read_sources([path])
    assert "ada" not in str(caught.value).replace(str(path), "")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [pytest.param(n, c, e, id=case) for case, n, c, e in BAD_INPUTS],
)
def test_read_sources_bad_file_raises_input_error(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = _write(tmp_path / name, content)
    with pytest.raises(InputError) as caught:
        read_sources([path])
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)
    assert caught.value.exit_code == EXIT_INPUT


# Errors found while streaming (after the header): (case, name, content, message part, values
# that must not appear in the message)
BAD_BODIES: list[tuple[str, str, bytes, str, list[str]]] = [
    (
        "ragged-long",
        "t.csv",
        b"a,b\nx1,y1\nx2,y2,SECRET-Z\nx3,y3\n",
        "row 2: expected 2 fields, found 3",
        ["SECRET-Z", "x2"],
    ),
    (
        "ragged-short",
        "t.csv",
        b"a,b\nx1,y1\nx2,y2\nSECRET-ONLY\n",
        "row 3: expected 2 fields, found 1",
        ["SECRET-ONLY"],
    ),
    (
        "ragged-bom-crlf",
        "t.csv",
        b'\xef\xbb\xbf"a","b"\r\n1,2\r\n3,4,5\r\n',
        "row 2: expected 2 fields",
        ["3,4,5"],
    ),
    (
        "body-not-utf8",
        "t.csv",
        b"a,b\n1,caf\xe9-SECRET\n",
        "row 1: not valid UTF-8 text (byte offset 9)",
        ["SECRET"],
    ),
    # The row, not the line: a quoted value spans two lines before it.
    (
        "body-not-utf8-after-a-multiline-value",
        "t.csv",
        b'a,b\r\n1,"two\r\nlines"\r\n2,ok\r\n3,caf\xe9-SECRET\r\n',
        "row 3: not valid UTF-8 text (byte offset 32)",
        ["SECRET"],
    ),
    (
        "body-not-utf8-bom",
        "t.csv",
        b"\xef\xbb\xbfa;b\n1;x\n2;caf\xe9-SECRET\n",
        "row 2: not valid UTF-8 text (byte offset 16)",
        ["SECRET"],
    ),
    (
        "json-syntax",
        "t.json",
        b'[\n  {"a": "SECRET-1"},\n  {"a": tru}\n]\n',
        "line 3: invalid JSON (Expecting value, column 9)",
        ["SECRET-1", "tru"],
    ),
    (
        "json-object",
        "t.json",
        b'{"a": "SECRET-1"}',
        "expected a JSON array of objects at the top level, found an object",
        ["SECRET-1"],
    ),
    (
        "json-item",
        "t.json",
        b'[{"a": 1}, "SECRET-2"]',
        "item 2: expected a JSON object, found a string",
        ["SECRET-2"],
    ),
    ("json-not-utf8", "t.json", b'[{"a": "caf\xe9"}]', "not valid UTF-8", ["caf"]),
    (
        "jsonl-syntax",
        "t.jsonl",
        b'{"a": "SECRET-1"}\n{"a": \n',
        "line 2: invalid JSON",
        ["SECRET-1"],
    ),
    (
        "jsonl-array",
        "t.jsonl",
        b'{"a": 1}\n["SECRET-3"]\n',
        "line 2: expected a JSON object, found an array",
        ["SECRET-3"],
    ),
    ("jsonl-not-utf8", "t.jsonl", b'{"a": 1}\n{"a": "caf\xe9"}\n', "not valid UTF-8", ["caf"]),
    # A value used as a key would be kept in the output and shown in the report.
    (
        "json-email-key",
        "t.json",
        b'[{"id": 1}, {"id": 2, "byEmail": {"ada@example.org": "primary"}}]',
        "record 2: a key holds an email address, not a field name",
        ["ada@example.org", "byEmail"],
    ),
    (
        "jsonl-phone-key",
        "t.jsonl",
        b'{"id": 1, "phones": {"+1 212 555 0187": {"type": "home"}}}\n',
        "record 1: a key holds a phone number, not a field name",
        ["555", "phones"],
    ),
    (
        "json-national-phone-key",
        "t.json",
        b'[{"id": 1, "prefs": {"07700 900123": "sms"}}]',
        "record 1: a key holds a phone number, not a field name",
        ["07700", "prefs"],
    ),
    (
        "json-name-key",
        "t.json",
        b'[{"id": 1}, {"id": 2, "prefs": {"Ada Lovelace": true, "other": "sms"}}]',
        "record 2: a key holds a person's name, not a field name",
        ["Ada", "Lovelace", "prefs"],
    ),
    (
        "json-key-holds-name-and-phone",
        "t.json",
        b'[{"id": 1, "contact of Ada Lovelace": 1, "phone 07700 900123 owner": 2}]',
        "record 1: a key holds a person's name, not a field name",
        ["Ada", "Lovelace", "07700"],
    ),
    # Nesting beyond the limit: 3000 levels overflowed the parser and every recursive walk after it.
    (
        "json-3000-objects",
        "t.json",
        b'[{"id": "SECRET-1"}, ' + b'{"n": ' * 3000 + b"1" + b"}" * 3000 + b"]",
        "record 2: nested deeper than 32 levels",
        ["SECRET-1"],
    ),
    (
        "json-3000-arrays",
        "t.json",
        b'[{"id": "SECRET-1"}, {"l": ' + b"[" * 3000 + b"]" * 3000 + b"}]",
        "record 2: nested deeper than 32 levels",
        ["SECRET-1"],
    ),
    (
        "json-brackets-in-strings-do-not-count",
        "t.json",
        b'[{"id": "[[[{{{"}, {"id": "]]]}"}, ' + b'{"n": ' * 3000 + b"1" + b"}" * 3000 + b"]",
        "record 3: nested deeper than 32 levels",
        [],
    ),
    (
        "jsonl-3000-objects",
        "t.jsonl",
        b'{"id": "SECRET-1"}\n' + b'{"n": ' * 3000 + b"1" + b"}" * 3000 + b"\n",
        "line 2: nested deeper than 32 levels",
        ["SECRET-1"],
    ),
    (
        "json-33-levels",
        "t.json",
        b"[" + b'{"n": ' * 32 + b"{}" + b"}" * 32 + b"]",
        "record 1: nested deeper than 32 levels",
        [],
    ),
    (
        "jsonl-33-levels-of-arrays",
        "t.jsonl",
        b'{"l": ' + b"[" * 32 + b"]" * 32 + b"}\n",
        "line 1: nested deeper than 32 levels",
        [],
    ),
    # A lone surrogate cannot be written as UTF-8: it crashed the keyed replacement mid-run.
    (
        "json-lone-surrogate",
        "t.json",
        b'[{"id": 1}, {"id": 2, "name": {"first": "Ada \\ud800 SECRET"}}]',
        "record 2: name.first: invalid Unicode: a lone surrogate escape in the value",
        ["Ada", "SECRET"],
    ),
    (
        "jsonl-lone-low-surrogate-in-a-list",
        "t.jsonl",
        b'{"id": 1}\n{"notes": ["ok", "SECRET \\uDC00"]}\n',
        "line 2: notes[]: invalid Unicode: a lone surrogate escape in the value",
        ["SECRET"],
    ),
    (
        "json-lone-surrogate-in-a-key",
        "t.json",
        b'[{"prefs": {"SECRET\\ud83d": 1}}]',
        "record 1: prefs: invalid Unicode: a lone surrogate escape in a key",
        ["SECRET"],
    ),
    (
        "json-lone-surrogate-below-a-key-holding-data",
        "t.json",
        b'[{"byEmail": {"ada@example.org": "\\ud800"}}]',
        "record 1: (a key path not shown: it holds data): invalid Unicode",
        ["ada@example.org"],
    ),
]


def test_csv_headers_that_merely_resemble_data_are_names(tmp_path: Path) -> None:
    header = (
        "Account Manager,Grace Period,Will Call,Mark Down Rate,Emergency Contact Name,"
        "Billing Address Line 1,Jan 2024 balance,Order 20240517,CallRecordLastAttempt-HomePhone"
    )
    path = _write(tmp_path / "t.csv", f"{header}\n{','.join('1' * 9)}\n".encode())
    (source,) = read_sources([path])
    assert source.header == header.split(",")


@pytest.mark.parametrize("name", ["t.json", "t.jsonl"])
def test_json_within_the_nesting_limit_with_paired_surrogates_is_read(
    tmp_path: Path, name: str
) -> None:
    # 32 levels (arrays and objects alike), and an emoji written as an escaped surrogate pair.
    record = b'{"id": "\\ud83d\\ude00", "n": ' + b"[" * 30 + b'{"x": 1}' + b"]" * 30 + b"}"
    path = _write(tmp_path / name, b"[" + record + b"]" if name == "t.json" else record + b"\n")
    (source,) = read_sources([path])
    (batch,) = source.batches()
    assert isinstance(batch, RecordsBatch)
    assert batch.records[0]["id"] == "\U0001f600"
    assert batch.paths() == ["id", "n" + "[]" * 30 + ".x"]


def test_json_keys_that_merely_resemble_data_are_names(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "t.jsonl",
        b'{"byId": {"2125550187": 1}, "e-mail": 2, "x.y@z": 3, '
        b'"terms": {"Grace Period": 30, "Job Title": "x", "Ada": 1, "2024-01-01": 2}}\n',
    )
    (source,) = read_sources([path])
    (batch,) = source.batches()
    assert batch.paths() == [
        "byId.2125550187",
        "e-mail",
        "x.y@z",
        "terms.Grace Period",
        "terms.Job Title",
        "terms.Ada",
        "terms.2024-01-01",
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected", "hidden"),
    [pytest.param(n, c, e, h, id=case) for case, n, c, e, h in BAD_BODIES],
)
def test_batches_bad_body_raises_input_error_without_values(
    tmp_path: Path, name: str, content: bytes, expected: str, hidden: list[str]
) -> None:
    path = _write(tmp_path / name, content)
    with pytest.raises(InputError) as caught:
        for source in read_sources([path]):
            list(source.batches())
    message = str(caught.value)
    assert expected in message
    assert str(path) in message
    for value in hidden:
        assert value not in message


def test_csv_unterminated_quote_raises_input_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", b'a,b\n1,"unclosed\n2,3\n')
    with pytest.raises(InputError):
        list(_one(path).batches())


def test_jsonl_invalid_utf8_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.jsonl", b'{"a": 1}\n{"a": 2}\n{"a": "caf\xe9"}\n')
    with pytest.raises(InputError, match="line 3: not valid UTF-8"):
        list(_one(path).batches())


def test_csv_header_name_ending_in_a_quote_is_kept(tmp_path: Path) -> None:
    source = _one(_write(tmp_path / "t.csv", b'"Say ""hi""",b\nx,1\n'))
    assert source.header == ['Say "hi"', "b"]


def test_read_sources_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        read_sources([tmp_path / "absent.csv"])


def test_read_sources_folder_without_tables_raises(tmp_path: Path) -> None:
    _write(tmp_path / "notes.txt", "x")
    with pytest.raises(InputError, match=r"no \.csv, \.parquet, \.jsonl or \.json files"):
        read_sources([tmp_path])


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(lambda d: [d / "contacts.csv", d / "contacts.csv"], id="the-file-twice"),
        pytest.param(lambda d: [d, d / "contacts.csv"], id="its-folder-and-the-file"),
    ],
)
def test_read_sources_one_file_given_twice_says_so(tmp_path: Path, given: Any) -> None:
    # It said "contacts.csv and contacts.csv share the table name".
    _write(tmp_path / "contacts.csv", "a\n1\n")
    with pytest.raises(InputError, match=r"contacts\.csv: given twice"):
        read_sources(given(tmp_path))


def test_read_sources_two_files_one_stem_raise(tmp_path: Path) -> None:
    # contacts.csv and contacts.json would both be written as DIR/contacts.<ext>.
    _write(tmp_path / "contacts.csv", "a\n1\n")
    _write(tmp_path / "contacts.json", '[{"a": 1}]')
    with pytest.raises(
        InputError, match=r"contacts\.csv and .*contacts\.json share the table name 'contacts'"
    ):
        read_sources([tmp_path])


@pytest.mark.parametrize(
    ("schema", "paths"),
    [
        (None, []),  # why: an org without external contacts: nothing tells the columns
        (
            pa.schema([("key", pa.string()), ("Active", pa.bool_())]),
            ["key", "Active"],
        ),  # why: a data table's definition does
    ],
)
def test_source_from_bytes_extracted_table_without_rows_is_one_empty_batch(
    schema: pa.Schema | None, paths: list[str]
) -> None:
    source = source_from_bytes(
        "t", b"", "jsonl", label="raw:t.jsonl", is_extracted=True, schema=schema
    )
    (batch,) = list(source.batches())
    assert (batch.num_rows, batch.paths()) == (0, paths)
    # The same bytes given by a user are a mistake.
    with pytest.raises(InputError, match=r"raw:t\.jsonl: empty file"):
        source_from_bytes("t", b"", "jsonl", label="raw:t.jsonl")


def test_an_arrow_batch_converts_where_its_cells_are_read_and_travels_with_its_rows_only() -> None:
    """A verifying worker converts the batch it is sent; the batch carries its own rows, not the
    block it was cut from (Arrow pickles a slice with all of its parent's buffers)."""
    table = pa.table(
        {
            "name": [f"Person {i}" for i in range(10_000)],
            "count": pa.array([7, None] * 5_000, type=pa.int64()),
        }
    )
    head, tail = FrameBatch.of_arrow(table, 100).split(2_500)
    sent = pickle.dumps(head)
    assert len(sent) < len(pickle.dumps(table)) / 3
    received = pickle.loads(sent)
    assert (received.start_row, received.num_rows, tail.start_row, tail.num_rows) == (
        100,
        2_500,
        2_600,
        7_500,
    )
    assert received.paths() == ["name", "count"]
    expected = FrameBatch.of_arrow(table, 100).frame
    pd.testing.assert_frame_equal(received.frame, expected.iloc[:2_500])
    pd.testing.assert_frame_equal(tail.frame, expected.iloc[2_500:].reset_index(drop=True))
    assert str(tail.frame["count"].dtype) == "int64[pyarrow]"  # nulls do not make it a float
