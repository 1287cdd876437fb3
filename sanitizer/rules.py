"""Rules: which entity each column holds and which operator replaces it, validated early.

A rules file (YAML) has these top-level keys, all optional:

    version: 1
    extends: [default, genesys]     # shipped rule files (or relative paths) loaded before this one
    policy:   {unknown_columns: detect|fail, sample_size, column_share, min_score, regions, default_region, locale,
               regex_timeout}
    nlp:      {model: en_core_web_lg}   # an installed spaCy pipeline (name or path); none by default
    entities: {EMAIL_ADDRESS: {operator: email, params: {...}}, ...}   # default operator per entity
    columns:  [{match: '<regex>', tables: '<glob>', entity: ..., operator: ..., params: ..., reason: ...}]
    tables:   {<table glob>: {columns: {<column or path>: {entity, operator, params, reason}}, persona: {...}}}
    recognizers: [Presidio-style recognizers: name, supported_entity, patterns, context, deny_list, ...]
    safe_ranges: <path to a safe-ranges file>

Later files override earlier ones; within the merged set a table rule beats a column pattern, and
patterns are tried in order (the latest file's first). See docs/rules.md.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sanitizer import entities
from sanitizer.entities import bare
from sanitizer.errors import RulesError
from sanitizer.operators import OPERATOR_NAMES, get_operator
from sanitizer.operators.base import OperatorParams
from sanitizer.patterns import DEFAULT_TIMEOUT, BoundedPattern, catastrophic_input, compile_pattern
from sanitizer.shipped import rules_dir
from sanitizer.yamlfile import KeyPath, YamlDocument, format_path, read_yaml

if TYPE_CHECKING:
    from sanitizer.ranges import SafeRanges

SAFE_RANGES_FILE = "safe-ranges.yaml"
# How `sanitize scan --suggest-rules` marks a proposed `keep` that a person must confirm.
REVIEW_PREFIX = "REVIEW:"


def unvouched_keep(reason: str | None) -> str | None:
    """Why a `keep` with this reason is vouched for by nobody ("states no reason", or "is still marked
    REVIEW:", the proposal `sanitize scan --suggest-rules` writes); None when a person gave one."""
    if not (reason or "").strip():
        return "states no reason"
    if reason is not None and reason.lstrip().upper().startswith(REVIEW_PREFIX):
        return f"is still marked {REVIEW_PREFIX}"
    return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyConfig(_Strict):
    unknown_columns: Literal["detect", "fail"] = "detect"
    sample_size: int = Field(200, ge=1, le=100_000)
    column_share: float = Field(
        0.6, gt=0, le=1, description="Share of sampled values that must be one entity."
    )
    min_score: float = Field(
        0.5, ge=0, le=1, description="Lowest recognizer score accepted in free text."
    )
    regions: list[str] = Field(default_factory=lambda: ["US", "GB", "AU", "CA", "IE", "FR", "DE"])
    default_region: str = "US"
    locale: str = "en_US"
    regex_timeout: float = Field(
        DEFAULT_TIMEOUT,
        gt=0,
        le=3600,
        description="Seconds one recognizer pattern may spend on one value before the run stops.",
    )

    @field_validator("regions", "default_region")
    @classmethod
    def _region_codes(cls, value: Any) -> Any:
        import phonenumbers

        for code in [value] if isinstance(value, str) else value:
            if code not in phonenumbers.SUPPORTED_REGIONS:
                raise ValueError(
                    f"unknown region {code!r}; expected an ISO 3166 code such as US or GB"
                )
        return value


class NlpConfig(_Strict):
    model: str | None = Field(
        None, description="An installed spaCy pipeline (package name or path)."
    )


def _check_regex(value: str) -> str:
    try:
        re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"invalid regex: {exc}") from None
    return value


def _check_recognizer_regex(value: str) -> str:
    try:
        compile_pattern(value)  # with `regex`, as Presidio compiles it
    except regex.error as exc:
        raise ValueError(f"invalid regex: {exc}") from None
    return value


def _check_operator(operator: str | None) -> str | None:
    if operator is not None and operator not in OPERATOR_NAMES:
        raise ValueError(
            f"unknown operator {operator!r}; expected one of: {', '.join(OPERATOR_NAMES)}"
        )
    return operator


class EntityRule(_Strict):
    operator: str
    params: dict[str, Any] = Field(default_factory=dict)

    _operator = field_validator("operator")(_check_operator)


class ColumnRule(_Strict):
    entity: str | None = None
    operator: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None
    verify: bool = Field(
        True, description="False exempts the column from the unsafe email/phone scan."
    )

    _operator = field_validator("operator")(_check_operator)

    @model_validator(mode="after")
    def _entity_or_operator(self) -> ColumnRule:
        if self.entity is None and self.operator is None:
            raise ValueError("a column rule needs `entity`, `operator`, or both")
        return self


class PatternRule(ColumnRule):
    match: str = Field(
        description="Case-insensitive regex searched in the column name or nested path."
    )
    tables: str = Field("*", description="Glob of the table names this pattern applies to.")

    _regex = field_validator("match")(_check_regex)


class PersonaRule(_Strict):
    first_name: str
    last_name: str
    email: str


class TableRule(_Strict):
    columns: dict[str, ColumnRule] = Field(default_factory=dict)
    persona: PersonaRule | None = None


class PatternConfig(_Strict):
    name: str
    regex: str
    score: float = Field(ge=0, le=1)

    _regex = field_validator("regex")(_check_recognizer_regex)


class RecognizerRule(_Strict):
    """A custom recognizer in Presidio's YAML recognizer format, plus the operator for its entity."""

    name: str
    supported_entity: str
    supported_language: str = "en"
    patterns: list[PatternConfig] = Field(default_factory=list)
    context: list[str] = Field(default_factory=list)
    deny_list: list[str] = Field(default_factory=list)
    deny_list_score: float = Field(1.0, ge=0, le=1)
    operator: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    _operator = field_validator("operator")(_check_operator)

    @model_validator(mode="after")
    def _has_patterns(self) -> RecognizerRule:
        if not self.patterns and not self.deny_list:
            raise ValueError("a recognizer needs `patterns`, `deny_list`, or both")
        return self


class RulesFileConfig(_Strict):
    version: Literal[1] = 1
    extends: list[str] = Field(default_factory=list)
    policy: PolicyConfig | None = None
    nlp: NlpConfig | None = None
    entities: dict[str, EntityRule] = Field(default_factory=dict)
    columns: list[PatternRule] = Field(default_factory=list)
    tables: dict[str, TableRule] = Field(default_factory=dict)
    recognizers: list[RecognizerRule] = Field(default_factory=list)
    safe_ranges: str | None = None


@dataclass(frozen=True)
class ResolvedRule:
    """The decision for one column: its entity, operator and params, and the rule that made it."""

    entity: str | None
    operator: str
    params: OperatorParams
    kind: Literal["table", "pattern", "definition"]
    source: str
    match: str
    reason: str | None = None
    is_verified: bool = True


@dataclass
class _Located:
    rule: ColumnRule
    source: str
    doc: YamlDocument
    path: KeyPath
    table_glob: str = "*"
    match: str = ""
    regex: re.Pattern[str] | None = None


@dataclass
class RuleSet:
    """All rules of a run, merged from one or more files, with where each rule is written."""

    policy: PolicyConfig = field(default_factory=PolicyConfig)
    nlp: NlpConfig = field(default_factory=NlpConfig)
    entities: dict[str, EntityRule] = field(default_factory=dict)
    recognizers: list[RecognizerRule] = field(default_factory=list)
    personas: dict[str, PersonaRule] = field(default_factory=dict)
    files: list[tuple[str, str]] = field(default_factory=list)  # (shown path, sha256)
    safe_ranges_path: Path | None = None
    # Where each recognizer's patterns are written, by (recognizer, pattern index; -1: its deny list).
    pattern_sources: dict[tuple[str, int], str] = field(default_factory=dict)
    # Where each `tables:` key is written (`file:line`), by table glob: the last file naming it.
    table_sources: dict[str, str] = field(default_factory=dict)
    _patterns: list[_Located] = field(default_factory=list)
    _tables: list[_Located] = field(default_factory=list)
    _derived: list[_Located] = field(default_factory=list)

    @property
    def hash(self) -> str:
        """sha256 over the rules files in load order: two runs with equal hashes used equal rules."""
        digest = hashlib.sha256()
        for shown, sha in self.files:
            digest.update(f"{shown}\0{sha}\n".encode())
        return "sha256:" + digest.hexdigest()

    def operator_for(self, entity: str) -> EntityRule:
        """The default operator of an entity (used for free-text spans and rules without `operator`)."""
        if entity in self.entities:
            return self.entities[entity]
        for recognizer in self.recognizers:
            if recognizer.supported_entity == entity and recognizer.operator:
                return EntityRule(operator=recognizer.operator, params=recognizer.params)
        raise RulesError(
            f"entity {entity} has no default operator; add it under `entities:` in the rules, or start "
            "the file with `extends: [default]` to take the shipped defaults"
        )

    def bounded_patterns(self, recognizer: RecognizerRule) -> list[tuple[BoundedPattern, float]]:
        """A recognizer's patterns, compiled as Presidio compiles them and bounded by
        `policy.regex_timeout`, each with its score."""
        return [
            (
                BoundedPattern.of(
                    p.regex,
                    self.pattern_source(recognizer.name, index),
                    recognizer.name,
                    p.name,
                    self.policy.regex_timeout,
                ),
                p.score,
            )
            for index, p in enumerate(recognizer.patterns)
        ]

    def pattern_source(self, recognizer: str, index: int) -> str:
        """`file:line: key path` of a recognizer's pattern (index -1: its deny list)."""
        return self.pattern_sources.get((recognizer, index), f"recognizer {recognizer!r}")

    def known_entities(self) -> set[str]:
        """Entities with a default operator or a recognizer, plus free text."""
        return {*self.entities, *(r.supported_entity for r in self.recognizers), entities.FREE_TEXT}

    def resolve(self, table: str, column: str) -> ResolvedRule | None:
        """The rule for `table`.`column`: a table rule first, then the first matching pattern (on the
        name as written or without its accents: `Prénom` as `Prenom`, `Straße` stays)."""
        folded = bare(column)
        for located in self._tables:
            if located.match == column and fnmatch.fnmatchcase(table, located.table_glob):
                return self._decide(located, "table")
        for located in self._derived:
            if located.match == column and located.table_glob == table:
                return self._decide(located, "definition")
        for located in self._patterns:
            assert located.regex is not None
            if fnmatch.fnmatchcase(table, located.table_glob) and (
                located.regex.search(column) or (folded != column and located.regex.search(folded))
            ):
                return self._decide(located, "pattern")
        return None

    def derive(self, table: str, column: str, entity: str, source: str) -> None:
        """A rule the source system declares itself (a contact list's phone columns): below written
        table rules, above name patterns."""
        doc = YamlDocument(Path(source), None, {})
        self._derived.append(
            _Located(
                rule=ColumnRule(entity=entity),
                source=source,
                doc=doc,
                path=(),
                table_glob=table,
                match=column,
            )
        )

    def undecided_keeps(self) -> list[tuple[str, str]]:
        """(source, why) of every `keep` rule that states no reason, or still the `REVIEW:` reason
        `sanitize scan --suggest-rules` proposes: columns passed through unchanged that no person has
        vouched for (the report lists them for review)."""
        return sorted(
            (located.source, f"keep that {why}")
            for located in self._patterns + self._tables
            if located.rule.operator == "keep" and (why := unvouched_keep(located.rule.reason))
        )

    def table_columns(self) -> list[tuple[str, str, str]]:
        """(table glob, column, source) of every table rule, to report rules naming absent columns."""
        return [(loc.table_glob, loc.match, loc.source) for loc in self._tables]

    def safe_ranges_file(self) -> Path:
        """The safe-ranges file in force (the shipped one unless the rules name another)."""
        return self.safe_ranges_path or rules_dir() / SAFE_RANGES_FILE

    def safe_ranges(self) -> SafeRanges:
        """The safe phone ranges and email domains for outputs (the shipped ones unless overridden)."""
        from sanitizer.ranges import default_safe_ranges, read_safe_ranges

        return (
            read_safe_ranges(self.safe_ranges_path)
            if self.safe_ranges_path
            else default_safe_ranges()
        )

    def _decide(
        self, located: _Located, kind: Literal["table", "pattern", "definition"]
    ) -> ResolvedRule:
        rule = located.rule
        entity = rule.entity
        operator, params = rule.operator, rule.params
        if operator == "text" or (entity == entities.FREE_TEXT and operator is None):
            entity, operator = entities.FREE_TEXT, "text"
        if entity is not None and entity not in self.known_entities():
            known = ", ".join(sorted(self.known_entities()))
            raise located.doc.error(
                (*located.path, "entity"), f"unknown entity {entity!r}; known: {known}", RulesError
            )
        if operator is None:
            assert entity is not None
            default = self.operator_for(entity)
            operator, params = default.operator, {**default.params, **params}
        return ResolvedRule(
            entity=entity,
            operator=operator,
            params=_validate_params(operator, params, located.doc, (*located.path, "params")),
            kind=kind,
            source=located.source,
            match=located.match,
            reason=rule.reason,
            is_verified=rule.verify,
        )


def _validate_params(
    operator: str, params: dict[str, Any], doc: YamlDocument, path: KeyPath
) -> OperatorParams:
    model = get_operator(operator).Params
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        key = (*path, *first["loc"])
        raise doc.error(key, f"{first['msg']} (operator {operator})", RulesError) from None


def shown_path(path: Path) -> str:
    """Shipped files show as rules/<name>; others relative to the working directory when possible."""
    resolved = path.resolve()
    shipped = rules_dir().resolve()
    if resolved.is_relative_to(shipped):
        return "rules/" + resolved.relative_to(shipped).as_posix()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _files_in(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(
            p
            for p in path.iterdir()
            if p.suffix in {".yaml", ".yml"} and p.name != SAFE_RANGES_FILE
        )
        if not files:
            raise RulesError(f"{path}: no rules files (*.yaml) in this folder")
        return files
    if not path.exists():
        raise RulesError(f"{path}: rules file not found")
    return [path]


def _extended(name: str, base: Path) -> Path:
    shipped = rules_dir() / f"{name}.yaml"
    if "/" not in name and not name.endswith((".yaml", ".yml")) and shipped.exists():
        return shipped
    return (base.parent / name).resolve()


def read_rules(path: Path | None = None) -> RuleSet:
    """Load and merge rules from a file or folder (the shipped rules when `path` is None)."""
    rules = RuleSet()
    loaded: list[Path] = []
    start = _files_in(path if path is not None else rules_dir())
    for file in start:
        _load(file, rules, loaded, chain=())
    for located_rule in rules.recognizers:
        entity = located_rule.supported_entity
        if located_rule.operator is None and entity not in rules.entities:
            raise RulesError(
                f"recognizer {located_rule.name!r}: entity {entity} has no operator; give the recognizer "
                f"`operator:` or add {entity} under `entities:`"
            )
    _refuse_catastrophic(rules)
    # Resolve every rule once now so that a bad entity, operator or params fails at load, not mid-run.
    for located in rules._patterns + rules._tables:
        rules._decide(located, "pattern")
    folder = (
        path if path is not None and path.is_dir() else (None if path is not None else rules_dir())
    )
    if (
        rules.safe_ranges_path is None
        and folder is not None
        and (folder / SAFE_RANGES_FILE).exists()
    ):
        rules.safe_ranges_path = folder / SAFE_RANGES_FILE
    return rules


def check_rules(path: Path | None = None) -> tuple[RuleSet | None, list[RulesError]]:
    """What `sanitize rules check` reports: the merged rules, or every broken file of a folder (one
    error each, where reading stops at the first); the checks across files come once each file reads."""
    start = _files_in(path if path is not None else rules_dir())
    problems: list[RulesError] = []
    if len(start) > 1:
        for file in start:
            try:
                _load(file, RuleSet(), [], chain=())
            except RulesError as exc:
                if str(exc) not in {str(p) for p in problems}:  # two files extending a broken one
                    problems.append(exc)
    if problems:
        return None, problems
    return read_rules(path), []


def _refuse_catastrophic(rules: RuleSet) -> None:
    """Refuse a recognizer pattern that runs past the time budget on a thousand characters of its own
    repeated parts: the nightly job would stop on the first note like that (see sanitizer.patterns)."""
    timeout = rules.policy.regex_timeout
    for recognizer in rules.recognizers:
        for index, pattern in enumerate(recognizer.patterns):
            described = catastrophic_input(pattern.regex, timeout)
            if described is not None:
                raise RulesError(
                    f"{rules.pattern_source(recognizer.name, index)}.regex: pattern {pattern.name!r} "
                    f"backtracks catastrophically: it ran longer than policy.regex_timeout "
                    f"({timeout:g} s) on {described}, and a run would stop on the first value "
                    "like that",
                    hint="rewrite it so that no repeat holds another repeat or alternatives that "
                    "match the same text: (a|aa)+ as a+, (\\w+\\s?)+ as [\\w\\s]+",
                )


def _load(file: Path, rules: RuleSet, loaded: list[Path], chain: tuple[Path, ...]) -> None:
    file = file.resolve()
    if file in chain:
        raise RulesError(f"{shown_path(file)}: `extends` forms a cycle")
    if file in loaded:
        return
    doc = read_yaml(file, RulesError)
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        raise RulesError(f"{shown_path(file)}:1: expected a mapping of rules keys at the top level")
    doc.path = Path(shown_path(file))
    config = doc.validate(RulesFileConfig, RulesError)
    for index, name in enumerate(config.extends):
        target = _extended(name, file)
        if not target.exists():
            raise doc.error(
                ("extends", index), f"no shipped rules named {name!r} and no such file", RulesError
            )
        if target.resolve() in (*chain, file):
            raise doc.error(("extends", index), f"{name!r}: `extends` forms a cycle", RulesError)
        _load(target, rules, loaded, (*chain, file))
    loaded.append(file)
    rules.files.append((str(doc.path), hashlib.sha256(file.read_bytes()).hexdigest()))
    _merge(config, doc, rules, file)


def _merge(config: RulesFileConfig, doc: YamlDocument, rules: RuleSet, file: Path) -> None:
    if config.policy is not None:
        rules.policy = rules.policy.model_copy(
            update=config.policy.model_dump(include=config.policy.model_fields_set)
        )
    if config.nlp is not None:
        rules.nlp = config.nlp
    for entity, rule in config.entities.items():
        _validate_params(rule.operator, rule.params, doc, ("entities", entity, "params"))
        rules.entities[entity] = rule
    names = {r.name for r in config.recognizers}
    rules.recognizers = [r for r in rules.recognizers if r.name not in names] + list(
        config.recognizers
    )
    for index, recognizer in enumerate(config.recognizers):
        for number, _pattern in enumerate(recognizer.patterns):
            path: KeyPath = ("recognizers", index, "patterns", number)
            rules.pattern_sources[(recognizer.name, number)] = (
                f"{doc.where(path)}: {format_path(path)}"
            )
        path = ("recognizers", index, "deny_list")
        rules.pattern_sources[(recognizer.name, -1)] = f"{doc.where(path)}: {format_path(path)}"
        if recognizer.operator:
            _validate_params(
                recognizer.operator, recognizer.params, doc, ("recognizers", index, "params")
            )
    patterns = [
        _Located(
            rule=p,
            source=doc.where(("columns", i)),
            doc=doc,
            path=("columns", i),
            table_glob=p.tables,
            match=p.match,
            regex=re.compile(p.match, re.IGNORECASE),
        )
        for i, p in enumerate(config.columns)
    ]
    rules._patterns = patterns + rules._patterns  # a later file's patterns are tried first
    for glob, table in config.tables.items():
        rules.table_sources[glob] = doc.where(("tables", glob))
        if table.persona is not None:
            rules.personas[glob] = table.persona
        located = [
            _Located(
                rule=r,
                source=doc.where(("tables", glob, "columns", c)),
                doc=doc,
                path=("tables", glob, "columns", c),
                table_glob=glob,
                match=c,
            )
            for c, r in table.columns.items()
        ]
        rules._tables = located + [
            t
            for t in rules._tables
            if (t.table_glob, t.match) not in {(loc.table_glob, loc.match) for loc in located}
        ]
    if config.safe_ranges is not None:
        target = (file.parent / config.safe_ranges).resolve()
        if not target.exists():
            raise doc.error(("safe_ranges",), f"file not found: {config.safe_ranges}", RulesError)
        rules.safe_ranges_path = target
