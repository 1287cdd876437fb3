"""Safe ranges: the shipped file, the membership checks the verifier relies on, and file errors."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import sanitizer.ranges as ranges_module
from sanitizer.errors import RulesError
from sanitizer.ranges import (
    EmailRanges,
    PhoneBlock,
    PhoneRange,
    SafeRanges,
    default_safe_ranges,
    read_safe_ranges,
)

SHIPPED = default_safe_ranges()


def test_default_safe_ranges_is_read_once():
    assert default_safe_ranges() is SHIPPED


def test_shipped_ranges_each_cite_a_source_and_parse_in_their_country():
    assert SHIPPED.phones.nanp is not None and SHIPPED.phones.nanp.source
    for phone_range in SHIPPED.phones.ranges:
        assert phone_range.source
        for number in (phone_range.first, phone_range.last, *phone_range.numbers):
            if number is None:
                continue
            parsed = phonenumbers.parse(number)
            assert phonenumbers.is_possible_number(parsed), number
            expected_cc = phonenumbers.country_code_for_region(phone_range.country)
            assert parsed.country_code == expected_cc, phone_range.name


def test_shipped_ranges_have_one_fallback_per_country():
    fallbacks = [r.country for r in SHIPPED.phones.ranges if r.is_fallback]
    assert sorted(fallbacks) == sorted(set(fallbacks)) == ["AU", "FR", "GB"]


@pytest.mark.parametrize(
    ("e164", "safe", "why"),
    [
        ("+12125550100", True, "NANP fiction lines, first"),
        ("+12125550199", True, "NANP fiction lines, last"),
        ("+19075550142", True, "any area code"),
        ("+12125550099", False, "just below the fiction lines"),
        ("+12125550200", False, "just above"),
        ("+12125551212", False, "directory assistance is real"),
        ("+441134960000", True, "Leeds drama block, first"),
        ("+441134960999", True, "Leeds drama block, last"),
        ("+441134961000", False, "one past Leeds' block"),
        ("+442079460123", True, "London"),
        ("+447700900999", True, "UK mobile drama block"),
        ("+447700901000", False, "one past the mobile block"),
        ("+441632960500", True, "Ofcom no-area block"),
        ("+442890180123", False, "Northern Ireland is not shipped (unconfirmed)"),
        ("+61255501234", True, "ACMA 02 5550"),
        ("+61870109999", True, "ACMA 08 7010, last"),
        ("+61255511234", False, "next to ACMA's block"),
        ("+61491570156", True, "a listed ACMA mobile"),
        ("+61491570157", True, "another listed ACMA mobile"),
        ("+61491570160", False, "an unlisted number in the same hundred"),
        ("+33100000000", False, "a French number outside Arcep's fiction roots"),
        ("+33199001234", True, "Arcep: 01 99 00 xx xx"),
        ("12125550123", False, "not E.164: no plus"),
        ("+1 212 555 0123", False, "not E.164: spaces"),
        ("", False, "empty"),
    ],
)
def test_is_safe_phone_table(e164, safe, why):
    assert SHIPPED.is_safe_phone(e164) is safe, why


def test_is_safe_phone_accepts_pool_numbers():
    ranges = SafeRanges(
        phones={"pool": [{"name": "staging DIDs", "numbers": ["+33900000001", "+33900000002"]}]}
    )
    assert ranges.is_safe_phone("+33900000002") and not ranges.is_safe_phone("+33900000003")


SINKED = SafeRanges(emails=EmailRanges(sink_domain="mailsink.staging-corp.net"))


@pytest.mark.parametrize(
    ("address", "safe", "why"),
    [
        ("jane.roe@example.com", True, "RFC 2606"),
        ("Jane.Roe@EXAMPLE.ORG", True, "case-insensitive domain"),
        ("a@mail.example.net", True, "a subdomain of a reserved domain"),
        ("a@shop.test", True, ".test is reserved"),
        ("a@x.invalid", True, ".invalid is reserved"),
        ("a@demo.example", True, ".example is reserved"),
        ("a@example.com.", True, "a trailing dot is the same domain"),
        ("a@mailsink.staging-corp.net", True, "the configured sink"),
        ("a@other.mailsink.staging-corp.net", False, "not a subdomain of the sink"),
        ("a@staging-corp.net", False, "the sink's parent is real"),
        ("a@gmail.com", False, "a real provider"),
        ("a@example.com.evil.net", False, "a look-alike"),
        ("a@notexample.com", False, "suffix without a dot boundary"),
        ("a@example.co", False, "a real ccTLD domain"),
        ("@example.com", False, "no local part"),
        ("example.com", False, "no @"),
        ("", False, "empty"),
    ],
)
def test_is_safe_email_table(address, safe, why):
    assert SINKED.is_safe_email(address) is safe, why


def test_is_safe_email_without_sink_refuses_the_sink_domain():
    assert not SHIPPED.is_safe_email("a@mailsink.staging-corp.net")


@pytest.mark.parametrize(
    ("document", "message", "why"),
    [
        ("phones: [", "line", "invalid YAML names the line"),
        ("- just a list", "expected a mapping", "the top level must be a mapping"),
        ("version: 2", "version", "unknown version"),
        ("emails:\n  domains: [gmail.com]", "emails.domains", "a real domain in `domains`"),
        ("emails:\n  sink_domain: 'not a domain'", "emails.sink_domain", "a malformed sink"),
        (
            "phones:\n  ranges:\n    - {name: x, country: GB, first: '+441134960999', last: '+441134960000', source: s}",
            "phones.ranges[0]",
            "an interval backwards",
        ),
        (
            "phones:\n  ranges:\n    - {name: x, country: GB, numbers: ['+4411'], source: s}",
            "E.164",
            "a number that is not E.164",
        ),
        (
            "phones:\n  ranges:\n    - {name: x, country: GB, first: '+441134960000', last: '+441134960999'}",
            "source",
            "every range cites its source",
        ),
        (
            "phones:\n  ranges:\n    - {name: x, country: gb, numbers: ['+441134960000'], source: s}",
            "country",
            "a region code in capitals",
        ),
        ("phones:\n  colour: blue", "phones.colour", "unknown keys are errors"),
    ],
)
def test_read_safe_ranges_errors_name_file_and_key(tmp_path, document, message, why):
    path = tmp_path / "safe-ranges.yaml"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        read_safe_ranges(path)
    assert message in str(caught.value) and str(path) in str(caught.value), why


def test_read_safe_ranges_missing_file_is_a_rules_error(tmp_path):
    with pytest.raises(RulesError, match="cannot read safe ranges file"):
        read_safe_ranges(tmp_path / "absent.yaml")


def test_read_safe_ranges_round_trips_the_shipped_file():
    shipped = Path(inspect.getfile(ranges_module)).parent.parent / "rules" / "safe-ranges.yaml"
    if shipped.exists():  # a source checkout
        assert read_safe_ranges(shipped) == SHIPPED


@pytest.mark.parametrize(
    ("block", "why"),
    [
        ({"name": "x"}, "neither interval nor list"),
        ({"name": "x", "first": "+12025550100", "numbers": ["+12025550101"]}, "both shapes"),
        ({"name": "x", "first": "+12025550100"}, "an interval needs both ends"),
        ({"name": "x", "first": "+12025550100", "last": "+120255501000"}, "ends of other lengths"),
        ({"name": "x", "first": "+10000000000", "last": "+19999999999"}, "too large a block"),
    ],
)
def test_phone_block_invalid_shapes_are_rejected(block, why):
    with pytest.raises(ValidationError):
        PhoneBlock.model_validate(block)


def test_phone_range_serves_must_be_digits():
    with pytest.raises(ValidationError):
        PhoneRange.model_validate(
            {
                "name": "x",
                "country": "GB",
                "numbers": ["+441134960000"],
                "serves": ["1a"],
                "source": "s",
            }
        )


def test_ranges_module_does_not_import_the_generators():
    # Membership must stay independent of generation: the verifier cannot trust the operators.
    tree = ast.parse(Path(inspect.getfile(ranges_module)).read_text(encoding="utf-8"))
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    assert not any(name.startswith("sanitizer.operators") for name in imported)


_NATIONAL = st.text(alphabet="0123456789", min_size=10, max_size=10) | st.text(
    alphabet="0123456789 +-٣", max_size=12
)


@settings(max_examples=300, deadline=None)
@given(
    numbers=st.lists(_NATIONAL | st.none(), max_size=20), exchange=st.sampled_from(["555", "867"])
)
@example(
    numbers=["2125550100", "2125550199", "2125550200", "1125550150", "212555010"], exchange="555"
)
def test_nanp_lines_in_bulk_are_is_safe_phone(numbers: list[str | None], exchange: str) -> None:
    """A number the bulk test puts in the NANP fiction lines is safe one by one; and every ten-digit
    number of an area code in the lines is found (what the verifier leaves to the one-by-one test)."""
    ranges = SafeRanges.model_validate(
        {
            "phones": {
                "nanp": {
                    "exchange": exchange,
                    "first_line": "0100",
                    "last_line": "0199",
                    "source": "test",
                }
            }
        }
    )
    in_lines = ranges.in_nanp_lines(pa.array(numbers, type=pa.large_string()))
    for number, found in zip(numbers, in_lines.tolist(), strict=True):
        if found:
            assert number is not None and ranges.is_safe_phone("+1" + number)
        elif number is not None and re.fullmatch(rf"[2-9]\d\d{exchange}01\d\d", number):
            raise AssertionError(f"{number} is in the fiction lines")
