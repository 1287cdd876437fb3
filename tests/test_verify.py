"""The independent leak scan: given an input, a hand-made "scrubbed" output and the originals, it must
find every kind of leak, by table, column and row, and never carry a value."""

from __future__ import annotations

import csv
import json
import random
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sanitizer import verify as verify_module
from sanitizer.errors import VerificationError
from sanitizer.keyring import Keyring
from sanitizer.outputs import flatten
from sanitizer.ranges import SafeRanges, default_safe_ranges
from sanitizer.report.model import Finding, VerificationReport
from sanitizer.rules import read_rules
from sanitizer.scrub import scrub
from sanitizer.tables import read_sources
from sanitizer.textkeys import string_keys
from sanitizer.verify import (
    _EMAIL_LIKE,
    _NAME_WORDS,
    MAX_FINDINGS,
    ColumnCheck,
    Originals,
    VerifyTable,
    _blanked,
    _Checker,
    _fold,
    _keys,
    _name_forms,
    _paired,
    _phone_key,
    _phone_keys,
    verify,
)

REGIONS = ["US", "GB", "AU", "CA", "IE", "FR", "DE"]
PHONE = ColumnCheck("PHONE_NUMBER", "phone")
EMAIL = ColumnCheck("EMAIL_ADDRESS", "email")
FIRST = ColumnCheck("FIRST_NAME", "fake")
LAST = ColumnCheck("LAST_NAME", "fake")
TEXT = ColumnCheck("FREE_TEXT", "text")
KEEP = ColumnCheck(None, "keep")

BEFORE = [
    {
        "id": "1",
        "First": "Ada",
        "Last": "Lovelace",
        "Email": "ada@example.com",
        "Phone": "+1 212 555 0185",
        "Notes": "Ada Lovelace called",
        "Code": "gold",
    },
    {
        "id": "2",
        "First": "Grace",
        "Last": "Hopper",
        "Email": "grace@example.org",
        "Phone": "(212) 555-0186",
        "Notes": "Mrs Hopper wrote",
        "Code": "silver",
    },
    {
        "id": "3",
        "First": "Alan",
        "Last": "Turing",
        "Email": "alan@example.net",
        "Phone": "020 7946 0123",
        "Notes": "",
        "Code": "gold",
    },
]
# A clean scrub of BEFORE: every value replaced, safe numbers and domains.
AFTER = [
    {
        "id": "1",
        "First": "Mia",
        "Last": "Berg",
        "Email": "user-1a2b@example.net",
        "Phone": "+1 212 555 0101",
        "Notes": "Mia Berg called",
        "Code": "gold",
    },
    {
        "id": "2",
        "First": "Noor",
        "Last": "Quist",
        "Email": "user-3c4d@example.com",
        "Phone": "(212) 555-0102",
        "Notes": "Mrs Quist wrote",
        "Code": "silver",
    },
    {
        "id": "3",
        "First": "Ivo",
        "Last": "Dahl",
        "Email": "user-5e6f@example.org",
        "Phone": "020 7946 0999",
        "Notes": "",
        "Code": "gold",
    },
]
CHECKS = {
    "id": KEEP,
    "First": FIRST,
    "Last": LAST,
    "Email": EMAIL,
    "Phone": PHONE,
    "Notes": TEXT,
    "Code": KEEP,
}


def _originals(rows: list[dict[str, str]] = BEFORE) -> Originals:
    values: dict[str, set[str]] = {
        "FIRST_NAME": set(),
        "LAST_NAME": set(),
        "EMAIL_ADDRESS": set(),
        "PHONE_NUMBER": set(),
    }
    for row in rows:
        values["FIRST_NAME"].add(row["First"])
        values["LAST_NAME"].add(row["Last"])
        values["EMAIL_ADDRESS"].add(row["Email"])
        values["PHONE_NUMBER"].add(row["Phone"])
    return Originals(values, pooled={"FIRST_NAME", "LAST_NAME"})


def _csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _verify(
    tmp_path: Path,
    after: list[dict[str, Any]],
    *,
    before: list[dict[str, Any]] = BEFORE,
    checks: dict[str, ColumnCheck] = CHECKS,
    originals: Originals | None = None,
    ranges: SafeRanges | None = None,
    batch_rows: int = 100_000,
) -> tuple[VerificationReport, dict[tuple[str, str], int]]:
    (tmp_path / "in").mkdir(exist_ok=True)
    (tmp_path / "out").mkdir(exist_ok=True)
    source = read_sources([_csv(tmp_path / "in" / "contacts.csv", before)])[0]
    output = _csv(tmp_path / "out" / "contacts.csv", after)
    table = VerifyTable(name="contacts", source=source, output=output, columns=checks)
    return verify(
        [table],
        originals or _originals(before),
        ranges or default_safe_ranges(),
        regions=REGIONS,
        batch_rows=batch_rows,
    )


def _with(row: int, **changes: str) -> list[dict[str, str]]:
    rows = [dict(r) for r in AFTER]
    rows[row].update(changes)
    return rows


def test_verify_clean_output_passes(tmp_path: Path) -> None:
    report, per_column = _verify(tmp_path, AFTER)
    assert report.status == "passed"
    assert (report.findings_total, report.findings, per_column) == (0, [], {})
    assert report.cells_scanned == 21  # CSV empty cells are empty text, scanned too
    assert report.originals_checked == 12


@pytest.mark.parametrize("consume", [False, True])
def test_verify_consumes_the_originals_only_when_asked_and_finds_the_same(
    tmp_path: Path, consume: bool
) -> None:
    """A standalone scrub hands its originals over (their memory goes to reading the outputs): the
    search sets are built first, so a leak is still found, and the report still counts them."""
    originals = _originals()
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    source = read_sources([_csv(tmp_path / "in" / "contacts.csv", BEFORE)])[0]
    leaked = _csv(tmp_path / "out" / "contacts.csv", _with(1, Notes=f"mail {BEFORE[0]['Email']}"))
    table = VerifyTable(name="contacts", source=source, output=leaked, columns=CHECKS)
    report, _ = verify([table], originals, default_safe_ranges(), regions=REGIONS, consume=consume)
    assert report.originals_checked == 12
    assert [(f.column, f.row, f.kind) for f in report.findings] == [("Notes", 2, "original-value")]
    assert (originals.values == {}) is consume


# (case, the output row changed, the change, the expected finding: column, kind, entity)
LEAKS = [
    (
        "replaced column kept its own original",
        0,
        {"Email": "ada@example.com"},
        ("Email", "original-value", "EMAIL_ADDRESS"),
    ),
    (
        "the same, in another case",
        0,
        {"Email": "ADA@Example.COM"},
        ("Email", "original-value", "EMAIL_ADDRESS"),
    ),
    (
        "phone kept, other layout",
        0,
        {"Phone": "212-555-0185"},
        ("Phone", "original-value", "PHONE_NUMBER"),
    ),
    (
        "another row's phone in a phone column",
        2,
        {"Phone": "+12125550185"},
        ("Phone", "original-value", "PHONE_NUMBER"),
    ),
    (
        "an original email in a kept column",
        1,
        {"Code": "ada@example.com"},
        ("Code", "original-value", "EMAIL_ADDRESS"),
    ),
    (
        "an original phone inside a kept text",
        1,
        {"Code": "call +44 20 7946 0123"},
        ("Code", "original-value", "PHONE_NUMBER"),
    ),
    (
        "an original email inside free text",
        0,
        {"Notes": "Mia Berg called, ada@example.com"},
        ("Notes", "original-value", "EMAIL_ADDRESS"),
    ),
    (
        "a name surviving in free text",
        0,
        {"Notes": "Mia Lovelace called"},
        ("Notes", "original-value", "PERSON"),
    ),
    (
        "a first name kept in its column",
        1,
        {"First": "Grace"},
        ("First", "original-value", "FIRST_NAME"),
    ),
    (
        "an email outside the allowed domains",
        2,
        {"Email": "ivo@corp.invalid.mail"},
        ("Email", "email-outside-allowed-domains", "EMAIL_ADDRESS"),
    ),
    (
        "a phone outside the safe ranges",
        2,
        {"Phone": "+1 212 555 0200"},
        ("Phone", "phone-outside-safe-ranges", "PHONE_NUMBER"),
    ),
    (
        "an unsafe phone inside free text",
        1,
        {"Notes": "Mrs Quist wrote from +44 20 7946 1234"},
        ("Notes", "phone-outside-safe-ranges", "PHONE_NUMBER"),
    ),
]


@pytest.mark.parametrize(
    ("row", "change", "expected"),
    [pytest.param(row, change, expected, id=case) for case, row, change, expected in LEAKS],
)
def test_verify_each_kind_of_leak_is_a_finding_with_its_place(
    tmp_path: Path, row: int, change: dict[str, str], expected: tuple[str, str, str]
) -> None:
    report, per_column = _verify(tmp_path, _with(row, **change))
    column, kind, entity = expected
    assert report.status == "failed"
    assert (
        Finding.model_validate(
            {"table": "contacts", "column": column, "row": row + 1, "kind": kind, "entity": entity}
        )
        in report.findings
    )
    assert per_column[("contacts", column)] >= 1
    dumped = report.model_dump_json()
    for value in change.values():
        assert value not in dumped


def test_verify_fake_name_equal_to_another_customers_name_is_a_coincidence(tmp_path: Path) -> None:
    # Ada's fake is Alan and Alan's fake is Ivo: "Alan" in the output is a replacement that
    # happens to equal a real customer's name, not a survivor (it is not where "Alan" was).
    before = [dict(r) for r in BEFORE]
    before[0]["Notes"] = "Ada and Alan called"
    after = _with(0, First="Alan", Notes="Alan and Ivo called")
    report, _ = _verify(tmp_path, after, before=before)
    assert report.status == "passed", report.findings
    assert report.coincidences >= 1


def test_verify_name_kept_in_place_in_free_text_is_a_survivor(tmp_path: Path) -> None:
    # The same word at the same place as in the input is a survivor, not a coincidence.
    report, _ = _verify(tmp_path, _with(1, Notes="Mrs Hopper wrote"))
    assert (
        Finding(table="contacts", column="Notes", row=2, kind="original-value", entity="PERSON")
        in report.findings
    )


def test_verify_row_name_kept_without_its_accent_is_a_survivor(tmp_path: Path) -> None:
    # The row's "José" left in a note as "jose": the verifier compares names without accents too.
    before = [dict(r) for r in BEFORE]
    before[0].update(First="José", Notes="jose asked")
    report, _ = _verify(tmp_path, _with(0, Notes="jose asked"), before=before)
    assert (
        Finding(table="contacts", column="Notes", row=1, kind="original-value", entity="PERSON")
        in report.findings
    )


def _transcript(seed: int, words: int) -> tuple[str, str]:
    """A long text of lines and sentences mentioning names, and its scrub (some names kept)."""
    rng = random.Random(seed)
    # Filler words of letters only (digits part name words: "w12" would be the word "w")
    filler = ["w" + chr(97 + i // 26) + chr(97 + i % 26) for i in range(300)]
    vocabulary = [*filler, "Mr", "will", "Will", "Hopper", "Turing", "Ada"]
    picked = rng.choices(vocabulary, [1 / (i + 1) for i in range(len(vocabulary))], k=words)
    size = rng.randint(5, 25)
    before = rng.choice(["\n", ". ", "! "]).join(
        " ".join(picked[i : i + size]) for i in range(0, words, size)
    )
    fakes = {"Hopper": "Quist", "Turing": rng.choice(["Turing", "Hay"]), "Ada": "Mia"}
    return before, " ".join(fakes.get(w, w) for w in before.split(" "))


@pytest.mark.parametrize("seed", range(12))
def test_surviving_names_in_a_long_text_are_those_of_the_whole_text_alignment(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    # A transcript is aligned line by line (the whole-text alignment takes time in the square of its
    # length: minutes for 20,000 words); the survivors are the same.
    before, after = _transcript(seed, 900)
    checker = _Checker(
        Originals({"LAST_NAME": {"Hopper", "Turing", "Quist"}, "FIRST_NAME": {"Ada"}}),
        default_safe_ranges(),
        REGIONS,
    )
    segmented = checker.surviving_names(before, after, {"ada"})
    monkeypatch.setattr(verify_module, "_LONG_TEXT_WORDS", 10**9)
    assert segmented[0] == checker.surviving_names(before, after, {"ada"})[0]


@pytest.mark.parametrize("seed", range(8))
def test_surviving_names_in_a_long_text_on_one_line_are_those_of_the_whole_text_alignment(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    # One line (a transcript exported as one string) is aligned between anchors (patience diff), not
    # by difflib over the whole text; the survivors and coincidences are the same.
    before, after = _transcript(seed, 2000)
    before, after = before.replace("\n", " "), after.replace("\n", " ")
    checker = _Checker(
        Originals({"LAST_NAME": {"Hopper", "Turing", "Quist"}, "FIRST_NAME": {"Ada"}}),
        default_safe_ranges(),
        REGIONS,
    )
    anchored = checker.surviving_names(before, after, {"ada"})
    monkeypatch.setattr(verify_module, "_LONG_TEXT_WORDS", 10**9)
    assert anchored == checker.surviving_names(before, after, {"ada"})


def test_anchored_blocks_pair_words_once_in_each_text_and_align_between_them() -> None:
    from sanitizer.verify import _anchored_blocks, _matching_blocks

    words = [f"w{i % 97}" for i in range(1200)]  # every word repeats: no anchors
    changed = [*words[:500], "Quist", *words[501:]]
    # The equal ends pair up first; difflib alone takes the longest run wherever it is (a shifted one)
    assert _anchored_blocks(words, changed) == [(0, 0, 500), (501, 501, 699)]
    assert _matching_blocks(words, changed) == [(0, 0, 16), (16, 501, 699)]
    unique = [f"u{i}" for i in range(1200)]
    moved = [*unique[700:], *unique[:700]]  # the longer part pairs up, the other moved
    assert _anchored_blocks(unique, moved) == [(0, 500, 700)]


def test_surviving_names_in_a_long_transcript_are_found_line_by_line() -> None:
    filler = "\n".join(f"Agent: line {i} about the billing plan and the payment" for i in range(80))
    before = f"Customer: this is Ada Hopper\n{filler}\nCustomer: thanks, Hopper here"
    checker = _Checker(
        Originals({"FIRST_NAME": {"Ada"}, "LAST_NAME": {"Hopper"}}), default_safe_ranges(), REGIONS
    )
    kept = before.replace("Ada Hopper", "Mia Quist")  # the last line keeps "Hopper"
    assert checker.surviving_names(before, kept, {"ada", "hopper"}) == (1, 0)
    clean = kept.replace("Hopper here", "Quist here")
    assert checker.surviving_names(before, clean, {"ada", "hopper"}) == (0, 0)


def test_verify_row_name_beside_a_replaced_number_is_a_finding(tmp_path: Path) -> None:
    # The phone operator replaced the number in "call Ada on ..." and left the row's name beside it.
    before = [dict(r) for r in BEFORE]
    before[0]["Phone"] = "call Ada on +1 212 555 0185"
    kept = _with(0, Phone="call Ada on +1 212 555 0142")
    (tmp_path / "kept").mkdir()
    report, _ = _verify(tmp_path / "kept", kept, before=before)
    assert (
        Finding(table="contacts", column="Phone", row=1, kind="original-value", entity="PERSON")
        in report.findings
    )
    clean = _with(0, Phone="call Mia on +1 212 555 0142")
    (tmp_path / "clean").mkdir()
    report, _ = _verify(tmp_path / "clean", clean, before=before)
    assert report.status == "passed"


def test_verify_a_fake_that_happens_to_hold_the_rows_name_is_no_finding(tmp_path: Path) -> None:
    # A fake address is made whole: "55 Ada Ridge" for "12 Ada Lane" keeps nothing of the original
    # (the refresh's external contacts failed on such a coincidence with one key).
    before = [dict(r) for r in BEFORE]
    before[0]["Code"] = "12 Ada Lane"
    checks = {**CHECKS, "Code": ColumnCheck("ADDRESS", "fake")}
    after = _with(0, Code="55 Ada Ridge")
    for index, row in enumerate(after[1:], start=1):
        row["Code"] = f"{index} Oak Road"  # every address replaced
    report, _ = _verify(tmp_path, after, before=before, checks=checks)
    assert report.status == "passed", report.findings


def test_verify_row_name_in_a_kept_column_is_a_finding(tmp_path: Path) -> None:
    before = [dict(r) for r in BEFORE]
    before[0]["Code"] = "Ada called back"
    report, _ = _verify(tmp_path, _with(0, Code="Ada called back"), before=before)
    assert (
        Finding(table="contacts", column="Code", row=1, kind="original-value", entity="PERSON")
        in report.findings
    )


def test_verify_unverified_column_skips_range_checks_only(tmp_path: Path) -> None:
    checks = {**CHECKS, "Code": ColumnCheck(None, "keep", is_verified=False)}
    unsafe, _ = _verify(tmp_path, _with(0, Code="ops@corp.invalid.mail"), checks=checks)
    assert unsafe.status == "passed"
    leak, _ = _verify(tmp_path, _with(0, Code="ada@example.com"), checks=checks)
    assert leak.status == "failed"  # an original value is a finding wherever it is


def test_verify_restricted_ranges_turn_safe_values_into_findings(tmp_path: Path) -> None:
    # Without the NANP lines and the .test TLD, 555-01xx numbers and *.test addresses are unsafe.
    ranges = SafeRanges.model_validate({"emails": {"reserved_tlds": ["invalid"]}})
    report, _ = _verify(tmp_path, _with(0, Code="ops@mail.test"), ranges=ranges)
    kinds = {(f.column, f.kind) for f in report.findings}
    assert ("Code", "email-outside-allowed-domains") in kinds
    assert ("Phone", "phone-outside-safe-ranges") in kinds


def test_verify_row_numbers_are_right_across_batches(tmp_path: Path) -> None:
    before = [dict(BEFORE[i % 3], id=str(i)) for i in range(10)]
    after = [dict(AFTER[i % 3], id=str(i)) for i in range(10)]
    after[7]["Email"] = before[7]["Email"]
    report, _ = _verify(tmp_path, after, before=before, batch_rows=3)
    assert {(f.column, f.row) for f in report.findings} == {("Email", 8)}


def test_verify_findings_are_capped_but_counted(tmp_path: Path) -> None:
    before = [dict(BEFORE[0], id=str(i)) for i in range(MAX_FINDINGS + 50)]
    report, per_column = _verify(tmp_path, before, before=before)  # nothing was replaced
    assert len(report.findings) == MAX_FINDINGS
    assert report.findings_total > MAX_FINDINGS
    assert sum(per_column.values()) == report.findings_total


def test_verify_output_with_fewer_rows_raises(tmp_path: Path) -> None:
    with pytest.raises(VerificationError, match="different number of rows"):
        _verify(tmp_path, AFTER[:2])


def test_verify_nested_output_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    record = {
        "id": "x",
        "cellPhone": {"e164": "+12125550185"},
        "identifiers": [{"value": "a"}, {"value": "ada@example.com"}],
    }
    scrubbed = {
        "id": "x",
        "cellPhone": {"e164": "+12125550185"},
        "identifiers": [{"value": "b"}, {"value": "ada@example.com"}],
    }
    (tmp_path / "in" / "ext.json").write_text(json.dumps([record]), encoding="utf-8")
    (tmp_path / "out" / "ext.json").write_text(json.dumps([scrubbed]), encoding="utf-8")
    table = VerifyTable(
        name="ext",
        source=read_sources([tmp_path / "in" / "ext.json"])[0],
        output=tmp_path / "out" / "ext.json",
        columns={
            "id": KEEP,
            "cellPhone.e164": PHONE,
            "identifiers[].value": ColumnCheck("IDENTIFIER", "hmac"),
        },
    )
    report, _ = verify([table], _originals(), default_safe_ranges(), regions=REGIONS)
    places = {(f.column, f.row, f.entity) for f in report.findings}
    assert ("cellPhone.e164", 1, "PHONE_NUMBER") in places
    assert ("identifiers[].value", 1, "EMAIL_ADDRESS") in places


@pytest.mark.parametrize(
    # IANA's IDN test domains (never delegated, and not among the allowed reserved names)
    "note",
    [
        "an anna@müller-bau.испытание",
        "info@пример.испытание",
        "a@x.xn--80akhbyknj4f",
        "用户@例子.测试",
    ],
)
def test_verify_internationalised_email_outside_the_allowed_domains_is_a_finding(note: str) -> None:
    checker = _Checker(Originals({}), default_safe_ranges(), REGIONS)
    assert checker.content(note, check_ranges=True) == [
        ("email-outside-allowed-domains", "EMAIL_ADDRESS")
    ]


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        ("2024-01-01 00:00:00+00:00", []),  # a timestamp's digits are no number to dial
        ("created 2023-12-31 23:59:59", []),
        ("2024-03-15 09:30 then 212 555 0200", [("phone-outside-safe-ranges", "PHONE_NUMBER")]),
        ("call 212 555 0200: ask for billing", [("phone-outside-safe-ranges", "PHONE_NUMBER")]),
    ],
)
def test_verify_timestamps_are_not_checked_against_the_phone_ranges(
    value: str, problems: list[tuple[str, str]]
) -> None:
    checker = _Checker(Originals({}), default_safe_ranges(), REGIONS)
    assert checker.content(value, check_ranges=True) == problems


@pytest.mark.parametrize("output_format", ["parquet", "csv"])
def test_verify_pairs_nested_cells_where_a_record_lacks_a_key(
    tmp_path: Path, output_format: str
) -> None:
    # JSON records written as Parquet or CSV get a null or empty cell where a record had no such key:
    # that is no finding, and the cells that stand in the same place are still compared.
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    before = [
        {"id": "1", "cellPhone": {"e164": "+19175550111", "display": "(917) 555-0111"}},
        {"id": "2", "cellPhone": {"e164": "+19175550112"}},
        {"id": "3", "cellPhone": {"e164": "+19175550113", "display": "(917) 555-0113"}},
    ]
    after = [  # row 3's display is left as it was: the one finding
        {"id": "1", "cellPhone": {"e164": "+19175550150", "display": "(917) 555-0150"}},
        {"id": "2", "cellPhone": {"e164": "+19175550151", "display": None}},
        {"id": "3", "cellPhone": {"e164": "+19175550152", "display": "(917) 555-0113"}},
    ]
    (tmp_path / "in" / "ext.json").write_text(json.dumps(before), encoding="utf-8")
    output = tmp_path / "out" / f"ext.{output_format}"
    if output_format == "parquet":
        pq.write_table(pa.Table.from_pylist(after), output)
    else:
        _csv(output, [flatten(record) for record in after])
    table = VerifyTable(
        name="ext",
        source=read_sources([tmp_path / "in" / "ext.json"])[0],
        output=output,
        columns={"id": KEEP, "cellPhone.e164": PHONE, "cellPhone.display": PHONE},
    )
    originals = Originals({"PHONE_NUMBER": set()}, pooled=set())  # only the places can tell
    report, _ = verify([table], originals, default_safe_ranges(), regions=REGIONS)
    assert [(f.column, f.row, f.kind) for f in report.findings] == [
        ("cellPhone.display", 3, "original-value")
    ]


def test_paired_cells_follow_rows_and_places_among_filled_cells() -> None:
    # A list element without the key in the input is an empty cell in the output: the next ones pair.
    in_values = pd.Series(["a", "b", "c", "d"], dtype=object)
    in_rows = np.array([0, 0, 2, 3])
    out_values = pd.Series(["A", None, "B", "", "C", "x", "D"], dtype=object)
    out_rows = np.array([0, 0, 0, 1, 2, 2, 3])
    old, new, rows = _paired(in_values, in_rows, out_values, out_rows)
    assert list(zip(old, new, rows.tolist(), strict=True)) == [
        ("a", "A", 0),
        ("b", "B", 0),
        ("c", "C", 2),
        ("d", "D", 3),
    ]
    same = pd.Series(["a", "b"], dtype=object), np.array([0, 1])
    assert _paired(*same, *same)[0] is same[0]  # flat cells pair one to one, as they are


# --- through a whole scrub: every kind of finding stops the run (exit 5), nothing published ----

RULES = """\
version: 1
extends: [default]
safe_ranges: ranges.yaml
tables:
  contacts:
    columns:
      id: {operator: keep, reason: row id}
      Other: {operator: keep, reason: deliberately unsafe for this test}
"""
# NANP fiction lines only (no UK or AU ranges, no .test TLD): a drama number and *.test are unsafe.
RANGES = """\
version: 1
phones:
  nanp: {exchange: "555", first_line: "0100", last_line: "0199", source: NANPA}
emails:
  reserved_tlds: [invalid]
"""
SCRUB_LEAKS = [
    ("original email in a kept column", "ada@example.com", "original-value"),
    ("original phone in a kept column", "call 212-555-0185", "original-value"),
    ("email outside allowed domains", "mail ops@mail.test", "email-outside-allowed-domains"),
    ("phone outside safe ranges", "+44 20 7946 0999", "phone-outside-safe-ranges"),
]


@pytest.mark.parametrize(
    ("value", "kind"), [pytest.param(v, k, id=case) for case, v, k in SCRUB_LEAKS]
)
def test_scrub_finding_of_each_kind_fails_and_publishes_nothing(
    tmp_path: Path, keyring_a: Keyring, value: str, kind: str
) -> None:
    (tmp_path / "in").mkdir()
    rows = [
        {
            "id": "1",
            "FirstName": "Ada",
            "Email": "ada@example.com",
            "Phone": "+1 212 555 0185",
            "Other": "fine",
        },
        {
            "id": "2",
            "FirstName": "Grace",
            "Email": "grace@example.org",
            "Phone": "(212) 555-0186",
            "Other": value,
        },
    ]
    _csv(tmp_path / "in" / "contacts.csv", rows)
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "ranges.yaml").write_text(RANGES, encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(VerificationError) as caught:
        scrub(read_sources([tmp_path / "in"]), read_rules(tmp_path / "rules.yaml"), keyring_a, out)
    assert caught.value.exit_code == 5
    assert sorted(p.name for p in out.iterdir()) == [
        "scrub-report.html",
        "scrub-report.json",
        "scrub-report.md",
    ]
    report = json.loads((out / "scrub-report.json").read_text(encoding="utf-8"))
    assert report["verification"]["findings"][0] | {"entity": None} == {
        "table": "contacts",
        "column": "Other",
        "row": 2,
        "kind": kind,
        "entity": None,
    }
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        for original in (value, "ada@example.com", "+1 212 555 0185", "grace@example.org"):
            assert original not in text, path.name


@st.composite
def _phone_spellings(draw: st.DrawFn) -> str:
    """Numbers as people and systems write them: a prefix, 6 to 14 digits, separators, odd characters."""
    prefix = draw(st.sampled_from(["", "+", "00", "1", "+1 ", "0", " ", "\x1c", "+44 "]))
    digits = draw(st.text(alphabet="0123456789٣", min_size=6, max_size=14))
    separator = draw(st.sampled_from(["", " ", "-", ".", "\u00a0"]))
    cut = draw(st.integers(0, len(digits)))
    return prefix + digits[:cut] + separator + digits[cut:] + draw(st.sampled_from(["", " ", "x"]))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_phone_spellings(), max_size=30))
def test_phone_keys_in_bulk_are_the_one_by_one_keys(values: list[str]) -> None:
    """The verifier's search set of original phones is keyed exactly as each output value is."""
    assert _phone_keys(values) == [_phone_key(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(values=st.lists(_phone_spellings(), min_size=1, max_size=30))
def test_positional_phone_keys_are_the_search_keys(values: list[str]) -> None:
    """A cell's phone is compared with its original under the key the search set uses (a national
    0... number re-spelled +44... is the same number), empty below seven digits."""
    expected = [k if len(k) >= 7 else "" for k in (_phone_key(v) for v in values)]
    assert _keys(pd.Series(values, dtype="str"), is_phone=True).to_pylist() == expected


_NAMES = [
    "Ada",
    "O'Neil",
    "Mary-Jane",
    "d'Arcy",
    "Strauß",
    "José",
    "o’neil",
    "Will",
    "Lee_2",
    "Kelvin",
]
_OTHER = [
    "called",
    "left",
    "voicemail",
    "o",
    "neil",
    "mary",
    "jane",
    "strauss",
    "arcy",
    "\u212a",
    "555",
]
_GLUE = [" ", ", ", ". ", "-", "'", "--", "\n", "_", "’", " (", ") ", "@"]


@st.composite
def _notes(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(_NAMES + _OTHER), min_size=1, max_size=8))
    glue = draw(st.lists(st.sampled_from(_GLUE), min_size=len(words), max_size=len(words)))
    return "".join(word + cut for word, cut in zip(words, glue, strict=True))


class _Always(set[bytes]):
    """Name pieces that share something with every text: the ASCII shortcut never decides."""

    def isdisjoint(self, other: object) -> bool:
        return False


@settings(max_examples=400, deadline=None)
@given(
    names=st.lists(st.sampled_from(_NAMES), min_size=1, max_size=5),
    before=_notes(),
    after=_notes(),
    own=st.booleans(),
)
@example(names=["Mary-Jane"], before="Mary-Jane called", after="Mary-Jane called", own=False)
@example(names=["O'Neil"], before="Left O'Neil a note", after="Left O'Neil a note", own=False)
@example(names=["Strauß"], before="Strauss called", after="Strauss called", own=True)
def test_surviving_names_ascii_shortcut_decides_as_the_full_check(
    names: list[str], before: str, after: str, own: bool
) -> None:
    """The C-speed test that ASCII notes share no name piece lets through no pair the word-by-word
    check would flag: joined names ("O'Neil", "Mary-Jane"), case folding (Strauß, the Kelvin sign)."""
    originals = Originals({"FIRST_NAME": set(names)})
    checker = _Checker(originals, default_safe_ranges(), REGIONS)
    full = _Checker(originals, default_safe_ranges(), REGIONS)
    full.name_pieces = _Always()
    row = {n.casefold() for n in names} if own else set()
    assert checker.surviving_names(before, after, row) == full.surviving_names(before, after, row)


@pytest.mark.parametrize(
    ("name", "note", "kept"),
    [
        ("Mary-Jane", "Mary-Jane called", 2),  # each part of a joined name is a name word
        ("O'Neil", "Left O'Neil a note", 1),
        ("Strauß", "Strauss rang", 1),
        ("Hopper", "Mrs Hopper's son", 1),  # a possessive is the name and its "'s"
        ("Hopper", "HOPPER’S NOTE", 1),
        ("O'Neil", "O'Neil's order", 1),
        ("José", "Jose asked again", 1),  # typed without its accent
        ("Zoe", "Zoë called", 1),
        ("Müller", "Mueller rang", 1),  # in another spelling of its letters
        ("Mueller", "Müller rang", 1),
        ("Ødegård", "Odegaard and Oedegaard", 2),
        ("Łukasiewicz", "Lukasiewicz paid", 1),
        ("Lovelace", "see linkedin.com/in/ada-lovelace", 1),
        ("Lovelace", "ada_lovelace42@example.com", 1),
        ("Lovelace", "the Lovelaces moved", 1),  # a family by its name
        ("Jones", "the Joneses' house", 1),
    ],
)
def test_surviving_names_ascii_shortcut_lets_a_kept_joined_or_folded_name_through(
    name: str, note: str, kept: int
) -> None:
    checker = _Checker(Originals({"LAST_NAME": {name}}), default_safe_ranges(), REGIONS)
    row = {form for word in _NAME_WORDS.findall(name) for form in _name_forms(word)}
    assert checker.surviving_names(note, note, row) == (kept, 0)


def test_surviving_names_count_a_word_where_it_was_a_name() -> None:
    originals = Originals({"FIRST_NAME": {"Bob", "Jan"}, "LAST_NAME": {"Marley", "van der Berg"}})
    checker = _Checker(originals, default_safe_ranges(), REGIONS)
    berg = {"jan", "van", "der", "berg"}
    # "Van" was a name in "Van der Berg", not in "the van": that one staying is no survivor
    before = "Van der Berg called about the van"
    assert checker.surviving_names(before, "Pratt Jackson Boyle called about the van", berg) == (
        0,
        0,
    )
    assert checker.surviving_names(before, "Van Jackson Boyle called about the van", berg) == (1, 0)
    # a row's common-word name in lower case counts beside its other name words
    bob = {"bob", "marley"}
    assert checker.surviving_names("call bob marley", "call bob zimmerman", bob) == (1, 0)
    assert checker.surviving_names("call bob later", "call bob later", bob) == (0, 0)
    assert checker.surviving_names("Mr van der Berg", "Mr van Jackson Boyle", berg) == (1, 0)


def test_surviving_names_of_other_customers_in_lower_case_are_found() -> None:
    # Agents type names in lower case: "spoke to ada lovelace" in another customer's row passed.
    originals = Originals(
        {"FIRST_NAME": {"Ada", "Grace", "Mary Ann"}, "LAST_NAME": {"Lovelace", "Hopper", "Smith"}},
        full_names=string_keys({"ada lovelace", "grace hopper", "mary ann smith"}),
    )
    checker = _Checker(originals, default_safe_ranges(), REGIONS)
    for note, kept in [
        ("spoke to ada lovelace about it", 2),  # no English words: names in any case
        ("asked for lovelace", 1),
        ("will call grace hopper", 2),  # English words, but one of the run's full names
        ("will call mary ann smith", 3),  # three words
        ("the hopper is full; grace period ends", 0),  # English words, no full name
    ]:
        assert checker.surviving_names(note, note) == (kept, 0), note
    # Replaced, nothing survives.
    assert checker.surviving_names("spoke to ada lovelace", "spoke to tony cherry") == (0, 0)
    without = _Checker(Originals(originals.values), default_safe_ranges(), REGIONS)
    assert without.surviving_names("will call grace hopper", "will call grace hopper") == (0, 0)


SPELLED_OTHERWISE = [
    # (note, a scrub that kept it, the same note scrubbed, why)
    ("Spoke to L\u043evelace today", "Spoke to Cherry today", "a Cyrillic o inside a Latin name"),
    ("\u0410da called", "Tony called", "a Cyrillic capital A"),
    ("asked for l\u039fvelace", "asked for cherry", "a Greek capital omicron, lower case"),
    ("Called MsLovelace back", "Called MsCherry back", "a title glued to the name"),
    ("MrsLovelace and DrHopper rang", "MrsCherry and DrKeller rang", "Mrs and Dr"),
    ("Spoke to Love-\nlace today", "Spoke to Cherry today", "hyphenated at a line end"),
    ("Spoke to Love- \r\n lace today", "Spoke to Cherry today", "a Windows line end, blanks"),
    ("Spoke to vanderberg", "Spoke to armstrong", "particles run together"),
    ("VanDerBerg called", "Armstrong called", "particles run together, capitalised"),
    ("delacruz called", "hill called", "de la Cruz"),
]


@pytest.mark.parametrize(("note", "scrubbed", "why"), SPELLED_OTHERWISE)
def test_surviving_names_spelled_otherwise_are_found(note: str, scrubbed: str, why: str) -> None:
    # Published with exit 0 before: neither the scanner nor the verifier read these as the names.
    originals = Originals(
        {
            "FIRST_NAME": {"Ada", "Grace"},
            "LAST_NAME": {"Lovelace", "Hopper", "van der Berg", "de la Cruz"},
        }
    )
    checker = _Checker(originals, default_safe_ranges(), REGIONS)
    survivors, _ = checker.surviving_names(note, note)
    assert survivors >= 1, why
    assert checker.surviving_names(note, scrubbed) == (0, 0), why


@pytest.mark.parametrize(
    ("note", "scrubbed"),
    [
        ("O`Brien rang", "Ayers rang"),
        ("O\u00b4Brien rang", "Ayers rang"),
        ("O\u02bcBrien rang", "Ayers rang"),
        ("O\u2032Brien rang", "Ayers rang"),
        ("O\uff07Brien rang", "Ayers rang"),
        ("O\u02bbbrien rang", "Ayers rang"),
        ("Siobhan\u02bcs file", "Blake\u02bcs file"),  # a possessive
        ("Okonkwo\u02bcs account", "Ayers\u02bcs account"),
    ],
)
def test_surviving_names_with_an_apostrophe_look_alike_are_found(note: str, scrubbed: str) -> None:
    # Published with exit 0 before: the look-alike parted the name, or "ʼ" (a letter to Unicode)
    # made "Siobhanʼs" one word.
    originals = Originals(
        {"FIRST_NAME": {"Siobhan"}, "LAST_NAME": {"O'Brien", "O`Connor", "Okonkwo"}}
    )
    checker = _Checker(originals, default_safe_ranges(), REGIONS)
    assert checker.surviving_names(note, note)[0] == 1
    assert checker.surviving_names(note, scrubbed) == (0, 0)


def test_surviving_names_of_a_name_cell_with_an_apostrophe_look_alike_are_found() -> None:
    checker = _Checker(Originals({"LAST_NAME": {"O`Connor"}}), default_safe_ranges(), REGIONS)
    for note in ("O'Connor rang", "O\u2019Connor rang", "OConnor rang"):
        assert checker.surviving_names(note, note)[0] == 1, note


@pytest.mark.parametrize(
    ("note", "why"),
    [
        ("\u0410\u0434\u0430 \u0437\u0432\u043e\u043d\u0438\u043b\u0430", "Russian text"),
        ("please follow-\nup tomorrow", "a hyphenated word, no name"),
        ("Drake dropped the call", "no title glued to a name"),
        ("de auto van der buren is rood", "Dutch words, no name"),
    ],
)
def test_surviving_names_spelled_otherwise_need_the_name(note: str, why: str) -> None:
    originals = Originals({"FIRST_NAME": {"Ada"}, "LAST_NAME": {"Lovelace", "van der Berg", "Ake"}})
    checker = _Checker(originals, default_safe_ranges(), REGIONS)
    assert checker.surviving_names(note, note) == (0, 0), why


def test_verify_finds_names_spelled_otherwise_kept_in_notes(tmp_path: Path) -> None:
    # A scrub that replaced the name columns and kept each note as it was.
    names = [("Ada", "Lovelace"), ("Pieter", "van der Berg"), ("Maria", "de la Cruz")]
    notes = [
        "Spoke to L\u043evelace; called MsLovelace back; Love-\nlace agreed",
        "Spoke to vanderberg",
        "delacruz called",
    ]
    before = [
        {"id": str(i), "First": first, "Last": last, "Notes": note}
        for i, ((first, last), note) in enumerate(zip(names, notes, strict=True))
    ]
    after = [
        {"id": str(i), "First": "Tony", "Last": f"Cherry{i}", "Notes": note}
        for i, note in enumerate(notes)
    ]
    checks = {"id": KEEP, "First": FIRST, "Last": LAST, "Notes": TEXT}
    originals = Originals(
        {"FIRST_NAME": {f for f, _ in names}, "LAST_NAME": {last for _, last in names}},
        pooled={"FIRST_NAME", "LAST_NAME"},
    )
    report, _ = _verify(tmp_path, after, before=before, checks=checks, originals=originals)
    assert report.status == "failed"
    assert {(f.column, f.row) for f in report.findings} == {
        ("Notes", 1),
        ("Notes", 2),
        ("Notes", 3),
    }


def test_surviving_names_of_the_row_run_together_are_found() -> None:
    # "@bobmarley" or "user jsmith": the row's names run together, no name word of the run
    from sanitizer.tables import FrameBatch
    from sanitizer.verify import _RowNames

    frame = pd.DataFrame({"First": ["Bob"], "Last": ["Marley"]}, dtype=object)
    checks = {"First": ColumnCheck("FIRST_NAME", "fake"), "Last": ColumnCheck("LAST_NAME", "fake")}
    table = VerifyTable("t", None, Path("unused"), checks)  # type: ignore[arg-type]
    names = _RowNames(table, FrameBatch(frame, 0))
    assert {"bobmarley", "marleybob", "bmarley"} <= names(0)
    assert names.joined(0) >= {b"bobmarley", b"bmarley"}
    checker = _Checker(
        Originals({"FIRST_NAME": {"Bob"}, "LAST_NAME": {"Marley"}}), default_safe_ranges(), REGIONS
    )
    note = "dm @bobmarley and user bmarley"
    assert checker.surviving_names(note, note, names(0), names.joined(0)) == (2, 0)
    assert checker.surviving_names(note, "dm @shelly and user tkim", names(0), names.joined(0)) == (
        0,
        0,
    )


def test_names_spelled_out_letter_by_letter_are_found() -> None:
    # "spelled R-A-G-H-U-N-A-T-H-A-N": the scrubber kept a spelled-out name before, and so did the
    # verifier. Another original's name spelled out where the input spelled this one is a replacement.
    originals = {"FIRST_NAME": {"Priya", "Will"}, "LAST_NAME": {"Raghunathan", "Okafor"}}
    checker = _Checker(Originals(originals), default_safe_ranges(), REGIONS)
    row = {"priya", "raghunathan"}
    for note, count in [
        ("spelled R-A-G-H-U-N-A-T-H-A-N", 1),
        ("surname r a g h u n a t h a n, first P. R. I. Y. A", 2),
        ("O.K.A.F.O.R is another customer", 1),
    ]:
        assert checker.surviving_names(note, note, row) == (count, 0), note
    assert checker.surviving_names("spelled R-A-G-H-U", "spelled O-K-A-F-O-R", row) == (0, 1)
    # a common word spelled out is no name unless the row's; three letters are no spelling
    assert checker.surviving_names("W-I-L-L do", "W-I-L-L do", row) == (0, 0)
    assert checker.surviving_names("W-I-L-L do", "W-I-L-L do", {"will"}) == (1, 0)
    assert checker.surviving_names("the U-S-A", "the U-S-A", row) == (0, 0)


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(
        st.text(alphabet="aZé²ß Ω-. 1\n_", max_size=24)
        | st.sampled_from(
            ["S-M-I-T-H", "s m i t h", "O.K.A.F.O.R", "P. R. I. Y. A", "É-L-O-Ï-S-E"]
        ),
        max_size=12,
    )
)
def test_the_column_test_for_spelled_words_misses_none(texts: list[str]) -> None:
    # The verifier reads spelled-out words only in cells RE2 flags: every cell Python's pattern
    # matches is flagged.
    from sanitizer.verify import _MAY_SPELL, _SPELLED_RUN

    flagged = pc.match_substring_regex(pa.array(texts, pa.large_string()), _MAY_SPELL).to_pylist()
    for text, flag in zip(texts, flagged, strict=True):
        if _SPELLED_RUN.search(text):
            assert flag, text


def test_surviving_handles_with_particles_titles_or_an_initial_after_are_found() -> None:
    # "janvanderberg", "mrsvanderberg", "mslovelace", "lovelacea": the scrubber kept all four before
    from sanitizer.tables import FrameBatch
    from sanitizer.verify import _RowNames

    frame = pd.DataFrame(
        {"First": ["Jan", "Ada"], "Last": ["van der Berg", "Lovelace"]}, dtype=object
    )
    checks = {"First": ColumnCheck("FIRST_NAME", "fake"), "Last": ColumnCheck("LAST_NAME", "fake")}
    table = VerifyTable("t", None, Path("unused"), checks)  # type: ignore[arg-type]
    names = _RowNames(table, FrameBatch(frame, 0))
    originals = {"FIRST_NAME": {"Jan", "Ada"}, "LAST_NAME": {"van der Berg", "Lovelace"}}
    checker = _Checker(Originals(originals), default_safe_ranges(), REGIONS)
    for row, note in [(0, "dm @janvanderberg; user mrsvanderberg"), (1, "mslovelace, lovelacea")]:
        assert checker.surviving_names(note, note, names(row), names.joined(row)) == (2, 0), note
    assert not {"janvan", "mrvan", "drder"} & names(0)  # a particle alone is no name
    # another row's handles are no finding: each row is checked for its own
    assert checker.surviving_names("mslovelace", "mslovelace", names(0), names.joined(0)) == (0, 0)


def test_surviving_words_of_the_rows_email_user_part_are_found() -> None:
    # "skype: zq.wexford77" in the note of the row whose address is zq.wexford77@example.com.
    from sanitizer.tables import FrameBatch
    from sanitizer.verify import _RowNames

    frame = pd.DataFrame(
        {"Email": ["zq.wexford77@example.com", "info.sales@example.com"]}, dtype=object
    )
    table = VerifyTable("t", None, Path("unused"), {"Email": ColumnCheck("EMAIL_ADDRESS", "email")})  # type: ignore[arg-type]
    names = _RowNames(table, FrameBatch(frame, 0))
    assert "wexford" in names(0) and b"wexford" in names.joined(0)
    assert names(1) == set()  # ordinary words name nobody: "info", "sales"
    checker = _Checker(Originals({}), default_safe_ranges(), REGIONS)
    note = "skype: zq.wexford77, login zq.wexford77@"
    assert checker.surviving_names(note, note, names(0), names.joined(0)) == (2, 0)
    after = "skype: zq.tony77, login zq.tony77@"
    assert checker.surviving_names(note, after, names(0), names.joined(0)) == (0, 0)


def test_surviving_names_family_plurals_are_last_names_only() -> None:
    originals = Originals({"LAST_NAME": {"Smith", "Lovelace"}, "FIRST_NAME": {"Ada"}})
    checker = _Checker(originals, default_safe_ranges(), REGIONS)
    assert checker.surviving_names("the Lovelaces", "the Lovelaces") == (1, 0)
    assert checker.surviving_names("the lovelaces", "the lovelaces") == (
        0,
        0,
    )  # not written as a name
    assert checker.surviving_names("the Adas", "the Adas") == (0, 0)  # a first name: no family
    # "smith" is also a word: its plural is a name only as the row's own
    assert checker.surviving_names("Smiths were here", "Smiths were here") == (0, 0)
    assert checker.surviving_names("Smiths were here", "Smiths were here", {"smith"}) == (1, 0)
    assert checker.surviving_names("the Lovelaces", "the Hansens") == (0, 0)


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from("aB ß\t\n\r\x0b\x0c\x1c\x1f\x85\u00a0\u1680\u2028\u3000\u200b.@")
    )
)
def test_fold_is_whitespace_runs_made_one_space(text: str) -> None:
    """The comparison form: what the regex spelling (\\s+ to one space, strip, casefold) gives."""
    assert _fold(text) == re.sub(r"\s+", " ", text).strip().casefold()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab1 .@-_:;<>\n"), max_size=60))
def test_blanked_emails_are_the_regex_substitution(text: str) -> None:
    assert _blanked(text, list(_EMAIL_LIKE.finditer(text))) == _EMAIL_LIKE.sub(" ", text)


def test_row_names_are_the_name_words_of_each_rows_cells_flat_or_nested() -> None:
    # Worked out per row when asked: a flat batch's one cell a row, a nested record's several cells (a
    # list of aliases) or none (a record without the field).
    from sanitizer.tables import FrameBatch, RecordsBatch
    from sanitizer.verify import _RowNames

    first, last = ColumnCheck("FIRST_NAME", "fake"), ColumnCheck("LAST_NAME", "fake")
    records = [
        {
            "name": {"first": "Ada", "last": "Lovelace"},
            "aliases": [{"first": "Mary-Jane"}, {"first": "Bo"}],
        },
        {"note": "no name here"},
        {"name": {"first": None, "last": "O'Neil Hopper"}, "aliases": []},
    ]
    columns = {"name.first": first, "name.last": last, "aliases[].first": first, "note": TEXT}
    table = VerifyTable("t", None, Path("unused"), columns)  # type: ignore[arg-type]
    names = _RowNames(table, RecordsBatch(records, 0))
    words = [names(row) - {run.decode() for run in names.joined(row)} for row in range(3)]
    assert words == [
        {"ada", "lovelace", "mary", "jane", "bo"},  # a joined name's parts are its words
        set(),
        {"o'neil", "o’neil", "oneil", "hopper"},  # with and without its apostrophe
    ]
    # ... and run together, as user names write them
    assert {"adalovelace", "alovelace", "maryjane", "oneilhopper", "hopperoneil"} <= (
        names(0) | names(2)
    )
    frame = pd.DataFrame({"First": ["Ada", None], "Last": ["Lovelace", "Hopper"]}, dtype=object)
    flat = VerifyTable("t", None, Path("unused"), {"First": first, "Last": last})  # type: ignore[arg-type]
    names = _RowNames(flat, FrameBatch(frame, 0))
    titled = {t + w for t in ("mr", "mrs", "ms", "miss", "mx", "dr") for w in ("ada", "lovelace")}
    assert [names(1), names(0)] == [
        {"hopper", "mrhopper", "mrshopper", "mshopper", "misshopper", "mxhopper", "drhopper"},
        {"ada", "lovelace", "adalovelace", "alovelace", "lovelaceada", "lovelacea"} | titled,
    ]


HAND_WRITTEN = Originals({"PHONE_NUMBER": {"07700 900123", "(212) 555-0143", "+5511912345678"}})


@pytest.mark.parametrize(
    "note",
    [
        "Call 07700 900123 / 07700 900124",  # two numbers joined: one run of too many digits
        "or +1 (212) 555–0143",  # en dash
        "212‑555‑0143",  # non-breaking hyphens
        "ext: 212-555-0143x12",  # an extension glued on
        "mob07700900123",
        "07700-900123_old",
        "212_555_0143",
        "+44 7700 900123/4",
        "Reach him on (11) 91234-5678 today",  # a national number without a trunk 0
    ],
)
def test_verify_an_original_phone_written_by_hand_is_a_finding(note: str) -> None:
    checker = _Checker(HAND_WRITTEN, default_safe_ranges(), REGIONS)
    assert ("original-value", "PHONE_NUMBER") in checker.content(note, check_ranges=False)


@pytest.mark.parametrize(
    "note",
    ["order 2125550143001", "ref 212-555-0144", "call 0143 or 212 555", "+44 7700 900124/5"],
)
def test_verify_hand_written_numbers_that_are_not_originals_pass(note: str) -> None:
    checker = _Checker(HAND_WRITTEN, default_safe_ranges(), REGIONS)
    assert checker.content(note, check_ranges=False) == []


NUMBERS = Originals(
    {"CREDIT_CARD": {"4111 1111 1111 1111"}, "IBAN_CODE": {"GB82 WEST 1234 5698 7654 32"}}
)


@pytest.mark.parametrize(
    ("note", "entity"),
    [
        ("card 4111.1111.1111.1111 please", "CREDIT_CARD"),
        ("card 4111  1111  1111  1111", "CREDIT_CARD"),
        ("ref 99 4111-1111-1111-1111 12/26", "CREDIT_CARD"),  # digits around it
        ("iban gb82 west 1234 5698 7654 32", "IBAN_CODE"),
        ("GB82-WEST-1234-5698-7654-32 and more", "IBAN_CODE"),
        ("GB82WEST12345698765432", "IBAN_CODE"),
        ("4111\u00a01111\u00a01111\u00a01111", "CREDIT_CARD"),  # the whole value, no-break spaces
        ("4111_1111_1111_1111", "CREDIT_CARD"),
        ("4111/1111/1111/1111", "CREDIT_CARD"),
        ("card 4111   1111   1111   1111", "CREDIT_CARD"),  # three spaces
        ("card 4111 \u2014 1111 \u2014 1111 \u2014 1111", "CREDIT_CARD"),  # an em dash, spaced
        ("card 4111:1111:1111:1111", "CREDIT_CARD"),
        ("card 4111,1111,1111,1111", "CREDIT_CARD"),
        ("card 4111\u22121111\u22121111\u22121111", "CREDIT_CARD"),  # the minus sign
        ("4111\u200b1111\u200b1111\u200b1111", "CREDIT_CARD"),  # zero-width spaces
        ("GB82\u00a0WEST\u00a01234\u00a05698\u00a07654\u00a032", "IBAN_CODE"),
        ("GB82/WEST/1234/5698/7654/32", "IBAN_CODE"),
        ("GB 82 WEST 1234 5698 7654 32", "IBAN_CODE"),
    ],
)
def test_verify_an_original_card_or_iban_grouped_otherwise_is_a_finding(
    note: str, entity: str
) -> None:
    checker = _Checker(NUMBERS, default_safe_ranges(), REGIONS)
    assert ("original-value", entity) in checker.content(note, check_ranges=False)
    # ... and the bulk filter hands it to that check (RE2 reads no no-break space as a space).
    assert checker.suspects([note], False)[0] == [0]


@pytest.mark.parametrize(
    "note",
    [
        "mailto:zq.wexford77%2Bbilling%40example.com",  # escaped, with a tag
        '"zq.wexford77"@example.com',  # a quoted user part
        "zq.wexford77\uff20example\uff0ecom",  # full-width "@" and "."
        "zq\u200b.wexford77@example.com",  # a zero-width space inside
        "ZQ.WEXFORD77+billing@EXAMPLE.COM",  # a tag: mail to it reaches the original
    ],
)
def test_verify_an_original_email_a_reader_still_sees_is_a_finding(note: str) -> None:
    checker = _Checker(
        Originals({"EMAIL_ADDRESS": {"zq.wexford77@example.com"}}), default_safe_ranges(), REGIONS
    )
    suspects, decided = checker.suspects([note], True)
    found = [kind for _, kind, _ in decided]
    found += [kind for kind, _ in checker.content(note, True)] if suspects else []
    assert "original-value" in found


@pytest.mark.parametrize(
    ("note", "found"),
    [
        ("from 203.0.113.77 today", True),  # inside a text, not only a whole value
        ("from 203.0.113.077 today", True),  # a number zero-padded
        ("host ec2-203-0-113-77.compute.example.com", True),
        ("203_0_113_77", True),
        ("from 203.0.113.78 today", False),
        ("version 1.203.0.113.77", False),  # five numbers: no address
    ],
)
def test_verify_an_original_ip_address_written_otherwise_is_a_finding(
    note: str, found: bool
) -> None:
    checker = _Checker(Originals({"IP_ADDRESS": {"203.0.113.77"}}), default_safe_ranges(), REGIONS)
    problems = checker.content(note, check_ranges=False)
    assert (("original-value", "IP_ADDRESS") in problems) is found
    assert checker.suspects([note], False)[0] == [0]


@pytest.mark.parametrize(
    "note", ["card 4111 1111 1111 1112", "GB82 WEST 1234 5698 7654 33", "4111 1111 1111"]
)
def test_verify_other_card_and_iban_numbers_pass(note: str) -> None:
    checker = _Checker(NUMBERS, default_safe_ranges(), REGIONS)
    assert checker.content(note, check_ranges=False) == []


@pytest.mark.parametrize(
    "note",
    [
        "write to zq1985 at example dot org",
        "zq1985 @ example.org",
        "zq1985&#64;example.org",
        "zq1985(at)example.org",
        "zq1985 [at] example [dot] org",
        "mailto:zq1985%40example.org",
        "zq1985＠example.org",
        "ZQ1985 AT EXAMPLE DOT ORG",
    ],
)
def test_verify_an_original_email_disguised_is_a_finding(note: str) -> None:
    checker = _Checker(
        Originals({"EMAIL_ADDRESS": {"zq1985@example.org"}}), default_safe_ranges(), REGIONS
    )
    assert checker.content(note, check_ranges=False) == [("original-value", "EMAIL_ADDRESS")]


@pytest.mark.parametrize(
    "note", ["we met at the office. Next", "meet at home dot com", "zq1985 at example.org"]
)
def test_verify_prose_and_other_addresses_are_not_disguised_originals(note: str) -> None:
    checker = _Checker(
        Originals({"EMAIL_ADDRESS": {"zq1985@example.org"}}), default_safe_ranges(), REGIONS
    )
    assert checker.content(note, check_ranges=False) == []


SHOWN_OTHERWISE = Originals(
    {
        "FIRST_NAME": {"Zo\u00eb", "Siobhan"},
        "LAST_NAME": {"\u00c5ngstr\u00f6m"},
        "PHONE_NUMBER": {"(212) 555-0143"},
        "EMAIL_ADDRESS": {"marisol@quintero-family.example.net"},
    }
)


@pytest.mark.parametrize(
    ("note", "names"),
    [
        ('{"name": "Zo\\u00eb \\u00c5ngstr\\u00f6m"}', 2),  # JSON as Python writes it
        ("?n=Zo%C3%AB%20%C3%85ngstr%C3%B6m", 2),  # a URL's UTF-8 escapes
        ("Zo&euml; &Aring;ngstr&ouml;m", 2),  # HTML character references
        ("Zo&#235; &#197;ngstr&#246;m", 2),
        ("Zoe\u0308 A\u030angstro\u0308m", 2),  # decomposed accents
        ("Sio\u200cbhan / Sio\u200dbhan / Sio\ufeffbhan", 3),  # characters that show nothing
        ("Sio\u034fbhan / Sio\u180ebhan / Sio\u2062bhan", 3),
        ("S\u0336i\u0336o\u0336b\u0336h\u0336a\u0336n\u0336", 1),  # struck through
    ],
)
def test_surviving_names_are_read_as_a_reader_sees_them(note: str, names: int) -> None:
    # Published with exit 0 before: the verifier read these as written.
    checker = _Checker(SHOWN_OTHERWISE, default_safe_ranges(), REGIONS)
    assert not checker.keeps_no_name(note, note, frozenset())
    assert checker.surviving_names(note, note) == (names, 0)
    assert checker.surviving_names(note, "Clarence Perry") == (0, 0)


@pytest.mark.parametrize(
    ("note", "entity"),
    [
        ("call 212\u200b555\u200b0143", "PHONE_NUMBER"),  # zero-width spaces
        ("mail marisol&#x40;quintero-family.example.net", "EMAIL_ADDRESS"),  # a hex reference
        ("mail marisol&commat;quintero-family.example.net", "EMAIL_ADDRESS"),  # a named one
    ],
)
def test_verify_an_original_a_reader_sees_through_its_encoding_is_a_finding(
    note: str, entity: str
) -> None:
    checker = _Checker(SHOWN_OTHERWISE, default_safe_ranges(), REGIONS)
    assert checker.suspects([note], True)[0] == [0]
    assert ("original-value", entity) in checker.content(note, True)


def test_surviving_names_behind_url_escapes_are_found() -> None:
    # "mailto:ada%2Elovelace%40example%2Ecom": the escape's letter made "Elovelace" one word.
    checker = _Checker(
        Originals({"FIRST_NAME": {"Ada"}, "LAST_NAME": {"Lovelace"}}),
        default_safe_ranges(),
        REGIONS,
    )
    note = "mailto:ada%2Elovelace%40example%2Ecom"
    row = frozenset({"ada", "lovelace"})
    assert checker.surviving_names(note, note, row) == (2, 0)
    assert checker.surviving_names(note, "mailto:tony%2Echerry%40example%2Ecom", row) == (0, 0)


# The rows' own phones without their area codes, and their addresses' user parts, written alone.
PARTS_BEFORE = [
    {**BEFORE[0], "Email": "zq1985@example.org", "Notes": "call her on 555-0185, skype zq1985"},
    {**BEFORE[1], "Notes": "order 5550185 for zq1985"},  # another row's: an order number, a word
    {
        **BEFORE[2],
        "Email": "zq.1985x@example.net",
        "Notes": "ring 7946 0123, ref 1985x, login zq.1985x",
    },
]


@pytest.mark.parametrize(
    ("row", "note", "entity"),
    [
        (0, "call her on 555-0185, skype user-1a2b", "PHONE_NUMBER"),
        (0, "call her on 555 0185, skype user-1a2b", "PHONE_NUMBER"),
        (0, "call her on 5550185, skype user-1a2b", "PHONE_NUMBER"),
        (0, "call her on 555-0101, skype zq1985", "EMAIL_ADDRESS"),
        (0, "call her on 555-0101, skype ZQ1985.", "EMAIL_ADDRESS"),
        (2, "ring 7946 0123, ref 3c4d, login user-5e6f", "PHONE_NUMBER"),  # London: after the 20
        (2, "ring 7946 0999, ref 1985x, login user-5e6f", "EMAIL_ADDRESS"),  # a piece of it
        (2, "ring 7946 0999, ref 3c4d, login zq.1985x", "EMAIL_ADDRESS"),
    ],
)
def test_verify_the_rows_phone_or_user_part_written_alone_is_a_finding(
    tmp_path: Path, row: int, note: str, entity: str
) -> None:
    clean = {
        0: "call her on 555-0101, skype user-1a2b",
        2: "ring 7946 0999, ref 3c4d, login user-5e6f",
    }
    after = [dict(r) for r in AFTER]
    after[1]["Notes"] = "order 5550185 for zq1985"  # kept: not row 2's own (no finding)
    for index, text in clean.items():
        after[index]["Notes"] = text
    after[row]["Notes"] = note
    report, _ = _verify(tmp_path, after, before=PARTS_BEFORE, batch_rows=2)  # rows of batch 2 too
    assert [(f.column, f.row, f.kind, f.entity) for f in report.findings] == [
        ("Notes", row + 1, "original-value", entity)
    ]
    assert "0185" not in report.model_dump_json() and "1985" not in report.model_dump_json()


def test_verify_the_rows_pieces_in_nested_records_are_each_records_own(tmp_path: Path) -> None:
    # A record without the phone has no cell of it: a note is read against its own record's pieces.
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    before = [
        {"id": "1", "contact": {"phones": ["(212) 555-0185", "+44 20 7946 0123"]}, "Notes": "a"},
        {"id": "2", "Notes": "b"},
        {"id": "3", "contact": {"phones": ["(415) 555-0186"]}, "Notes": "c"},
    ]
    after = [
        {"id": "1", "contact": {"phones": ["(212) 555-0101", "+44 20 7946 0999"]}},
        {"id": "2", "Notes": "order 5550185 and 79460123"},  # no phone of its own
        {"id": "3", "contact": {"phones": ["(415) 555-0102"]}},
    ]
    after[0]["Notes"] = "ring 7946 0123"
    after[2]["Notes"] = "call 555-0186"
    before[0]["Notes"], before[2]["Notes"] = after[0]["Notes"], after[2]["Notes"]
    (tmp_path / "in" / "ext.json").write_text(json.dumps(before), encoding="utf-8")
    (tmp_path / "out" / "ext.json").write_text(json.dumps(after), encoding="utf-8")
    table = VerifyTable(
        name="ext",
        source=read_sources([tmp_path / "in" / "ext.json"])[0],
        output=tmp_path / "out" / "ext.json",
        columns={"id": KEEP, "contact.phones[]": PHONE, "Notes": TEXT},
    )
    originals = Originals({"PHONE_NUMBER": set()}, pooled=set())  # only the row pieces can tell
    report, _ = verify([table], originals, default_safe_ranges(), regions=REGIONS)
    assert [(f.column, f.row, f.entity) for f in report.findings] == [
        ("Notes", 1, "PHONE_NUMBER"),
        ("Notes", 3, "PHONE_NUMBER"),
    ]


@pytest.mark.parametrize(
    "note",
    [
        "order 25550185, paid 5550185.25",  # inside a longer number, an amount
        "call 415-555-0185 or ref 555-0185-12",  # the rest of longer numbers
        "call +1 317 555 0185 or 555 0185 12",  # grouped with other digits by spaces
        "born 1985, zq1985x, a.zq1985, zq1985-2",  # a year, longer handles
    ],
)
def test_verify_pieces_inside_other_numbers_and_words_pass(tmp_path: Path, note: str) -> None:
    after = _with(0, Notes=note)
    after[1]["Notes"] = "order 5550185 for zq1985"  # another row's note: its own pieces only
    report, _ = _verify(tmp_path, after, before=PARTS_BEFORE)
    assert report.findings == [], note


def test_verify_a_replacement_that_spells_the_rows_piece_is_a_coincidence(tmp_path: Path) -> None:
    # Fiction lines are few: another number's replacement may end in the row's own line, and a
    # handle's replacement may spell its user part. Where the input held no such piece, it is no
    # survivor.
    before = [dict(r) for r in PARTS_BEFORE]
    before[0]["Notes"] = "call 555-0147, skype zq0000"
    report, _ = _verify(tmp_path, _with(0, Notes="call 555-0185, skype zq1985"), before=before)
    assert report.findings == []
    assert report.coincidences >= 2


@st.composite
def _notes_around(draw: st.DrawFn, piece: str) -> str:
    """A note holding `piece` (grouped by the note's writer when digits) amid digits, letters, spaces
    and the characters that join or part numbers and handles."""
    if piece.isdigit():
        cuts = sorted(draw(st.sets(st.integers(1, len(piece) - 1), max_size=3)))
        gaps = [draw(st.sampled_from([" ", "-", ".", " - ", "  ", "/", "\u2013"])) for _ in cuts]
        bounds = [0, *cuts, len(piece)]
        groups = [piece[a:b] for a, b in pairwise(bounds)]
        written = groups[0] + "".join(g + s for g, s in zip(gaps, groups[1:], strict=True))
    else:
        written = draw(st.sampled_from([piece, piece.upper()]))
    around = st.text(alphabet="0123456789 -./()_,:+@xZq\u00a0é", max_size=6)
    return draw(around) + written + draw(around)


@given(st.data())
def test_verify_reads_the_rows_pieces_as_the_scanner_finds_them(data: st.DataObject) -> None:
    # The verifier's own reading must agree with the scanner's: a piece it finds that the scanner
    # left would fail a clean run, a piece the scanner finds that it misses would pass a leak.
    from sanitizer.detect.parts import EMAIL_PART, PHONE_PART, entry, part_spans
    from sanitizer.verify import _number_pieces, _user_token

    local = data.draw(st.sampled_from(["5550143", "900143"]))
    note = data.draw(_notes_around(local))
    found = part_spans(note, [entry(PHONE_PART, local, "(212) 555-0143")], [])
    assert bool(found) == _number_pieces(note, {local}), note
    user = data.draw(st.sampled_from(["zq1985", "zq.1985x", "1985x"]))
    note = data.draw(_notes_around(user))
    found = part_spans(note, [entry(EMAIL_PART, user, "zq.1985x@example.org")], [])
    assert bool(found) == _user_token(note, user), note


def test_surviving_names_inside_chinese_japanese_korean_runs_are_found() -> None:
    checker = _Checker(
        Originals({"FIRST_NAME": {"伟", "さくら"}, "LAST_NAME": {"王", "山田"}}),
        default_safe_ranges(),
        REGIONS,
    )
    before = "王伟先生来电，王先生要求回电"
    assert checker.surviving_names(before, before, {"王", "伟"})[0] > 0
    assert checker.surviving_names(before, "KentTara先生来电，Kent先生要求回电", {"王", "伟"}) == (
        0,
        0,
    )
    # The run's names of two characters or more in another customer's note; one alone is a word.
    other = "山田さんから電話，王女士"
    assert checker.surviving_names(other, other, {"li"})[0] == 1
    assert checker.surviving_names("王女士", "王女士", {"li"}) == (0, 0)


def test_surviving_names_with_case_endings_are_found() -> None:
    checker = _Checker(
        Originals({"FIRST_NAME": {"Иван", "Ahmet"}, "LAST_NAME": {"Петров", "Yılmaz"}}),
        default_safe_ranges(),
        REGIONS,
    )
    for before, names in [
        ("Петрову сказали ждать", {"иван", "петров"}),
        ("Ивану отправили письмо", {"иван", "петров"}),
        ("Yılmaz'a yazdık", {"ahmet", "yılmaz"}),
    ]:
        assert checker.surviving_names(before, before, names)[0] == 1, before
        assert checker.surviving_names(before, "Keller'a yazdık", names) == (0, 0)
    # Another word on the stem of no name of the row stays no finding.
    assert checker.surviving_names("Петровка", "Петровка", {"иван", "ольга"}) == (0, 0)


@pytest.mark.parametrize(
    ("check", "before", "after", "originals", "expected"),
    [
        # A column of phone numbers with a null is float in pandas, and so in the Parquet it writes.
        (TEXT, 2125550143.0, 2125550143.0, {"PHONE_NUMBER": {"2125550143"}}, "PHONE_NUMBER"),
        (
            TEXT,
            4111111111111111.0,
            4111111111111111.0,
            {"CREDIT_CARD": {"4111111111111111"}},
            "CREDIT_CARD",
        ),
        # The same number, read as a number in the input and as text in the output: one original.
        (PHONE, 447700900123.0, "447700900123", {"PHONE_NUMBER": set()}, "PHONE_NUMBER"),
        # No original to search for: a float is still a number a phone could dial.
        (KEEP, 2125550143.0, 2125550200.0, {"PHONE_NUMBER": set()}, "PHONE_NUMBER"),
    ],
    ids=["phone-in-free-text", "card-in-free-text", "phone-kept-as-text", "unsafe-phone"],
)
def test_verify_a_number_held_as_a_float_is_read_as_its_digits(
    tmp_path: Path,
    check: ColumnCheck,
    before: float,
    after: float | str,
    originals: dict[str, set[str]],
    expected: str,
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    source, output = tmp_path / "in" / "t.parquet", tmp_path / "out" / "t.parquet"
    pq.write_table(pa.table({"id": [1, 2], "ref": [before, None]}), source)
    pq.write_table(pa.table({"id": [1, 2], "ref": [after, None]}), output)
    table = VerifyTable(
        name="t",
        source=read_sources([source])[0],
        output=output,
        columns={"id": KEEP, "ref": check},
    )
    report, _ = verify([table], Originals(originals), default_safe_ranges(), regions=REGIONS)
    assert {(f.column, f.row) for f in report.findings} == {("ref", 1)}
    assert expected in {f.entity for f in report.findings}
