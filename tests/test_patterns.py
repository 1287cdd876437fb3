"""Custom recognizer regexes: Presidio's engine and flags, a time budget per value, and the check for
catastrophic backtracking (false alarms on no shipped, documented or fixture pattern)."""

from __future__ import annotations

import math
import pickle
import re
import time
from pathlib import Path

import pytest
import yaml

from sanitizer.errors import EXIT_CONFIG, PatternTimeoutError
from sanitizer.patterns import BoundedPattern, catastrophic_input, compile_pattern, cost

REPO = Path(__file__).resolve().parent.parent
NOTES = [
    "Spoke to the holder about policy PN-4419023; see PN 7730112 and ref pn5520831.",
    "AC-12345678 closed, ac-87654321 open\nPOL-00012345 renewed (pol-99999999)",
    "No answer. Left voicemail. 7 day follow-up",
    "Passport AB123456, ab654321; CLM-000117 and ACC-1234567",
]


def _recognizer_regexes() -> list[str]:
    """Every recognizer regex of the shipped rules, the fixtures, the test data and the docs' YAML."""
    found: list[str] = []
    documents = [
        p.read_text(encoding="utf-8")
        for folder in ("rules", "fixtures", "tests/data")
        for p in sorted((REPO / folder).rglob("*.yaml"))
    ]
    for page in sorted((REPO / "docs").glob("*.md")):
        documents += re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    for text in documents:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue  # a fragment of a larger file
        if isinstance(data, dict) and isinstance(data.get("recognizers"), list):
            found += [
                p["regex"]
                for r in data["recognizers"]
                for p in r.get("patterns") or []
                if "regex" in p
            ]
    return found


def test_recognizer_regexes_are_found_in_docs_and_fixtures() -> None:
    assert {r"\bPN[- ]?\d{7}\b", r"\bAC-\d{8}\b"} <= set(_recognizer_regexes())


@pytest.mark.parametrize("pattern", sorted(set(_recognizer_regexes())))
def test_shipped_and_documented_patterns_are_bounded_and_find_what_re_found(pattern: str) -> None:
    # sanitizer compiled them with `re` before; `regex` (Presidio's engine) must find the same spans.
    flags = re.DOTALL | re.MULTILINE | re.IGNORECASE
    old = [[m.span() for m in re.finditer(pattern, note, flags)] for note in NOTES]
    bounded = BoundedPattern.of(pattern, "rules.yaml:3", "R", "p", 1.0)
    assert [[m.span() for m in bounded.finditer(note)] for note in NOTES] == old
    assert cost(pattern) < math.inf  # identifiers with bounded repeats: no clock needed
    assert catastrophic_input(pattern, 1.0) is None


@pytest.mark.parametrize(
    ("pattern", "is_bounded"),
    [
        (r"\bPOL-\d{8}\b", True),  # fixed width
        (r"\b(?:AC|ACC)-?\d{6,10}\b", True),  # alternatives and ranges, all bounded
        (r"(?<=\W)x{2,3}(?=\W|$)", True),  # lookarounds are bounded too
        (r"\bclaim\s*#?\s*\d+\b", False),  # unbounded repeats
        (r"(a|aa)+b", False),  # a repeat of alternatives that overlap
        (
            r"\p{Lu}{2}\d{6}",
            False,
        ),  # `regex` syntax Python's parser does not know: assume the worst
        (r"(?:x{1,9}){1,9}", False),  # bounded, but 9^9 ways to try: treated as unbounded
    ],
)
def test_cost_is_finite_only_for_bounded_patterns(pattern: str, is_bounded: bool) -> None:
    assert (cost(pattern) < math.inf) is is_bounded


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bclaim\s*#?\s*\d+\b",  # unbounded but linear: a literal leads
        r"\b[\w.+-]+@[\w-]+\.[\w.]+\b",  # an email shape
        r"\w+\s+\w+",  # quadratic at worst: milliseconds on a thousand characters
        r"\b(?:ref|reference)\s*:?\s*[A-Z0-9-]+\b",
        r"https?://\S+",
        r"\b(?:\d[ -]*?){13,16}\b",  # Presidio's credit card shape
        r"\p{Lu}{2}\d+",
    ],
)
def test_catastrophic_input_none_for_ordinary_unbounded_patterns(pattern: str) -> None:
    assert catastrophic_input(pattern, 1.0) is None


@pytest.mark.parametrize(
    ("pattern", "described"),
    [
        (r"(a|aa)+b", "'a' repeated 1000 times"),  # overlapping alternatives under a repeat
        (r"(x+x+)+y", "'xx' repeated 500 times"),  # a repeat of repeats
        (r"\bID-(\d|\d\d)+Z", "'ID-' then '1' repeated 1000 times"),  # reached after a prefix
    ],
)
def test_catastrophic_input_found_for_backtracking_patterns(pattern: str, described: str) -> None:
    started = time.monotonic()
    found = catastrophic_input(pattern, 0.2)
    assert found is not None and found.startswith(described)
    assert time.monotonic() - started < 5  # the budget, not the hours the match would take


def test_bounded_pattern_times_out_on_one_value_without_quoting_it() -> None:
    bounded = BoundedPattern.of(
        r"(a|aa)+b", "rules/acme.yaml:9: recognizers[0].patterns[0]", "PolicyRecognizer", "bad", 0.2
    )
    assert [m.group() for m in bounded.finditer("aab")] == ["aab"]
    secret = "a" * 200 + "c"
    started = time.monotonic()
    with pytest.raises(PatternTimeoutError) as caught:
        list(bounded.finditer(secret))
    assert time.monotonic() - started < 5
    error = caught.value.at("table claims, column notes, row 3")
    assert error.exit_code == EXIT_CONFIG
    assert str(error).startswith(
        "rules/acme.yaml:9: recognizers[0].patterns[0]: recognizer 'PolicyRecognizer', pattern "
        "'bad': the regex ran longer than policy.regex_timeout (0.2 s) on table claims, column "
        "notes, row 3 and was stopped; nothing was published"
    )
    assert "aaaa" not in str(error)


def test_pattern_timeout_error_pickles_whole() -> None:
    # It travels from worker processes: the text index is how the main process finds the row.
    error = PatternTimeoutError("rules.yaml:4: recognizers[0].patterns[0]", "R", "p", 1.0)
    error.text_index = 7
    back = pickle.loads(pickle.dumps(error))
    assert (type(back), str(back), back.text_index) == (type(error), str(error), 7)


def test_compile_pattern_uses_presidio_flags() -> None:
    compiled = compile_pattern(r"^ref.x$")
    assert compiled.search("note\nREF\nX\n") is not None  # case-insensitive, multiline, dot-all
