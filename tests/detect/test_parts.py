"""A row's own phones and addresses written partly in its free text: the pieces each row holds, and the
scanner finding them in that row's text only, however grouped, never inside a longer number or word."""

from __future__ import annotations

import re
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sanitizer import entities
from sanitizer.detect import NameFinder, TextScanner
from sanitizer.detect.parts import (
    EMAIL_PART,
    PHONE_PART,
    PieceSource,
    attached,
    email_pieces,
    entries_in,
    entry,
    held,
    part_spans,
    phone_pieces,
    read_entry,
    subscriber_digits,
    user_parts,
)
from sanitizer.rules import RuleSet

REGIONS = ("US", "GB", "AU", "FR")
PHONE = "(212) 555-0143"
EMAIL = "zq1985@example.org"
ROW = attached(
    frozenset({"ada"}),
    [
        entry(PHONE_PART, "5550143", PHONE),
        entry(PHONE_PART, "900143", "07700 900143"),
        entry(EMAIL_PART, "zq1985", EMAIL),
    ],
)


@pytest.fixture(scope="module")
def scanner(shipped_rules: RuleSet) -> TextScanner:
    return TextScanner(shipped_rules, shipped_rules.safe_ranges(), NameFinder())


@pytest.mark.parametrize(
    ("phone", "local"),
    [
        ("(212) 555-0143", "5550143"),  # a North American number: exchange and line
        ("+1 212 555 0143", "5550143"),
        ("12125550143", "5550143"),
        ("07700 900143", "900143"),  # UK mobile (Ofcom drama): after the 7700 destination code
        ("+44 20 7946 0018", "79460018"),  # London: after 20
        ("+61 491 570 156", "570156"),
        ("+33 6 12 34 56 78", "12345678"),
        ("555-0143", None),  # no area code to leave out
        ("N/A", None),
    ],
)
def test_subscriber_digits_are_the_number_after_its_area_code(
    phone: str, local: str | None
) -> None:
    assert subscriber_digits(phone, "US", REGIONS) == local


@pytest.mark.parametrize(
    ("address", "pieces"),
    [
        ("zq1985@example.org", ["zq1985"]),
        ("ZQ1985@example.org", ["zq1985"]),  # compared in lower case
        ("zq.1985x@example.org", ["zq.1985x", "1985x"]),  # a piece with a letter and a digit
        ("ada.lovelace@example.org", ["ada.lovelace"]),  # with a separator: a handle, not a word
        ("mark.ferrell.43254@example.com", ["mark.ferrell.43254"]),  # a plain number: no piece
        ("zq.1985@example.org", ["zq.1985"]),  # a year alone is no piece
        ("sales@example.org", []),  # one plain word: the name finder's (ordinary words name nobody)
        ("zq85@example.org", []),  # under five characters
        ("123456@example.org", []),  # no letter: a number
    ],
)
def test_user_parts_are_the_whole_user_part_and_its_pieces_with_digits(
    address: str, pieces: list[str]
) -> None:
    assert user_parts(address) == pieces


def test_entries_ride_with_the_row_names_and_read_back() -> None:
    assert sorted(map(read_entry, entries_in(ROW))) == [
        (PHONE_PART, "5550143", PHONE),
        (PHONE_PART, "900143", "07700 900143"),
        (EMAIL_PART, "zq1985", EMAIL),
    ]


def _parts(scanner: TextScanner, text: str, row: frozenset[str] = ROW) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.whole) for s in scanner.scan(text, row) if s.whole]


@pytest.mark.parametrize(
    ("note", "piece", "whole"),
    [
        ("call her on 555-0143 after six", "555-0143", PHONE),
        ("call her on 555 0143 after six", "555 0143", PHONE),
        ("call her on 5550143 after six", "5550143", PHONE),
        ("call her on 555.0143.", "555.0143", PHONE),
        ("cell: 555 - 0143", "555 - 0143", PHONE),
        ("room 212, then 555-0143", "555-0143", PHONE),  # the area code, but not in its place
        ("mobile 900 143 or", "900 143", "07700 900143"),
        ("skype zq1985", "zq1985", EMAIL),
        ("handle: zq1985.", "zq1985", EMAIL),
        ("Skype ZQ1985, thanks", "ZQ1985", EMAIL),
        ("(zq1985)", "zq1985", EMAIL),
    ],
)
def test_scan_the_rows_phone_and_user_part_written_partly_are_found(
    scanner: TextScanner, note: str, piece: str, whole: str
) -> None:
    found = [s for s in scanner.scan(note, ROW) if s.whole]
    assert [(note[s.start : s.end], s.whole) for s in found] == [(piece, whole)]
    expected = entities.PHONE_NUMBER if piece[0].isdigit() else entities.EMAIL_ADDRESS
    assert found[0].entity == expected


@pytest.mark.parametrize(
    ("note", "why"),
    [
        ("order 25550143 shipped", "inside a longer digit run"),
        ("paid 5550143.25 today", "an amount"),
        ("call 415-555-0143", "another area's number: the rest of a longer number"),
        ("call (415) 555-0143", "another area's number, the area code in brackets"),
        ("ref 555-0143-12", "a longer code"),
        ("call +1 317 555 0143", "another number's end, grouped by spaces"),
        ("call 555 0143 12 times", "grouped with the digits after it"),
        ("ref5550143", "glued to a word"),
        ("+5550143", "an international number's start"),
        ("born 1985, zq1985x", "a year alone, a longer handle"),
        ("mail a.zq1985 or zq1985-2", "inside longer handles"),
        ("written zq1985@example.org whole", "the address itself: found whole"),
        ("call (212) 555-0143 now", "the number itself: found whole"),
    ],
)
def test_scan_pieces_inside_other_numbers_and_words_are_not_the_rows(
    scanner: TextScanner, note: str, why: str
) -> None:
    assert _parts(scanner, note) == [], why


def test_scan_a_seven_digit_run_in_another_rows_note_is_no_phone(scanner: TextScanner) -> None:
    # The pieces count only in their own row's text: elsewhere "5550143" is an order number.
    note = "order 5550143 for zq1985"
    assert _parts(scanner, note, frozenset({"ada"})) == []
    assert scanner.scan(note) == []


def test_entries_are_read_only_beside_the_mark_that_says_they_are_there() -> None:
    # Most rows' sets hold no entry: the scanner does not read their words to find none.
    bare = frozenset({"ada", entry(PHONE_PART, "5550143", PHONE)})
    assert entries_in(bare) == []
    assert entries_in(frozenset({"ada"})) == []
    assert len(entries_in(ROW)) == 3


_PHONE_TEXT = st.one_of(
    st.sampled_from(
        [
            "(212) 555-0143",
            "+1 212 555 0143",
            "12125550143",
            "11000000000",  # a 1 and ten digits that are no North American number
            "2125550143 ",
            " +1 (212) 555-0143",
            "\x1c+12125550143",  # whitespace to Python, not to RE2
            "07700 900143",
            "+44 20 7946 0018",
            "+61 491 570 156",
            "＋1 212 555 0143",
            "(２１２) ５５５-０１４３",
            "212+5550143",
            "555-0143",
        ]
    ),
    st.text(alphabet="0123456789 +-()1\x1c\t５", max_size=16),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), _PHONE_TEXT), max_size=8))
@example(values=["11000000000", "+12125550143", None, "\x1c+12125550143"])
def test_phone_pieces_read_in_bulk_are_subscriber_digits(values: list[str | None]) -> None:
    # The engine reads a batch's phones a column at a time: the same pieces as one by one, and the
    # seven digits it compares with a note's are the whole's last seven.
    for default in ("US", "GB"):
        column = phone_pieces(pa.array(values, pa.large_string()), default, REGIONS)
        expected = [
            () if v is None or (d := subscriber_digits(v, default, REGIONS)) is None else (d,)
            for v in values
        ]
        assert column.pieces_at(np.arange(len(values))) == expected
        assert column.numbers is not None
        for value, number, slow in zip(values, column.numbers, column.slow, strict=True):
            if number >= 0:
                assert not slow and value is not None
                assert re.sub(r"[^0-9]", "", value).endswith(f"{number:07d}"), value


_ADDRESS_TEXT = st.one_of(
    st.sampled_from(
        [
            "zq1985@example.org",
            "ZQ.1985x@example.org",
            "mark.ferrell.43254@example.com",
            "sales@example.org",
            " zq1985@example.org",
            "\x1czq1985@example.org",
            "zq1985@a@example.org",
            "zq1985",
            "İstanbul85@example.org",
            "jose.müller77@example.org",
        ]
    ),
    st.text(alphabet="abzAZ019._+-@ \x1cé", max_size=16),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), _ADDRESS_TEXT), max_size=8))
def test_email_pieces_read_in_arrow_hold_the_user_parts(values: list[str | None]) -> None:
    # Where Arrow reads the user part, it is all `user_parts` may keep: a note without it holds none.
    column = email_pieces(pa.array(values, pa.large_string()))
    assert column.users is not None
    quick = column.users.to_pylist()
    for value, user, slow in zip(values, quick, column.slow.tolist(), strict=True):
        if value is not None and not slow:
            assert set(user_parts(value)) <= {user}, value
            assert user in ("", value.strip().rpartition("@")[0].lower()), value


def _local_of(phone: str) -> list[str]:
    local = subscriber_digits(phone, "US", REGIONS)
    return [local] if local else []


@st.composite
def _written(draw: st.DrawFn, piece: str) -> str:
    """`piece` as a note's writer may write it: digits grouped, letters in any case."""
    if not piece.isdigit():
        return draw(st.sampled_from([piece, piece.upper(), piece.title()]))
    cuts = sorted(draw(st.sets(st.integers(1, len(piece) - 1), max_size=3)))
    gaps = [draw(st.sampled_from([" ", "-", ".", " - ", "\u2013"])) for _ in cuts]
    groups = [piece[a:b] for a, b in pairwise([0, *cuts, len(piece)])]
    return groups[0] + "".join(g + s for g, s in zip(gaps, groups[1:], strict=True))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_held_passes_every_note_the_scanner_finds_a_piece_in(data: st.DataObject) -> None:
    # The substring tests only spare the scanner notes it would find nothing in: a note it finds a
    # piece in that they failed would keep the piece.
    phone = data.draw(
        st.sampled_from([PHONE, "+1 212 555 0143", "07700 900143", "(２１２) ５５５-０１４３"])
    )
    address = data.draw(
        st.sampled_from([EMAIL, "zq.1985x@example.org", "Jose.Muller77@example.org"])
    )
    sources = [
        PieceSource(PHONE_PART, pa.array([phone], pa.large_string()), np.arange(1)),
        PieceSource(EMAIL_PART, pa.array([address], pa.large_string()), np.arange(1)),
    ]
    read = [(PHONE_PART, p, phone) for p in _local_of(phone)] + [
        (EMAIL_PART, p, address) for p in user_parts(address)
    ]
    own = [entry(*r) for r in read]
    pieces = [p for _kind, p, _whole in read]
    around = st.one_of(
        st.text(alphabet="0123456789 -./()_,:+@xZq\u00a0é５", max_size=8),
        # the rest of a whole before its piece, near or not: "(212) 555-0143", "Room 212: call ..."
        st.sampled_from(["(212) ", "212", "212-", "2 1 2) ", "(07700) ", "Room 212: call ", "@"]),
    )
    note = "".join(
        data.draw(around) + data.draw(_written(p))
        for p in data.draw(st.lists(st.sampled_from([*pieces, phone, address]), max_size=4))
    ) + data.draw(around)
    expected = {raw for raw in own if part_spans(note, [raw], [])}  # as if no whole were found
    one = np.zeros(1, dtype=np.intp)
    assert expected <= held([note], one, one, sources, ("US", REGIONS)).get(0, set()), note


def test_held_gives_a_note_only_its_own_rows_pieces_where_it_may_hold_them() -> None:
    notes = ["call her on 555-0143", "order 5550143 shipped", "skype ZQ1985", "no answer"]
    phones = pa.array([PHONE, "(415) 555-0199", None, PHONE], pa.large_string())
    emails = pa.array([None, None, EMAIL, EMAIL], pa.large_string())
    sources = [
        PieceSource(PHONE_PART, phones, np.arange(4)),
        PieceSource(EMAIL_PART, emails, np.arange(4)),
    ]
    codes = rows = np.arange(4)
    assert held(notes, codes, rows, sources, ("US", REGIONS)) == {
        0: {entry(PHONE_PART, "5550143", PHONE)},
        2: {entry(EMAIL_PART, "zq1985", EMAIL)},
    }


def test_held_reads_columns_in_several_chunks_and_empty_ones() -> None:
    # A batch read from a file across the reader's blocks holds its columns in several chunks (a
    # million-row scrub failed on its first batch when only one chunk was read).
    notes = ["call her on 555-0143", "skype ZQ1985"]
    phones = pa.chunked_array(
        [pa.array([PHONE], pa.large_string()), pa.array([None], pa.large_string())]
    )
    emails = pa.chunked_array(
        [pa.array([None], pa.large_string()), pa.array([EMAIL], pa.large_string())]
    )
    sources = [
        PieceSource(PHONE_PART, phones, np.arange(2)),
        PieceSource(EMAIL_PART, emails, np.arange(2)),
    ]
    codes = rows = np.arange(2)
    assert held(notes, codes, rows, sources, ("US", REGIONS)) == {
        0: {entry(PHONE_PART, "5550143", PHONE)},
        1: {entry(EMAIL_PART, "zq1985", EMAIL)},
    }
    assert phone_pieces(phones, "US", REGIONS).pieces_at(np.arange(2)) == [("5550143",), ()]
    assert email_pieces(emails).pieces_at(np.arange(2)) == [(), ("zq1985",)]
    empty = pa.array([], pa.large_string())
    assert phone_pieces(empty, "US", REGIONS).pieces_at(np.arange(0)) == []


@pytest.mark.parametrize(
    ("note", "whole"),
    [
        ("call (212) 555-0143 now", PHONE),
        ("call (212)  555 0143 now", PHONE),  # a wider gap, still one number
        ("call 07700 900143 now", "07700 900143"),
        ("mail ZQ1985@EXAMPLE.ORG today", EMAIL),  # an address in any case
    ],
)
def test_part_spans_finds_no_piece_inside_its_whole_even_where_no_whole_was_found(
    note: str, whole: str
) -> None:
    # With no span found whole: the digits before the piece make it a longer number's, an "@"
    # after the user part an address's. The engine's substring tests leave such notes out.
    piece = subscriber_digits(whole, "US", REGIONS) or user_parts(whole)[0]
    kind = PHONE_PART if piece.isdigit() else EMAIL_PART
    assert part_spans(note, [entry(kind, piece, whole)], []) == []
    assert part_spans(f"{note}, or {piece}", [entry(kind, piece, whole)], [])
