"""Phone cells that are not one number: placeholders stay, each number of a cell is replaced as it is
alone, labels stay, extensions are masked, partial numbers get safe digits. Inputs are fictional."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.entities import normalize_phone, phone_key
from sanitizer.operators import get_operator

PHONE = "PHONE_NUMBER"
ALL = ("US", "GB", "AU", "CA", "IE", "FR", "DE")
operator = get_operator("phone")


@pytest.mark.parametrize(
    ("value", "regions", "expected", "why"),
    [
        ("N/A", ALL, r"N/A", "a placeholder is no personal data: kept"),
        ("-", ALL, r"-", "a dash placeholder: kept"),
        ("unknown", ALL, r"unknown", "a word: kept"),
        ("ask customer", ALL, r"ask customer", "words without a digit: kept"),
        ("2125550143,2125550144", ALL, r"21255501\d\d,21255501\d\d", "two numbers, comma kept"),
        (
            "+1 415 555 0101; (646) 555-0102 / 0113 496 0777",
            ALL,
            r"\+1 415 555 01\d\d; \(646\) 555-01\d\d / \+44 113 496 0\d{3}",
            "three numbers; 0113 is Leeds when GB is a region (foreign: international layout)",
        ),
        (
            "+1 415 555 0101; (646) 555-0102 / 0113 496 0777",
            ("US",),
            r"\+1 415 555 01\d\d; \(646\) 555-01\d\d / \d{4} 555 01\d\d",
            "without GB, 0113 496 0777 is no number: a partial, given a safe number's digits",
        ),
        (
            "+1 (212) 555-0147 (mobile)",
            ALL,
            r"\+1 \(212\) 555-01\d\d \(mobile\)",
            "a label: kept, area code kept",
        ),
        ("212 555 0147 ext 12", ALL, r"212 555 01\d\d ext \*\*", "an extension is masked"),
        ("212-555-0143x12", ALL, r"212-555-01\d\dx\*\*", "an extension after x"),
        ("212 555 014", ALL, r"212 555 01\d", "too short: the leading digits of a safe number"),
        ("+33 1 99 00 12 34 (bureau)", ALL, r"\+33 1 99 00 \d\d \d\d \(bureau\)", "French label"),
    ],
)
def test_phone_cell_table_parts_are_replaced_text_is_kept(make_ctx, value, regions, expected, why):
    ctx = make_ctx("phone", PHONE, context={"regions": regions})
    [out] = operator.replace([value], ctx)
    assert re.fullmatch(expected, out), f"{why}: got {out!r}"


@pytest.mark.parametrize(
    ("cell", "numbers"),
    [
        ("2125550143,2125550144", ["2125550143", "2125550144"]),
        ("+1 (212) 555-0147 (mobile)", ["+1 (212) 555-0147"]),
        ("212 555 0147 ext 12", ["212 555 0147"]),
        ("(646) 555-0102 / 0113 496 0777", ["(646) 555-0102", "0113 496 0777"]),
    ],
)
def test_phone_cell_number_gets_the_replacement_it_gets_alone(make_ctx, cell, numbers):
    ctx = make_ctx("phone", PHONE, context={"regions": ALL})
    [out] = operator.replace([cell], ctx)
    alone = operator.replace(numbers, ctx)
    for new in alone:
        assert new in out, (cell, new, out)


def test_phone_cell_partial_never_takes_an_original(make_ctx):
    [first] = operator.replace(["212 555 014"], make_ctx("phone", PHONE))
    avoid = {normalize_phone(first, "US", ("US", "GB"))}
    [second] = operator.replace(["212 555 014"], make_ctx("phone", PHONE, avoid=avoid))
    assert second != first and re.fullmatch(r"\d{3} \d{3} \d{3}", second)


def test_phone_cell_parts_are_the_numbers_inside(make_ctx):
    ctx = make_ctx("phone", PHONE, context={"regions": ALL})
    values = ["(212) 555-0143", "N/A", "2125550143,2125550144", "212 555 0147 ext 12"]
    assert operator.parts(values, ctx) == ["212 555 0147", "2125550143", "2125550144"]


numbers = st.one_of(
    st.integers(0, 99).map(lambda n: f"(212) 555-01{n:02d}"),
    st.integers(0, 999).map(lambda n: f"+44 7700 900{n:03d}"),
    st.integers(2 * 10**8, 10**9 - 1).map(str),  # nine digits: a partial number
)
words = st.sampled_from([" N/A ", " ext 12; ", " (mobile) ", " / ", ", ", "; ", " or "])


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.tuples(numbers, words), min_size=1, max_size=4))
def test_phone_cell_property_no_number_survives(make_ctx, parts):
    cell = "".join(number + word for number, word in parts)
    originals = [number for number, _ in parts]
    avoid = {normalize_phone(n, "US", ALL) for n in originals}
    ctx = make_ctx("phone", PHONE, avoid=avoid, context={"regions": ALL})
    [out] = operator.replace([cell], ctx)
    assert operator.replace([cell], ctx) == [out]  # deterministic
    digits = re.sub(r"\D", "", out)
    for number in originals:
        assert phone_key(number) not in digits, (cell, out)
    for _, word in parts:
        assert word.replace("12", "**") in out  # labels and separators kept, extensions masked
