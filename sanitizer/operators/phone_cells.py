"""Phone cells that are not one number: placeholders, several numbers, labels and extensions, partials.

The phone operator sends here only the values it could not read as one number, or read with an
extension (what it parsed tells, at no cost to a plain number). A cell is cut into parts, found as
the free-text scanner finds a run's own numbers (`KNOWN_PHONE_RUN`): within a run of digits and
separators, the longest stretch of whole digit groups that is a number (valid in the default region
or, written with a trunk 0, in one of the run's regions; or in a safe range) is one; what is left of
the run between numbers (and slashes) is a partial number (seven digits or more) or other digits (an
extension, a count). The rest of the cell (labels, separators, "ext") is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, NamedTuple

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from sanitizer.arrowtext import ascii_digits
from sanitizer.detect.text import KNOWN_PHONE_RUN
from sanitizer.entities import read_phone
from sanitizer.operators.base import OperatorContext
from sanitizer.ranges import SafeRanges

_DIGIT_RUN = re.compile(r"\d+")
MASK_CHAR = "*"  # the `mask` operator's default: what an extension column gets

Kind = Literal["number", "partial", "digits"]


class CellPart(NamedTuple):
    """Where a part of a cell stands, and what it is."""

    start: int
    end: int
    kind: Kind


def is_number(piece: str, region: str, regions: tuple[str, ...], ranges: SafeRanges) -> bool:
    """Whether a stretch of a cell is a phone number, as the free-text scanner decides it."""
    text = piece.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    number = read_phone(text, region, regions)
    if number is None:
        return False
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return bool(phonenumbers.is_valid_number(number)) or ranges.is_safe_phone(e164)


def cell_parts(value: str, is_number: Callable[[str], bool]) -> list[CellPart]:
    """The parts of a cell that hold digits, left to right."""
    parts: list[CellPart] = []
    for run in KNOWN_PHONE_RUN.finditer(value):
        base = run.start()
        groups = [(base + m.start(), base + m.end()) for m in _DIGIT_RUN.finditer(run.group())]
        at, loose = 0, list[tuple[int, int]]()  # the groups since the last number, in none
        while at < len(groups):
            end = _longest_number(value, groups, at, is_number)
            if end is None:
                if loose and "/" in value[loose[-1][1] : groups[at][0]]:
                    parts.extend(_loose(loose))  # "/" parts numbers: 0113 496 077 / 0113 496 078
                    loose = []
                loose.append(groups[at])
                at += 1
                continue
            parts.extend(_loose(loose))
            loose = []
            start, stop = _widened(value, groups[at][0], groups[end][1])
            parts.append(CellPart(start, stop, "number"))
            at = end + 1
        parts.extend(_loose(loose))
    return parts


def _widened(value: str, start: int, stop: int) -> tuple[int, int]:
    """A number's "+", or the bracket of its area code, goes with it."""
    if start > 0 and value[start - 1] == "+":
        return start - 1, stop
    if start > 0 and value[start - 1] == "(" and ")" in value[start:stop]:
        return start - 1, stop
    return start, stop


def _longest_number(
    value: str, groups: list[tuple[int, int]], at: int, is_number: Callable[[str], bool]
) -> int | None:
    """The last group of the longest number starting at group `at` (7 to 15 digits), if any."""
    best, digits = None, 0
    for last in range(at, len(groups)):
        digits += groups[last][1] - groups[last][0]
        if digits > 15:
            break
        if digits >= 7:
            start, stop = _widened(value, groups[at][0], groups[last][1])
            if is_number(value[start:stop]):
                best = last
    return best


def _loose(groups: list[tuple[int, int]]) -> list[CellPart]:
    if not groups:
        return []
    digits = sum(stop - start for start, stop in groups)
    return [CellPart(groups[0][0], groups[-1][1], "partial" if digits >= 7 else "digits")]


def masked(text: str) -> str:
    """Digits masked as the `mask` operator masks an extension column."""
    return "".join(MASK_CHAR if "0" <= ch <= "9" else ch for ch in text)


def may_hold_parts(values: list[str]) -> list[int]:
    """Positions of the values that may hold more than one number or more than a number (in Arrow, for
    many values at once): a character a plain number is not written with, or more than 15 digits."""
    if not values:
        return []
    array = pa.array(values, type=pa.large_string())
    odd = pc.or_(
        pc.match_substring_regex(array, r"[^0-9 ().+\-]"),
        pc.greater(pc.utf8_length(ascii_digits(array)), 15),
    )
    return [int(i) for i in np.flatnonzero(pc.fill_null(odd, False).to_numpy(zero_copy_only=False))]


def rebuilt(value: str, parts: list[CellPart], replacements: list[str]) -> str:
    """`value` with each part replaced, the text between parts kept."""
    out, at = [], 0
    for part, new in zip(parts, replacements, strict=True):
        out.append(value[at : part.start])
        out.append(new)
        at = part.end
    out.append(value[at:])
    return "".join(out)


def number_test(ctx: OperatorContext) -> Callable[[str], bool]:
    regions = tuple(ctx.regions)
    return lambda piece: is_number(piece, ctx.default_region, regions, ctx.ranges)


def replace_cells(
    values: list[str],
    ctx: OperatorContext,
    map_alone: Callable[[list[str]], list[str]],
    partial: Callable[[str], str],
) -> list[str]:
    """Cells that are not one number, part by part: a number gets the replacement it gets alone
    (`map_alone`: through the run's map, so the same number reads the same in every cell and column), a
    partial number `partial` of it (the phone operator's: the leading digits of a safe number), other digits (an extension) are masked as the `mask`
    operator masks an extension column; the text between them is kept. A cell without digits (a
    placeholder: "N/A", "unknown", "ask customer") is no personal data and stays as it is."""
    test = number_test(ctx)
    cut = [cell_parts(value, test) for value in values]
    wanted: set[str] = set()
    for value, parts in zip(values, cut, strict=True):
        wanted.update(_alone(value, part) or "" for part in parts if part.kind != "digits")
    wanted.discard("")
    ordered = sorted(wanted)
    mapped = dict(zip(ordered, map_alone(ordered), strict=True))
    out = []
    for value, parts in zip(values, cut, strict=True):
        news = []
        for part in parts:
            piece = value[part.start : part.end]
            alone = _alone(value, part)
            if part.kind == "digits":
                news.append(masked(piece))
            elif alone is not None:
                news.append(mapped[alone])
            elif part.kind == "partial":
                news.append(partial(piece))
            else:  # the whole cell is one number that only the part reading reads: written in E.164
                news.append(mapped[_e164(piece)])
        out.append(rebuilt(value, parts, news))
    return out


def _alone(value: str, part: CellPart) -> str | None:
    """The text a part is mapped by: itself, unless it is the whole cell (which is here because the
    per-value reading found no one number in it: a partial is made here, a number by its E.164)."""
    piece = value[part.start : part.end]
    if piece.strip() != value.strip():
        return piece
    return _e164(piece) if part.kind == "number" else None


def _e164(piece: str) -> str:
    text = piece.strip()
    return "+" + text[2:] if text.startswith("00") else text


def is_unsafe(text: str, ctx: OperatorContext) -> bool:
    """A valid number outside the safe ranges (read as the run reads numbers: `entities.read_phone`)."""
    number = read_phone(text, ctx.default_region, tuple(ctx.regions))
    if number is None:
        return False
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return not ctx.ranges.is_safe_phone(e164) and phonenumbers.is_valid_number(number)
