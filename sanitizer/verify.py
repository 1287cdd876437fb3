"""Independent leak scan of the staged output: it shares no code with detection or the operators.

It reads the output files back from disk and checks every cell of every column:
1. original values: no replaced cell still holds its own original (positional, every entity); no
   original email, phone, card, IBAN, IP or identifier appears anywhere; no original full name appears
   anywhere; no name a row held appears in that row's other text. A single first or last name found
   elsewhere is not evidence of a leak when the same name was also generated as a replacement (fake
   names come from the same public pool as real ones): those are counted as coincidences.
2. email domains: every email address in the output is at an allowed domain.
3. phone ranges: every valid phone number in the output is in a safe range.
Findings carry table, column, 1-based row and kind: never the value.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import phonenumbers

from sanitizer.report.model import Finding, VerificationReport
from sanitizer.tables import Format, TableSource

if TYPE_CHECKING:
    from sanitizer.ranges import SafeRanges

MAX_FINDINGS = 1000
_NAMES = frozenset({"PERSON", "FIRST_NAME", "LAST_NAME"})
_EMAIL_LIKE = re.compile(r"[^\s@<>()\[\],;:\"'`]+@[^\s@<>()\[\],;:\"'`]+\.[A-Za-z]{2,}")
_PHONE_LIKE = re.compile(r"\+?[\d(][\d\s().\-/]{5,24}\d")
_WORDS = re.compile(r"\w+(?:['’-]\w+)*")
_NOT_DIGIT = re.compile(r"\D")
_SPACES = re.compile(r"\s+")


def _fold(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def _phone_key(text: str) -> str:
    """The last nine digits: the same subscriber number whatever the formatting or country prefix."""
    digits = _NOT_DIGIT.sub("", text)
    return digits[-9:]


def _key(entity: str | None, text: str) -> str:
    if entity == "PHONE_NUMBER":
        return _phone_key(text)
    return _fold(text)


def _hashes(keys: Iterable[str]) -> np.ndarray:
    return pd.util.hash_array(np.asarray(list(keys), dtype=object))


@dataclass
class OutputTable:
    """A staged output file and what the scrub knew of its columns."""

    name: str
    path: Path
    format: Format
    entities: dict[str, str | None]
    unverified: set[str] = field(default_factory=set)
    name_columns: list[str] = field(default_factory=list)


@dataclass
class VerifyInput:
    """The originals (in memory only) and where they were, handed over by the scrub."""

    originals: dict[str, set[str]]
    tables: list[OutputTable] = field(default_factory=list)
    positions: dict[tuple[str, str], list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    row_names: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))

    def add_positions(self, table: str, column: str, rows: np.ndarray, originals: pd.Series, entity: str | None) -> None:
        """Remember (row, original) of every replaced cell as hashes, for the positional check."""
        keys = [_key(entity, v) for v in originals.tolist()]
        self.positions[(table, column)].append(_row_keys(rows, _hashes(keys)))
        if entity in _NAMES:
            pairs = [(row, word.casefold()) for row, value in zip(rows.tolist(), originals.tolist(), strict=True)
                     for word in _WORDS.findall(value) if len(word) > 1]
            if pairs:
                token_rows = np.asarray([p[0] for p in pairs], dtype=np.uint64)
                self.row_names[table].append(_row_keys(token_rows, _hashes(p[1] for p in pairs)))


def _row_keys(rows: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return hashes ^ (rows.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))


@dataclass
class _Scan:
    findings: list[Finding] = field(default_factory=list)
    total: int = 0
    coincidences: int = 0
    cells: int = 0
    per_column: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def add(self, table: str, column: str, row: int, kind: str, entity: str | None = None) -> None:
        self.total += 1
        self.per_column[(table, column)] += 1
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(Finding(table=table, column=column, row=row + 1, kind=kind, entity=entity))  # type: ignore[arg-type]


class _Checker:
    def __init__(self, data: VerifyInput, ranges: SafeRanges, default_region: str, regions: list[str]) -> None:
        self.ranges = ranges
        self.regions = [default_region] + [r for r in regions if r != default_region]
        originals = data.originals
        self.emails = {_fold(v) for v in originals.get("EMAIL_ADDRESS", ())}
        self.phones = {k for v in originals.get("PHONE_NUMBER", ()) if len(k := _phone_key(v)) >= 7}
        specific = set()
        for entity, values in originals.items():
            if entity not in _NAMES and entity not in {"EMAIL_ADDRESS", "PHONE_NUMBER"}:
                specific.update(_fold(v) for v in values if len(v.strip()) >= 4)
        self.specific = specific
        self.full_names = {_fold(v) for e in _NAMES for v in originals.get(e, ()) if len(_WORDS.findall(v)) >= 2}
        self.name_words = {w.casefold() for e in _NAMES for v in originals.get(e, ()) for w in _WORDS.findall(v)}
        self.generated_words: set[str] = set()
        self.generated_full: set[str] = set()
        self._phone_cache: dict[str, bool] = {}

    def is_unsafe_phone(self, candidate: str) -> bool:
        cached = self._phone_cache.get(candidate)
        if cached is not None:
            return cached
        unsafe = False
        text = "+" + candidate[2:] if candidate.startswith("00") else candidate
        for region in [None] if text.startswith("+") else self.regions:
            try:
                number = phonenumbers.parse(text, region)
            except phonenumbers.NumberParseException:
                continue
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if self.ranges.is_safe_phone(e164):
                break
            if phonenumbers.is_valid_number(number):
                unsafe = True
                break
        self._phone_cache[candidate] = unsafe
        return unsafe

    def content(self, value: str, check_ranges: bool) -> list[tuple[str, str | None]]:
        """Problems in one distinct output value: (kind, entity) pairs."""
        problems: list[tuple[str, str | None]] = []
        folded = _fold(value)
        if folded in self.emails or folded in self.specific or folded in self.full_names:
            problems.append(("original-value", None))
        if "@" in value:
            for email in _EMAIL_LIKE.findall(value):
                email = email.rstrip(".")
                if _fold(email) in self.emails:
                    problems.append(("original-value", "EMAIL_ADDRESS"))
                elif check_ranges and not self.ranges.is_safe_email(email):
                    problems.append(("email-outside-allowed-domains", "EMAIL_ADDRESS"))
        if any(c.isdigit() for c in value):
            for candidate in _PHONE_LIKE.findall(value):
                digits = _NOT_DIGIT.sub("", candidate)
                if len(digits) < 7:
                    continue
                if self.phones and digits[-9:] in self.phones:
                    problems.append(("original-value", "PHONE_NUMBER"))
                elif check_ranges and 7 <= len(digits) <= 15 and self.is_unsafe_phone(candidate.strip()):
                    problems.append(("phone-outside-safe-ranges", "PHONE_NUMBER"))
        if " " in folded or len(folded) > 3:
            words = [w.casefold() for w in _WORDS.findall(value)]
            if self.specific and any(w in self.specific for w in words):
                problems.append(("original-value", None))
            for i in range(len(words) - 1):
                pair = f"{words[i]} {words[i + 1]}"
                if pair in self.full_names and pair not in self.generated_full:
                    problems.append(("original-value", "PERSON"))
        return problems


def verify(data: VerifyInput, ranges: SafeRanges, *, default_region: str = "US", regions: list[str] | None = None,
           batch_rows: int = 100_000) -> tuple[VerificationReport, dict[tuple[str, str], int]]:
    """Scan every staged output; return the report section and findings per (table, column)."""
    checker = _Checker(data, ranges, default_region, regions or [default_region])
    scan = _Scan()
    for table in data.tables:
        _collect_generated(table, checker, batch_rows)
    for table in data.tables:
        _scan_table(table, data, checker, scan, batch_rows)
    report = VerificationReport(
        status="passed" if scan.total == 0 else "failed",
        checks=["original-values", "email-domains", "phone-ranges"],
        originals_checked=sum(len(v) for v in data.originals.values()),
        cells_scanned=scan.cells,
        findings_total=scan.total,
        findings=scan.findings,
        coincidences=scan.coincidences,
    )
    return report, dict(scan.per_column)


def _source(table: OutputTable) -> TableSource:
    from sanitizer.tables import read_sources

    source = read_sources([table.path])[0]
    source.name = table.name
    return source


def _collect_generated(table: OutputTable, checker: _Checker, batch_rows: int) -> None:
    """Names the scrub generated (from output name columns): equal originals elsewhere are coincidences."""
    if not table.name_columns:
        return
    for batch in _source(table).batches(batch_rows):
        for column in table.name_columns:
            values, _ = batch.cells(column)
            for value in pd.unique(values.dropna().astype(str)):
                words = [w.casefold() for w in _WORDS.findall(value)]
                checker.generated_words.update(words)
                checker.generated_full.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))


def _scan_table(table: OutputTable, data: VerifyInput, checker: _Checker, scan: _Scan, batch_rows: int) -> None:
    row_names = np.concatenate(data.row_names[table.name]) if data.row_names.get(table.name) else None
    for batch in _source(table).batches(batch_rows):
        for column in batch.paths():
            values, rows = batch.cells(column)
            rows = rows + batch.start_row
            entity = table.entities.get(column)
            present = values.notna().to_numpy()
            if not present.any():
                continue
            text = values[present].astype(str)
            rows = rows[present]
            scan.cells += len(text)
            positions = data.positions.get((table.name, column))
            if positions:
                keys = _row_keys(rows, _hashes(_key(entity, v) for v in text.tolist()))
                for index in np.flatnonzero(np.isin(keys, np.concatenate(positions))):
                    scan.add(table.name, column, int(rows[index]), "original-value", entity)
            check_ranges = column not in table.unverified
            codes, distinct = pd.factorize(text)
            for code, value in enumerate(distinct.tolist()):
                problems = checker.content(str(value), check_ranges)
                if problems:
                    for index in np.flatnonzero(codes == code):
                        for kind, found in problems:
                            scan.add(table.name, column, int(rows[index]), kind, found or entity)
            if row_names is not None and column not in table.name_columns:
                _same_row_names(table, column, text, rows, row_names, checker, scan)


def _same_row_names(
    table: OutputTable, column: str, text: pd.Series, rows: np.ndarray, row_names: np.ndarray,
    checker: _Checker, scan: _Scan,
) -> None:
    """A name a row held must not appear in that row's other cells (unless it is also a generated name)."""
    pairs_rows: list[int] = []
    pairs_words: list[str] = []
    for value, row in zip(text.tolist(), rows.tolist(), strict=True):
        for word in _WORDS.findall(value):
            folded = word.casefold()
            if len(folded) > 1 and folded in checker.name_words:
                pairs_rows.append(row)
                pairs_words.append(folded)
    if not pairs_rows:
        return
    keys = _row_keys(np.asarray(pairs_rows, dtype=np.uint64), _hashes(pairs_words))
    for index in np.flatnonzero(np.isin(keys, row_names)):
        if pairs_words[index] in checker.generated_words:
            scan.coincidences += 1
        else:
            scan.add(table.name, column, pairs_rows[index], "original-value", "PERSON")
