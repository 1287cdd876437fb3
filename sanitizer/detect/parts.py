"""A row's own phones and addresses written partly in its free text: "call her on 555-0143" in the row
whose HomePhone is (212) 555-0143, "skype zq1985" in the row whose Email is zq1985@example.org.

Such a piece is too short or too plain to be found on its own (a seven-digit run is an order number
in another row's note), so it counts only in its own row's text. The scrub engine adds each row's
pieces (`entry`) to the set of name words it hands the scanner with each text; `part_spans` finds
them there, and the text operator gives each the matching piece of its whole value's replacement.
The verifier reads the same pieces its own way (verify.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import phonenumbers

from sanitizer.entities import read_phone

PHONE_PART = "#"
EMAIL_PART = "@"
# No name word holds it: the entries ride in a row's set of name words, which the name finder only
# asks whether a word of the text is in.
_MARK = "\x00"

MIN_SUBSCRIBER_DIGITS = 6
MIN_USER_PART = 5

_NON_DIGITS = re.compile(r"\D")
_NO_DIGITS = str.maketrans("", "", "0123456789")
_DIGIT_GROUP = re.compile(r"\d+")
# Between the groups of a number written by hand: "555-0143", "555 0143", "555.0143", "555 - 0143".
_GROUP_GAP = re.compile(r"[ \t\u00a0\-.\u2010-\u2015\u2212]{1,3}")
_GAP_CHARS = frozenset(" \t\u00a0-.\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
# Beside a piece of a number, these bind it to a digit next to them into a longer number: "5550143.25",
# "415-555-0143", "(415)555-0143", "5550143/44", "09:30".
_JOINERS = frozenset("-./()_,:+\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_USER_SEPARATORS = re.compile(r"[._+-]")
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
# Beside a user part written as a token, these make it part of a longer one ("zq1985x", "a.zq1985",
# "zq1985@", "zq1985-2"); a dot after it ends a sentence unless a word goes on.
_TOKEN_BEFORE = frozenset(".+%-@")
_TOKEN_AFTER = frozenset("@-")


def entry(kind: str, piece: str, whole: str) -> str:
    """A row's set entry saying its free text may hold `piece` of its value `whole` (kind
    `PHONE_PART`: a phone's subscriber digits; `EMAIL_PART`: an address's user part in lower case)."""
    return f"{_MARK}{kind}{piece}{_MARK}{whole}"


def entries_in(row_names: Iterable[str]) -> list[str]:
    """The entries (`entry`) among a row's name words."""
    return [word for word in row_names if word[:1] == _MARK]


def read_entry(raw: str) -> tuple[str, str, str]:
    """(kind, piece, whole) of an entry."""
    piece, _, whole = raw[2:].partition(_MARK)
    return raw[1], piece, whole


@lru_cache(maxsize=262_144)
def subscriber_digits(value: str, default_region: str, regions: tuple[str, ...]) -> str | None:
    """A phone's digits after its area code, six or more: "5550143" for "(212) 555-0143" (a North
    American number's exchange and line), "900143" for "07700 900143" (the national significant
    number without the national destination code, as phonenumbers splits it). None for a value that
    is no number, or whose number has no area code to leave out."""
    stripped = value.strip()
    digits = _NON_DIGITS.sub("", stripped)
    if (default_region in {"US", "CA"} and not stripped.startswith("+")) or stripped.startswith(
        "+1"
    ):
        if len(digits) == 11 and digits[0] == "1":
            digits = digits[1:]
        if len(digits) == 10 and digits[0] not in "01":
            return digits[3:]  # the common case, without a parse
    if len(digits) < MIN_SUBSCRIBER_DIGITS + 1:
        return None
    number = read_phone(stripped, default_region, regions)
    if number is None:
        return None
    national = phonenumbers.national_significant_number(number)
    area = phonenumbers.length_of_national_destination_code(number)
    local = national[area:]
    return local if area and len(local) >= MIN_SUBSCRIBER_DIGITS else None


def user_parts(address: str) -> list[str]:
    """The pieces of an address's user part that stand for its holder in a note, in lower case: the
    whole user part when it has five characters or more, a letter, and a digit or a separator
    ("zq1985", "zq.1985x", "ada.lovelace"; not "sales": one plain word is the name finder's), and
    each piece between its separators (. _ + -) with five characters or more, a letter and a digit
    ("1985x" of "zq.1985x"; never a plain number such as a year)."""
    user = address.strip().rpartition("@")[0].lower()
    if len(user) < MIN_USER_PART or not _LETTER.search(user):
        return []
    pieces = _USER_SEPARATORS.split(user)
    if len(pieces) == 1:
        return [user] if _DIGIT.search(user) else []
    return [user] + [
        piece
        for piece in pieces
        if len(piece) >= MIN_USER_PART and _DIGIT.search(piece) and _LETTER.search(piece)
    ]


def part_spans(
    text: str, entries: list[str], taken: list[tuple[int, int]], *, has_digits: bool = True
) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, whole) of the row's pieces (`entries_in`) in `text`, outside the `taken`
    spans (the phones and addresses found whole): a phone's subscriber digits however grouped, not
    inside a longer number; a user part as a token of its own, in any case."""
    # Most notes that hold a piece hold it inside its whole (found already): read what is outside.
    outside = _outside(text, taken) if taken else text
    digits: str | None = None if has_digits else ""
    lowered: str | None = None
    phones: dict[str, str] = {}
    found: list[tuple[int, int, str, str]] = []
    for raw in entries:
        kind, piece, whole = read_entry(raw)
        if kind == PHONE_PART:
            if digits is None:  # substring tests in C on the digits, where there are enough
                count = len(outside) - len(outside.translate(_NO_DIGITS))
                digits = _NON_DIGITS.sub("", outside) if count >= MIN_SUBSCRIBER_DIGITS else ""
            if piece in digits:
                phones[piece] = whole
            continue
        if lowered is None:
            lowered = outside.lower() if text.isascii() else ""
        if lowered and piece not in lowered:
            continue  # most notes: a substring test in C
        for match in re.finditer(re.escape(piece), text, re.IGNORECASE):
            start, end = match.span()
            if _is_token(text, start, end):
                found.append((start, end, EMAIL_PART, whole))
    if phones:
        found.extend((s, e, PHONE_PART, phones[d]) for s, e, d in _digit_pieces(text, phones))
    if not found or not taken:
        return found
    return [f for f in found if not any(s < f[1] and f[0] < e for s, e in taken)]


def _outside(text: str, taken: list[tuple[int, int]]) -> str:
    """The parts of `text` between the `taken` spans, apart by a space (a piece that is not inside
    a taken span lies in one of them)."""
    cuts = sorted(taken)
    starts = [0] + [end for _, end in cuts]
    ends = [start for start, _ in cuts] + [len(text)]
    return " ".join(text[a:b] for a, b in zip(starts, ends, strict=True) if a < b)


def _digit_pieces(text: str, wanted: dict[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, digits) of the stretches of whole digit groups, apart by a short gap, that spell
    one of the `wanted` digit strings and stand apart from other digits."""
    longest = max(map(len, wanted))
    groups = [m.span() for m in _DIGIT_GROUP.finditer(text)]
    found: list[tuple[int, int, str]] = []
    at = 0
    while at < len(groups):
        start = groups[at][0]
        if not _apart_before(text, start):
            at += 1
            continue
        digits = ""
        last = at
        hit: tuple[int, int, str, int] | None = None
        while last < len(groups):
            digits += text[groups[last][0] : groups[last][1]]
            if len(digits) > longest:
                break
            if digits in wanted and _apart_after(text, groups[last][1]):
                hit = (start, groups[last][1], digits, last)
            if last + 1 == len(groups) or not _GROUP_GAP.fullmatch(
                text, groups[last][1], groups[last + 1][0]
            ):
                break
            last += 1
        if hit is None:
            at += 1
            continue
        found.append(hit[:3])
        at = hit[3] + 1
    return found


def _apart_before(text: str, start: int) -> bool:
    if start == 0:
        return True
    before = text[start - 1]
    if before.isalnum() or before == "+":  # "+555 0143" is an international number's start
        return False
    if before in _JOINERS and start >= 2 and text[start - 2].isdigit():
        return False
    at = start  # a group of digits a short gap before: "317 555 0143" is another number
    while at > 0 and start - at < 3 and text[at - 1] in _GAP_CHARS:
        at -= 1
    return not (at < start and at > 0 and text[at - 1].isdigit())


def _apart_after(text: str, end: int) -> bool:
    if end == len(text):
        return True
    after = text[end]
    if after.isalnum():
        return False
    if after in _JOINERS and end + 1 < len(text) and text[end + 1].isdigit():
        return False
    at = end  # a group of digits a short gap after: "555 0143 12" is a longer number
    while at < len(text) and at - end < 3 and text[at] in _GAP_CHARS:
        at += 1
    return not (end < at < len(text) and text[at].isdigit())


def _is_token(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` stands as a token of its own (no word, address or handle goes on)."""
    if start > 0:
        before = text[start - 1]
        if before.isalnum() or before == "_" or before in _TOKEN_BEFORE:
            return False
    if end < len(text):
        after = text[end]
        if after.isalnum() or after == "_" or after in _TOKEN_AFTER:
            return False
        if (
            after == "."
            and end + 1 < len(text)
            and (text[end + 1].isalnum() or text[end + 1] == "_")
        ):
            return False
    return True
