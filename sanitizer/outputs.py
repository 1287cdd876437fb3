"""Writing output tables into a private staging folder, and publishing them only after verification.

Nothing reaches the output folder until `publish` runs: a failed or interrupted run leaves no partial file.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sanitizer.errors import ConfigError, InputError
from sanitizer.tables import Batch, Format, FrameBatch, RecordsBatch, TableSource, csv_text


def _holds(wide: pa.DataType, narrow: pa.DataType) -> bool:
    """Whether values of type `narrow` fit `wide` without losing anything: every field of `narrow`
    (nested too) is in `wide` and is not null-typed there (other type differences are casts)."""
    if pa.types.is_null(narrow):
        return True
    if pa.types.is_struct(narrow):
        return pa.types.is_struct(wide) and all(
            wide.get_field_index(f.name) >= 0 and _holds(wide.field(f.name).type, f.type)
            for f in narrow
        )
    if pa.types.is_list(narrow) or pa.types.is_large_list(narrow):
        is_list = pa.types.is_list(wide) or pa.types.is_large_list(wide)
        return is_list and _holds(wide.value_type, narrow.value_type)
    return not pa.types.is_null(wide)


def _is_text_type(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _conformed(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A table in a schema holding its fields: a field it lacks (nested too) is null."""
    columns = [
        table.column(f.name).cast(f.type)
        if f.name in table.column_names
        else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


log = logging.getLogger(__name__)

EXTENSIONS: dict[Format, str] = {
    "csv": ".csv",
    "parquet": ".parquet",
    "jsonl": ".jsonl",
    "json": ".json",
}


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested record as one level of dotted keys (lists become JSON text), for flat output formats."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten(value, path))
        elif isinstance(value, list):
            flat[path] = json.dumps(value, ensure_ascii=False)
        else:
            flat[path] = value
    return flat


def output_name(source: TableSource, fmt: Format) -> str:
    """The name an output is published under in the output folder: `<input stem>.<ext>`."""
    return f"{source.stem}{EXTENSIONS[fmt]}"


def _json_text(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, bool | int | float) else value


class TableWriter:
    """Streams batches of one table into a file in the staging folder."""

    def __init__(self, source: TableSource, path: Path, fmt: Format) -> None:
        self.source = source
        self.path = path
        self.format = fmt
        # A CSV written as it was read keeps its separator; other inputs become comma-separated CSV.
        self._delimiter = source.delimiter if source.format == "csv" else ","
        self.rows = 0
        self._text: TextIO | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._columns: list[str] | None = None
        # Files holding the batches written before a later batch widened the schema or the columns
        # (a field no earlier record had): `close` rewrites them into the output, widened.
        self._parts: list[Path] = []

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def write(self, batch: Batch) -> None:
        """Append a batch in this writer's format."""
        if self.format == "csv":
            self._write_csv(self._frame(batch))
        elif self.format == "parquet":
            self._write_parquet(batch)
        else:
            self._write_json(self._records(batch))
        self.rows += batch.num_rows

    def close(self) -> None:
        """Finish the file (an empty table still gets its header or an empty array)."""
        if self.format == "json":
            handle = self._open_text()
            handle.write("\n]\n" if self.rows else "]\n")
        elif self.format == "csv" and self._text is None:
            handle = self._open_text()
            handle.write(
                csv_text(
                    pd.DataFrame(columns=self.source.header),
                    header=True,
                    newline=self.source.newline,
                    delimiter=self._delimiter,
                )
            )
        elif self.format == "parquet" and self._parquet is None:
            schema = self._schema or self.source.schema or pa.schema([])
            self._parquet = pq.ParquetWriter(self.path, schema)
        if self._text is not None:
            self._text.close()
            self._text = None
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        if self._parts:
            self._rewrite_parts()

    def _part(self) -> Path:
        """Move what was written so far aside, as the next part."""
        part = self.path.with_name(f".{self.path.name}.part{len(self._parts)}")
        self.path.replace(part)
        self._parts.append(part)
        return part

    def _rewrite_parts(self) -> None:
        """The parts, one batch (row group) at a time, in the final schema or columns."""
        parts, self._parts = self._parts, []
        if self.format == "parquet":
            assert self._schema is not None
            parts.append(self.path.replace(self.path.with_name(f".{self.path.name}.last")))
            with pq.ParquetWriter(self.path, self._schema) as writer:
                for part in parts:
                    parquet = pq.ParquetFile(part)
                    for group in range(parquet.num_row_groups):
                        writer.write_table(_conformed(parquet.read_row_group(group), self._schema))
                    part.unlink()
            return
        assert self._columns is not None
        (part,) = parts
        encoding = "utf-8-sig" if self.source.has_bom else "utf-8"
        with (
            part.open(encoding=encoding, newline="") as old,
            self.path.open("w", encoding=encoding, newline="") as new,
        ):
            writer = csv.writer(
                new,
                delimiter=self._delimiter,
                lineterminator=self.source.newline,
                quoting=csv.QUOTE_MINIMAL,
            )
            rows = csv.reader(old, delimiter=self._delimiter)
            next(rows, None)
            writer.writerow(self._columns)
            for row in rows:
                writer.writerow(row + [""] * (len(self._columns) - len(row)))
        part.unlink()

    def _open_text(self) -> TextIO:
        if self._text is None:
            bom = self.format == "csv" and self.source.has_bom
            self._text = self.path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="")
            if self.format == "json":
                self._text.write("[\n")
        return self._text

    def _frame(self, batch: Batch) -> pd.DataFrame:
        if isinstance(batch, FrameBatch):
            return batch.frame
        assert isinstance(batch, RecordsBatch)
        # Text stays text; numbers and booleans are written as the JSON spelled them (0 stays "0", not
        # the "0.0" of a column pandas made float; true, not True), as lists are.
        return pd.DataFrame(
            [
                {path: _json_text(value) for path, value in flatten(record).items()}
                for record in batch.records
            ],
            dtype=object,
        )

    def _records(self, batch: Batch) -> list[dict[str, Any]]:
        if isinstance(batch, RecordsBatch):
            return batch.records
        assert isinstance(batch, FrameBatch)
        frame = batch.frame.astype(object).where(batch.frame.notna(), None)
        records: list[dict[str, Any]] = frame.to_dict(orient="records")
        return records

    def _write_csv(self, frame: pd.DataFrame) -> None:
        is_first = self._text is None
        if self._columns is None:
            self._columns = [str(c) for c in frame.columns]
        elif list(frame.columns) != self._columns:
            added = [str(c) for c in frame.columns if c not in self._columns]
            if added and not self._parts:
                # The header is written: the file (still written to) becomes a part, and `close`
                # writes it again with these columns too.
                self._part()
            self._columns += added
            frame = frame.reindex(columns=self._columns)
        self._open_text().write(
            csv_text(frame, header=is_first, newline=self.source.newline, delimiter=self._delimiter)
        )

    def _write_parquet(self, batch: Batch) -> None:
        if isinstance(batch, RecordsBatch) and not batch.records:
            return  # no record shows a column: `close` writes the columns the source knows
        if isinstance(batch, RecordsBatch):
            table = self._records_table(batch.records)
        else:
            assert isinstance(batch, FrameBatch)
            table = pa.Table.from_pandas(batch.frame, preserve_index=False)
        changed = InputError(
            f"{self.source.path}: rows {batch.start_row + 1}..: column types change between batches"
        )
        if self._schema is None:
            table = self._in_source_types(table)
            self._schema = table.schema
        elif not _holds(pa.struct(self._schema), pa.struct(table.schema)):
            # A field (or a nested key, or a value where there were only nulls) no earlier batch had:
            # a Parquet file's schema is fixed when it is opened, so the file so far becomes a part,
            # rewritten in the wider schema on close.
            try:
                self._schema = pa.unify_schemas(
                    [self._schema, table.schema], promote_options="permissive"
                )
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                raise changed from None
            assert self._parquet is not None
            self._parquet.close()
            self._part()
            self._parquet = pq.ParquetWriter(self.path, self._schema)
        if table.schema != self._schema:
            try:
                table = _conformed(table, self._schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError):
                raise changed from None
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, self._schema)
        self._parquet.write_table(table)

    def _records_table(self, records: list[dict[str, Any]]) -> pa.Table:
        """Records as a table of every record's fields (`Table.from_pylist` takes the first record's
        only): in a Parquet input's own types where the values still fit them (a map's pairs cannot
        be read back without its type: `map<string, int64>` failed), else as Arrow infers them."""
        if self.source.format == "parquet":
            schema = pq.read_schema(self.source.open())
            present = set().union(*records)
            if present <= set(schema.names):
                fields = [f for f in schema if f.name in present]
                try:
                    return pa.Table.from_struct_array(pa.array(records, type=pa.struct(fields)))
                except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                    pass  # values that changed type (numbers replaced by text): inferred below
        return pa.Table.from_struct_array(pa.array(records))

    def _in_source_types(self, table: pa.Table) -> pa.Table:
        """A Parquet input's columns in their own types again where the values allow it: pandas reads
        `string` back as `large_string`, and a column of numbers under a free-text rule is held as
        objects. A column whose values changed type (numbers replaced by text) keeps the new one."""
        if self.source.format != "parquet":
            return table
        schema = pq.read_schema(self.source.open())
        for index, name in enumerate(table.column_names):
            wanted = schema.field(name).type if name in schema.names else None
            held = table.schema.field(index).type
            if wanted is None or held == wanted:
                continue
            if _is_text_type(held) and not _is_text_type(wanted):
                continue  # numbers replaced by text: "07700900455" would lose its 0 as a number
            try:
                column = table.column(index).cast(wanted)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                continue
            table = table.set_column(index, schema.field(name), column)
        return table

    def _write_json(self, records: list[dict[str, Any]]) -> None:
        handle = self._open_text()
        if self.format == "jsonl":
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, default=str))
                handle.write("\n")
            return
        for index, record in enumerate(records):
            if self.rows or index:
                handle.write(",\n")
            handle.write("  " + json.dumps(record, ensure_ascii=False, default=str))


STAGING_PREFIX = ".sanitizer-staging-"


class Staging:
    """A private folder (0700) beside the output folder; outputs move into place only on `publish`.

    The run holds an OS lock on its staging folder (released however the process ends), so a later
    run can tell a staging folder left by a killed run from one a live run is writing.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._is_new_out_dir = not out_dir.exists()
        if out_dir.exists() and not out_dir.is_dir():
            raise ConfigError(
                f"output folder {out_dir}: not a folder (a file has that name)",
                hint="give a folder the job's user can create and write",
            )
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            self.dir = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
        except OSError as exc:
            raise ConfigError(
                f"output folder {out_dir}: cannot be created or written "
                f"({exc.strerror or type(exc).__name__})",
                hint="give a folder the job's user can create and write",
            ) from None
        self.dir.chmod(0o700)
        self._lock = _locked(self.dir)
        _remove_stale(out_dir)

    def path_for(self, source: TableSource, fmt: Format) -> Path:
        return self.dir / output_name(source, fmt)

    def publish(self) -> list[Path]:
        """Move every staged file into the output folder (a rename each, on the same filesystem)."""
        published = []
        for staged in sorted(self.dir.iterdir()):
            target = self.out_dir / staged.name
            staged.replace(target)
            published.append(target)
        self.discard()
        return published

    def withdraw(self) -> list[Path]:
        """Remove the earlier outputs this run would have replaced (a failed run's report must not
        sit beside an earlier run's tables, as if they were its own); returns them."""
        removed = []
        for staged in sorted(self.dir.iterdir()):
            target = self.out_dir / staged.name
            if target.is_file() or target.is_symlink():
                target.unlink()
                removed.append(target)
        return removed

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
        if self._is_new_out_dir:
            with contextlib.suppress(
                OSError
            ):  # only while empty: a run that failed leaves no folder
                self.out_dir.rmdir()


def _locked(folder: Path) -> int | None:
    """A descriptor holding an exclusive lock on `folder`, or None when another process holds it."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _remove_stale(out_dir: Path) -> None:
    """Remove the staging folders that runs killed before their cleanup left in `out_dir` (their rows
    are scrubbed but unverified); a folder a live run holds is left alone."""
    removed = []
    for folder in sorted(out_dir.glob(f"{STAGING_PREFIX}*")):
        if not folder.is_dir() or folder.is_symlink():
            continue
        try:
            fd = _locked(folder)
        except OSError:
            continue
        if fd is None:
            continue  # another run is writing there
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(fd)
        removed.append(folder.name)
    if removed:
        log.info(
            "removed %d staging folder(s) left in %s by runs that were stopped: %s",
            len(removed),
            out_dir,
            ", ".join(removed),
            extra={"out_dir": str(out_dir), "removed": len(removed)},
        )
