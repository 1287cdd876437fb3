"""Normalisation decides which spellings are "the same value" and so share one replacement."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sanitizer import entities
from sanitizer.entities import (
    normalize,
    normalize_email,
    normalize_name,
    normalize_phone,
    phone_key,
)

REGIONS = ("US", "GB", "AU", "CA", "IE", "FR", "DE")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 212 555 0185", "+12125550185"),  # international with spaces
        ("(212) 555-0185", "+12125550185"),  # US national with parentheses
        ("1-212-555-0185", "+12125550185"),  # trunk 1 and dashes
        ("212.555.0185", "+12125550185"),  # dots
        ("2125550185", "+12125550185"),  # bare ten digits
        ("+1 (212) 555-0185", "+12125550185"),  # international with parentheses
        ("020 7946 0123", "+442079460123"),  # London drama number written nationally
        ("+44 20 7946 0123", "+442079460123"),  # the same, international
        ("0044 20 7946 0123", "+442079460123"),  # the same, 00 international prefix
        ("0491 570 156", "+61491570156"),  # ACMA fictional mobile written nationally
        ("+61 491 570 156", "+61491570156"),  # the same, international
        ("(02) 5550 1234", "+61255501234"),  # ACMA fictional Sydney number, national
    ],
)
def test_normalize_phone_us_default_gives_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw, "US", REGIONS) == expected


@pytest.mark.parametrize(
    ("raw", "region", "regions", "expected"),
    [
        # A UK run writes numbers nationally; the Ofcom drama mobile is "possible" but not "valid"
        # in phonenumbers' metadata, and must stay British.
        ("07700 900123", "GB", ("GB", "US"), "+447700900123"),
        ("020 7946 0123", "GB", ("GB", "US"), "+442079460123"),
        ("0491 570 156", "AU", ("AU", "GB"), "+61491570156"),
    ],
)
def test_normalize_phone_national_default_region_keeps_country(
    raw: str, region: str, regions: tuple[str, ...], expected: str
) -> None:
    assert normalize_phone(raw, region, regions) == expected


def test_normalize_phone_gb_default_drama_mobile_stays_british_with_shipped_regions() -> None:
    regions = ("US", "GB", "AU", "CA", "IE", "FR", "DE")
    assert normalize_phone("07700 900123", "GB", regions) == normalize_phone(
        "+44 7700 900123", "GB", regions
    )


@pytest.mark.parametrize(
    ("spellings", "why"),
    [
        (["+1 212 555 0185", "(212) 555-0185", "1-212-555-0185", "212.555.0185"], "NANP formats"),
        (["+44 20 7946 0123", "020 7946 0123", "0044 20 7946 0123"], "UK formats"),
        (["+61 491 570 156", "0491 570 156", "0491570156"], "AU mobile formats"),
    ],
)
def test_phone_key_every_format_of_a_number_gives_one_key(spellings: list[str], why: str) -> None:
    assert len({phone_key(s) for s in spellings}) == 1, why


def test_phone_key_drops_country_code_and_trunk_prefix() -> None:
    assert phone_key("+1 212 555 0185") == "2125550185"
    assert phone_key("+61 491 570 156") == "491570156"
    assert phone_key("0491 570 156") == "491570156"


def test_normalize_phone_unparseable_compares_by_digits() -> None:
    assert normalize_phone("call me", "US", REGIONS) == ""
    assert normalize_phone("+999 12", "US", REGIONS) == "+99912"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada", "ada"),  # case-folded
        ("  ADA   LOVELACE ", "ada lovelace"),  # outer spaces stripped, inner collapsed
        ("Ada\tLovelace", "ada lovelace"),  # tabs are whitespace too
        ("Straße", "strasse"),  # casefold, not lower: ß folds to ss
        ("Ａｄａ", "ada"),  # NFKC folds full-width letters
        ("José GARCÍA", "jose garcia"),  # accents go: an agent often types names without them
        ("Zoë Brontë", "zoe bronte"),
        ("Ødegård", "ødegard"),  # ø is a letter of its own, the ring on å an accent
        ("Łukasz", "łukasz"),
        ("कृष्ण", "कृष्ण"),  # other scripts' marks are part of their letters
    ],
)
def test_normalize_name_folds_case_width_and_spaces(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada.Lovelace@Example.COM", "ada.lovelace@example.com"),  # local part and domain folded
        ("  ada@example.org\n", "ada@example.org"),  # stripped
        # Disguised addresses are the address they spell (the scanner finds them in notes).
        ("ZQ1985 at example dot org", "zq1985@example.org"),
        ("zq1985 (at) mail (dot) example [dot] org", "zq1985@mail.example.org"),
        ("zq1985 [AT] example.org", "zq1985@example.org"),
        ("zq1985 @ example.org", "zq1985@example.org"),
        ("zq1985%40example.org", "zq1985@example.org"),
        ("zq1985&#64;example.org", "zq1985@example.org"),
        ("zq1985\uff20example.org", "zq1985@example.org"),
        ("pat at example dot org", "pat@example.org"),  # "at" inside a word is no "@"
        ("we met at the office", "we met at the office"),  # prose stays what it is
        ("ada lovelace@example.com", "ada lovelace@example.com"),  # not one address: untouched
        ("josé@mañana.es", "josé@mañana.es"),
        ("zq1985%2Bbilling%40example.org", "zq1985+billing@example.org"),  # escaped
        ('"zq1985"@example.org', "zq1985@example.org"),  # a quoted user part
        ("zq1985\uff20example\uff0eorg", "zq1985@example.org"),  # full-width
        ("zq\u200b1985@example.org", "zq1985@example.org"),  # a zero-width space inside
    ],
)
def test_normalize_email_lowercases_and_strips(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("entity", "raw", "expected"),
    [
        (entities.PHONE_NUMBER, "(212) 555-0185", "+12125550185"),
        (entities.EMAIL_ADDRESS, "A@Example.com", "a@example.com"),
        (entities.FIRST_NAME, "ADA", "ada"),
        (entities.LAST_NAME, "Lovelace ", "lovelace"),
        (entities.PERSON, "Ada  Lovelace", "ada lovelace"),
        (
            "ACCOUNT_NUMBER",
            "  AC-1234\t5678 ",
            "AC-1234 5678",
        ),  # others: whitespace only, case kept
    ],
)
def test_normalize_dispatches_by_entity(entity: str, raw: str, expected: str) -> None:
    assert normalize(entity, raw, "US", REGIONS) == expected


def test_namespace_is_per_entity() -> None:
    assert entities.namespace("EMAIL_ADDRESS") == "email_address"
    assert entities.namespace("PHONE_NUMBER") != entities.namespace("EMAIL_ADDRESS")


def test_specific_entities_exclude_single_names() -> None:
    # A first or last name alone is not specific enough to call its presence anywhere a leak.
    assert not entities.SPECIFIC_ENTITIES & entities.NAME_ENTITIES
    assert entities.EMAIL_ADDRESS in entities.SPECIFIC_ENTITIES
    assert entities.PHONE_NUMBER in entities.SPECIFIC_ENTITIES


_DIGITS = "0123456789"
_PHONE_PARTS = st.sampled_from(
    [" ", "  ", "\t", "-", ".", "(", ")", "+", "+1", "00", "1", "0", "٣", "\x1c", "x", "/"]
)


@st.composite
def _phone_spellings(draw: st.DrawFn) -> str:
    """Phone-like strings: plain North American numbers and everything near them."""
    pieces = draw(
        st.lists(
            st.one_of(_PHONE_PARTS, st.text(alphabet=_DIGITS, min_size=1, max_size=11)),
            min_size=1,
            max_size=8,
        )
    )
    return "".join(pieces)


# Enough plain numbers that the vectorised path (1000 values or more) is taken.
_PLAIN = [f"({200 + i % 700}) 555-{i:04d}" for i in range(1000)]


@settings(max_examples=60, deadline=None)
@given(drawn=st.lists(_phone_spellings(), min_size=1, max_size=60))
@example(drawn=["11000000000"])  # a 1 then ten digits that no area code starts: one-by-one says so
@example(drawn=["+1 012 555 0100"])
@pytest.mark.parametrize("region", ["US", "GB", "CA"])
def test_many_values_at_once_normalise_as_one_at_a_time(region: str, drawn: list[str]) -> None:
    # The vectorised path must give exactly what the one-by-one path gives, value for value.
    values = drawn + _PLAIN
    assert entities.phone_keys(values) == [phone_key(v) for v in values]
    assert entities.normalize_many("PHONE_NUMBER", values, region, REGIONS) == [
        normalize_phone(v, region, REGIONS) for v in values
    ]
