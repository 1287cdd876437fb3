"""Reading and writing phone numbers: the fast path agrees with phonenumbers; layouts are kept."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.operators.phone_numbers import (
    ParsedPhone,
    _parse_fast,
    _parse_slow,
    nanp_in_place,
    parse_phone,
    read_nanp,
    render,
    split_country_code,
    valid_in_region,
)

LAYOUTS = {
    "US": [
        "({a}) {b}-{c}",
        "{a}-{b}-{c}",
        "1 {a} {b} {c}",
        "{a}.{b}.{c}",
        "+1 {a} {b} {c}",
        "{a}{b}{c}",
    ],
    "GB": ["0{a} {b}{c}", "0{a}{b}{c}", "+44 {a} {b} {c}", "+44 (0){a} {b}{c}"],
    "AU": ["0{a} {b} {c}", "(0{a}) {b}{c}", "+61 {a} {b} {c}"],
    "IN": ["0{a} {b}{c}", "+91 {a} {b}{c}"],
}


@st.composite
def phone_texts(draw):
    region = draw(st.sampled_from(sorted(LAYOUTS)))
    national = str(draw(st.integers(10**8, 10**10 - 1)))
    layout = draw(st.sampled_from(LAYOUTS[region]))
    return layout.format(a=national[:3], b=national[3:6], c=national[6:]), region


@settings(max_examples=500, deadline=None)
@given(case=phone_texts())
def test_parse_fast_agrees_with_the_full_parse(case):
    value, region = case
    fast = _parse_fast(value, region)
    if fast is not None:
        assert fast == _parse_slow(value, region, ("US", "GB", "AU", "IN"))
        assert fast.key == phonenumbers.format_number(
            phonenumbers.parse(value, region), phonenumbers.PhoneNumberFormat.E164
        )


@settings(max_examples=300, deadline=None)
@given(
    region=st.sampled_from(["US", "CA", "GB", "AU", "JM", "IN", "DE"]),
    national=st.integers(10**6, 10**11 - 1).map(str),
)
def test_valid_in_region_agrees_with_phonenumbers(region, national):
    number = phonenumbers.PhoneNumber(
        country_code=phonenumbers.country_code_for_region(region), national_number=int(national)
    )
    expected = phonenumbers.is_valid_number_for_region(number, region)
    assert valid_in_region(region, national) == expected


@pytest.mark.parametrize(
    ("value", "region", "expected", "why"),
    [
        ("(212) 555-0123", "US", ("+12125550123", "1", "2125550123"), "NANP national"),
        (
            "020 7946 0123",
            "US",
            ("+442079460123", "44", "2079460123"),
            "invalid at home, valid in GB",
        ),
        ("+44 (0)20 7946 0123", "US", ("+442079460123", "44", "2079460123"), "the (0) trunk"),
        ("555-0123", "US", ("+15550123", "1", "5550123"), "a local number is possible"),
        ("call me", "US", ("", None, None), "no digits, no country"),
    ],
)
def test_parse_phone_table(value, region, expected, why):
    assert parse_phone(value, region, ("US", "GB")) == ParsedPhone(*expected), why


@pytest.mark.parametrize(
    ("raw", "number", "home", "in_place", "expected", "why"),
    [
        ("(212) 555-1234", "12125550177", "1", True, "(212) 555-0177", "digits in place"),
        ("1-212-555-1234", "12125550177", "1", True, "1-212-555-0177", "trunk 1 kept"),
        ("+44 20 7946 1234", "442079460177", "1", True, "+44 20 7946 0177", "international"),
        ("+44 (0)20 7946 1234", "442079460177", "1", True, "+44 (0)20 7946 0177", "(0) kept"),
        ("011 44 20 7946 1234", "442079460177", "1", True, "011 44 20 7946 0177", "IDD kept"),
        ("020 7946 1234", "442079460177", "44", True, "020 7946 0177", "national at home"),
        ("020 7946 1234", "442079460177", "1", True, "+44 20 7946 0177", "foreign: international"),
        ("028 9018 1234", "441632960177", "44", False, "01632 960177", "new area: standard format"),
        ("02890181234", "441632960177", "44", False, "01632960177", "no separators: in place"),
        ("+1 212 555 1234 x12", "12125550177", "1", True, "+12125550177", "extension: E.164"),
    ],
)
def test_render_table(raw, number, home, in_place, expected, why):
    phone = parse_phone(raw, "GB" if home == "44" else "US", ("US", "GB"))
    assert render(raw, phone, number, home_cc=home, in_place=in_place) == expected, why


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("12125550123", "1"), ("442079460123", "44"), ("353123", "353"), ("999", None)],
)
def test_split_country_code_table(digits, expected):
    assert split_country_code(digits) == expected


@st.composite
def nanp_spellings(draw):
    """North American numbers spelled the ways people write them, with odd spacing now and then."""
    area = str(draw(st.integers(200, 999)))
    exchange = f"{draw(st.integers(0, 999)):03d}"
    line = f"{draw(st.integers(0, 9999)):04d}"
    prefix = draw(st.sampled_from(["", "1", "1 ", "1-", "+1", "+1 ", "+1-", "+1."]))
    opening, closing = draw(st.sampled_from([("", ""), ("(", ")"), ("(", ") ")]))
    separator = draw(st.sampled_from(["", " ", "-", "."]))
    padding = draw(st.sampled_from(["", " ", "  "]))
    value = f"{padding}{prefix}{opening}{area}{closing}{exchange}{separator}{line}{padding}"
    return value, area


@settings(max_examples=600, deadline=None)
@given(
    case=nanp_spellings(),
    region=st.sampled_from(["US", "CA", "GB"]),
    new_area=st.one_of(st.none(), st.integers(200, 999).map(str)),
)
def test_read_nanp_agrees_with_parse_phone_and_render(case, region, new_area):
    value, area = case
    home = "44" if region == "GB" else "1"
    fast = read_nanp(value, home)
    if fast is None:
        assert home != "1" and "+1" not in value, "every US spelling at home is read by the regex"
        return
    parsed, match = fast
    assert parsed == parse_phone(value, region, ("US", "GB"))
    number = f"1{new_area or area}5550142"  # the same area code, or a new one
    assert nanp_in_place(match, number) == render(value, parsed, number, home_cc=home)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("+212 555 0123", "+212 is Morocco, not a US area code"),
        ("(112) 555-0123", "area codes start 2-9"),
        ("212-555-0123 ext 5", "an extension goes the long way"),
        ("1212555012", "ten digits starting with the trunk 1"),
        ("+44 20 7946 0123", "another country"),
    ],
)
def test_read_nanp_leaves_other_shapes_to_the_full_parse(value, why):
    assert read_nanp(value, "1") is None, why
