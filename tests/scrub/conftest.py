"""Fixtures for scrub tests: run a scrub of small tables written on the fly, read its outputs back."""

from __future__ import annotations

import csv
import io
import json
import re
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

# Written out again here, independent of sanitizer.ranges: the published fiction ranges and the
# reserved email domains (RFC 2606 example.*, RFC 6761 .test/.invalid, .example).
_FICTIONAL = re.compile(
    r"\+1[2-9]\d\d55501\d\d"  # NANP NPA-555-0100..0199
    r"|\+44(?:(?:113|114|115|116|117|118|121|131|141|151|161)4960\d{3}|1914980\d{3}|2079460\d{3}"
    r"|2920180\d{3}|7700900\d{3}|8081570\d{3}|9098790\d{3}|3069990\d{3}|1632960\d{3})"  # Ofcom
    r"|\+61[2378](?:5550|7010)\d{4}|\+614915\d{5}"  # ACMA
)
RESERVED_EMAIL = re.compile(
    r"@(?:[\w-]+\.)*(?:example\.(?:com|net|org)|[\w-]+\.(?:test|invalid|example))$", re.IGNORECASE
)


def is_fictional_phone(e164: str) -> bool:
    """Whether an E.164 number lies in a published fiction range (NANP, Ofcom, ACMA)."""
    return _FICTIONAL.fullmatch(e164) is not None


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
