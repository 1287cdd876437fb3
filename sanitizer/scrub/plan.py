"""Deciding, for every column of every table, which entity it holds and which operator replaces it."""

from __future__ import annotations

import fnmatch
import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from sanitizer.detect import NameFinder, TextScanner
from sanitizer.entities import phone_key
from sanitizer.errors import InputError, PatternTimeoutError, RulesError, UnknownColumnsError
from sanitizer.operators import get_operator
from sanitizer.operators.base import OperatorParams
from sanitizer.report.model import NAME_SHAPE, Detection, RuleRef
from sanitizer.rules import PersonaRule, RuleSet
from sanitizer.tables import RecordsBatch, cell_text

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

    from sanitizer.detect.evidence import ColumnEvidence
    from sanitizer.ranges import SafeRanges
    from sanitizer.tables import Batch, TableSource

log = logging.getLogger(__name__)


@dataclass
class ColumnPlan:
    """What happens to one column, and why."""

    path: str
    entity: str | None
    operator: str
    params: OperatorParams
    rule: RuleRef
    detection: Detection | None = None
    is_verified: bool = True
    # Replacements must stay distinct in this column (a data-table key): the shared replacement of each
    # value, re-drawn only where two values' replacements collide.
    is_unique: bool = False

    @property
    def is_replacing(self) -> bool:
        """Whether the column's values are replaced (not kept, not dropped)."""
        return self.operator not in {"keep", "drop"}

    @property
    def is_text(self) -> bool:
        return self.operator == "text"


@dataclass
class TablePlan:
    source: TableSource
    columns: dict[str, ColumnPlan] = field(default_factory=dict)
    persona: PersonaRule | None = None
    unique: frozenset[str] = (
        frozenset()
    )  # columns whose replacements must stay distinct (data-table keys)
    # Where each column first shows, for an error that must not name it: "column 3", "record 12".
    places: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.source.name


@dataclass
class Planner:
    """Resolves rules per column and classifies the columns no rule covers (policy `detect`)."""

    rules: RuleSet
    ranges: SafeRanges
    names: NameFinder
    scanner: TextScanner
    unknown: list[tuple[str, str]] = field(default_factory=list)

    @cached_property
    def analyzer(self) -> AnalyzerEngine:
        # Built only when a column needs content detection: it costs about a second.
        from sanitizer.detect.columns import build_analyzer

        return build_analyzer(self.rules, self.names)

    def plan(self, table: TablePlan, batch: Batch) -> None:
        """Plan every column of `batch` not planned yet (nested paths may first appear in a later batch)."""
        for index, path in enumerate(batch.paths(), start=1):
            if path in table.columns:
                continue
            if path not in table.places:
                table.places[path] = (
                    f"record {batch.start_row + batch.first_row(path) + 1}"
                    if isinstance(batch, RecordsBatch)
                    else f"column {index}"
                )
            try:
                decided = self.decide(table.name, path, batch)
            except PatternTimeoutError as exc:  # on a sampled value
                row = _row_of_text(batch, path, exc.text_index)
                place = f"table {table.name}, column {path}" + (f", row {row}" if row else "")
                raise exc.at(place) from exc
            if decided is not None:
                if "unique" in type(decided.params).model_fields and (
                    path in table.unique or getattr(decided.params, "unique", False)
                ):
                    decided.is_unique = True
                    decided.params = decided.params.model_copy(update={"unique": False})
                table.columns[path] = decided

    def decide(self, table: str, path: str, batch: Batch) -> ColumnPlan | None:
        resolved = self.rules.resolve(table, path)
        if resolved is not None:
            detection = Detection(method="header", entity=resolved.entity)
            if resolved.entity and resolved.operator not in {"keep", "drop", "text"}:
                detection = self._corroborate(path, resolved.entity, batch) or detection
            rule = RuleRef(
                kind=resolved.kind,
                source=resolved.source,
                match=resolved.match,
                reason=resolved.reason,
            )
            if resolved.operator == "text" and (names := self._names_alone(path, batch, rule)):
                return names
            return ColumnPlan(
                path=path,
                entity=resolved.entity,
                operator=resolved.operator,
                params=resolved.params,
                rule=rule,
                detection=detection,
                is_verified=resolved.is_verified,
            )
        if self.rules.policy.unknown_columns == "fail":
            if (table, path) not in self.unknown:  # each batch asks again; name a column once
                self.unknown.append((table, path))
            return None
        return self._detect(table, path, batch)

    def _corroborate(self, path: str, entity: str, batch: Batch) -> Detection | None:
        """A rule's entity checked against a sample of the column: does the content bear it out?"""
        from sanitizer.detect.evidence import corroborate

        evidence = corroborate(path, _texts(batch, path), entity, self.scanner, self.rules)
        if evidence is None or not evidence.sample_size:
            return None
        return _detection("header+sample", evidence)  # its entity is the rule's

    def _names_alone(self, path: str, batch: Batch, rule: RuleRef) -> ColumnPlan | None:
        """A free-text rule over a column of names standing alone ("Zed", "Grace Hopper"): the scanner
        finds a name in prose by its context and would pass them through, unknown to the verifier.
        Such a column is replaced as names (and its originals searched), the rule's place kept."""
        from sanitizer.detect.evidence import names_alone

        evidence = names_alone(path, _texts(batch, path), self.scanner, self.rules)
        if evidence is None or evidence.entity is None:
            return None
        why = (
            f"free-text rule over names standing alone ({evidence.matched} of "
            f"{evidence.sample_size} sampled with a listed name word): replaced as {evidence.entity}"
        )
        return self._by_default(
            path,
            evidence.entity,
            rule.model_copy(
                update={"reason": f"{why}; the rule: {rule.reason}" if rule.reason else why}
            ),
            _detection("header+sample", evidence),
        )

    def _by_default(
        self, path: str, entity: str, rule: RuleRef, detection: Detection
    ) -> ColumnPlan:
        """A column of `entity`, replaced by the rules' operator for that entity."""
        default = self.rules.operator_for(entity)
        return ColumnPlan(
            path=path,
            entity=entity,
            operator=default.operator,
            params=get_operator(default.operator).Params.model_validate(default.params),
            rule=rule,
            detection=detection,
        )

    def _detect(self, table: str, path: str, batch: Batch) -> ColumnPlan:
        is_text = batch.is_text(path)
        from sanitizer.detect.columns import classify

        evidence = classify(path, _texts(batch, path), self.analyzer, self.scanner, self.rules)
        detection = _detection("sample", evidence)
        if evidence.entity is not None and not evidence.is_free_text:
            reason = f"no rule; {evidence.entity} in most sampled values"
            if NAME_SHAPE in evidence.recognizers:
                reason = (
                    f"no rule; sampled values written as names, {evidence.matched} of "
                    f"{evidence.sample_size} with a listed name word"
                )
            return self._by_default(
                path, evidence.entity, RuleRef(kind="detected", reason=reason), detection
            )
        if not is_text and evidence.entity is None:
            detection.method = "type"
            return ColumnPlan(
                path=path,
                entity=None,
                operator="keep",
                params=get_operator("keep").Params(),
                rule=RuleRef(
                    kind="type", reason="no rule; non-text values and no PII in the sample"
                ),
                detection=detection,
            )
        reason = (
            "no rule; PII spans in sampled values, every value scanned"
            if evidence.entity
            else "no rule; no PII in the sample, every value scanned anyway (fail-closed)"
        )
        return ColumnPlan(
            path=path,
            entity=evidence.entity,
            operator="text",
            params=get_operator("text").Params(),
            rule=RuleRef(kind="detected", reason=reason),
            detection=detection,
        )

    def refuse_data_in_keys(self, tables: list[TablePlan]) -> None:
        """Fail when a column is named by the run's own data: a key or header that is one of the run's
        phone numbers (`{"2125550143": "home"}`), or a word of its name columns or a handle of one
        (`{"Vashchenko": "self"}`, a header `lvashchenko`). It would be kept in the output and shown in
        the report. Emails and full names are refused as a file is read (`tables.pii_in_name`); these
        can be told only once pass 1 has read the name and phone columns. A field a rule names is a
        field name: a table rule's or a source's column whole, a pattern rule's last key."""
        for table in tables:
            paths = [*table.columns, *(p for t, p in self.unknown if t == table.name)]
            for path in paths:
                column = table.columns.get(path)
                kind = column.rule.kind if column is not None else "detected"
                if kind in {"table", "definition"}:
                    continue
                keys = _KEY_PARTS.split(path)
                if kind == "pattern":
                    keys.pop()
                what = next(filter(None, map(self._run_data_in, keys)), None)
                if what:
                    raise InputError(
                        f"{table.source.path}: {table.places.get(path, 'a column')}: a field name "
                        f"holds {what}: a column name or key must not hold personal data (it would "
                        "be kept in the output and shown in the report); rename it"
                    )

    def _run_data_in(self, key: str) -> str | None:
        """What of the run's personal data a key spells (None for a field name)."""
        if (
            _PHONE_KEY.fullmatch(key)
            and sum(c.isdigit() for c in key) >= _PHONE_KEY_DIGITS
            and phone_key(key) in self.scanner.known_phones
        ):
            return "a phone number (one of the run's)"
        if self.names.is_run_name(key):
            return "a person's name (a word of the run's name columns)"
        return None

    def finish(self, tables: list[TablePlan]) -> None:
        """Fail on unknown columns (policy fail) and on table rules that name absent columns.

        A table without rows whose columns nothing tells (an org without external contacts) has no
        column a rule could miss, and no rows a persona would name.
        """
        if self.unknown:
            raise UnknownColumnsError(self.unknown)
        self._warn_of_absent_tables(tables)
        for glob, column, source in self.rules.table_columns():
            matched = [t for t in tables if fnmatch.fnmatchcase(t.name, glob)]
            if matched and not any(column in t.columns or not t.columns for t in matched):
                names = ", ".join(t.name for t in matched[:3])
                raise RulesError(
                    f"{source}: tables.{glob}.columns: the rule names column {column!r}, "
                    f"which table {names} does not have"
                )
        for table in tables:
            for glob, persona in self.rules.personas.items():
                if fnmatch.fnmatchcase(table.name, glob) and table.columns:
                    missing = [
                        c
                        for c in (persona.first_name, persona.last_name, persona.email)
                        if c not in table.columns
                    ]
                    if missing:
                        raise RulesError(
                            f"tables.{glob}.persona: column {missing[0]!r} is not in table {table.name}"
                        )
                    table.persona = persona

    def _warn_of_absent_tables(self, tables: list[TablePlan]) -> None:
        """A table rule no table of the run matches is most often a misspelt name (`contactz`):
        its columns then fall to patterns and detection. A warning, not an error: one rules file
        serves runs of a few of its tables, and a refresh's objects come and go in production
        (under policy `fail`, a misspelt table's columns without a pattern stop the run anyway)."""
        names = [t.name for t in tables]
        for glob, where in self.rules.table_sources.items():
            if not any(fnmatch.fnmatchcase(name, glob) for name in names):
                shown = ", ".join(names[:10]) + (
                    f" and {len(names) - 10} more" if len(names) > 10 else ""
                )
                log.warning(
                    "%s: tables.%s: no table of this run matches this rule; the tables are: %s",
                    where,
                    glob,
                    shown or "none",
                    extra={"rule_table": glob},
                )


_KEY_PARTS = re.compile(r"\.|\[\]\.?")  # the keys of a leaf path: "contacts.Vashchenko", "l[].x"
_PHONE_KEY = re.compile(r"\+?[\d\s().\-/]+")
_PHONE_KEY_DIGITS = 7  # as the run's phone keys are learned


def _detection(method: str, evidence: ColumnEvidence) -> Detection:
    """What a column's sample showed, as the report records it."""
    return Detection(
        method=method,
        entity=evidence.entity,
        confidence=evidence.confidence,
        sample_size=evidence.sample_size,
        matched=evidence.matched,
        scores=evidence.scores,
        recognizers=evidence.recognizers,
    )


def _row_of_text(batch: Batch, path: str, index: int | None) -> int | None:
    """The 1-based data row of the `index`th of a column's values as `_texts` lists them."""
    if index is None:
        return None
    held = _held(batch, path)
    return batch.start_row + held[index][1] + 1 if index < len(held) else None


def _texts(batch: Batch, path: str) -> list[str]:
    """A column's non-null values as text (a whole number held as a float as its digits)."""
    return [value if type(value) is str else cell_text(value) for value, _row in _held(batch, path)]


def _held(batch: Batch, path: str) -> list[tuple[object, int]]:
    """A column's non-null values, each with its row in the batch."""
    values, rows = batch.cells(path)
    return [
        (value, row)
        for value, row in zip(values.tolist(), rows.tolist(), strict=True)
        if value is not None and not (isinstance(value, float) and pd.isna(value))
    ]
