"""The SQLite document store: order, persistence, transactions, and clear errors for a bad folder."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from sanitizer.emulator.store import DB_NAME, Store
from sanitizer.errors import ConfigError, InputError, SanitizerError


def test_store_keeps_insertion_order_when_a_document_is_replaced(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    for name in ("a", "b", "c"):
        store.put("thing", name, {"name": name})
    store.put("thing", "a", {"name": "a2"})
    assert [d["name"] for d in store.all("thing")] == ["a2", "b", "c"]
    assert [d["name"] for d in store.slice("thing", "", 1, 5)] == ["b", "c"]


def test_store_documents_survive_reopening(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.put("thing", "x", {"v": 1}, parent="p")
    store.put_blob("b1", b"\x00\x01", "application/octet-stream")
    store.close()
    again = Store.open(tmp_path)
    assert again.get("thing", "x", parent="p") == {"v": 1}
    assert again.get("thing", "x") is None  # another parent
    assert again.get_blob("b1") == (b"\x00\x01", "application/octet-stream")


def test_store_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.put("thing", "keep", {})
    with pytest.raises(RuntimeError), store.transaction():
        store.put("thing", "lost", {})
        with store.transaction():  # nested: part of the outer one
            store.delete("thing", "keep")
        raise RuntimeError("boom")
    assert [d for d in store.all("thing")] == [{}]
    assert store.get("thing", "lost") is None


def test_store_after_pages_by_position(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.put_many("thing", [(str(i), {"i": i}) for i in range(5)])
    first = store.after("thing", "", 0, 2)
    rest = store.after("thing", "", first[-1][0], None)
    assert [d["i"] for _, d in first + rest] == [0, 1, 2, 3, 4]
    assert store.delete_all("thing") == 5 and store.count("thing") == 0


def _file_in_the_way(tmp_path: Path) -> Path:
    (tmp_path / "org").write_text("not a folder\n", encoding="utf-8")
    return tmp_path / "org"


def _below_a_file(tmp_path: Path) -> Path:
    return _file_in_the_way(tmp_path) / "below"


def _corrupt(tmp_path: Path) -> Path:
    (tmp_path / DB_NAME).write_bytes(b"this is not an SQLite database\n" * 8)
    return tmp_path


def _foreign(tmp_path: Path) -> Path:
    with closing(sqlite3.connect(tmp_path / DB_NAME)) as db:
        db.execute("CREATE TABLE documents (name TEXT)")
        db.commit()
    return tmp_path


def _folder_in_place_of_the_database(tmp_path: Path) -> Path:
    (tmp_path / DB_NAME).mkdir()
    return tmp_path


@pytest.mark.parametrize(
    ("data_dir", "error", "says"),
    [
        (_file_in_the_way, ConfigError, "not a folder"),  # why: --data names a file
        (_below_a_file, ConfigError, "not a folder"),  # why: a file above it
        (_corrupt, InputError, "(SQLITE_NOTADB)"),  # why: a damaged or unrelated file
        (_foreign, InputError, "emulated org's database"),  # why: another program's tables
        (_folder_in_place_of_the_database, InputError, "(SQLITE_CANTOPEN)"),  # why: not a file
    ],
)
def test_store_open_bad_data_dir_raises_clear_error(
    tmp_path: Path, data_dir: Callable[[Path], Path], error: type[SanitizerError], says: str
) -> None:
    folder = data_dir(tmp_path)
    with pytest.raises(error) as raised:
        Store.open(folder)
    assert type(raised.value) is error
    assert says in str(raised.value)
    assert "this is not an SQLite database" not in str(raised.value)
