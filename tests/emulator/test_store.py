"""The SQLite document store: order, persistence, transactions."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanitizer.emulator.store import Store


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
