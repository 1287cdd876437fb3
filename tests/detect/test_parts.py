"""A row's own phones and addresses written partly in its free text: the pieces each row holds, and the
scanner finding them in that row's text only, however grouped, never inside a longer number or word."""

from __future__ import annotations

import pytest

from sanitizer import entities
from sanitizer.detect import NameFinder, TextScanner
from sanitizer.detect.parts import (
    EMAIL_PART,
    PHONE_PART,
    entries_in,
    entry,
    read_entry,
    subscriber_digits,
    user_parts,
)
from sanitizer.rules import RuleSet

REGIONS = ("US", "GB", "AU", "FR")
PHONE = "(212) 555-0143"
EMAIL = "zq1985@example.org"
ROW = frozenset(
    {
        "ada",
        entry(PHONE_PART, "5550143", PHONE),
        entry(PHONE_PART, "900143", "07700 900143"),
        entry(EMAIL_PART, "zq1985", EMAIL),
    }
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
