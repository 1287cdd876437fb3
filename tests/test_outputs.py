"""Writing outputs alike to their inputs, into a private staging folder published only on demand."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.errors import ConfigError
from sanitizer.outputs import Staging, TableWriter, flatten
from sanitizer.tables import Format, TableSource, csv_text, read_sources

RECORDS: list[dict[str, Any]] = [
    {
        "id": "00000000-0000-4000-8000-000000000001",
        "firstName": "Zoë",
        "cellPhone": {"display": "+1 212 555 0101", "e164": None},
        "identifiers": [{"type": "Phone", "value": "+12125550101"}],
        "schema": {"version": 3},
        "score": 4.5,
        "surveyOptOut": False,
    },
    {
        "id": "00000000-0000-4000-8000-000000000002",
        "firstName": "Grace",
        "cellPhone": {"display": "020 7946 0123", "e164": "+442079460123"},
        "identifiers": [],
        "schema": {"version": 12},
        "score": 0,
        "surveyOptOut": True,
    },
]


def _copy(source: TableSource, out: Path, fmt: Format, batch_rows: int = 100_000) -> Path:
    """Read `source` and write it back unchanged through TableWriter."""
    with TableWriter(source, out, fmt) as writer:
        for batch in source.batches(batch_rows):
            writer.write(batch)
    return out


def _source(path: Path) -> TableSource:
    return read_sources([path])[0]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"id,name,balance\nc-1,Ada,00123\nc-2,,-4.50\n", "LF, no BOM, empty cell, leading zeros"),
        (b"\xef\xbb\xbfid,name\r\nc-1,Ada\r\nc-2,Grace\r\n", "BOM and CRLF as Genesys writes them"),
        (b'id,note\nc-1,"has, comma"\nc-2,"has ""quotes"""\nc-3,"two\nlines"\n', "minimal quoting"),
        (b"id,name\nc-1,Bj\xc3\xb6rk \xe2\x80\x94 \xf0\x9f\x99\x82\n", "non-ASCII text"),
    ],
)
def test_table_writer_csv_round_trip_is_byte_identical(
    tmp_path: Path, content: bytes, why: str
) -> None:
    (tmp_path / "in.csv").write_bytes(content)
    source = _source(tmp_path / "in.csv")
    out = _copy(source, tmp_path / "out.csv", "csv", batch_rows=1)
    assert out.read_bytes() == content, why


def test_table_writer_csv_quoted_header_keeps_names_and_values(tmp_path: Path) -> None:
    content = b'\xef\xbb\xbf"inin-outbound-id","Cust First Nm"\r\n"c-1","Ada"\r\n'
    (tmp_path / "in.csv").write_bytes(content)
    out = _copy(_source(tmp_path / "in.csv"), tmp_path / "out.csv", "csv")
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [["inin-outbound-id", "Cust First Nm"], ["c-1", "Ada"]]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_table_writer_json_keeps_types_and_nesting(tmp_path: Path, fmt: Format) -> None:
    (tmp_path / "in.json").write_text(json.dumps(RECORDS), encoding="utf-8")
    out = _copy(_source(tmp_path / "in.json"), tmp_path / f"out.{fmt}", fmt, batch_rows=1)
    text = out.read_text(encoding="utf-8")
    records = (
        json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    )
    assert records == RECORDS  # numbers, booleans, nulls, empty lists, nesting, order
    assert [list(r) for r in records] == [list(r) for r in RECORDS]  # key order too
    assert "Zoë" in text  # not \u-escaped


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_table_writer_json_empty_input_is_valid_json(tmp_path: Path, fmt: Format) -> None:
    (tmp_path / "in.json").write_text("[]", encoding="utf-8")
    out = _copy(_source(tmp_path / "in.json"), tmp_path / f"out.{fmt}", fmt)
    text = out.read_text(encoding="utf-8")
    assert (json.loads(text) if fmt == "json" else text) == ([] if fmt == "json" else "")


def test_table_writer_parquet_keeps_schema(tmp_path: Path) -> None:
    table = pa.table(
        {
            "name": pa.array(["Ada", None, "Grace"]),
            "balance": pa.array([1.5, 2.25, None]),
            "visits": pa.array([1, 2, 3], pa.int32()),
            "vip": pa.array([True, False, True]),
        }
    )
    pq.write_table(table, tmp_path / "in.parquet")
    out = _copy(_source(tmp_path / "in.parquet"), tmp_path / "out.parquet", "parquet", batch_rows=2)
    back = pq.read_table(out)
    # Text may come back as large_string (pandas' string dtype): the same Parquet UTF8 column.
    logical = [pa.string() if t == pa.large_string() else t for t in back.schema.types]
    assert logical == table.schema.types
    assert back.to_pylist() == table.to_pylist()


def test_table_writer_nested_parquet_round_trip(tmp_path: Path) -> None:
    table = pa.Table.from_batches([pa.RecordBatch.from_struct_array(pa.array(RECORDS))])
    pq.write_table(table, tmp_path / "in.parquet")
    out = _copy(_source(tmp_path / "in.parquet"), tmp_path / "out.parquet", "parquet")
    assert pq.read_table(out).to_pylist() == table.to_pylist()


def test_table_writer_nested_to_csv_flattens_paths(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text(json.dumps(RECORDS), encoding="utf-8")
    out = _copy(_source(tmp_path / "in.json"), tmp_path / "out.csv", "csv")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert rows[0]["cellPhone.display"] == "+1 212 555 0101"
    assert json.loads(rows[0]["identifiers"]) == RECORDS[0]["identifiers"]
    assert rows[1]["schema.version"] == "12"
    # Numbers and booleans as the JSON spells them, though a column mixes 4.5 and 0.
    assert [(r["score"], r["surveyOptOut"]) for r in rows] == [("4.5", "false"), ("0", "true")]


def test_table_writer_csv_to_jsonl_keeps_text(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(b"id,balance\nc-1,00123\nc-2,\n")
    out = _copy(_source(tmp_path / "in.csv"), tmp_path / "out.jsonl", "jsonl")
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines == [{"id": "c-1", "balance": "00123"}, {"id": "c-2", "balance": ""}]


def test_table_writer_csv_header_only_input_writes_header(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(b"a,b\n")
    out = _copy(_source(tmp_path / "in.csv"), tmp_path / "out.csv", "csv")
    assert out.read_bytes() == b"a,b\n"


def test_flatten_nests_with_dots_and_lists_as_json() -> None:
    assert flatten({"a": {"b": 1, "c": {"d": None}}, "l": [1, {"x": "é"}], "s": "v"}) == {
        "a.b": 1,
        "a.c.d": None,
        "l": '[1, {"x": "é"}]',
        "s": "v",
    }


def _staged(tmp_path: Path) -> tuple[Staging, Path]:
    out_dir = tmp_path / "out"
    staging = Staging(out_dir)
    (tmp_path / "in.csv").write_bytes(b"a\n1\n")
    path = staging.path_for(_source(tmp_path / "in.csv"), "csv")
    path.write_bytes(b"a\n1\n")
    return staging, out_dir


def test_staging_is_private_and_hidden_until_publish(tmp_path: Path) -> None:
    staging, out_dir = _staged(tmp_path)
    assert staging.dir.parent == out_dir
    assert staging.dir.name.startswith(".")
    assert stat.S_IMODE(staging.dir.stat().st_mode) == 0o700
    assert [p.name for p in out_dir.iterdir()] == [staging.dir.name]


def test_staging_publish_moves_files_and_removes_staging(tmp_path: Path) -> None:
    staging, out_dir = _staged(tmp_path)
    published = staging.publish()
    assert published == [out_dir / "in.csv"]
    assert sorted(p.name for p in out_dir.iterdir()) == ["in.csv"]


def test_staging_discard_leaves_nothing(tmp_path: Path) -> None:
    staging, out_dir = _staged(tmp_path)
    staging.discard()
    assert not out_dir.exists()  # the staging made the folder: a failed run leaves none


def test_staging_discard_keeps_an_output_folder_that_was_there(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    staging, out_dir = _staged(tmp_path)
    staging.discard()
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        pytest.param("in.csv", r"not a folder \(a file has that name\)", id="a-file"),
        pytest.param(
            "in.csv/sub", r"cannot be created or written \(Not a directory\)", id="below-a-file"
        ),
        pytest.param(
            "/proc/sanitizer-out",
            r"cannot be created or written \(No such file or directory\)",
            id="unwritable-system-folder",
        ),
    ],
)
def test_staging_output_folder_that_cannot_be_made_is_a_config_error(
    tmp_path: Path, out: str, reason: str
) -> None:
    (tmp_path / "in.csv").write_bytes(b"a\n1\n")
    out_dir = tmp_path / out
    with pytest.raises(ConfigError, match=rf"output folder .*{out}: {reason}"):
        Staging(out_dir)
    assert (tmp_path / "in.csv").read_bytes() == b"a\n1\n"


def test_staging_read_only_output_folder_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root writes anywhere, so the folder's refusal is played by mkdtemp, where the OS refuses it.
    def refuse(**_: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("sanitizer.outputs.tempfile.mkdtemp", refuse)
    (tmp_path / "out").mkdir()
    with pytest.raises(
        ConfigError, match=r"out: cannot be created or written \(Permission denied\)"
    ):
        Staging(tmp_path / "out")


def test_staging_publish_replaces_previous_output(tmp_path: Path) -> None:
    staging, out_dir = _staged(tmp_path)
    (out_dir / "in.csv").write_bytes(b"old\n")
    staging.publish()
    assert (out_dir / "in.csv").read_bytes() == b"a\n1\n"


_CELL = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.text(alphabet=st.sampled_from(list("ab ,\"\n\r\té'#\\😀\x00\u2028")), max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(
    columns=st.lists(
        st.text(alphabet=st.sampled_from(list('ab ,"\n\ré')), min_size=1, max_size=4),
        min_size=1,
        max_size=3,
        unique=True,
    ),
    data=st.data(),
    dtype=st.sampled_from([object, "str", pd.StringDtype("pyarrow")]),
    newline=st.sampled_from(["\n", "\r\n"]),
    header=st.booleans(),
)
def test_csv_text_writes_what_pandas_writes(
    columns: list[str], data: st.DataObject, dtype: Any, newline: str, header: bool
) -> None:
    """The Arrow path quotes, doubles quotes and ends lines exactly as `DataFrame.to_csv` does."""
    rows = data.draw(
        st.lists(
            st.lists(_CELL, min_size=len(columns), max_size=len(columns)), min_size=1, max_size=4
        )
    )
    frame = pd.DataFrame(rows, columns=columns, dtype=object).astype(dtype)
    expected = io.StringIO()
    frame.to_csv(
        expected, index=False, header=header, lineterminator=newline, quoting=csv.QUOTE_MINIMAL
    )
    assert csv_text(frame, header=header, newline=newline) == expected.getvalue()


def test_csv_text_leaves_non_text_columns_to_pandas() -> None:
    frame = pd.DataFrame({"name": ["a,b", None], "amount": [1.5, float("nan")], "n": [1, 2]})
    assert csv_text(frame, header=True, newline="\n") == 'name,amount,n\n"a,b",1.5,1\n,,2\n'


def test_staging_removes_staging_folders_that_stopped_runs_left_and_no_other(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A run killed before its cleanup (SIGKILL, a crash) left scrubbed but unverified rows there; a run
    # still writing into the same folder keeps its own.
    out_dir = tmp_path / "out"
    live = Staging(out_dir)
    (live.dir / "contacts.csv").write_bytes(b"a\n1\n")
    stale = out_dir / ".sanitizer-staging-killed1"
    stale.mkdir()
    (stale / "contacts.csv").write_bytes(b"a\n1\n")
    (out_dir / "contacts.csv").write_bytes(b"published\n")
    (out_dir / ".sanitizer-staging-note.txt").write_bytes(b"not a folder\n")
    with caplog.at_level("INFO", logger="sanitizer"):
        staging = Staging(out_dir)
    assert not stale.exists()
    assert (live.dir / "contacts.csv").exists()
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(
        [".sanitizer-staging-note.txt", "contacts.csv", live.dir.name, staging.dir.name]
    )
    assert "removed 1 staging folder(s) left in" in caplog.text
    assert ".sanitizer-staging-killed1" in caplog.text
    staging.discard()
    live.discard()
