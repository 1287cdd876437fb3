"""Fixtures for scrub tests: run a scrub of small tables written on the fly, read its outputs back."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from sanitizer.keyring import Keyring
from sanitizer.rules import read_rules
from sanitizer.scrub import ScrubResult, scrub
from sanitizer.tables import read_sources


def read_rows(path: Path) -> list[dict[str, Any]]:
    """An output file's rows, by its extension."""
    if path.suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        return list(csv.DictReader(io.StringIO(text, newline="")))
    if path.suffix == ".json":
        data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        return data
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows


@dataclass
class Run:
    """A finished scrub: its result, its folders, and its outputs read back."""

    result: ScrubResult
    inputs: Path
    out: Path

    def rows(self, table: str) -> list[dict[str, Any]]:
        (path,) = [p for p in self.result.outputs if p.stem == table]
        return read_rows(path)

    def text(self) -> str:
        """Every published file (outputs and reports) as one text, for leak searches."""
        return "\n".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(self.out.iterdir())
            if p.is_file() and p.suffix != ".parquet"
        )


ScrubTables = Callable[..., Run]


@pytest.fixture
def scrub_tables(
    tmp_path: Path, keyring_a: Keyring, write_rows: Callable[..., Path]
) -> ScrubTables:
    """`scrub_tables({"contacts.csv": rows, ...}, rules_text, key=..., **scrub_kwargs)` → Run.

    Each call uses fresh folders under tmp_path, so a test may run several scrubs; pass `out` to
    know the output folder of a scrub that raises.
    """
    counter = iter(range(1000))

    def run(
        tables: dict[str, list[dict[str, Any]]],
        rules_text: str,
        *,
        key: Keyring | None = None,
        bom: bool = False,
        out: Path | None = None,
        **kwargs: Any,
    ) -> Run:
        base = tmp_path / f"run{next(counter)}"
        inputs = base / "in"
        inputs.mkdir(parents=True)
        for name, rows in tables.items():
            write_rows(inputs / name, rows, bom=bom)
        (base / "rules.yaml").write_text(rules_text, encoding="utf-8")
        rules = read_rules(base / "rules.yaml")
        out = out or base / "out"
        result = scrub(read_sources([inputs]), rules, key or keyring_a, out, **kwargs)
        return Run(result=result, inputs=inputs, out=out)

    return run
