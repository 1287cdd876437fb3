"""`text`: scan free text and replace each PII span with its entity's operator, consistently with the run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Protocol

from pydantic import Field

from sanitizer import entities
from sanitizer.errors import SanitizerError
from sanitizer.operators.base import Operator, OperatorContext, OperatorParams

FIRST = 1  # as in sanitizer.detect.names (kept literal: operators do not import detection)


class SpanLike(Protocol):
    """What the operator needs of a span (sanitizer.detect.Span has it)."""

    start: int
    end: int
    entity: str
    kinds: tuple[int, ...]
    words: tuple[tuple[int, int], ...]
    whole: str  # the row's own value of which the span is a piece ("" for a value found whole)


class TextParams(OperatorParams):
    entities: list[str] | None = Field(
        None, description="Replace only spans of these entities (default: every entity found)."
    )


class TextOperator(Operator):
    """Replaces every PII span found in a text; a name in a note gets the same fake as in its column."""

    name = "text"
    Params = TextParams

    def replace(self, values: list[str], ctx: OperatorContext) -> list[str]:
        if ctx.find_spans is None or ctx.substitute is None:
            raise SanitizerError(
                "the text operator needs the scrub engine's span finder and substitution"
            )
        wanted = (
            set(ctx.params.entities)
            if isinstance(ctx.params, TextParams) and ctx.params.entities
            else None
        )
        found = ctx.find_spans(values)
        pieces: dict[str, set[str]] = defaultdict(set)
        parts: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for text, spans in zip(values, found, strict=True):
            for span in spans:
                if wanted is not None and span.entity not in wanted:
                    continue
                if span.entity == entities.PERSON and span.words:
                    for (start, end), kind in zip(span.words, span.kinds, strict=True):
                        pieces[_name_entity(kind)].add(text[start:end])
                elif span.whole:
                    parts[span.entity].add((text[span.start : span.end], span.whole))
                else:
                    pieces[span.entity].add(text[span.start : span.end])
        replaced: dict[str, dict[str, str]] = {}
        for entity, originals in pieces.items():
            ordered = sorted(originals)
            replaced[entity] = dict(zip(ordered, ctx.substitute(entity, ordered), strict=True))
        replaced_parts: dict[str, dict[tuple[str, str], str]] = {}
        if parts:
            if ctx.substitute_part is None:
                raise SanitizerError("the text operator needs the scrub engine's part substitution")
            for entity, pairs in parts.items():
                ordered_pairs = sorted(pairs)
                replaced_parts[entity] = dict(
                    zip(ordered_pairs, ctx.substitute_part(entity, ordered_pairs), strict=True)
                )
        out = []
        for text, spans in zip(values, found, strict=True):
            out.append(_splice(text, spans, replaced, wanted, ctx.apart, replaced_parts))
        return out


def _name_entity(kind: int) -> str:
    return entities.FIRST_NAME if kind == FIRST else entities.LAST_NAME


def _splice(
    text: str,
    spans: Sequence[SpanLike],
    replaced: dict[str, dict[str, str]],
    wanted: set[str] | None,
    apart: Callable[[list[str], list[str]], list[str]] | None = None,
    replaced_parts: dict[str, dict[tuple[str, str], str]] | None = None,
) -> str:
    parts: list[str] = []
    cursor = 0
    for span in spans:
        if wanted is not None and span.entity not in wanted:
            continue
        if span.entity == entities.PERSON and span.words:
            originals = [text[start:end] for start, end in span.words]
            fakes = [
                replaced[_name_entity(k)][o] for o, k in zip(originals, span.kinds, strict=True)
            ]
            if apart is not None:
                fakes = apart(originals, fakes)
            for (start, end), fake in zip(span.words, fakes, strict=True):
                parts.append(text[cursor:start])
                parts.append(fake)
                cursor = end
            continue
        parts.append(text[cursor : span.start])
        original = text[span.start : span.end]
        if span.whole and replaced_parts is not None:
            parts.append(replaced_parts[span.entity][(original, span.whole)])
        else:
            parts.append(replaced[span.entity][original])
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)


OPERATOR = TextOperator
