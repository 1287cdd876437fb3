"""The phone operator: safe ranges, kept country and area, kept layout, avoidance, uniqueness.

Inputs are fictional numbers (NANP 555-01XX, Ofcom drama, ACMA) or local numbers that can never be
allocated (a UK or NANP local part starting with 0); hypothesis adds random digit strings.
"""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sanitizer.errors import ConfigError
from sanitizer.operators import get_operator
from sanitizer.operators.phone import _nanp_areas, is_phone_number, parse_phone
from sanitizer.ranges import PhoneBlock, PhoneRanges, SafeRanges, default_safe_ranges

PHONE = "PHONE_NUMBER"
operator = get_operator("phone")


def e164(text: str, region: str = "US") -> str:
    return phonenumbers.format_number(
        phonenumbers.parse(text, region), phonenumbers.PhoneNumberFormat.E164
    )


@pytest.mark.parametrize(
    ("value", "region", "expected", "why"),
    [
        ("(212) 555-0123", "US", r"\(212\) 555-01\d\d", "NANP keeps the area code and the layout"),
        ("+1 415 555 0142", "US", r"\+1 415 555 01\d\d", "international NANP layout kept"),
        ("1-212-555-0199", "US", r"1-212-555-01\d\d", "trunk 1 and dashes kept"),
        ("212.555.0100", "US", r"212\.555\.01\d\d", "dotted layout kept"),
        ("+1 (416) 555-0100", "US", r"\+1 \(416\) 555-01\d\d", "Canadian area code kept"),
        ("(212) 055-0123", "US", r"\(212\) 555-01\d\d", "an invalid exchange still keeps the area"),
        ("020 7946 0000", "GB", r"020 7946 0\d{3}", "London drama block"),
        ("+44 20 7946 0999", "GB", r"\+44 20 7946 0\d{3}", "London, international layout"),
        ("+44 (0)20 7946 0123", "GB", r"\+44 \(0\)20 7946 0\d{3}", "the (0) trunk written out"),
        ("0113 496 0123", "GB", r"0113 496 0\d{3}", "Leeds drama block"),
        ("0161 496 0456", "GB", r"0161 496 0\d{3}", "Manchester drama block"),
        ("07700 900123", "GB", r"07700 900\d{3}", "mobiles go to 07700 900xxx"),
        ("+44 7700 900123", "GB", r"\+44 7700 900\d{3}", "mobile, international layout"),
        ("08081 570123", "GB", r"08081 570\d{3}", "freephone drama block"),
        ("01904 000000", "GB", r"01632 960\d{3}", "an area without a block gets 01632 960xxx"),
        ("028 9018 0123", "GB", r"01632 960\d{3}", "Northern Ireland is not shipped (unconfirmed)"),
        ("02890180123", "GB", r"01632960\d{3}", "no separators: digits in place"),
        ("+61 2 5550 1234", "US", r"\+61 2 (5550|7010) \d{4}", "ACMA blocks under the same area"),
        ("(03) 7010 1234", "AU", r"\(03\) (5550|7010) \d{4}", "ACMA, national layout"),
        ("0491 570 156", "AU", r"0491 57\d \d{3}", "ACMA's listed mobile numbers"),
        ("+33 1 00 00 00 00", "US", r"\+33 1 99 00 \d\d \d\d", "Arcep's fiction block for zone 01"),
        ("+33 6 00 00 00 00", "US", r"\+33 6 39 98 \d\d \d\d", "French mobiles: 06 39 98"),
        ("+49 30 0000000", "US", r"\+44 1632 960\d{3}", "no German range: the pool"),
    ],
)
def test_phone_table_value_maps_into_safe_range(make_ctx, ranges, value, region, expected, why):
    ctx = make_ctx("phone", PHONE, context={"default_region": region})
    [out] = operator.replace([value], ctx)
    assert re.fullmatch(expected, out), f"{why}: got {out}"
    assert ranges.is_safe_phone(e164(out, region))
    assert e164(out, region) != parse_phone(value, region, ctx.regions).key


def test_phone_tollfree_area_maps_to_another_us_area(make_ctx):
    [out] = operator.replace(["800-555-0100"], make_ctx("phone", PHONE))
    number = phonenumbers.parse(out, "US")
    assert re.fullmatch(r"\d{3}-555-01\d\d", out) and not out.startswith("800")
    assert phonenumbers.region_code_for_number(number) == "US"
    assert phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
    )


@pytest.mark.parametrize(
    "spellings",
    [
        ["(212) 555-0123", "+1 212-555-0123", "2125550123", "1 212 555 0123"],
        ["020 7946 0123", "+44 20 7946 0123", "+442079460123", "+44 (0)20 7946 0123"],
    ],
    ids=["nanp", "uk"],
)
def test_phone_spellings_of_one_number_get_one_number(make_ctx, spellings):
    ctx = make_ctx(
        "phone", PHONE, context={"default_region": "GB" if "020" in spellings[0] else "US"}
    )
    outs = operator.replace(spellings, ctx)
    assert len({e164(out, ctx.default_region) for out in outs}) == 1


def test_phone_output_does_not_depend_on_the_rest_of_the_batch(make_ctx):
    values = ["(212) 555-0123", "0113 496 0123", "+61 2 5550 1234", "not a phone"]
    ctx = make_ctx("phone", PHONE)
    together = operator.replace(values, ctx)
    alone = [operator.replace([value], ctx)[0] for value in values]
    assert together == alone


def test_phone_another_key_gives_other_numbers(make_ctx, other_keyring):
    values = [f"(212) 555-01{i:02d}" for i in range(100)]
    mine = operator.replace(values, make_ctx("phone", PHONE))
    theirs = operator.replace(values, make_ctx("phone", PHONE, key=other_keyring))
    assert sum(a != b for a, b in zip(mine, theirs, strict=True)) >= 90


def test_phone_avoided_originals_are_skipped(make_ctx):
    free = "+12125550177"
    avoid = {f"+121255501{i:02d}" for i in range(100)} - {free}
    [out] = operator.replace(["(212) 555-0123"], make_ctx("phone", PHONE, avoid=avoid))
    assert e164(out) == free


def test_phone_exhausted_area_falls_back_to_same_country(make_ctx, ranges):
    avoid = {f"+121255501{i:02d}" for i in range(100)}
    [out] = operator.replace(["(212) 555-0123"], make_ctx("phone", PHONE, avoid=avoid))
    number = phonenumbers.parse(out, "US")
    assert out[1:4] != "212" and phonenumbers.region_code_for_number(number) == "US"
    assert ranges.is_safe_phone(e164(out))


def test_phone_exhausted_uk_area_falls_back_to_another_uk_range(make_ctx, ranges):
    avoid = {f"+44113496{i:04d}" for i in range(1000)}
    [out] = operator.replace(["0113 496 0123"], make_ctx("phone", PHONE, avoid=avoid))
    number = e164(out, "GB")
    assert number.startswith("+44") and not number.startswith("+441134960")
    assert ranges.is_safe_phone(number)


def test_phone_unique_gives_distinct_numbers_beyond_one_area(make_ctx, ranges):
    values = [f"(212) 0{i % 100:02d}-{i:04d}" for i in range(150)]  # 150 numbers, 100 lines in 212
    outs = operator.replace(values, make_ctx("phone", PHONE, unique=True))
    numbers = [e164(out) for out in outs]
    assert len(set(numbers)) == 150
    assert sum(n.startswith("+1212") for n in numbers) == 100
    assert all(ranges.is_safe_phone(n) and n.startswith("+1") for n in numbers)


def test_phone_unique_does_not_depend_on_input_order(make_ctx):
    values = [f"(415) 0{i % 100:02d}-{i:04d}" for i in range(120)]
    ctx = make_ctx("phone", PHONE, unique=True)
    forward = dict(zip(values, operator.replace(values, ctx), strict=True))
    backward = dict(zip(values[::-1], operator.replace(values[::-1], ctx), strict=True))
    assert forward == backward


def test_phone_unique_exhausted_everywhere_raises_config_error(make_ctx):
    tiny = SafeRanges(
        phones=PhoneRanges(
            pool=(PhoneBlock(name="three DIDs", first="+12025550100", last="+12025550102"),)
        )
    )
    ctx = make_ctx("phone", PHONE, safe=tiny, unique=True)
    with pytest.raises(ConfigError, match="taken"):
        operator.replace([f"+49 30 000000{i}" for i in range(4)], ctx)


def test_phone_format_e164_ignores_the_layout(make_ctx):
    [out] = operator.replace(["(212) 555-0123"], make_ctx("phone", PHONE, format="e164"))
    assert re.fullmatch(r"\+121255501\d\d", out)


@pytest.mark.parametrize(
    ("value", "expected", "why"),
    [
        ("(212) 555-0123", True, "a NANP number"),
        ("+44 20 7946 0123", True, "an international number"),
        ("555-0123", True, "a local number is still possible"),
        ("call me maybe", False, "words"),
        ("12", False, "too short"),
        ("", False, "empty"),
    ],
)
def test_is_phone_number_table(value, expected, why):
    assert is_phone_number(value, "US", ("US", "GB")) is expected, why


# --- properties ------------------------------------------------------------------------------

NANP_AREAS = ["212", "415", "312", "416", "604", "876", "800", "983"]
UK_PREFIXES = ["20", "113", "161", "1904", "7911", "7700", "800", "845", "28", "29"]
digits = st.integers(min_value=0, max_value=10**9 - 1)


@st.composite
def nanp_numbers(draw):
    area, exchange, line = (
        draw(st.sampled_from(NANP_AREAS)),
        draw(st.integers(200, 999)),
        draw(st.integers(0, 9999)),
    )
    layout = draw(
        st.sampled_from(
            ["({a}) {e}-{l}", "{a}-{e}-{l}", "+1 {a} {e} {l}", "1{a}{e}{l}", "{a}.{e}.{l}"]
        )
    )
    return layout.format(a=area, e=exchange, l=f"{line:04d}"), "US"


@st.composite
def uk_numbers(draw):
    prefix = draw(st.sampled_from(UK_PREFIXES))
    rest = f"{draw(digits):09d}"[: 10 - len(prefix)]
    layout = draw(st.sampled_from(["0{p} {r}", "+44 {p} {r}", "+44 (0){p} {r}", "0{p}{r}"]))
    return layout.format(p=prefix, r=rest), "GB"


@st.composite
def au_numbers(draw):
    prefix = draw(st.sampled_from(["2", "3", "7", "8", "491", "412"]))
    rest = f"{draw(digits):09d}"[: 9 - len(prefix)]
    layout = draw(st.sampled_from(["0{p} {r}", "+61 {p} {r}", "(0{p}) {r}"]))
    return layout.format(p=prefix, r=rest), "AU"


@st.composite
def other_values(draw):
    choice = draw(st.sampled_from(["fr", "de"]))
    if choice == "fr":
        return f"+33 1 {draw(digits) % 10**8:08d}", "US"
    return f"+49 30 {draw(digits) % 10**8:08d}", "US"


any_phone = st.one_of(nanp_numbers(), uk_numbers(), au_numbers(), other_values())


def in_block(block, number: str) -> bool:
    if block.numbers:
        return number in block.numbers
    return len(number) == len(block.first) and int(block.first) <= int(number) <= int(block.last)


@settings(max_examples=300, deadline=None)
@given(case=any_phone)
def test_phone_property_output_is_safe_keeps_country_and_area(make_ctx, case):
    ranges = default_safe_ranges()
    value, region = case
    ctx = make_ctx("phone", PHONE, context={"default_region": region})
    [out] = operator.replace([value], ctx)
    out164 = parse_phone(out, region, ctx.regions).key
    assert phonenumbers.is_possible_number(phonenumbers.parse(out164))  # parses as a number
    assert ranges.is_safe_phone(out164)
    parsed = parse_phone(value, region, ctx.regions)
    assert out164 != parsed.key
    assert operator.replace([value], ctx) == [out]  # deterministic
    if parsed.country_code in ("1", "44", "61"):
        assert out164[1:].startswith(parsed.country_code)  # country kept
    national = parsed.national or ""
    if parsed.country_code == "1" and national[:3] in _nanp_areas("555", "0100"):
        assert out164[2:5] == national[:3]  # NANP area code kept
    if parsed.country_code == "44":
        serves = [p for r in ranges.phones.ranges if r.country == "GB" for p in r.serves]
        area = max((p for p in serves if national.startswith(p)), key=len, default=None)
        if area is not None:  # a drama block exists for this area: the output is in it
            homes = [r for r in ranges.phones.ranges if r.country == "GB" and area in r.serves]
            assert any(in_block(r, out164) for r in homes)


@settings(max_examples=100, deadline=None)
@given(cases=st.lists(any_phone, min_size=1, max_size=30, unique_by=lambda c: c[0]))
def test_phone_property_never_returns_an_avoided_original(make_ctx, cases):
    ranges = default_safe_ranges()
    values = [value for value, _ in cases]
    regions = ("US", "GB", "AU")
    plain = make_ctx("phone", PHONE, context={"regions": regions})
    # Avoid the originals and whatever a first pass produced, so every value must move on.
    avoid = {parse_phone(v, "US", regions).key for v in values}
    avoid |= {parse_phone(o, "US", regions).key for o in operator.replace(values, plain)}
    ctx = make_ctx("phone", PHONE, avoid=avoid, unique=True, context={"regions": regions})
    numbers = [parse_phone(o, "US", regions).key for o in operator.replace(values, ctx)]
    assert not set(numbers) & avoid
    keys = [parse_phone(v, "US", regions).key for v in values]
    by_key = dict(zip(keys, numbers, strict=True))
    assert len(set(numbers)) == len(by_key)  # unique per distinct number
    assert all(by_key[k] == n for k, n in zip(keys, numbers, strict=True))  # spellings agree
    assert all(ranges.is_safe_phone(n) for n in numbers)


@st.composite
def nanp_spellings(draw):
    """North American spellings, everyday and odd: spaces RE2 and Python disagree on, other digits."""
    # Area codes with fiction lines (US, Canada), and without: unassigned (555, 362, 999), toll-free.
    area = draw(st.sampled_from([*NANP_AREAS, "555", "201", "362", "999"]))
    exchange = draw(st.sampled_from(["555", "867", "200"]))
    line = draw(st.sampled_from(["0100", "0150", "0199", "5309", "0000"]))
    layout = draw(
        st.sampled_from(
            [
                "({a}) {e}-{l}",
                "{a}-{e}-{l}",
                "+1 {a} {e} {l}",
                "1{a}{e}{l}",
                "1-{a}-{e}-{l}",
                "{a}.{e}.{l}",
                " {a}{e}{l}\n",
                "\t({a}){e} {l}",
                "{a}\x0b{e}{l}",
                "{a}{e}\x1c{l}",
                "\xa0{a}{e}{l}",
                "{a}{e}{l}x",
            ]
        )
    )
    value = layout.format(a=area, e=exchange, l=line)
    if draw(st.booleans()):  # an Arabic-Indic digit: \d for Python, not for RE2
        value = value.replace("0", "\u0660", 1)
    return value


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(nanp_spellings(), min_size=1, max_size=25, unique=True),
    region=st.sampled_from(["US", "CA", "GB"]),
    taken=st.lists(st.integers(0, 99), max_size=40),
)
# Every fiction line of an area avoided; and every line of one written as an original (one of them
# is bound to be its own first probe).
@example(
    values=["(212) 867-5309", "+1 415 200 0000", "201.555.0150"], region="US", taken=[*range(100)]
)
@example(
    values=[
        f"({area}) 555-{line:04d}" for area in ("201", "212", "415") for line in range(100, 200)
    ],
    region="US",
    taken=[],
)
def test_phone_arrow_path_gives_what_the_per_value_path_gives(make_ctx, values, region, taken):
    # First probes (an area's own fiction lines, or the country's for an area code without them) are
    # picked in bulk; the result must be the per-value path's, including when a first probe is an
    # avoided original or the number itself.
    from sanitizer.operators.phone import _plan_for, _replace_each, home_country_code

    avoid = {f"+1{a}555{100 + t:04d}" for a in ("212", "415", "201") for t in taken}
    ctx = make_ctx(
        "phone", PHONE, avoid=avoid, context={"default_region": region, "regions": (region, "US")}
    )
    params = ctx.params
    per_value = _replace_each(values, ctx, params, _plan_for(ctx.ranges), home_country_code(region))
    out = operator.replace(values, ctx)
    assert all(p is None or o == p for o, p in zip(out, per_value, strict=True))  # None: cells
