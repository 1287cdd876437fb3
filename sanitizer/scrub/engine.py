"""The scrub run: plan and collect (pass 1), replace and stage (pass 2), verify, then publish or discard."""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sanitizer import entities
from sanitizer.detect import (
    FIRST,
    LAST,
    NameFinder,
    TextScanner,
    handles,
    load_spacy,
    name_tokens,
    parts,
    row_name_words,
)
from sanitizer.detect.names import WORD, NameSpan
from sanitizer.detect.text import ASCII_SPACES, PendingContacts, PendingScan, Span, person_span
from sanitizer.errors import PatternTimeoutError
from sanitizer.keyring import Keyring
from sanitizer.memory import own_pages_for_large_blocks, settled
from sanitizer.operators import get_operator
from sanitizer.operators.redact import RedactParams
from sanitizer.operators.text import TextParams
from sanitizer.outputs import Staging, TableWriter
from sanitizer.rules import RuleSet
from sanitizer.scrub.mapping import Channel, Mapper
from sanitizer.scrub.plan import ColumnPlan, Planner, TablePlan
from sanitizer.tables import (
    BATCH_ROWS,
    Batch,
    Format,
    RecordsBatch,
    RowCells,
    TableSource,
    cell_text,
    is_whole_float,
)
from sanitizer.textkeys import ascii_letter_runs, string_keys
from sanitizer.verify import ColumnCheck, Originals, VerifyTable

log = logging.getLogger("sanitizer.scrub")
Progress = Callable[[str, str, int], None]  # (stage, table, rows done)


@dataclass
class ColumnStats:
    values: int = 0
    non_empty: int = 0
    changed: int = 0
    spans: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unique_hashes: list[np.ndarray] = field(default_factory=list)
    collisions_avoided: int = 0
    unread: int = 0  # cells of a phone or email column its operator could not read as one

    def add_distinct(self, hashes: np.ndarray) -> None:
        """Hashes of a batch's distinct values; merged when they pile up (values repeat across batches)."""
        self.unique_hashes.append(hashes)
        if len(self.unique_hashes) >= 16:
            self.unique_hashes = [_distinct_hashes(self.unique_hashes)]

    @property
    def unique(self) -> int:
        return int(_distinct_hashes(self.unique_hashes).size) if self.unique_hashes else 0


def _distinct_hashes(parts: list[np.ndarray]) -> np.ndarray:
    """The distinct hashes of several arrays (a hash table: ten times faster than np.unique's sort)."""
    return np.asarray(pd.unique(np.concatenate(parts)))


@dataclass
class Scrubbed:
    """What the scrub produced, before reporting: plans, counts, staged files, verification input."""

    tables: list[TablePlan]
    stats: dict[tuple[str, str], ColumnStats]
    rows: dict[str, int]
    staging: Staging
    staged: dict[str, Path]
    formats: dict[str, Format]
    verify_tables: list[VerifyTable]
    originals: Originals
    timings: dict[str, float]
    mapper: Mapper


def _present(values: pd.Series) -> pd.Series:
    """Cells that hold a value worth replacing: not null, not empty or blank text."""
    mask = values.notna()
    if mask.any():
        text = values[mask].astype(str)
        mask.loc[mask] = text.str.strip() != ""
    return mask


def _factorized(values: pd.Series) -> tuple[pd.Series, np.ndarray, list[str]]:
    """(present, codes, distinct): the cells that hold a value worth replacing (see `_present`), for
    each of them the index of its text in `distinct`, and the distinct texts in order of appearance.

    A column of text (most columns) is factorized as it is and its blank values dropped from the
    distinct ones; any other column is converted to text first, a whole number held as a float as its
    digits (`cell_text`).
    """
    if values.dtype == object:
        codes, uniques = pd.factorize(values.to_numpy())  # nulls get -1
        texts = uniques.tolist()
        if all(type(text) is str for text in texts):
            kept = np.fromiter((bool(text.strip()) for text in texts), bool, len(texts))
            present = codes >= 0
            if kept.all():
                return pd.Series(present, index=values.index), codes[present], texts
            present &= kept[codes]  # kept[-1] for a null: already out
            new_code = np.cumsum(kept) - 1
            distinct = [text for text, keep in zip(texts, kept.tolist(), strict=True) if keep]
            return pd.Series(present, index=values.index), new_code[codes[present]], distinct
    present = _present(values)
    if not present.any():
        return present, np.array([], dtype=np.intp), []
    held = values[present]
    if pd.api.types.is_float_dtype(held.dtype):  # each distinct float read once
        codes, uniques = pd.factorize(held)
        return present, codes, [cell_text(value) for value in uniques.tolist()]
    codes, uniques = pd.factorize(held.map(cell_text) if held.dtype == object else held.astype(str))
    return present, codes, list(map(str, uniques.tolist()))


def _distinct(values: pd.Series) -> list[str]:
    return _factorized(values)[2]


def _contact_candidates(texts: list[str]) -> list[str]:
    """The texts that may hold an email or a phone (an `@`, or seven digits), chosen vectorised."""
    if not texts:
        return []
    array = pa.array(texts, type=pa.large_string())
    wanted = pc.or_(
        pc.match_substring(array, "@"), pc.match_substring_regex(array, r"\d(\D?\d){6}")
    )
    return [texts[i] for i in np.flatnonzero(wanted.to_numpy(zero_copy_only=False))]


def _row_pairs(
    batch: Batch, first_path: str, last_path: str, selected: np.ndarray | None = None
) -> list[tuple[int, str, str]]:
    """(row, first, last) of the rows that hold both names; only the `selected` cells (positions in
    both columns, which then hold one cell a row) when given."""
    firsts, first_rows = batch.cells(first_path)
    lasts, last_rows = batch.cells(last_path)
    if selected is None:
        return _pairs_of(firsts, first_rows, lasts, last_rows)
    return _pairs_of(
        firsts.iloc[selected], first_rows[selected], lasts.iloc[selected], last_rows[selected]
    )


# One word, or words joined by single spaces: `" ".join(text.split())` leaves it as it is.
_ONE_SPACED = rf"^[^{ASCII_SPACES}]+( [^{ASCII_SPACES}]+)*$"


def _joined_names(
    batch: Batch, first_path: str, last_path: str
) -> tuple[pa.Array, np.ndarray] | None:
    """Each row's "first last" in Arrow and whether it is simple: ASCII, words joined by single spaces,
    so that its lower case (Arrow's, equal to `casefold` for ASCII) is its fold. None when the cells
    are not one per row of text (nested records, values that are not text): the Python path decides."""
    firsts, first_rows = batch.cells(first_path)
    lasts, last_rows = batch.cells(last_path)
    if not len(firsts) or not np.array_equal(first_rows, last_rows):
        return None
    try:
        first_text = pa.array(firsts, type=pa.large_string(), from_pandas=True)
        last_text = pa.array(lasts, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    joined = pc.binary_join_element_wise(first_text, last_text, pa.scalar(" ", pa.large_string()))
    simple = pc.and_(pc.string_is_ascii(joined), pc.match_substring_regex(joined, _ONE_SPACED))
    return joined, pc.fill_null(simple, False).to_numpy(zero_copy_only=False)


def _full_names(batch: Batch, first_path: str, last_path: str) -> tuple[list[str], list[str]]:
    """The rows' full names: (folded ones, ones still to fold). A simple row (see `_joined_names`) is
    folded in Arrow; the others, and every row when the cells are not flat text, are left as
    "first last" for `Mapper.learn_full_names` to fold."""
    joined = _joined_names(batch, first_path, last_path)
    if joined is None:
        return [], [
            f"{first} {last}" for _row, first, last in _row_pairs(batch, first_path, last_path)
        ]
    text, simple = joined
    # A simple "first last" holds both names (neither empty nor only spaces) and at least two words.
    folded = pc.unique(pc.utf8_lower(text.filter(pa.array(simple)))).to_pylist()
    rest = np.flatnonzero(~simple)
    if not len(rest):
        return folded, []
    pairs = _row_pairs(batch, first_path, last_path, rest)
    return folded, [f"{first} {last}" for _row, first, last in pairs]


def _spelled_full_names(
    batch: Batch, first_path: str, last_path: str, full_names: set[str], known: pa.Array
) -> list[tuple[int, str, str]]:
    """(row, first, last) of the rows whose first + last name, folded, is in `full_names`, in row order.

    Vectorised when the columns are text: a simple row (see `_joined_names`) is settled by one `is_in`
    of its lower case (its fold) against `known` (`full_names` in Arrow); only the other rows take the
    exact test in Python.
    """

    def folded_in(rows: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
        # Folded as Mapper.learn_full_names folds (a simple row's lower case is that fold).
        return [p for p in rows if entities.normalize_name(f"{p[1]} {p[2]}") in full_names]

    joined = _joined_names(batch, first_path, last_path)
    if joined is None:
        return folded_in(_row_pairs(batch, first_path, last_path))
    text, simple = joined
    hit = pc.fill_null(pc.is_in(pc.utf8_lower(text), value_set=known), False)
    settled = _row_pairs(
        batch, first_path, last_path, np.flatnonzero(simple & hit.to_numpy(zero_copy_only=False))
    )
    others = folded_in(_row_pairs(batch, first_path, last_path, np.flatnonzero(~simple)))
    return sorted(settled + others) if others else settled


def _repeating_own_words(
    batch: Batch,
    first_path: str,
    last_path: str,
    originals: tuple[pd.Series, np.ndarray, pd.Series, np.ndarray],
) -> list[tuple[int, str, str]]:
    """(row, first, last) of the rows whose fake first name is their original last name or whose fake
    last name is their original first name (as names compare), in row order. Vectorised for flat text
    columns of ASCII names; the other rows are compared in Python."""
    fake_firsts, fake_first_rows = batch.cells(first_path)
    fake_lasts, fake_last_rows = batch.cells(last_path)
    firsts, first_rows, lasts, last_rows = originals
    flat = np.arange(batch.num_rows)
    texts: list[pa.Array] = []
    if all(
        np.array_equal(r, flat) for r in (fake_first_rows, fake_last_rows, first_rows, last_rows)
    ):
        try:
            texts = [
                pc.fill_null(pa.array(v, type=pa.large_string(), from_pandas=True), "")
                for v in (fake_firsts, fake_lasts, firsts, lasts)
            ]
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            texts = []
    found: list[tuple[int, str, str]] = []
    if texts:
        lower = [pc.utf8_lower(t) for t in texts]
        clash = pc.or_(
            pc.and_(pc.equal(lower[0], lower[3]), pc.not_equal(lower[0], "")),
            pc.and_(pc.equal(lower[1], lower[2]), pc.not_equal(lower[1], "")),
        ).to_numpy(zero_copy_only=False)
        is_ascii = np.logical_and.reduce(
            [pc.string_is_ascii(t).to_numpy(zero_copy_only=False) for t in texts]
        )
        found = [
            (int(row), fake_firsts.iloc[row], fake_lasts.iloc[row])
            for row in np.flatnonzero(clash & is_ascii)
        ]
        others = np.flatnonzero(~is_ascii)
        if not len(others):
            return found
        # The rows with other letters are compared in Python, as every row is below.
        fake_firsts, fake_lasts = fake_firsts.iloc[others], fake_lasts.iloc[others]
        firsts, lasts = firsts.iloc[others], lasts.iloc[others]
        fake_first_rows = fake_last_rows = first_rows = last_rows = others
    held = {r: (f, la) for r, f, la in _pairs_of(firsts, first_rows, lasts, last_rows)}
    fakes = _pairs_of(fake_firsts, fake_first_rows, fake_lasts, fake_last_rows)
    return sorted(found + _clashing(fakes, held))


def _clashing(
    fakes: list[tuple[int, str, str]], held: dict[int, tuple[str, str]]
) -> list[tuple[int, str, str]]:
    """The (row, first, last) fakes whose first is the row's original last or whose last its first."""
    fold = entities.normalize_name
    return [
        (row, first, last)
        for row, first, last in fakes
        if row in held and (fold(first) == fold(held[row][1]) or fold(last) == fold(held[row][0]))
    ]


def _pairs_of(
    firsts: pd.Series, first_rows: np.ndarray, lasts: pd.Series, last_rows: np.ndarray
) -> list[tuple[int, str, str]]:
    if np.array_equal(first_rows, last_rows):  # a flat batch: cell i of both columns is row i
        return [
            (row, first, last)
            for row, first, last in zip(
                first_rows.tolist(), firsts.tolist(), lasts.tolist(), strict=True
            )
            if isinstance(first, str) and first.strip() and isinstance(last, str) and last.strip()
        ]
    by_row = {
        int(r): v
        for r, v in zip(first_rows.tolist(), firsts.tolist(), strict=True)
        if isinstance(v, str) and v.strip()
    }
    return [
        (int(r), by_row[int(r)], v)
        for r, v in zip(last_rows.tolist(), lasts.tolist(), strict=True)
        if int(r) in by_row and isinstance(v, str) and v.strip()
    ]


def _hash(distinct: list[str]) -> np.ndarray:
    """64-bit hashes of distinct values, to count a column's unique values across batches within this
    process. Python's own string hash: three times faster than pandas' and kept by each string, so the
    replacement lookups that follow do not hash it again."""
    return np.fromiter(map(hash, distinct), dtype=np.int64, count=len(distinct))


class Engine:
    """Runs one scrub over a set of tables with one rule set and one key."""

    def __init__(
        self,
        rules: RuleSet,
        keyring: Keyring,
        *,
        batch_rows: int = BATCH_ROWS,
        progress: Progress | None = None,
        workers: int = 1,
    ) -> None:
        self.rules = rules
        self.keyring = keyring
        self.batch_rows = batch_rows
        self.progress = progress
        self.workers = workers
        self.ranges = rules.safe_ranges()
        self.names = NameFinder()
        ner = _ner(rules.nlp.model) if rules.nlp.model else None
        self.scanner = TextScanner(rules, self.ranges, self.names, ner)
        self.mapper = Mapper(keyring, rules, self.ranges, workers=workers)
        self.names.full_names = self.mapper.full_names  # filled in pass 1, read in notes in pass 2
        self.planner = Planner(rules, self.ranges, self.names, self.scanner)
        self.stats: dict[tuple[str, str], ColumnStats] = defaultdict(ColumnStats)
        self.rows: dict[str, int] = {}

    def _channel(self, column: ColumnPlan) -> Channel:
        return self.mapper.channel(column.operator, column.params, column.entity)

    # Pass 1: plan every column, collect the distinct originals of structured PII columns.
    def collect(self, tables: list[TablePlan]) -> None:
        personas: dict[str, dict[str, tuple[str, str]]] = {}
        text_phones: list[str] = []  # numbers the notes mention (the columns' are known as read)
        key_values: dict[tuple[str, str], set[str]] = {}
        # The notes' contacts are read by workers forked once for the pass (each batch's phone keys
        # reach them with the next call).
        with self.scanner.contacts_forked_once(self.workers):
            for table in tables:
                self._collect_table(table, text_phones, key_values)
        # The pass-2 scan knows every original number: the columns' and the notes'.
        self.scanner.learn_phones(key for key in entities.phone_keys(text_phones) if len(key) >= 7)
        self.planner.refuse_data_in_keys(tables)  # before a report could name a column
        self.planner.finish(tables)
        for table in tables:
            if table.persona is not None:
                personas[table.name] = self._persona_rows(table)
        self.mapper.settle()
        # Identifier-like values of the run's columns (account numbers, ids) are found in text as they are,
        # whatever a recognizer would score them: the verifier searches every cell for them too.
        pooled = _pooled(self.rules, tables)
        self.scanner.known_values = {
            value.strip().casefold(): entity
            for entity, values in self.mapper.originals.items()
            if entity
            not in pooled | entities.NAME_ENTITIES | {entities.PHONE_NUMBER, entities.EMAIL_ADDRESS}
            for value in values
            if len(value.strip()) >= 4 and " " not in value.strip()
        }
        for table in tables:
            if table.persona is not None:
                self._apply_persona(table, personas[table.name])
        for (table_name, path), values in key_values.items():
            column = next(t for t in tables if t.name == table_name).columns[path]
            redrawn = self.mapper.make_unique(self._channel(column), sorted(values))
            self.stats[(table_name, path)].collisions_avoided += redrawn

    def _collect_table(
        self,
        table: TablePlan,
        text_phones: list[str],
        key_values: dict[tuple[str, str], set[str]],
    ) -> None:
        """Pass 1 over one table: plan its columns, collect their originals, read its notes' contacts."""
        rows = 0
        scanning: PendingContacts | None = None  # the notes of the batch before, being read
        try:
            for batch in table.source.batches(self.batch_rows):
                self.planner.plan(table, batch)
                columns = list(table.columns.values())
                structured = [c for c in columns if c.is_replacing and not c.is_text]
                # Phone columns first: the notes' scan knows the numbers a column holds (no full
                # parse).
                for column in structured:
                    if column.entity == entities.PHONE_NUMBER:
                        self._collect_column(table, batch, column, key_values)
                # Phones and emails only mentioned in free text are originals too: replacements
                # chosen at the end of this pass must never equal them. The workers read a batch's
                # text columns while this process collects its other columns (which teach that scan
                # nothing) and reads the next batch up to here: what they found is remembered then.
                texts = [
                    text
                    for c in columns
                    if c.is_text
                    for text in _contact_candidates(_distinct(batch.cells(c.path)[0]))
                ]
                text_phones.extend(self._remember_found(scanning))
                scanning = None
                if texts:
                    scanning = self.scanner.start_contacts(texts, workers=self.workers)
                for column in structured:
                    if column.entity != entities.PHONE_NUMBER:
                        self._collect_column(table, batch, column, key_values)
                self._learn_full_names(table, batch)
                rows += batch.num_rows
                if self.progress:
                    self.progress("plan", table.name, rows)
            text_phones.extend(self._remember_found(scanning))
            scanning = None
        finally:
            if scanning is not None:
                scanning.cancel()
        self.rows[table.name] = rows

    def _remember_found(self, scanning: PendingContacts | None) -> list[str]:
        """Remember the emails and phones a started notes' scan finds; returns the phones."""
        if scanning is None:
            return []
        by_entity: dict[str, list[str]] = defaultdict(list)
        for entity, value in scanning.result():
            by_entity[entity].append(value)
        for entity, group in by_entity.items():
            self.mapper.remember(entity, group)  # once per entity: found holds thousands
        return by_entity.get(entities.PHONE_NUMBER, [])

    def _collect_column(
        self,
        table: TablePlan,
        batch: Batch,
        column: ColumnPlan,
        key_values: dict[tuple[str, str], set[str]],
    ) -> None:
        values, _ = batch.cells(column.path)
        distinct = _distinct(values)
        if column.is_unique:
            key_values.setdefault((table.name, column.path), set()).update(distinct)
        self.mapper.collect(self._channel(column), distinct)
        if column.entity == entities.PHONE_NUMBER:
            self.scanner.learn_phones(k for k in entities.phone_keys(distinct) if len(k) >= 7)
        if column.entity in entities.NAME_ENTITIES:
            kind = {entities.FIRST_NAME: FIRST, entities.LAST_NAME: LAST}.get(column.entity or "")
            self.names.learn(kind, distinct)

    def _name_pair(self, table: TablePlan) -> tuple[str, str] | None:
        """The table's first-name and last-name columns, when it has exactly one of each (or a persona)."""
        if table.persona is not None:
            return table.persona.first_name, table.persona.last_name
        replaced = [c for c in table.columns.values() if c.is_replacing]
        firsts = [c.path for c in replaced if c.entity == entities.FIRST_NAME]
        lasts = [c.path for c in replaced if c.entity == entities.LAST_NAME]
        if len(firsts) > 1:  # firstName and middleName: the one that says "first" (or given, fore)
            firsts = [p for p in firsts if re.search(r"first|given|fore", p, re.IGNORECASE)]
        return (firsts[0], lasts[0]) if len(firsts) == 1 and len(lasts) == 1 else None

    def _learn_full_names(self, table: TablePlan, batch: Batch) -> None:
        """Original full names: a row's first + last name, and full-name column values."""
        pair = self._name_pair(table)
        if pair is not None and all(p in batch.paths() for p in pair):
            folded, unfolded = _full_names(batch, *pair)
            self.mapper.learn_full_names(folded, folded=True)
            self.mapper.learn_full_names(unfolded)
        for column in table.columns.values():
            if column.entity == entities.PERSON and column.is_replacing and not column.is_text:
                values, _ = batch.cells(column.path)
                self.mapper.learn_full_names(_distinct(values))

    def _keep_full_names_apart(
        self,
        table: TablePlan,
        batch: Batch,
        originals: tuple[pd.Series, np.ndarray, pd.Series, np.ndarray],
    ) -> None:
        """After replacement: no row's fake first + last name spells an original full name or repeats
        one of the row's own name words (see `Mapper.apart`)."""
        pair = self._name_pair(table)
        if pair is None:
            return
        spelled = (
            _spelled_full_names(
                batch, *pair, self.mapper.full_names, self.mapper.full_names_array()
            )
            if self.mapper.full_names
            else []
        )
        repeating = _repeating_own_words(batch, *pair, originals)
        fakes = sorted(set(spelled).union(repeating)) if repeating else spelled
        if not fakes:
            return
        hit_rows = {row for row, _first, _last in fakes}
        firsts, first_rows, lasts, last_rows = originals
        of_first = np.isin(first_rows, list(hit_rows))
        of_last = np.isin(last_rows, list(hit_rows))
        held = {
            row: (first, last)
            for row, first, last in _pairs_of(
                firsts[of_first], first_rows[of_first], lasts[of_last], last_rows[of_last]
            )
        }
        columns = []
        for path in pair:
            cells, rows = batch.cells(path)
            position = {r: i for i, r in enumerate(rows.tolist()) if r in hit_rows}
            columns.append((path, cells.to_numpy(dtype=object, copy=True), position))
        changed = [False, False]
        for row, first, last in fakes:
            if row in held:
                new = self.mapper.apart(list(held[row]), [first, last])
                for k, (word, old) in enumerate(((new[0], first), (new[-1], last))):
                    _path, out, position = columns[k]
                    if word != old and row in position:
                        out[position[row]] = word
                        changed[k] = True
        for (path, out, _position), was_changed in zip(columns, changed, strict=True):
            if was_changed:
                batch.set_cells(path, pd.Series(out, dtype=object))

    def _persona_rows(self, table: TablePlan) -> dict[str, tuple[str, str]]:
        """email → (first, last) of the first row holding that email."""
        assert table.persona is not None
        persona = table.persona
        found: dict[str, tuple[str, str]] = {}
        for batch in table.source.batches(self.batch_rows):
            emails, _ = batch.cells(persona.email)
            firsts, _ = batch.cells(persona.first_name)
            lasts, _ = batch.cells(persona.last_name)
            for email, first, last in zip(
                emails.tolist(), firsts.tolist(), lasts.tolist(), strict=True
            ):
                if (
                    isinstance(email, str)
                    and email.strip()
                    and isinstance(first, str)
                    and isinstance(last, str)
                ):
                    found.setdefault(email, (first, last))
        return found

    def _apply_persona(self, table: TablePlan, rows: dict[str, tuple[str, str]]) -> None:
        assert table.persona is not None
        email_col = table.columns[table.persona.email]
        first = self.mapper.lookup(self._channel(table.columns[table.persona.first_name]))
        last = self.mapper.lookup(self._channel(table.columns[table.persona.last_name]))
        emails = [e for e, (f, lname) in rows.items() if f in first and lname in last]
        operator = get_operator("email")
        channel = self._channel(email_col)
        # The names the rows will carry: kept apart from original full names, as in pass 2.
        names = [
            self.mapper.apart(list(rows[e]), [first[rows[e][0]], last[rows[e][1]]]) for e in emails
        ]
        fakes = operator.replace_persona(  # type: ignore[attr-defined]
            emails,
            [n[0] for n in names],
            [n[-1] for n in names],
            self.mapper.context(channel),
        )
        self.mapper.override(channel, dict(zip(emails, fakes, strict=True)))

    # Pass 2: replace, count, stage.
    def load(self, table: TablePlan, batch: Batch) -> Prepared:
        """A batch read for `transform`: its rows' names and its first free-text column with the names
        and pieces of the rows holding each of its texts, not yet scanned.

        Nothing here depends on the scanner, so the next batch is loaded while the workers still scan this
        one's notes: they start on it as soon as they are free."""
        texts = self._texts(table, batch)
        # Taken before any column is replaced: free text, and values with words in other columns
        # (`_names_beside`), are searched for the row's original names.
        row_names = self._row_names(table, batch)
        early = _Cells.of(batch, texts[0].path) if texts else None
        names = _names_of(early, row_names, with_pieces=True) if early and early.distinct else []
        return Prepared(batch, row_names, early, names, None)

    def start(self, prepared: Prepared) -> None:
        """Start the scan of a loaded batch's first free-text column in the workers.

        Started before the batch's other columns are replaced (they teach the scanner nothing), and
        before the batch ahead of it is finished once that batch's scans are in (what the scanner learns
        from a batch's notes it learns when their scan is collected): the scan finds what it would find
        when collected.
        """
        early = prepared.early
        if early is not None and early.distinct and prepared.scan is None:
            prepared.scan = self.scanner.start_scan(
                early.distinct, prepared.names, workers=self.workers
            )

    def transform(
        self, table: TablePlan, prepared: Prepared, ahead: _ReadAhead | None = None
    ) -> None:
        """Replace a prepared batch's cells. With `ahead`, the next batch is loaded while this one's scans
        are still running, and started once they are collected (the workers are free for it)."""
        batch, row_names, early = prepared.batch, prepared.row_names, prepared.early
        pair = self._name_pair(table)
        paths = batch.paths()
        # The original names (the replacement sets new cells): read only for rows whose fakes need it.
        pair_originals = (
            (*batch.cells(pair[0]), *batch.cells(pair[1]))
            if pair and all(p in paths for p in pair)
            else None
        )
        texts = self._texts(table, batch)
        try:
            for column in list(table.columns.values()):
                if column.path in batch.paths():
                    cells = early if early and column.path == early.path else None
                    last = ahead is not None and texts and column.path == texts[-1].path
                    self._transform_column(
                        table,
                        batch,
                        column,
                        cells,
                        row_names,
                        prepared.scan,
                        ahead.load if ahead is not None else None,
                        ahead.advance if last and ahead is not None else None,
                    )
        finally:
            prepared.cancel()
        if pair_originals is not None:
            self._keep_full_names_apart(table, batch, pair_originals)

    @staticmethod
    def _texts(table: TablePlan, batch: Batch) -> list[ColumnPlan]:
        """The batch's free-text columns that are replaced."""
        paths = batch.paths()
        return [
            c for c in table.columns.values() if c.is_text and c.is_replacing and c.path in paths
        ]

    def _transform_column(
        self,
        table: TablePlan,
        batch: Batch,
        column: ColumnPlan,
        cells: _Cells | None,
        row_names: _RowNames | None,
        scan: PendingScan | None,
        waiting: Callable[[], None] | None = None,
        scanned: Callable[[], None] | None = None,
    ) -> None:
        stats = self.stats[(table.name, column.path)]
        cells = cells or _Cells.of(batch, column.path)
        values, present, distinct, codes = cells.values, cells.present, cells.distinct, cells.codes
        stats.values += len(values)
        stats.non_empty += int(present.sum())
        if column.operator == "drop":
            batch.drop(column.path)
            return
        if not distinct:
            return
        stats.add_distinct(_hash(distinct))
        if not column.is_replacing:
            return
        if column.is_text:
            try:
                replaced = self._replace_text(
                    column, cells, row_names, stats, scan, waiting, scanned
                )
            except PatternTimeoutError as exc:
                row = _row_of(batch, cells, exc.text_index)
                place = f"table {table.name}, column {column.path}" + (
                    f", row {row}" if row else ""
                )
                raise exc.at(place) from exc
        else:
            replaced = self.mapper.replace(self._channel(column), distinct)
            if column.entity not in entities.NAME_ENTITIES and column.operator != "fake":
                replaced = self._names_beside(cells, row_names, replaced)
            if column.operator in _READING:
                replaced = self._unread(distinct, replaced, codes, stats)
            if column.entity == entities.PERSON:
                replaced = [
                    " ".join(self.mapper.apart(o.split(), r.split())) if len(r.split()) > 1 else r
                    for o, r in zip(distinct, replaced, strict=True)
                ]
        new = np.asarray(replaced, dtype=object)
        changed = (new != np.asarray(distinct, dtype=object)).astype(bool)
        stats.changed += int(np.bincount(codes, minlength=len(distinct))[changed].sum())
        if not changed.any():
            return  # the cells as they were, in their types
        # Only changed cells are written: one left alone keeps its value and type (a number or a
        # boolean in a free-text field stays one; the scan reads every value as text).
        out = values.astype(object).to_numpy(copy=True)  # numpy: a masked Series assignment is slow
        moved = changed[codes]
        out[np.flatnonzero(present.to_numpy())[moved]] = new[codes[moved]]
        batch.set_cells(column.path, _numbers_kept(values, out, isinstance(batch, RecordsBatch)))

    def _names_beside(
        self, cells: _Cells, row_names: _RowNames | None, replaced: list[str]
    ) -> list[str]:
        """Values that hold more than their entity ("call Alan on 212-555-0188" in a phone column) keep
        the operator's replacement, and the names in it are replaced as in free text."""
        try:
            distinct = pa.array(cells.distinct, type=pa.large_string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return replaced  # not text (numbers): no words
        wordy = np.flatnonzero(
            pc.and_(
                pc.match_substring_regex(distinct, r"\pL"),
                pc.match_substring_regex(distinct, r"\s"),
            ).to_numpy(zero_copy_only=False)
        )
        if not len(wordy):
            return replaced
        names_of = _names_of(cells, row_names)
        texts = [replaced[i] for i in wordy]
        found = [
            [person_span(name, "NameFinder") for name in self.names.find(text, names_of[i])]
            for text, i in zip(texts, wordy.tolist(), strict=True)
        ]
        if not any(found):
            return replaced
        rewritten = self._rewritten(texts, found, TextParams(entities=[entities.PERSON]))
        out = list(replaced)
        for i, text in zip(wordy.tolist(), rewritten, strict=True):
            out[i] = text
        return out

    def _rewritten(
        self, texts: list[str], found: list[list[Span]], params: TextParams
    ) -> list[str]:
        """`texts` with the spans `found` in each replaced as the free-text operator replaces them."""
        self.mapper.find_spans = lambda _texts: found
        channel = self.mapper.channel("text", params, None)
        return get_operator("text").replace(texts, self.mapper.context(channel))

    def _unread(
        self, distinct: list[str], replaced: list[str], codes: np.ndarray, stats: ColumnStats
    ) -> list[str]:
        """Cells the column's operator left as they were, not reading them as its entity (a phone
        column's "alan@example.org" or "Zyxwq Plonk"): scanned as free text, their PII replaced as in
        free text; a cell in which the scan finds nothing is redacted, unless it is a placeholder
        (`_is_placeholder`: "N/A", "unknown")."""
        same = np.asarray(distinct, dtype=object) == np.asarray(replaced, dtype=object)
        left = [
            i for i in np.flatnonzero(same).tolist() if not _is_placeholder(distinct[i], self.names)
        ]
        if not left:
            return replaced
        stats.unread += int(np.bincount(codes, minlength=len(distinct))[left].sum())
        texts = [distinct[i] for i in left]
        found = [self.scanner.scan(text) for text in texts]
        for text, spans in zip(texts, found, strict=True):
            for span in spans:
                if span.entity not in entities.NAME_ENTITIES:
                    self.mapper.originals[span.entity].add(text[span.start : span.end])
        out = list(replaced)
        if any(found):
            for i, text in zip(left, self._rewritten(texts, found, TextParams()), strict=True):
                out[i] = text
        marker = RedactParams().replacement
        for i, spans in zip(left, found, strict=True):
            if not spans:
                out[i] = marker
        return out

    def _replace_text(
        self,
        column: ColumnPlan,
        cells: _Cells,
        row_names: _RowNames | None,
        stats: ColumnStats,
        scan: PendingScan | None,
        waiting: Callable[[], None] | None,
        scanned: Callable[[], None] | None,
    ) -> list[str]:
        def find(texts: Sequence[str]) -> list[list[object]]:
            pending = scan  # the first text column's: started before the other columns
            if pending is None or texts is not cells.distinct or pending.texts is not texts:
                names = _names_of(cells, row_names, with_pieces=True)
                by_text = dict(zip(cells.distinct, names, strict=True))
                pending = self.scanner.start_scan(
                    texts, [by_text.get(t, frozenset()) for t in texts], workers=self.workers
                )
            if waiting is not None and not pending.is_done():
                try:
                    waiting()  # the workers are still scanning: read the next batch meanwhile
                except BaseException:
                    pending.cancel()
                    raise
            try:
                found = pending.result()
            except PatternTimeoutError as exc:  # say which of the column's distinct values it was
                if texts is not cells.distinct and exc.text_index is not None:
                    at = {text: i for i, text in enumerate(cells.distinct)}
                    exc.text_index = at.get(texts[exc.text_index])
                raise
            if scanned is not None:
                scanned()
            # Spans count once per cell that holds them (texts are distinct within a batch): the figure
            # does not depend on how rows fall into batches.
            cells_of = (
                np.bincount(cells.codes, minlength=len(texts)).tolist()
                if texts is cells.distinct
                else [1] * len(texts)
            )
            for text, spans, count in zip(texts, found, cells_of, strict=True):
                for span in spans:
                    stats.spans[span.entity] += count
                    # Names: see Mapper.substitute. A piece of a row's own value (its phone without
                    # the area code) is no value the output must lack everywhere: its whole is one.
                    if span.entity not in entities.NAME_ENTITIES and not span.whole:
                        self.mapper.originals[span.entity].add(text[span.start : span.end])
            return found  # type: ignore[return-value]

        self.mapper.find_spans = find
        channel = self._channel(column)
        return get_operator("text").replace(cells.distinct, self.mapper.context(channel))

    def _row_names(self, table: TablePlan, batch: Batch) -> _RowNames | None:
        """The name tokens each row of the batch holds in its name columns, the words of its email
        addresses' user parts, and the pieces of its phones and addresses a note may hold alone
        (before replacement)."""
        paths = [
            c.path
            for c in table.columns.values()
            if c.entity in entities.NAME_ENTITIES and c.is_replacing
        ]
        emails = [
            c.path
            for c in table.columns.values()
            if c.entity == entities.EMAIL_ADDRESS and c.is_replacing
        ]
        phones = [
            c.path
            for c in table.columns.values()
            if c.entity == entities.PHONE_NUMBER and c.is_replacing
        ]
        if not (paths or emails or phones):
            return None
        policy = self.rules.policy
        regions = (policy.default_region, tuple(policy.regions))
        return _RowNames(batch, paths, emails, phones, regions)


class _RowNames:
    """The name words each row of a batch holds in its name columns, in all their forms
    (`detect.names.row_name_words`) and run together (`detect.names.handles`: "bobmarley"), with the
    words of its email addresses' user parts that name the holder (`entities.is_handle_word`:
    "wexford" in "zq.wexford77@example.com", for "skype: zq.wexford77"), as they were when it was made
    (before replacement), worked out for a row when first asked for: only rows with free text are.
    `pieces`: the pieces of its phones and addresses a note may hold alone (`_RowPieces`)."""

    def __init__(
        self,
        batch: Batch,
        paths: Sequence[str],
        email_paths: Sequence[str] = (),
        phone_paths: Sequence[str] = (),
        regions: tuple[str, tuple[str, ...]] = ("US", ()),
    ) -> None:
        self._columns = [RowCells(batch, path) for path in paths]
        self._emails = [RowCells(batch, path) for path in email_paths]
        self.pieces = _RowPieces(batch, phone_paths, email_paths, regions)
        # names repeat: each value is split once, into its words' forms and its words
        self._tokens: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._rows: dict[int, frozenset[str]] = {}

    def __getitem__(self, row: int) -> frozenset[str]:
        names = self._rows.get(row)
        if names is None:
            found: list[str] = []
            words: list[str] = []
            for column in self._columns:
                for value in column[row]:
                    if isinstance(value, str) and value:
                        split = self._tokens.get(value)
                        if split is None:
                            split = self._tokens[value] = (
                                tuple(row_name_words(value)),
                                tuple(name_tokens(value)),
                            )
                        found.extend(split[0])
                        words.extend(split[1])
            if words:
                found.extend(handles(words))
            for column in self._emails:
                for value in column[row]:
                    if isinstance(value, str) and "@" in value:
                        found.extend(_handle_words(value))
            names = self._rows[row] = frozenset(found)
        return names


class _RowPieces:
    """The pieces of a batch's rows' phones and addresses a note may hold alone (`detect.parts`:
    "555-0143" of (212) 555-0143, "zq1985" of zq1985@example.org), as they were before replacement,
    read a column at a time when a free-text column first asks for them."""

    def __init__(
        self,
        batch: Batch,
        phone_paths: Sequence[str],
        email_paths: Sequence[str],
        regions: tuple[str, tuple[str, ...]],
    ) -> None:
        self._batch, self._regions = batch, regions
        self._phone_paths, self._email_paths = phone_paths, email_paths
        self._sources: list[parts.PieceSource] | None = None

    def entries(self, cells: _Cells) -> dict[int, set[str]]:
        """For each distinct text of a free-text column that may hold a piece of a row holding it, the
        entries (`detect.parts.held`) to give the scanner with it."""
        if not (self._phone_paths or self._email_paths) or not cells.distinct:
            return {}
        if self._sources is None:
            self._sources = self._read()
        rows = cells.rows[cells.present.to_numpy()]
        return parts.held(cells.distinct, cells.codes, rows, self._sources, self._regions)

    def _read(self) -> list[parts.PieceSource]:
        sources = []
        for path in self._phone_paths:
            values, rows = self._batch.cells(path)
            texts = _as_text(values, numbers=True)
            sources.append(parts.PieceSource(parts.PHONE_PART, texts, rows))
        for path in self._email_paths:
            values, rows = self._batch.cells(path)
            texts = _as_text(values, numbers=False)
            sources.append(parts.PieceSource(parts.EMAIL_PART, texts, rows))
        return sources


# Operators that read a cell as their entity, and leave a cell they cannot read as it was.
_READING = frozenset({"phone", "email"})


def _is_placeholder(text: str, names: NameFinder) -> bool:
    """A cell that holds no personal data: no word of two letters or more ("N/A", "-"), or only
    ordinary English words that are no listed names ("unknown", "ask customer", "not given")."""
    words = [entities.bare(w.casefold()) for w in WORD.findall(text) if len(w) > 1]
    return all(
        entities.is_ordinary_word(w) and w not in names.first and w not in names.last for w in words
    )


def _as_text(values: pd.Series, *, numbers: bool) -> pa.Array:
    """A phone or email column's cells as one Arrow text array: strings as they are, integers and whole
    floats (`numbers`) as their digits, anything else null. (A column read from a file may be Arrow
    in several chunks: a batch read across the reader's blocks.)"""
    if pd.api.types.infer_dtype(values, skipna=True) in {"string", "empty"}:
        array = pa.array(values, type=pa.large_string(), from_pandas=True)
        return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    return pa.array(
        [
            v
            if isinstance(v, str)
            else str(v)
            if numbers and isinstance(v, int) and not isinstance(v, bool)
            else cell_text(v)
            if numbers and is_whole_float(v)
            else None
            for v in values.tolist()
        ],
        type=pa.large_string(),
    )


def _handle_words(address: str) -> list[str]:
    """The words of an address's user part that name its holder ("wexford" in "zq.wexford77@...")."""
    user = address.strip().rpartition("@")[0]
    if user.isascii():  # most addresses: their letter runs, split in C
        runs = ascii_letter_runs(user)
        return [w for r in runs if len(r) > 3 and entities.is_handle_word(w := r.decode())]
    # As the name finder folds a note that is not ASCII: without accents ("müller" reads "muller").
    words = (entities.bare(m).casefold() for m in WORD.findall(user))
    return [w for w in words if entities.is_handle_word(w)]


@dataclass
class Prepared:
    """A pass-2 batch with its row names, its first free-text column (with the names of each text's
    rows) and that column's started scan."""

    batch: Batch
    row_names: _RowNames | None
    early: _Cells | None
    names: list[frozenset[str]]  # for each of early's distinct texts (`_names_of`)
    scan: PendingScan | None

    def cancel(self) -> None:
        """Stop the scan's workers (nothing happens once its result is in)."""
        if self.scan is not None:
            self.scan.cancel()


class _ReadAhead:
    """A table's pass-2 batches, each loaded while the batch before it waits for its scans and started as
    soon as those are collected, so the workers scan the next batch while this process finishes the
    current one."""

    def __init__(self, engine: Engine, table: TablePlan, batches: Iterator[Batch]) -> None:
        self._engine, self._table, self._batches = engine, table, batches
        self._next: Prepared | None = None
        self._read = self._started = False

    def __enter__(self) -> _ReadAhead:
        return self

    def __exit__(self, *_: object) -> None:
        if self._next is not None:  # a failed run: the next batch's scan must not go on
            self._next.cancel()

    def __iter__(self) -> Iterator[Prepared]:
        self.advance()
        while self._next is not None:
            current, self._next = self._next, None
            self._read = self._started = False
            yield current
            self.advance()

    def load(self) -> None:
        """Read and load the next batch (once per batch: later calls do nothing)."""
        if self._read:
            return
        self._read = True
        batch = next(self._batches, None)
        self._next = None if batch is None else self._engine.load(self._table, batch)

    def advance(self) -> None:
        """Load the next batch if needed and start its scan (once per batch)."""
        self.load()
        if self._next is not None and not self._started:
            self._started = True
            self._engine.start(self._next)


@dataclass
class _Cells:
    """A column of a batch as pass 2 works on it: present cells, their distinct values and codes."""

    path: str
    values: pd.Series
    rows: np.ndarray  # row within the batch of each cell
    present: pd.Series  # cells holding a value worth replacing
    codes: np.ndarray  # for each present cell, the index of its value in `distinct`
    distinct: list[str]  # in order of first appearance

    @classmethod
    def of(cls, batch: Batch, path: str) -> _Cells:
        values, rows = batch.cells(path)
        return cls(path, values, rows, *_factorized(values))


def _is_number_text(value: object) -> bool:
    return isinstance(value, str) and value.isdigit() and value.isascii() and value[:1] != "0"


# Digits a float holds exactly, whatever they are (2**53 has sixteen).
_FLOAT_DIGITS = 15


def _is_float_text(value: object) -> bool:
    """A replacement a float holds exactly: a whole number of at most fifteen digits, no leading 0."""
    return _is_number_text(value) and len(value) <= _FLOAT_DIGITS  # type: ignore[arg-type]


def _numbers_kept(values: pd.Series, out: np.ndarray, is_records: bool) -> pd.Series:
    """The replaced cells, integers again where the input held integers and the replacement is one: a
    phone 2125550187 in JSON or Parquet becomes 2125550116, not the text "2125550116".

    A float column (a column of phone numbers with a null, as pandas writes it) stays float where every
    replacement is a whole number a float holds exactly (2125550187.0 becomes 2125550116.0); otherwise
    it becomes text, its whole numbers written as their digits ("[REDACTED]" beside "2125550116"), so
    that the file can still be read as one type a column. In JSON a float becomes the same float or
    text, cell by cell."""
    series = pd.Series(out, dtype=object)
    if pd.api.types.is_integer_dtype(values.dtype):
        missing = pd.isna(values).to_numpy()
        if all(isinstance(v, int | np.integer) or _is_number_text(v) for v in out[~missing]):
            numbers = [pd.NA if gap else int(v) for v, gap in zip(out, missing, strict=True)]
            return pd.Series(pd.array(numbers, dtype="Int64")).astype(values.dtype)
        return series
    if pd.api.types.is_float_dtype(values.dtype):
        missing = pd.isna(values).to_numpy()
        new = [v for v in out[~missing] if isinstance(v, str)]
        if all(_is_float_text(v) for v in new):
            return pd.Series(
                [np.nan if gap else float(v) for v, gap in zip(out, missing, strict=True)],
                dtype=values.dtype,
            )
        return pd.Series(
            [None if gap else cell_text(v) for v, gap in zip(out, missing, strict=True)],
            dtype=object,
        )
    if is_records:
        for index, (old, new) in enumerate(zip(values.tolist(), out.tolist(), strict=True)):
            if type(old) is int and _is_number_text(new):
                series.iat[index] = int(new)
            elif type(old) is float and is_whole_float(old) and _is_float_text(new):
                series.iat[index] = float(new)
    return series


def _row_of(batch: Batch, cells: _Cells, distinct_index: int | None) -> int | None:
    """The 1-based data row of the first cell holding the column's `distinct_index`th distinct value."""
    if distinct_index is None:
        return None
    first = np.flatnonzero(cells.codes == distinct_index)
    if not len(first):
        return None
    cell = np.flatnonzero(cells.present.to_numpy())[first[0]]
    return batch.start_row + int(cells.rows[cell]) + 1


def _names_of(
    cells: _Cells, row_names: _RowNames | None, *, with_pieces: bool = False
) -> list[frozenset[str]]:
    """For each distinct text, the name words of the rows that hold it (a name there is a name here);
    `with_pieces`, also the pieces of their phones and addresses the text may hold (`_RowPieces`)."""
    if row_names is None:
        return [frozenset()] * len(cells.distinct)
    rows = cells.rows[cells.present.to_numpy()]
    # Most texts are held by one row: theirs are that row's names, as they are.
    a_cell = np.zeros(len(cells.distinct), dtype=np.intp)
    a_cell[cells.codes] = np.arange(len(cells.codes))
    out = [row_names[row] for row in rows[a_cell].tolist()]
    repeated = np.bincount(cells.codes, minlength=len(cells.distinct)) > 1
    if repeated.any():
        merged: dict[int, set[str]] = {int(code): set() for code in np.flatnonzero(repeated)}
        for code, row in zip(cells.codes.tolist(), rows.tolist(), strict=True):
            names = merged.get(code)
            if names is not None:
                names.update(row_names[row])
        for code, names in merged.items():
            out[code] = frozenset(names)
    if with_pieces:
        for code, entries in row_names.pieces.entries(cells).items():
            out[code] = parts.attached(out[code], entries)
    return out


def _ner(model: str) -> Callable[[list[str]], list[list[NameSpan]]]:
    nlp = load_spacy(model)

    def run(texts: list[str]) -> list[list[NameSpan]]:
        out: list[list[NameSpan]] = []
        for doc in nlp.pipe(texts, batch_size=256):
            spans = []
            for ent in doc.ents:
                if ent.label_ == "PERSON":
                    words = [(t.idx, t.idx + len(t.text)) for t in ent if t.is_alpha]
                    if words:
                        kinds = [
                            FIRST if i < len(words) - 1 or len(words) == 1 else LAST
                            for i in range(len(words))
                        ]
                        spans.append(
                            NameSpan(words[0][0], words[-1][1], 0.85, tuple(kinds), tuple(words))
                        )
            out.append(spans)
        return out

    return run


def _pooled(rules: RuleSet, tables: list[TablePlan]) -> set[str]:
    """Entities replaced from a public pool (fake names, cities...): equal values may be coincidences."""
    pooled = {entity for entity, rule in rules.entities.items() if rule.operator == "fake"}
    pooled.update(
        c.entity for t in tables for c in t.columns.values() if c.operator == "fake" and c.entity
    )
    return pooled


def run_scrub(
    sources: Sequence[TableSource],
    rules: RuleSet,
    keyring: Keyring,
    out_dir: Path,
    *,
    output_format: Format | None = None,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
    workers: int = 1,
    unique: dict[str, set[str]] | None = None,
    extra_originals: dict[str, set[str]] | None = None,
) -> Scrubbed:
    """Plan, collect, replace and stage every table; verify the staged outputs. Nothing is published here."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    own_pages_for_large_blocks()  # before any worker is forked (see sanitizer.memory)
    engine = Engine(rules, keyring, batch_rows=batch_rows, progress=progress, workers=workers)
    for entity, values in (extra_originals or {}).items():
        engine.mapper.remember(
            entity, values
        )  # e.g. phones written into flows: replacements avoid them
    tables = [
        TablePlan(source, unique=frozenset((unique or {}).get(source.name, ())))
        for source in sources
    ]
    # The staging folder comes first: an output folder that cannot be written stops the run before
    # the inputs are read.
    staging = Staging(out_dir)
    staged: dict[str, Path] = {}
    formats: dict[str, Format] = {}
    verify_tables: list[VerifyTable] = []
    try:
        engine.collect(tables)
        timings["detect_s"] = time.perf_counter() - started
        mark = time.perf_counter()
        # Pass 1 built the run's long-lived state: later garbage collections skip it, and the workers
        # that scan the notes are forked once, now, with it.
        with settled(), engine.scanner.scans_forked_once(workers):
            for table in tables:
                fmt: Format = output_format or table.source.format
                formats[table.name] = fmt
                path = staging.path_for(table.source, fmt)
                with (
                    TableWriter(table.source, path, fmt) as writer,
                    _ReadAhead(engine, table, table.source.batches(batch_rows)) as ahead,
                ):
                    done = 0
                    for prepared in ahead:
                        engine.transform(table, prepared, ahead)
                        writer.write(prepared.batch)
                        done += prepared.batch.num_rows
                        if progress:
                            progress("scrub", table.name, done)
                staged[table.name] = path
                verify_tables.append(
                    VerifyTable(
                        name=table.name,
                        source=table.source,
                        output=path,
                        columns={
                            c.path: ColumnCheck(c.entity, c.operator, c.is_verified)
                            for c in table.columns.values()
                        },
                    )
                )
        timings["scrub_s"] = time.perf_counter() - mark
    except BaseException:
        staging.discard()
        raise
    finally:
        # The mapper outlives the run (the pipeline reuses it); the engine's scanner and name indexes
        # must not, so the verifier that comes next has their memory.
        engine.mapper.find_spans = None
    return Scrubbed(
        tables=tables,
        stats=dict(engine.stats),
        rows=engine.rows,
        staging=staging,
        staged=staged,
        formats=formats,
        verify_tables=verify_tables,
        originals=Originals(
            engine.mapper.originals,
            pooled=_pooled(rules, tables),
            full_names=string_keys(engine.mapper.full_names),
        ),
        timings=timings,
        mapper=engine.mapper,
    )


__all__ = ["Engine", "Scrubbed", "run_scrub"]
