"""Evidence from a sample of a column's values, without Presidio (importing it costs seconds): the
sample itself, and the check of a rule's entity against the values (`corroborate`)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sanitizer import entities
from sanitizer.detect.names import FIRST, LAST, NameFinder, name_shaped, name_tokens
from sanitizer.detect.text import TextScanner
from sanitizer.errors import PatternTimeoutError
from sanitizer.report.model import NAME_SHAPE
from sanitizer.rules import RuleSet

WHOLE_VALUE = 0.8  # a span covering this share of a value makes the whole value that entity


@dataclass
class ColumnEvidence:
    """What a sample of a column's values showed."""

    entity: str | None
    is_free_text: bool
    confidence: float
    sample_size: int
    matched: int
    scores: dict[str, float] = field(default_factory=dict)
    recognizers: list[str] = field(default_factory=list)


def sample(values: Sequence[str], size: int, seed: str) -> list[str]:
    """A deterministic sample of distinct non-empty values (the same column gives the same sample)."""
    distinct = list(dict.fromkeys(v for v in values if v.strip()))
    if len(distinct) <= size:
        return distinct
    return random.Random(seed).sample(distinct, size)


# Entities the fast scanner finds in a whole value: a rule naming one of them is checked against a
# sample of the column, so the report shows whether the values bear the rule out.
_SCANNED = frozenset(
    {
        entities.EMAIL_ADDRESS,
        entities.PHONE_NUMBER,
        entities.CREDIT_CARD,
        entities.IBAN_CODE,
        entities.IP_ADDRESS,
        *entities.NAME_ENTITIES,
    }
)


def _family(entity: str) -> str:
    return entities.PERSON if entity in entities.NAME_ENTITIES else entity


def corroborate(
    column: str, values: Sequence[str], entity: str, scanner: TextScanner, rules: RuleSet
) -> ColumnEvidence | None:
    """How many sampled values of a column a rule assigned to `entity` really hold that entity whole;
    None when the scanner has no recognizer for the entity (a city, a date of birth)."""
    custom = {r.supported_entity for r in rules.recognizers}
    if entity not in _SCANNED | custom:
        return None
    picked = sample(values, rules.policy.sample_size, seed=column)
    wanted = _family(entity)
    matched = 0
    scores: dict[str, list[float]] = defaultdict(list)
    recognizers: set[str] = set()
    for value in picked:
        try:
            spans = scanner.scan(value)
        except PatternTimeoutError as exc:
            exc.text_index = values.index(value)  # the caller knows its table, column and row
            raise
        stripped = len(value.strip()) or 1
        whole = [s for s in spans if (s.end - s.start) / stripped >= WHOLE_VALUE]
        if not whole and wanted == entities.PERSON and scanner.names.is_name_value(value):
            matched += 1
            scores[entities.PERSON].append(0.7)
            recognizers.add("NameValueRecognizer")
            continue
        if not spans and wanted == entities.PERSON and name_shaped(value):
            # The rule says names and the value is written as one: an invented or rare surname is
            # not in the name lists ("Quillbrook"), and is no weaker evidence for that.
            matched += 1
            recognizers.add(NAME_SHAPE)
            continue
        for span in spans:
            scores[span.entity].append(span.score)
            recognizers.add(span.recognizer)
        if any(_family(s.entity) == wanted for s in whole):
            matched += 1
    n = len(picked)
    return ColumnEvidence(
        entity,
        False,
        round(matched / n, 3) if n else 0.0,
        n,
        matched,
        {e: round(sum(s) / len(s), 3) for e, s in scores.items()},
        sorted(recognizers),
    )


def names_alone(
    column: str, values: Sequence[str], scanner: TextScanner, rules: RuleSet
) -> ColumnEvidence | None:
    """The evidence that a column is a column of names, when a sample shows one: most sampled values
    written as names (`names.name_shaped`) and at least half with a name word (`has_name_word`).
    Free-text scanning finds a name in prose by its context: alone in a cell, "Zed" or "Grace Hopper"
    would pass through. None for another column (notes, codes, "Gold")."""
    picked = sample(values, rules.policy.sample_size, seed=column)
    n = len(picked)
    shaped = [value for value in picked if name_shaped(value)]
    if not n or len(shaped) / n < rules.policy.column_share:
        return None
    named = sum(scanner.names.has_name_word(value) for value in shaped)
    if 2 * named < n:
        return None
    return ColumnEvidence(
        name_part(picked, scanner.names), False, round(named / n, 3), n, named, {}, [NAME_SHAPE]
    )


def name_part(values: Sequence[str], finder: NameFinder) -> str:
    """PERSON columns of single words are first-name or last-name columns."""
    singles = [name_tokens(v) for v in values]
    if not singles or any(len(t) != 1 for t in singles):
        return entities.PERSON
    firsts = sum(1 for (t,) in singles if t in finder.first or finder.known.get(t, 0) & FIRST)
    lasts = sum(1 for (t,) in singles if t in finder.last or finder.known.get(t, 0) & LAST)
    return entities.FIRST_NAME if firsts >= lasts else entities.LAST_NAME
