"""A row's own phones and addresses written partly in its free text: "call her on 555-0143" in the row
whose HomePhone is (212) 555-0143, "skype zq1985" in the row whose Email is zq1985@example.org.

Such a piece is too short or too plain to be found on its own (a seven-digit run is an order number
in another row's note), so it counts only in its own row's text. The scrub engine reads a batch's
pieces a column at a time (`phone_pieces`, `email_pieces`) and adds a row's pieces (`entry`) to the
set of name words it hands the scanner with a text only where a substring test says the text may hold
one (`held`: most notes hold none); `part_spans` finds them there, and the text operator gives each
the matching piece of its whole value's replacement. The verifier reads the same pieces its own way
(verify.py).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from sanitizer.entities import read_phone

PHONE_PART = "#"
EMAIL_PART = "@"
# No name word holds it: the entries ride in a row's set of name words, which the name finder only
# asks whether a word of the text is in.
_MARK = "\x00"
# Beside a row's entries in its set: the scanner looks for entries only where this is (most sets hold
# none, and looking means reading every word of the set).
HELD = _MARK

MIN_SUBSCRIBER_DIGITS = 6
MIN_USER_PART = 5

_NON_DIGITS = re.compile(r"\D")
_NO_DIGITS = str.maketrans("", "", "0123456789")
_DIGIT_GROUP = re.compile(r"\d+")
# Between the groups of a number written by hand: "555-0143", "555 0143", "555.0143", "555 - 0143".
_GROUP_GAP = re.compile(r"[ \t\u00a0\-.\u2010-\u2015\u2212]{1,3}")
_GAP_CHARS = frozenset(" \t\u00a0-.\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_BEFORE_GAP = _GAP_CHARS | {")"}  # before a number's groups, also an area code's bracket
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


def attached(row_names: frozenset[str], entries: Iterable[str]) -> frozenset[str]:
    """A row's name words with `entries` (`entry`) beside them, and `HELD`, which says they are there."""
    return row_names.union(entries, (HELD,))


def entries_in(row_names: frozenset[str]) -> list[str]:
    """The entries (`entry`) among a row's name words (`attached`)."""
    if HELD not in row_names:
        return []
    return [word for word in row_names if word[:1] == _MARK and word != HELD]


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


@dataclass
class PieceSource:
    """A phone or email column of a batch: its cells' values as Arrow text (null where no piece can
    be) and each cell's row."""

    kind: str  # PHONE_PART or EMAIL_PART
    texts: pa.Array
    rows: np.ndarray


@dataclass
class PieceColumn:
    """Some cells of a phone or email column as `held` reads them: their values (`wholes`), and where
    read in bulk a phone's subscriber digits as a number (`numbers`) or an address's lower-case user
    part (`users`); the `slow` cells' pieces are read one by one (`pieces_at`)."""

    kind: str  # PHONE_PART or EMAIL_PART
    wholes: pa.Array
    slow: np.ndarray  # boolean, per cell
    numbers: np.ndarray | None = (
        None  # a plain North American number's last seven digits (-1: none)
    )
    users: pa.Array | None = None  # "" for none
    regions: tuple[str, tuple[str, ...]] = ("US", ())

    def pieces_at(self, cells: np.ndarray) -> list[tuple[str, ...]]:
        """The exact pieces of these cells: `subscriber_digits` or `user_parts`."""
        wholes = self.wholes.take(pa.array(cells, pa.int64())).to_pylist()
        if self.numbers is None:
            return [tuple(user_parts(whole)) if whole is not None else () for whole in wholes]
        out: list[tuple[str, ...]] = []
        for whole, number, slow in zip(
            wholes, self.numbers[cells].tolist(), self.slow[cells].tolist(), strict=True
        ):
            if slow:
                local = subscriber_digits(whole, *self.regions) if whole is not None else None
                out.append(() if local is None else (local,))
            else:
                out.append((f"{number:07d}",) if number >= 0 else ())
        return out


def phone_pieces(texts: pa.Array, default_region: str, regions: tuple[str, ...]) -> PieceColumn:
    """Phone cells (large_string, null where no number can be), their subscriber digits read from the
    UTF-8 bytes where the number is plainly North American (ASCII; ten digits, or 1 and ten, with no
    "+" at home or starting "+1" anywhere: the last seven), the others' left to `subscriber_digits`."""
    offsets, data = _utf8(texts)
    size = len(texts)
    length = np.diff(offsets)
    owner = np.repeat(np.arange(size), length)  # each byte's cell
    is_ascii = np.bincount(owner[data >= 0x80], minlength=size) == 0
    signs = np.bincount(owner[data == ord("+")], minlength=size)
    at = np.flatnonzero((data >= ord("0")) & (data <= ord("9")))
    count = np.diff(np.searchsorted(at, offsets))  # each cell's ASCII digits
    end = np.cumsum(count)
    digit = data[at].astype(np.int64) - ord("0")
    number = np.zeros(size, dtype=np.int64)  # what the last eleven digits spell
    for place in range(11):
        has = count > place
        number[has] += digit[end[has] - 1 - place] * 10**place
    # Ten digits starting an area code (2-9), or 1 and such ten.
    plain = ((count == 10) & (number >= 2 * 10**9)) | (
        (count == 11) & (number // 10**10 == 1) & (number % 10**10 >= 2 * 10**9)
    )
    two = length >= 2
    first = np.zeros(size, dtype=np.uint8)
    second = np.zeros(size, dtype=np.uint8)
    first[two] = data[offsets[:-1][two]]
    second[two] = data[offsets[:-1][two] + 1]
    signed = (first == ord("+")) & (second == ord("1"))  # Python's strip() may find more: slow
    if default_region in {"US", "CA"}:
        signed |= signs == 0
    valid = _flags(pc.is_valid(texts))
    plain &= signed & is_ascii & valid
    # Python reads the rest that may be a number: six digits or more (or digits not in ASCII).
    slow = ~plain & valid & (~is_ascii | (count > MIN_SUBSCRIBER_DIGITS))
    numbers = np.where(plain, number % 10**7, -1)
    return PieceColumn(PHONE_PART, texts, slow, numbers=numbers, regions=(default_region, regions))


# A piece between separators holding a letter and a digit (`user_parts` keeps those of five or more).
_PIECE_LIKE = r"(?:^|[._+-])[^._+-]*(?:[a-z][^._+-]*[0-9]|[0-9][^._+-]*[a-z])"


def email_pieces(texts: pa.Array) -> PieceColumn:
    """Email cells (Arrow text, null where no address can be), with each address's user part in lower
    case read in Arrow where the address is ASCII and starts with a visible character (what
    `user_parts` may keep whole); `user_parts` reads the rest, and those with a piece holding a
    letter and a digit."""
    halves = pc.split_pattern(texts, "@", max_splits=1, reverse=True)
    users = pc.ascii_lower(pc.list_element(halves, 0))
    offsets, data = _utf8(texts)
    filled = np.diff(offsets) > 0
    first = np.zeros(len(texts), dtype=np.uint8)
    first[filled] = data[offsets[:-1][filled]]
    fast = (
        _flags(pc.string_is_ascii(texts))
        & (first > ord(" "))  # what Python's strip() keeps: a visible character first
        & (first < 127)
        & (pc.fill_null(pc.list_value_length(halves), 0).to_numpy(zero_copy_only=False) == 2)
    )
    split = _flags(pc.match_substring_regex(users, _PIECE_LIKE))
    quick = pc.if_else(fast, users, "")
    return PieceColumn(EMAIL_PART, texts, _flags(pc.is_valid(texts)) & (~fast | split), users=quick)


def held(
    texts: Sequence[str],
    codes: np.ndarray,
    rows: np.ndarray,
    sources: Sequence[PieceSource],
    regions: tuple[str, tuple[str, ...]] = ("US", ()),
) -> dict[int, set[str]]:
    """For each text (by index) that may hold a piece of a row that holds it, the entries of those
    pieces. A phone's subscriber digits: among the text's digits (where it has six ASCII digits or
    more), not only right after other digits (`_apart_before`: "(212) 555-0143", "+1 212 555 0143"
    hold the number whole); a user part: in the lower-case text (any piece where the text is not
    ASCII), not only right before an "@". Whatever `part_spans` finds passes these tests; most notes
    pass none, and carry no entry to the scanner.

    `codes` and `rows`: for each cell of the text column, its text and its row. Only the phone and
    email cells of the rows of such texts are read (of texts with six digits or more, for phones)."""
    array = pa.array(texts, type=pa.large_string())
    windows: _Windows | None = None
    lowered: np.ndarray | None = None
    is_ascii: np.ndarray | None = None
    found: dict[int, set[str]] = {}
    for source in sources:
        text_of, cell_of = _pairs(codes, rows, source.rows)
        if source.kind == PHONE_PART:  # no six digits, no phone piece
            if windows is None:
                windows = _Windows(array)
            keep = windows.counts[text_of] >= MIN_SUBSCRIBER_DIGITS
            text_of, cell_of = text_of[keep], cell_of[keep]
        if not len(cell_of):
            continue
        cells = source.texts.take(pa.array(cell_of))
        # The common cells in bulk (a plain number, an ASCII address); the others one by one below.
        if source.kind == PHONE_PART:
            assert windows is not None
            column = phone_pieces(cells, *regions)
            assert column.numbers is not None
            maybe = windows.hold_apart(text_of, column.numbers)
        else:
            if lowered is None:
                lowered = pc.ascii_lower(array).to_numpy(zero_copy_only=False)
                is_ascii = pc.string_is_ascii(array).to_numpy(zero_copy_only=False)
            assert is_ascii is not None
            column = email_pieces(cells)
            assert column.users is not None
            users = column.users.to_numpy(zero_copy_only=False)
            notes = lowered[text_of]
            known, plain = _flags(pc.not_equal(column.users, "")), is_ascii[text_of]
            maybe = known & ~plain  # a text not in ASCII: the scanner reads it case-blind
            inside = np.fromiter(map(operator.contains, notes, users), bool, len(users))
            for index in np.flatnonzero(inside & known & plain).tolist():
                maybe[index] = _free_user(notes[index], users[index])
        at = np.flatnonzero(maybe | column.slow)
        if not len(at):
            continue
        wholes = column.wholes.take(pa.array(at)).to_pylist()
        phone = source.kind == PHONE_PART
        for code, whole, pieces in zip(
            text_of[at].tolist(), wholes, column.pieces_at(at), strict=True
        ):
            text = texts[code]
            for piece in pieces:
                if phone:
                    is_held = piece in _digits_of(text)
                else:
                    is_held = not text.isascii() or _free_user(text.lower(), piece)
                if is_held:
                    found.setdefault(code, set()).add(entry(source.kind, piece, whole or ""))
    return found


def _free_user(lowered: str, piece: str) -> bool:
    """Whether `piece` is in the lower-case text `lowered` somewhere other than right before an "@"
    (there it is an address's, never a token of its own: `_is_token`)."""
    at = lowered.find(piece)
    while at >= 0:
        if lowered[at + len(piece) : at + len(piece) + 1] != "@":
            return True
        at = lowered.find(piece, at + 1)
    return False


class _Windows:
    """The runs of seven ASCII digits of many texts (among each one's ASCII digits) whose first digit
    may stand apart from the digits before it (`_apart_before`: no digit right before, nor across at
    most three spaces, hyphens, dots or a closing bracket, nor across one joiner), each as text index
    * 10**7 + the digits as a number, sorted; and each text's count of ASCII digits."""

    def __init__(self, array: pa.Array) -> None:
        offsets, data = _utf8(array)
        at = np.flatnonzero((data >= ord("0")) & (data <= ord("9")))  # each digit's byte
        self.counts = np.diff(np.searchsorted(at, offsets))  # each text's ASCII digits
        self.sevens = np.zeros(0, dtype=np.int64)
        if len(at) < 7:
            return
        text = np.repeat(np.arange(len(array)), self.counts)
        digit = data[at].astype(np.int64) - ord("0")
        first = np.arange(len(at) - 6)  # each window's first digit
        value = digit[:-6] * 10**6
        for place in range(1, 7):
            value += digit[place : len(digit) - 6 + place] * 10 ** (6 - place)
        keep = text[first] == text[first + 6]
        # Not apart: the digit before in the same text, at most three bytes before (so at most three
        # characters), and only gap bytes between, or one joiner.
        gap = at[first] - np.concatenate([[-10], at[:-7]]) - 1
        near = (first > 0) & (gap <= 3) & (text[first] == text[np.maximum(first - 1, 0)])
        between = np.ones(len(first), dtype=bool)
        for back in (1, 2, 3):
            inside = near & (gap >= back)
            between[inside] &= _IS_GAP[data[at[first[inside]] - back]]
        joined = near & (gap == 1) & _IS_JOINER[data[np.maximum(at[first] - 1, 0)]]
        keep &= ~(near & (between | joined))
        self.sevens = np.sort(text[first][keep] * 10**7 + value[keep])

    def hold_apart(self, text: np.ndarray, number: np.ndarray) -> np.ndarray:
        """For each text and number of seven digits (-1: none), whether the text holds them apart."""
        keys = text * 10**7 + number
        found = np.searchsorted(self.sevens, keys)
        held: np.ndarray = (found < len(self.sevens)) & (number >= 0)
        held[held] = self.sevens[found[held]] == keys[held]
        return held


def _utf8(array: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """A large_string array's value offsets (from 0) and UTF-8 bytes, without a copy (but for an array
    in several chunks, which is made one)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not len(array):
        return np.zeros(1, dtype=np.int64), _NONE
    _validity, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        array.offset : array.offset + len(array) + 1
    ]
    start, end = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(data_buffer, dtype=np.uint8)[start:end] if end > start else _NONE
    return offsets - start, data


_NONE = np.zeros(0, dtype=np.uint8)
_IS_GAP = np.zeros(256, dtype=bool)  # the ASCII ones of `_BEFORE_GAP`
_IS_GAP[[ord(c) for c in " \t-.)"]] = True
_IS_JOINER = np.zeros(256, dtype=bool)  # the ASCII ones of `_JOINERS`
_IS_JOINER[[ord(c) for c in "-./()_,:+"]] = True


def _digits_of(text: str) -> str:
    """The decimal digits of `text`, in order (any script's, as `\\d` reads them)."""
    if text.isascii():
        return text.encode("ascii").translate(None, _NOT_DIGIT_BYTES).decode("ascii")
    return _NON_DIGIT_RUN.sub("", text)


_NOT_DIGIT_BYTES = bytes(c for c in range(128) if not 48 <= c <= 57)
_NON_DIGIT_RUN = re.compile(r"\D+")


def _pairs(
    codes: np.ndarray, rows: np.ndarray, piece_rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(text, piece cell) for each text cell and each cell of a piece column in the same row."""
    if np.array_equal(piece_rows, np.arange(len(piece_rows))):  # a flat batch: cell i is row i
        inside = rows < len(piece_rows)
        return codes[inside], rows[inside]
    order = np.argsort(piece_rows, kind="stable")
    sorted_rows = piece_rows[order]
    left = np.searchsorted(sorted_rows, rows, "left")
    many = np.searchsorted(sorted_rows, rows, "right") - left
    total = int(many.sum())
    starts = np.repeat(left - (np.cumsum(many) - many), many)
    return np.repeat(codes, many), order[np.arange(total) + starts]


def _flags(mask: pa.Array) -> np.ndarray:
    """A boolean Arrow array as numpy, null as False."""
    flags: np.ndarray = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
    return flags


def part_spans(
    text: str, entries: list[str], taken: list[tuple[int, int]], *, has_digits: bool = True
) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, whole) of the row's pieces (`entries_in`) in `text`, outside the `taken`
    spans (the phones and addresses found whole): a phone's subscriber digits however grouped, not
    inside a longer number; a user part as a token of its own, in any case."""
    read = [read_entry(raw) for raw in entries]
    # Most notes that hold a piece hold it inside its whole (found already): read what is outside.
    outside = _outside(text, taken) if taken else text
    digits: str | None = None if has_digits else ""
    lowered: str | None = None
    phones: dict[str, str] = {}
    found: list[tuple[int, int, str, str]] = []
    for kind, piece, whole in read:
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
    # A group of digits a short gap before: "317 555 0143", "(317) 555-0143" are another number.
    at = start
    while at > 0 and start - at < 3 and text[at - 1] in _BEFORE_GAP:
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
