"""The emulated org's state in SQLite: JSON documents by kind, parent and id, plus binary blobs.

One file (`<data>/org.sqlite3`) so a run can be inspected with any SQLite tool and re-run. Documents
keep their insertion order (rowid), which is the order listings and the cursor scan return them in.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sanitizer.errors import ConfigError, InputError

DB_NAME = "org.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    parent TEXT NOT NULL DEFAULT '',
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, parent, id)
);
CREATE TABLE IF NOT EXISTS blobs (
    id TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    content BLOB NOT NULL
);
"""


class Store:
    """Thread-safe document store over one SQLite connection."""

    def __init__(self, path: Path) -> None:
        _make_folder(path.parent)
        self.path = path
        self._lock = threading.RLock()
        self._db = _connect(path)
        self._depth = 0

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """The store of the org kept in `data_dir` (created when missing)."""
        return cls(data_dir / DB_NAME)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: all or nothing, and no other thread sees the middle."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._db.execute("COMMIT")

    def get(self, kind: str, doc_id: str, parent: str = "") -> dict[str, Any] | None:
        """One document, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM documents WHERE kind=? AND parent=? AND id=?",
                (kind, parent, doc_id),
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, kind: str, doc_id: str, body: dict[str, Any], parent: str = "") -> None:
        """Insert or replace a document (a replaced document keeps its place in the order)."""
        self.put_many(kind, [(doc_id, body)], parent)

    def put_many(
        self, kind: str, docs: Iterable[tuple[str, dict[str, Any]]], parent: str = ""
    ) -> None:
        """Insert or replace many documents in one transaction."""
        rows = [(kind, parent, doc_id, json.dumps(body)) for doc_id, body in docs]
        with self.transaction():
            self._db.executemany(
                "INSERT INTO documents (kind, parent, id, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, parent, id) DO UPDATE SET body=excluded.body",
                rows,
            )

    def delete(self, kind: str, doc_id: str, parent: str = "") -> bool:
        """Delete one document; whether it existed."""
        with self.transaction():
            cursor = self._db.execute(
                "DELETE FROM documents WHERE kind=? AND parent=? AND id=?", (kind, parent, doc_id)
            )
        return cursor.rowcount > 0

    def delete_all(self, kind: str, parent: str = "") -> int:
        """Delete every document of a kind under a parent; how many there were."""
        with self.transaction():
            cursor = self._db.execute(
                "DELETE FROM documents WHERE kind=? AND parent=?", (kind, parent)
            )
        return cursor.rowcount

    def all(self, kind: str, parent: str = "") -> list[dict[str, Any]]:
        """Every document of a kind under a parent, in insertion order."""
        return [body for _, body in self.after(kind, parent, 0, None)]

    def count(self, kind: str, parent: str = "") -> int:
        """How many documents of a kind a parent has."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM documents WHERE kind=? AND parent=?", (kind, parent)
            ).fetchone()
        return int(row[0])

    def after(
        self, kind: str, parent: str, position: int, limit: int | None
    ) -> list[tuple[int, dict[str, Any]]]:
        """(position, document) pairs after `position` in insertion order (cursor paging)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT rowid, body FROM documents WHERE kind=? AND parent=? AND rowid>? "
                "ORDER BY rowid LIMIT ?",
                (kind, parent, position, -1 if limit is None else limit),
            ).fetchall()
        return [(int(rowid), dict(json.loads(body))) for rowid, body in rows]

    def slice(self, kind: str, parent: str, offset: int, limit: int) -> list[dict[str, Any]]:
        """`limit` documents from `offset` in insertion order (numbered paging)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM documents WHERE kind=? AND parent=? ORDER BY rowid "
                "LIMIT ? OFFSET ?",
                (kind, parent, limit, offset),
            ).fetchall()
        return [dict(json.loads(body)) for (body,) in rows]

    def put_blob(self, blob_id: str, content: bytes, media_type: str) -> None:
        """Keep a downloadable file."""
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO blobs (id, media_type, content) VALUES (?, ?, ?)",
                (blob_id, media_type, content),
            )

    def get_blob(self, blob_id: str) -> tuple[bytes, str] | None:
        """A kept file and its media type, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT content, media_type FROM blobs WHERE id=?", (blob_id,)
            ).fetchone()
        return None if row is None else (bytes(row[0]), str(row[1]))


def _make_folder(folder: Path) -> None:
    """The folder of an org's state, created when missing; a file in its way is a config error."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise ConfigError(
            f"{folder}: not a folder",
            hint="a file is in the way; the org's state needs a new folder or one that holds an org",
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"{folder}: cannot create the org's folder ({exc.strerror or type(exc).__name__})"
        ) from exc


def _connect(path: Path) -> sqlite3.Connection:
    """The org's database, with its tables; a file that is not one is an input error."""
    db: sqlite3.Connection | None = None
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL sync stays consistent after a crash and does not fsync every write.
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        # A database another program made may already have tables of these names, with other columns.
        db.execute("SELECT kind, parent, id, body FROM documents LIMIT 0")
        db.execute("SELECT id, media_type, content FROM blobs LIMIT 0")
    except sqlite3.Error as exc:
        if db is not None:
            db.close()
        # sqlite's own message may name what it found in the file; its error name says enough.
        raise InputError(
            f"{path}: cannot open it as an emulated org's database ({exc.sqlite_errorname})",
            hint="a damaged or foreign file: move it away to start a new org, or give another folder",
        ) from exc
    return db
