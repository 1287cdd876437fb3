"""`scrub()` end to end: golden outputs, formats, what is preserved, never a partial or unverified
output, the key, the report, policies, and no network."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sanitizer.errors import (
    ConfigError,
    InputError,
    RulesError,
    UnknownColumnsError,
    VerificationError,
)
from sanitizer.keyring import Keyring
from sanitizer.outputs import TableWriter
from sanitizer.report import figures
from sanitizer.report.model import ScrubReport
from sanitizer.rules import RuleSet, read_rules
from sanitizer.scrub import scrub
from sanitizer.shipped import rules_dir
from sanitizer.tables import read_sources, source_from_bytes

from .conftest import Run, ScrubTables, is_fictional_phone, read_rows

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
GOLDEN_KEY = Keyring(b"golden-test-key-0123456789abcdef", source="tests")
UPDATE = os.environ.get("SANITIZER_UPDATE_GOLDEN") == "1"
REPORTS = ["scrub-report.html", "scrub-report.json", "scrub-report.md"]
SCHEMA = rules_dir() / "schemas" / "scrub-report.schema.json"
KEEP = "version: 1\nextends: [default, genesys]\ncolumns:\n  - {match: '^(id|Balance|Status|n|f|b|z|score|visits)$', operator: keep, reason: test data}\n"


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("golden") / "out"
    rules = read_rules(GOLDEN / "rules.yaml")
    result = scrub(read_sources([GOLDEN / "in"]), rules, GOLDEN_KEY, out)
    return Run(result=result, inputs=GOLDEN / "in", out=out)


def _columns_summary(report: ScrubReport) -> list[dict[str, Any]]:
    """The deterministic part of a report: per column, its decision and counts."""
    return [
        {
            "table": table.name,
            "column": column.name,
            "entity": column.entity,
            "operator": column.operator,
            # The file name only: the folder shown depends on the working directory.
            "rule": Path(column.rule.source).name if column.rule.source else column.rule.kind,
            "counts": column.counts.model_dump(),
            "verification": column.verification.status,
        }
        for table in report.tables
        for column in table.columns
    ]


@pytest.mark.parametrize("name", ["contacts.csv", "external_contacts.json"])
def test_scrub_golden_output_is_byte_identical(golden: Run, name: str) -> None:
    expected = GOLDEN / "expected" / name
    actual = (golden.out / name).read_bytes()
    if UPDATE:
        expected.write_bytes(actual)
    assert actual == expected.read_bytes(), (
        f"{name} differs from tests/data/golden/expected/{name}; if the change is intended, "
        "re-run with SANITIZER_UPDATE_GOLDEN=1 and review the diff"
    )


def test_scrub_golden_report_columns(golden: Run) -> None:
    expected = GOLDEN / "expected" / "report-columns.json"
    actual = json.dumps(_columns_summary(golden.result.report), indent=1, ensure_ascii=False) + "\n"
    if UPDATE:
        expected.write_text(actual, encoding="utf-8")
    assert actual == expected.read_text(encoding="utf-8")


def test_scrub_golden_outputs_and_reports_are_published(golden: Run) -> None:
    assert sorted(p.name for p in golden.out.iterdir()) == sorted(
        ["contacts.csv", "external_contacts.json", *REPORTS]
    )
    assert golden.result.report.status == "verified"
    assert golden.result.report.summary.findings == 0


def _originals(inputs: Path) -> set[str]:
    """Every PII value of the golden inputs (names, emails, phones, account numbers, notes)."""
    values: set[str] = set()
    for row in read_rows(inputs / "contacts.csv"):
        for column, value in row.items():
            # Notes are searched for the PII they hold (below), not as whole texts.
            if column not in {"inin-outbound-id", "Balance", "ContactCallable", "Notes"} and value:
                values.add(value)
    records = json.loads((inputs / "external_contacts.json").read_text(encoding="utf-8"))

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for item in node:
                walk(item, path + "[]")
        elif (
            isinstance(node, str)
            and node
            and path.split(".")[-1]
            in {
                "firstName",
                "lastName",
                "display",
                "e164",
                "workEmail",
                "address1",
                "city",
                "postalCode",
                "value",
            }
        ):
            values.add(node)

    walk(records, "")
    values.update({"Jeremy", "4111 1111 1111 1111", "192.0.2.44", "GB82 WEST 1234 5698 7654 32"})
    return values


def test_scrub_golden_no_original_value_in_any_published_file(golden: Run) -> None:
    originals = _originals(golden.inputs)
    assert len(originals) > 50
    # Whole words only: "Ada" is inside "metadata" in any HTML page.
    patterns = {v: re.compile(rf"(?<!\w){re.escape(v)}(?!\w)", re.IGNORECASE) for v in originals}
    for path in golden.out.iterdir():
        text = path.read_text(encoding="utf-8")
        leaked = sorted(v for v, pattern in patterns.items() if pattern.search(text))
        assert leaked == [], f"{path.name} holds original values: {len(leaked)}"


def test_scrub_golden_key_never_written(golden: Run) -> None:
    secret = GOLDEN_KEY.secret.decode()
    for path in golden.out.iterdir():
        data = path.read_bytes()
        assert GOLDEN_KEY.secret not in data
        assert secret.casefold().encode() not in data.lower()
    report = golden.result.report
    assert report.key.fingerprint == GOLDEN_KEY.fingerprint
    assert GOLDEN_KEY.fingerprint in (golden.out / "scrub-report.html").read_text(encoding="utf-8")
    assert GOLDEN_KEY.fingerprint in (golden.out / "scrub-report.md").read_text(encoding="utf-8")


def test_scrub_golden_report_validates_against_model_and_schema(golden: Run) -> None:
    data = json.loads((golden.out / "scrub-report.json").read_text(encoding="utf-8"))
    ScrubReport.model_validate(data)
    jsonschema.validate(data, json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_scrub_golden_report_names_rules_and_evidence(golden: Run) -> None:
    report = golden.result.report
    shown = [f.path for f in report.rules.files]
    assert shown[:2] == ["rules/default.yaml", "rules/genesys.yaml"]
    assert shown[2].endswith("golden/rules.yaml")
    contacts = {c.name: c for c in report.tables[0].columns}
    assert contacts["AccountNumber"].rule.kind == "table"
    assert contacts["AccountNumber"].rule.source is not None
    assert contacts["AccountNumber"].rule.source.endswith("golden/rules.yaml:18")
    assert contacts["Balance"].rule.reason == "an amount, not personal data"
    assert contacts["Notes"].counts.spans["PERSON"] >= 4
    assert report.tables[0].persona == ["Cust First Nm", "LastName", "Email"]
    assert report.tables[0].output is not None


def test_scrub_report_counts_match_the_input(scrub_tables: ScrubTables) -> None:
    rows = [
        {"id": "1", "Email": "a@example.com", "Notes": "mail a@example.com or b@example.org"},
        {"id": "2", "Email": "A@EXAMPLE.COM", "Notes": ""},
        {"id": "3", "Email": "", "Notes": "nothing here"},
        {"id": "4", "Email": "a@example.com", "Notes": "nothing here"},
        {"id": "5", "Email": "", "Notes": "mail a@example.com or b@example.org"},
    ]
    report = scrub_tables({"t.csv": rows}, KEEP).result.report
    columns = {c.name: c for c in report.tables[0].columns}
    email = columns["Email"].counts
    assert (email.values, email.non_empty, email.unique, email.changed) == (5, 3, 2, 3)
    notes = columns["Notes"].counts
    assert (notes.values, notes.non_empty, notes.unique, notes.changed) == (5, 4, 2, 2)
    assert notes.spans == {"EMAIL_ADDRESS": 4}  # two in each of the two cells that hold them
    assert report.tables[0].rows == 5
    assert (report.summary.tables, report.summary.rows, report.summary.columns) == (1, 5, 3)
    assert report.summary.values_changed == 5
    assert columns["id"].counts.changed == 0


def test_scrub_report_pii_columns_are_the_columns_the_entity_chart_counts(
    scrub_tables: ScrubTables,
) -> None:
    # `salutation` is replaced (a fake prefix) but holds no entity: neither figure counts it.
    rows = [{"id": "1", "salutation": "Dr", "Email": "a@example.com", "Notes": "ok"}]
    rules = KEEP + "  - {match: '^salutation$', operator: fake, params: {provider: prefix}}\n"
    report = scrub_tables({"t.csv": rows}, rules).result.report
    _, _, counts = figures.entities_per_table(report)
    assert report.summary.pii_columns == sum(counts.values()) == 2  # Email, Notes


def test_scrub_report_kept_column_counts_its_unique_values(scrub_tables: ScrubTables) -> None:
    rows = [{"id": "1", "Email": "a@example.com"}, {"id": "2", "Email": "b@example.com"}]
    report = scrub_tables({"t.csv": rows}, KEEP).result.report
    assert report.tables[0].columns[0].counts.unique == 2


# --- formats -----------------------------------------------------------------------------------

PEOPLE = [
    {
        "id": "1",
        "Name": "Ada Lovelace",
        "Email": "ada@example.com",
        "Phone": "+1 212 555 0101",
        "Balance": "1.50",
    },
    {
        "id": "2",
        "Name": "Grace Hopper",
        "Email": "grace@example.org",
        "Phone": "+44 20 7946 0017",
        "Balance": "00.10",
    },
    {"id": "3", "Name": "", "Email": "alan@example.net", "Phone": "", "Balance": ""},
]


@pytest.mark.parametrize("input_ext", [".csv", ".json", ".jsonl", ".parquet"])
@pytest.mark.parametrize("output_format", [None, "csv", "parquet", "jsonl"])
def test_scrub_output_is_named_by_stem_in_the_requested_format(
    scrub_tables: ScrubTables, input_ext: str, output_format: str | None
) -> None:
    run = scrub_tables({f"people{input_ext}": PEOPLE}, KEEP, output_format=output_format)
    expected_ext = f".{output_format}" if output_format else input_ext
    assert [p.name for p in run.result.outputs] == [f"people{expected_ext}"]
    assert run.result.outputs[0].parent == run.out
    out = read_rows(run.result.outputs[0])
    assert [str(r["id"]) for r in out] == ["1", "2", "3"]  # row order
    assert list(out[0]) == ["id", "Name", "Email", "Phone", "Balance"]  # column order
    assert [str(r["Balance"]) for r in out] == ["1.50", "00.10", ""]  # kept text untouched
    assert all(r["Email"] != p["Email"] for r, p in zip(out, PEOPLE, strict=True))


@pytest.mark.parametrize("output_format", [None, "csv", "parquet", "jsonl"])
def test_scrub_records_with_optional_keys_convert_to_every_format(
    scrub_tables: ScrubTables, output_format: str | None
) -> None:
    # External contacts hold optional fields: a key one record lacks is an empty cell in a flat or
    # Parquet output, and verification must pair the cells that stand in the same place.
    records: list[dict[str, Any]] = [
        {
            "id": "1",
            "firstName": "Ada",
            "cellPhone": {"e164": "+12015550143", "display": "(201) 555-0143"},
            "address": {"city": "Springfield", "address1": "12 Elm Street"},
            "workEmail": "ada@example.org",
        },
        {"id": "2", "firstName": "Grace", "cellPhone": {"e164": "+447700900123"}, "address": {}},
    ]
    run = scrub_tables({"ext.json": records}, KEEP, output_format=output_format)
    assert run.result.report.verification.status == "passed"
    published = run.result.outputs[0].read_bytes()
    for original in (
        "Ada",
        "Grace",
        "201) 555-0143",
        "7700900123",
        "ada@example.org",
        "Elm Street",
    ):
        assert original.encode() not in published


# Records whose fields differ: a field absent from the first record, a key absent from the first
# record's nested object, a null before a string, lists of objects with different keys.
UNEVEN: list[dict[str, Any]] = [
    {"id": "1", "firstName": "Ada", "z": None, "address": {"city": "Springfield"}},
    {
        "id": "2",
        "firstName": "Grace",
        "z": "text now",
        "personalEmail": "grace@example.net",
        "address": {"city": "Shelbyville", "postalCode": "12345"},
        "lineId": {"ids": [{"userId": "U4ae4ab01f3d88ab2"}], "displayName": "Grace H."},
        "externalIds": [{"externalSource": {"id": "crm"}, "value": "CRM-3221721"}],
    },
    {"id": "3", "firstName": "Alan", "externalIds": [{"value": "CRM-1", "note": "kept"}]},
]


@pytest.mark.parametrize(
    "output_format",
    [
        "parquet",  # why: a Parquet schema was inferred from the first record, then fixed
        "csv",  # why: a CSV header is written with the first batch
        None,  # why: JSON kept every field already; it must go on doing so
    ],
)
@pytest.mark.parametrize("batch_rows", [100, 1])  # why: 1 puts the later fields in later batches
def test_scrub_fields_only_later_records_have_are_kept(
    scrub_tables: ScrubTables, output_format: str | None, batch_rows: int
) -> None:
    rules = KEEP + "  - {match: '^(z|externalIds.*note)$', operator: keep, reason: test data}\n"
    run = scrub_tables(
        {"ext.json": UNEVEN}, rules, output_format=output_format, batch_rows=batch_rows
    )
    out = read_rows(run.result.outputs[0])
    if output_format == "csv":
        # A flat file: one column per leaf path (lists as JSON text), every record's.
        assert list(out[0]) == [
            "id", "firstName", "z", "address.city", "personalEmail", "address.postalCode",
            "lineId.ids", "lineId.displayName", "externalIds",
        ]  # fmt: skip
        assert json.loads(out[2]["externalIds"])[0]["note"] == "kept"
        assert out[1]["personalEmail"] and out[1]["address.postalCode"]
        return
    second, third = out[1], out[2]
    assert (out[0]["id"], second["z"]) == ("1", "text now")
    assert second["personalEmail"] not in (None, "grace@example.net")
    assert second["address"]["postalCode"] != "12345"
    assert second["lineId"]["displayName"] and second["lineId"]["ids"][0]["userId"]
    assert second["externalIds"][0]["externalSource"] == {"id": "crm"}
    assert third["externalIds"][0]["note"] == "kept"
    # The report's columns are the output's (each leaf path is in some output record).
    leaves = {c.name for c in run.result.report.tables[0].columns}
    assert {"personalEmail", "lineId.ids[].userId", "externalIds[].note"} <= leaves


def test_scrub_csv_non_pii_fields_are_byte_identical(
    scrub_tables: ScrubTables, fake_contacts: Any
) -> None:
    rows = fake_contacts(50, seed=5)
    rows[0]["Balance"] = '=1+2, "quoted"\nnext line'  # quoting, commas and line breaks survive
    rows[1]["Status"] = "  padded  "
    run = scrub_tables({"contacts.csv": rows}, KEEP, bom=True)
    raw_in = (run.inputs / "contacts.csv").read_bytes()
    raw_out = (run.out / "contacts.csv").read_bytes()
    assert raw_out.startswith(b"\xef\xbb\xbf")
    assert raw_out.split(b"\r\n", 1)[0] == raw_in.split(b"\r\n", 1)[0]  # the header line
    parsed_in = list(csv.reader(io.StringIO(raw_in.decode("utf-8-sig"), newline="")))
    parsed_out = list(csv.reader(io.StringIO(raw_out.decode("utf-8-sig"), newline="")))
    assert len(parsed_out) == len(parsed_in)
    kept = [parsed_in[0].index(c) for c in ("id", "Balance", "Status")]
    for before, after in zip(parsed_in, parsed_out, strict=True):
        assert [after[i] for i in kept] == [before[i] for i in kept]


def test_scrub_json_keeps_types_and_nesting(scrub_tables: ScrubTables) -> None:
    records: list[dict[str, Any]] = [
        {
            "id": 1,
            "n": 3,
            "f": 1.25,
            "b": True,
            "z": None,
            "cellPhone": {"display": "+1 212 555 0101", "countryCode": "US"},
            "identifiers": [{"type": "Email", "value": "ada@example.com"}],
            "workEmail": "ada@example.com",
        },
        {
            "id": 2,
            "n": -7,
            "f": 0.0,
            "b": False,
            "z": None,
            "cellPhone": None,
            "identifiers": [],
            "workEmail": None,
        },
    ]
    out = scrub_tables({"ext.json": records}, KEEP).rows("ext")
    for before, after in zip(records, out, strict=True):
        assert list(after) == list(before)
        for key in ("id", "n", "f", "b", "z"):
            assert after[key] == before[key] and type(after[key]) is type(before[key])
    assert out[0]["cellPhone"]["countryCode"] == "US"
    assert out[0]["cellPhone"]["display"] != "+1 212 555 0101"
    assert out[0]["identifiers"][0]["type"] == "Email"
    assert (out[1]["cellPhone"], out[1]["identifiers"], out[1]["workEmail"]) == (None, [], None)


def test_scrub_parquet_keeps_non_pii_types(tmp_path: Path, keyring_a: Keyring) -> None:
    (tmp_path / "in").mkdir()
    table = pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "Email": ["ada@example.com", "grace@example.org"],
            "score": pa.array([1.5, None]),
            "visits": pa.array([3, 4], pa.int32()),
        }
    )
    pq.write_table(table, tmp_path / "in" / "t.parquet")
    rules = tmp_path / "rules.yaml"
    rules.write_text(KEEP, encoding="utf-8")
    result = scrub(read_sources([tmp_path / "in"]), read_rules(rules), keyring_a, tmp_path / "out")
    back = pq.read_table(result.outputs[0])
    assert back.schema.field("id").type == pa.int64()
    assert back.schema.field("visits").type == pa.int32()
    assert back.column("score").to_pylist() == [1.5, None]
    assert back.column("Email").to_pylist() != table.column("Email").to_pylist()


def test_scrub_parquet_maps_dates_and_timestamps_keep_their_types(
    tmp_path: Path, keyring_a: Keyring
) -> None:
    # A map<string, int64> column was an internal error; map<string, string> came back as lists.
    import datetime as dt

    (tmp_path / "in").mkdir()
    table = pa.table(
        {
            "Email": ["ada@example.com", "grace@example.org", "alan@example.net"],
            "counts": pa.array(
                [[("calls", 1)], None, [("calls", 3), ("mails", 4)]],
                pa.map_(pa.string(), pa.int64()),
            ),
            "tags": pa.array([[("tier", "gold")], [], None], pa.map_(pa.string(), pa.string())),
            "created": pa.array(
                [dt.datetime(2026, 1, 1, 12), None, dt.datetime(2026, 2, 1)], pa.timestamp("us")
            ),
            "day": pa.array([dt.date(2026, 1, 1), None, dt.date(2026, 3, 1)], pa.date32()),
        }
    )
    pq.write_table(table, tmp_path / "in" / "t.parquet")
    rules = tmp_path / "rules.yaml"
    rules.write_text(KEEP, encoding="utf-8")
    scrub(read_sources([tmp_path / "in"]), read_rules(rules), keyring_a, tmp_path / "out")
    back = pq.read_table(tmp_path / "out" / "t.parquet")
    assert back.schema.equals(table.schema)
    assert back.drop_columns(["Email"]).to_pylist() == table.drop_columns(["Email"]).to_pylist()
    assert back.column("Email").to_pylist() != table.column("Email").to_pylist()


def test_scrub_phone_numbers_stored_as_numbers_stay_numbers(
    tmp_path: Path, keyring_a: Keyring
) -> None:
    # A phone held as an integer (Parquet int64, a JSON number) was written back as text.
    (tmp_path / "in").mkdir()
    table = pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "Phone": pa.array([2125550187, None], pa.int64()),
            "CellPhone": pa.array([2125550188, 2125550189], pa.int64()),
        }
    )
    pq.write_table(table, tmp_path / "in" / "t.parquet")
    (tmp_path / "in" / "j.json").write_text(
        json.dumps([{"id": 1, "Phone": 2125550187}, {"id": 2, "Phone": "+1 212 555 0189"}]),
        encoding="utf-8",
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(KEEP, encoding="utf-8")
    scrub(read_sources([tmp_path / "in"]), read_rules(rules), keyring_a, tmp_path / "out")
    back = pq.read_table(tmp_path / "out" / "t.parquet")
    assert back.schema.field("Phone").type == back.schema.field("CellPhone").type == pa.int64()
    phones = back.column("Phone").to_pylist()
    assert phones[1] is None and phones[0] != 2125550187
    assert 2125550100 <= phones[0] <= 2125550199  # the fictional block, as a number
    records = json.loads((tmp_path / "out" / "j.json").read_text(encoding="utf-8"))
    assert isinstance(records[0]["Phone"], int) and records[0]["Phone"] != 2125550187
    assert isinstance(records[1]["Phone"], str)  # text stays text


@pytest.mark.parametrize(
    ("column", "values", "kind"),
    [
        # pandas makes a column of numbers float when it has a null: a phone and a card, classified as
        # free text, passed through ("2125550143.0" was no number to the scan); "[REDACTED]" is text
        ("ref", [2125550143.0, 4111111111111111.0, None], pa.large_string()),
        # the float's ".0" was masked as an extension ("2125550133.*"): the column stays float
        ("Phone", [2125550143.0, None, 2125550144.0], pa.float64()),
        # international numbers without "+", with a null (kept: no phone in "447700900123.0")
        ("mobile_backup", [447700900123.0, 447700900124.0, None], pa.float64()),
        # without a null (the run ended in an internal error: text written into a float column)
        ("mb_full", [447700900123.0, 447700900124.0, 447700900125.0], pa.float64()),
    ],
)
def test_scrub_whole_numbers_held_as_floats_are_replaced_as_their_digits(
    tmp_path: Path, keyring_a: Keyring, column: str, values: list[float | None], kind: pa.DataType
) -> None:
    (tmp_path / "in").mkdir()
    pq.write_table(
        pa.table({"id": [1, 2, 3], column: pa.array(values, pa.float64())}),
        tmp_path / "in" / "t.parquet",
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(KEEP, encoding="utf-8")
    scrub(read_sources([tmp_path / "in"]), read_rules(rules), keyring_a, tmp_path / "out")
    back = pq.read_table(tmp_path / "out" / "t.parquet")
    assert back.schema.field(column).type == kind
    for old, new in zip(values, back.column(column).to_pylist(), strict=True):
        assert (old is None) == (new is None)
        if old is None:
            continue
        digits = f"{new:.0f}" if isinstance(new, float) else new
        assert digits != f"{old:.0f}"
        assert digits == "[REDACTED]" or is_fictional_phone(
            "+" + ("1" if len(digits) == 10 else "") + digits
        ), digits


def test_scrub_whole_numbers_held_as_floats_in_json_are_replaced(
    tmp_path: Path, keyring_a: Keyring
) -> None:
    (tmp_path / "in").mkdir()
    records = [
        {"id": 1, "ref": 4111111111111111.0, "Phone": 2125550143.0, "amount": 12.0},
        {"id": 2, "ref": 2125550144.0, "Phone": None, "amount": 12.5},
    ]
    (tmp_path / "in" / "j.json").write_text(json.dumps(records), encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(KEEP, encoding="utf-8")
    scrub(read_sources([tmp_path / "in"]), read_rules(rules), keyring_a, tmp_path / "out")
    text = (tmp_path / "out" / "j.json").read_text(encoding="utf-8")
    for original in ("4111111111111111", "2125550143", "2125550144"):
        assert original not in text
    back = json.loads(text)
    assert back[0]["ref"] == "[REDACTED]"
    assert isinstance(back[0]["Phone"], float)  # a number stays a number
    assert 2125550100 <= back[0]["Phone"] <= 2125550199
    assert [r["amount"] for r in back] == [12.0, 12.5]  # numbers without personal data untouched


_LEOPOLD = {"id": 1, "firstName": "Leopold", "lastName": "Vashchenko"}


@pytest.mark.parametrize(
    ("name", "row", "place"),
    [
        # the row's own number as a key (digits alone may be an id: refused when a phone column holds it)
        (
            "c.json",
            {**_LEOPOLD, "cell": {"e164": "+12125550143"}, "contacts": {"2125550143": "home"}},
            "record 1",
        ),
        # a surname alone as a key (a full name was refused already)
        ("c.json", {**_LEOPOLD, "contacts": {"Vashchenko": "self"}}, "record 1"),
        ("c.json", {**_LEOPOLD, "contacts": {"leopoldvashchenko": {"since": "2020"}}}, "record 1"),
        ("c.csv", {**_LEOPOLD, "Vashchenko": "x"}, "column 4"),
        ("c.csv", {**_LEOPOLD, "lvashchenko": "x"}, "column 4"),  # a handle
        ("c.parquet", {**_LEOPOLD, "vashchenko_l": "x"}, "column 4"),
    ],
    ids=[
        "json-phone",
        "json-surname",
        "json-handle",
        "csv-surname",
        "csv-handle",
        "parquet-handle",
    ],
)
def test_scrub_keys_and_headers_that_hold_the_runs_data_stop_it_before_any_output(
    scrub_tables: ScrubTables, tmp_path: Path, name: str, row: dict[str, Any], place: str
) -> None:
    out = tmp_path / "refused"
    with pytest.raises(InputError) as caught:
        scrub_tables({name: [row]}, KEEP, out=out)
    message = str(caught.value)
    assert f"{place}: a field name holds" in message
    assert "ashchenko" not in message.casefold() and "2125550143" not in message
    assert not out.exists() or not any(out.iterdir())


def test_scrub_field_names_that_are_no_data_of_the_run_are_kept(scrub_tables: ScrubTables) -> None:
    rows = [
        # a surname that is an English word heads a column; a rule names "ANI" (a customer is Ani)
        {"id": 1, "FirstName": "Ani", "LastName": "Price", "ANI": "+1 212 555 0143", "Price": "4"},
        {
            "id": 2,
            "FirstName": "Ada",
            "LastName": "Lovelace",
            "ANI": "+1 212 555 0144",
            "Price": "5",
        },
    ]
    records = [{**_LEOPOLD, "notes": "x", "Campaign": "spring", "byId": {"2125550187": 1}}]
    run = scrub_tables({"c.csv": rows, "e.json": records}, KEEP)
    assert read_rows(run.out / "c.csv")[0].keys() == rows[0].keys()
    assert read_rows(run.out / "e.json")[0]["byId"].keys() == {"2125550187"}


def test_scrub_values_a_free_text_rule_leaves_alone_keep_their_types(
    tmp_path: Path, keyring_a: Keyring
) -> None:
    # The scan reads every value as text: a Genesys custom field's 0, -2, 0.25 or true came back as
    # "0", "-2", "0.25", "True", and Parquet crashed on a struct whose integers became text.
    (tmp_path / "in").mkdir()
    custom = [
        {"visits_integer": 0, "delta_integer": -2, "ratio_decimal": 0.25, "vip_boolean": True},
        {"visits_integer": 5, "delta_integer": 7, "ratio_decimal": 1e-7, "vip_boolean": False},
    ]
    records = [
        {"id": "c-1", "firstName": "Ada", "customFields": custom[0], "notes": 12},
        {"id": "c-2", "firstName": "Alan", "customFields": custom[1], "notes": "call Alan"},
    ]
    (tmp_path / "in" / "j.json").write_text(json.dumps(records), encoding="utf-8")
    table = pa.table(
        {
            "id": pa.array(["c-1", "c-2"], pa.string()),
            "customFields": pa.array(custom),
            "notes": pa.array([0, -3], pa.int64()),
            "comment": pa.array([1.5, None], pa.float64()),
        }
    )
    pq.write_table(table, tmp_path / "in" / "t.parquet")
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        KEEP + "  - {match: '^(notes|comment)$', entity: FREE_TEXT, operator: text}\n",
        encoding="utf-8",
    )
    scrub(read_sources([tmp_path / "in"]), read_rules(rules), keyring_a, tmp_path / "out")
    back = json.loads((tmp_path / "out" / "j.json").read_text(encoding="utf-8"))
    assert [r["customFields"] for r in back] == custom  # numbers and booleans, as they were
    assert back[0]["notes"] == 12 and back[1]["notes"] != "call Alan"  # the text is still scrubbed
    written = pq.read_table(tmp_path / "out" / "t.parquet")
    assert written.schema.equals(table.schema)  # string stays string, not large_string
    assert written.to_pylist() == table.to_pylist()


@pytest.mark.parametrize("output_format", [None, "jsonl", "csv", "json"])
def test_scrub_a_parquet_file_without_rows_keeps_its_columns_in_any_format(
    tmp_path: Path, keyring_a: Keyring, output_format: str | None
) -> None:
    # Its output had no columns at all; converted, verification read the empty output as a bad input.
    (tmp_path / "in").mkdir()
    schema = pa.schema([("name", pa.string()), ("visits", pa.int64())])
    pq.write_table(schema.empty_table(), tmp_path / "in" / "t.parquet")
    rules = tmp_path / "rules.yaml"
    rules.write_text(KEEP, encoding="utf-8")
    result = scrub(
        read_sources([tmp_path / "in"]),
        read_rules(rules),
        keyring_a,
        tmp_path / "out",
        output_format=output_format,
    )
    assert result.report.status == "verified" and result.report.summary.rows == 0
    if output_format is None:
        assert pq.read_schema(tmp_path / "out" / "t.parquet").equals(schema)


def test_scrub_timestamps_in_a_text_column_are_kept(scrub_tables: ScrubTables) -> None:
    # "2024-01-01 00:00:00" read as a phone: its digits were replaced ("2025-55-01 60:00:00").
    stamps = ["2024-01-01 00:00:00+00:00", "2024-03-15 09:30:00", "2023-12-31 23:59:59"]
    rows = [{"id": str(i), "created": s, "name": "Ada Lovelace"} for i, s in enumerate(stamps)]
    run = scrub_tables({"t.csv": rows}, KEEP)
    assert run.result.report.status == "verified"
    assert [row["created"] for row in run.rows("t")] == stamps


def test_scrub_the_rows_own_phones_written_by_hand_in_notes_are_replaced(
    tmp_path: Path, keyring_a: Keyring
) -> None:
    # Kept before, and unseen by the verifier: a slash between two numbers, dashes, "_", letters glued.
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "t.csv").write_text(
        "Name,Mobile,Phone,Notes\n"
        'Ada Lovelace,07700 900123,(212) 555-0143,"Call 07700 900123 / 07700 900124 or '
        '+1 (212) 555\u20130143, ext: 212-555-0143x12"\n'
        'Alan Turing,07700 900125,(212) 555-0144,"212 555 0144/0145; +44 7700 900125/6; '
        '212\u2011555\u20110144; mob07700900125; 07700-900125_old; 212_555_0144"\n'
        'Grace Hopper,+5511912345678,(212) 555-0146,"Reach her on (11) 91234-5678 today"\n',
        encoding="utf-8",
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(KEEP, encoding="utf-8")
    result = scrub(read_sources([tmp_path / "in"]), read_rules(rules), keyring_a, tmp_path / "out")
    assert result.report.status == "verified"
    notes = " ".join(row["Notes"] for row in read_rows(tmp_path / "out" / "t.csv"))
    digits = re.sub(r"\D", "", notes.replace("/", " "))
    for original in ("7700900123", "2125550143", "7700900125", "2125550144", "11912345678"):
        assert original not in digits, original


def test_scrub_the_rows_own_phone_written_otherwise_gets_the_columns_replacement(
    scrub_tables: ScrubTables,
) -> None:
    # "212_555_0144" was read as no number (a pooled fake of another country); "(11) 91234-5678",
    # with no BR among the regions, as a North American one: each got a fake of its own.
    rows = [
        {
            "Name": "Ada Lovelace",
            "Phone": "(212) 555-0144",
            "Notes": "call 212_555_0144 or 212.555.0144",
        },
        {
            "Name": "Grace Hopper",
            "Phone": "+55 11 91234-5678",
            "Notes": "Reach her on (11) 91234-5678 today",
        },
    ]
    run = scrub_tables({"t.csv": rows}, KEEP)
    assert run.result.report.status == "verified"
    ada, grace = run.rows("t")
    fake = re.sub(r"\D", "", ada["Phone"])  # 212555xxxx: the area code is kept
    assert (
        ada["Notes"]
        == f"call {fake[:3]}_{fake[3:6]}_{fake[6:]} or {fake[:3]}.{fake[3:6]}.{fake[6:]}"
    )
    number = re.sub(r"[^\d+]", "", grace["Phone"])
    assert grace["Notes"] == f"Reach her on {number} today"  # brackets and all: one number


def test_scrub_cards_and_ibans_grouped_otherwise_in_notes_are_replaced(
    tmp_path: Path, keyring_a: Keyring
) -> None:
    # Dots, double spaces, lower case and hyphens kept the row's own card and IBAN in its note.
    (tmp_path / "in").mkdir()
    note = (
        "card 4111.1111.1111.1111 / 4111  1111  1111  1111; iban gb82 west 1234 5698 7654 32; "
        "GB82-WEST-1234-5698-7654-32, 4111\u00a01111\u00a01111\u00a01111, 4111_1111_1111_1111, "
        "4111/1111/1111/1111, 4111\u200b1111\u200b1111\u200b1111, GB 82 WEST 1234 5698 7654 32, "
        "GB82/WEST/1234/5698/7654/32, GB82\u00a0WEST\u00a01234\u00a05698\u00a07654\u00a032 and more"
    )
    (tmp_path / "in" / "t.csv").write_text(
        f'Name,Card Number,IBAN,Notes\nAda Lovelace,4111 1111 1111 1111,GB82 WEST 1234 5698 7654 32,"{note}"\n',
        encoding="utf-8",
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(KEEP, encoding="utf-8")
    result = scrub(read_sources([tmp_path / "in"]), read_rules(rules), keyring_a, tmp_path / "out")
    assert result.report.status == "verified"
    (row,) = read_rows(tmp_path / "out" / "t.csv")
    compact = re.sub(r"[^A-Za-z0-9]", "", row["Notes"]).upper()
    assert "4111111111111111" not in compact and "GB82WEST12345698765432" not in compact
    assert row["Notes"].startswith("card ") and row["Notes"].endswith(" and more")


def test_scrub_the_rows_own_email_a_reader_still_sees_gets_the_columns_replacement(
    scrub_tables: ScrubTables,
) -> None:
    # A quoted user part, full-width signs and a zero-width space: kept with exit 0 before.
    note = 'a "zq.w77"@example.com b zq.w77\uff20example\uff0ecom c zq\u200b.w77@example.com d'
    rows = [{"Name": "Ada Lovelace", "E-mail": "zq.w77@example.com", "Notes": note}]
    run = scrub_tables({"t.csv": rows}, KEEP)
    assert run.result.report.status == "verified"
    (row,) = run.rows("t")
    fake = row["E-mail"]
    assert row["Notes"] == f"a {fake} b {fake} c {fake} d"


def test_scrub_the_rows_own_name_in_styled_letters_or_with_invisible_characters_is_replaced(
    scrub_tables: ScrubTables,
) -> None:
    # Full-width and bold letters were kept; a zero-width space left "lace" beside a fake name.
    forms = [
        "\uff2c\uff4f\uff56\uff45\uff4c\uff41\uff43\uff45",
        "\U0001d40b\U0001d428\U0001d42f\U0001d41e\U0001d425\U0001d41a\U0001d41c\U0001d41e",
        "Love\u00adlace",
        "Love\u200blace",
    ]
    rows = [{"FirstName": "Ada", "LastName": "Lovelace", "Notes": f"Called {'; '.join(forms)}."}]
    run = scrub_tables({"t.csv": rows}, KEEP)
    assert run.result.report.status == "verified"
    (row,) = run.rows("t")
    assert row["Notes"] == f"Called {'; '.join([row['LastName']] * 4)}."


def test_scrub_the_rows_own_name_with_an_apostrophe_look_alike_gets_the_columns_replacement(
    tmp_path: Path, keyring_a: Keyring
) -> None:
    # Published unchanged before, with "verified, 0 findings": "O`Brien", "OʼBrien", "Siobhanʼs".
    (tmp_path / "in").mkdir()
    notes = ["O`Brien rang", "O\u00b4Brien rang", "O\u02bcBrien rang", "Siobhan\u02bcs file"]
    rows = "".join(f"Siobhan,O'Brien,{note}\n" for note in notes)
    (tmp_path / "in" / "t.csv").write_text(f"FirstName,LastName,Notes\n{rows}", encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(KEEP, encoding="utf-8")
    result = scrub(read_sources([tmp_path / "in"]), read_rules(rules), keyring_a, tmp_path / "out")
    assert result.report.status == "verified"
    out = read_rows(tmp_path / "out" / "t.csv")
    last, first = out[0]["LastName"], out[0]["FirstName"]
    assert [row["Notes"] for row in out] == [
        f"{last} rang",
        f"{last} rang",
        f"{last} rang",
        f"{first}\u02bcs file",
    ]


def test_scrub_the_rows_own_name_and_phone_escaped_or_hidden_get_the_columns_replacement(
    tmp_path: Path, keyring_a: Keyring
) -> None:
    # Published unchanged before, with "verified, 0 findings" (the NFD name became "Clarence\u0308").
    (tmp_path / "in").mkdir()
    notes = [
        '{""name"": ""Zo\\u00eb \\u00c5ngstr\\u00f6m""}',
        "?n=Zo%C3%AB%20%C3%85ngstr%C3%B6m",
        "Zo&euml; &Aring;ngstr&ouml;m",
        "Zoe\u0308 A\u030angstro\u0308m",
        "Zo\u200cë \u00c5ngstr\u0336öm; call 212\u200b555\u200b0143",
    ]
    rows = "".join(f'Zo\u00eb,\u00c5ngstr\u00f6m,(212) 555-0143,"{note}"\n' for note in notes)
    (tmp_path / "in" / "t.csv").write_text(
        f"FirstName,LastName,HomePhone,Notes\n{rows}", encoding="utf-8"
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(KEEP, encoding="utf-8")
    result = scrub(read_sources([tmp_path / "in"]), read_rules(rules), keyring_a, tmp_path / "out")
    assert result.report.status == "verified"
    out = read_rows(tmp_path / "out" / "t.csv")
    first, last = out[0]["FirstName"], out[0]["LastName"]
    digits = re.sub(r"\D", "", out[0]["HomePhone"])
    hidden = "\u200b".join([digits[:3], digits[3:6], digits[6:]])  # as the note wrote it
    assert [row["Notes"] for row in out] == [
        f'{{"name": "{first} {last}"}}',
        f"?n={first}%20{last}",
        f"{first} {last}",
        f"{first} {last}",
        f"{first} {last}; call {hidden}",
    ]


def test_scrub_the_rows_own_ip_address_written_otherwise_in_notes_is_replaced(
    scrub_tables: ScrubTables,
) -> None:
    # A zero-padded number, a host name and "_" kept the row's address in its note.
    note = "from 203.0.113.077; host ec2-203-0-113-77.compute.example.com; ip 203_0_113_77 ok"
    rows = [{"Name": "Ada Lovelace", "IP Address": "203.0.113.77", "Notes": note}]
    run = scrub_tables({"t.csv": rows}, KEEP)
    assert run.result.report.status == "verified"
    (row,) = run.rows("t")
    numbers = re.findall(r"\d+", row["Notes"])
    assert "113" not in numbers and "077" not in numbers
    assert row["Notes"].startswith("from ") and row["Notes"].endswith(" ok")


def test_scrub_the_rows_own_email_disguised_in_notes_is_replaced(
    tmp_path: Path, keyring_a: Keyring
) -> None:
    # "at" and "dot" spelled out, "@" with spaces, encoded or full-width: the note kept the address.
    (tmp_path / "in").mkdir()
    note = (
        "write to zq1985 at example dot org, zq1985 @ example.org or zq1985&#64;example.org; "
        "zq1985(at)example.org; zq1985 [at] example [dot] org; mailto:zq1985%40example.org; "
        "zq1985\uff20example.org. We met at the office. Next"
    )
    (tmp_path / "in" / "t.csv").write_text(
        f'Name,E-mail,Notes\nAda Lovelace,zq1985@example.org,"{note}"\n', encoding="utf-8"
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(KEEP, encoding="utf-8")
    result = scrub(read_sources([tmp_path / "in"]), read_rules(rules), keyring_a, tmp_path / "out")
    assert result.report.status == "verified"
    (row,) = read_rows(tmp_path / "out" / "t.csv")
    assert "zq1985" not in row["Notes"].lower()
    assert row["Notes"].endswith(". We met at the office. Next")  # prose is not an address
    # Every spelling is the row's address, so each gets the column's replacement.
    found = re.findall(r"[\w.+-]+@[\w.-]+\w", row["Notes"])
    assert len(found) == 7 and set(found) == {row["E-mail"]}


def test_scrub_keeps_the_replacement_maps_only_when_asked(
    tmp_path: Path,
    contact_rules: RuleSet,
    keyring_a: Keyring,
    fake_contacts: Any,
    write_rows: Any,
) -> None:
    # A standalone scrub frees its maps before verification (memory); a refresh keeps them for its flows.
    rows = fake_contacts(10, seed=4)
    (tmp_path / "in").mkdir()
    write_rows(tmp_path / "in" / "a.csv", rows)
    sources = read_sources([tmp_path / "in"])
    plain = scrub(sources, contact_rules, keyring_a, tmp_path / "plain")
    kept = scrub(sources, contact_rules, keyring_a, tmp_path / "kept", keep_mapper=True)
    assert plain.mapper is None
    assert kept.mapper is not None
    emails = kept.mapper.lookup(kept.mapper.entity_channel("EMAIL_ADDRESS"))
    assert {row["Email"] for row in rows} <= set(emails)
    # Releasing the maps changes no output.
    assert (tmp_path / "plain" / "a.csv").read_bytes() == (tmp_path / "kept" / "a.csv").read_bytes()


@pytest.mark.parametrize("name", ["contacts.csv", "contacts.json", "contacts.parquet"])
def test_scrub_small_batches_give_the_same_output_as_one_batch(
    scrub_tables: ScrubTables, fake_contacts: Any, name: str
) -> None:
    # Streaming must not change a value: batches cut rows, not decisions. (Parquet files differ in
    # row groups, one per batch, so they are compared by content.)
    rows = fake_contacts(20, seed=9)
    whole = scrub_tables({name: rows}, KEEP)
    streamed = scrub_tables({name: rows}, KEEP, batch_rows=6)
    if name.endswith(".parquet"):
        assert read_rows(streamed.out / name) == read_rows(whole.out / name)
    else:
        assert (streamed.out / name).read_bytes() == (whole.out / name).read_bytes()
    assert streamed.result.report.summary == whole.result.report.summary
    # Counts, free-text spans included, are per cell: the same whatever the batches.
    counts = [c.counts for c in whole.result.report.tables[0].columns]
    assert [c.counts for c in streamed.result.report.tables[0].columns] == counts
    assert any(c.spans for c in counts)


def test_scrub_csv_read_in_blocks_smaller_than_a_batch_gives_the_same_output(
    scrub_tables: ScrubTables, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file larger than the CSV reader's block (16 MiB) gives batches whose columns are in several
    # chunks: the row pieces read them a column at a time (a million-row scrub failed so).
    rows = [
        {
            "id": str(i),
            "FirstName": "Ada",
            "LastName": f"Quib{i:03d}ley",
            "HomePhone": f"(212) 555-01{i % 100:02d}",
            "Email": f"zq{1900 + i}@example.org",
            "Notes": f"call 555-01{i % 100:02d} or skype zq{1900 + i}",
        }
        for i in range(60)
    ]
    whole = scrub_tables({"contacts.csv": rows}, KEEP)
    monkeypatch.setattr("sanitizer.tables.CSV_BLOCK_BYTES", 700)
    blocks = scrub_tables({"contacts.csv": rows}, KEEP, batch_rows=25)
    assert (blocks.out / "contacts.csv").read_bytes() == (whole.out / "contacts.csv").read_bytes()
    for row in read_rows(blocks.out / "contacts.csv"):
        assert "skype zq19" not in row["Notes"] and "call 555-01" in row["Notes"]
        assert row["Notes"].split()[1] == row["HomePhone"][6:]  # the replacement's own piece


# --- never a partial or unverified output ----------------------------------------------------


def test_scrub_failure_mid_run_leaves_no_data_file(
    tmp_path: Path,
    contact_rules: RuleSet,
    keyring_a: Keyring,
    fake_contacts: Any,
    write_rows: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "in").mkdir()
    write_rows(tmp_path / "in" / "a.csv", fake_contacts(20, seed=1))
    write_rows(tmp_path / "in" / "b.csv", fake_contacts(20, seed=2))
    original = TableWriter.write
    written: list[str] = []

    def failing(self: TableWriter, batch: Any) -> None:
        written.append(self.source.name)
        if self.source.name == "b":
            raise OSError(28, "No space left on device")
        original(self, batch)

    monkeypatch.setattr(TableWriter, "write", failing)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="No space left"):
        scrub(read_sources([tmp_path / "in"]), contact_rules, keyring_a, out, batch_rows=5)
    assert "a" in written  # the first table was fully written to staging before the failure
    assert not out.exists()  # no data file, no staging folder, not even the folder it made


def test_scrub_interrupted_leaves_no_data_file(
    tmp_path: Path,
    contact_rules: RuleSet,
    keyring_a: Keyring,
    fake_contacts: Any,
    write_rows: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "in").mkdir()
    write_rows(tmp_path / "in" / "a.csv", fake_contacts(20))
    original = TableWriter.write
    calls = iter(range(100))

    def interrupted(self: TableWriter, batch: Any) -> None:
        if next(calls) == 2:  # Ctrl-C in the middle of the file
            raise KeyboardInterrupt
        original(self, batch)

    monkeypatch.setattr(TableWriter, "write", interrupted)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        scrub(read_sources([tmp_path / "in"]), contact_rules, keyring_a, out, batch_rows=5)
    assert not out.exists()


def test_scrub_verification_failure_publishes_only_the_report(
    scrub_tables: ScrubTables, tmp_path: Path
) -> None:
    # `Backup` is kept on purpose but holds another column's emails: a leak the verifier must stop.
    rules = KEEP + "tables:\n  t:\n    columns:\n      Backup: {operator: keep, reason: test}\n"
    rows = [
        {"id": "1", "Email": "ada@example.com", "Backup": "x"},
        {"id": "2", "Email": "grace@example.org", "Backup": "ada@example.com"},
    ]
    out = tmp_path / "failed"
    (out).mkdir()
    with pytest.raises(VerificationError) as caught:
        scrub_tables(
            {"t.csv": rows, "u.csv": [{"id": "9", "Email": "z@example.net"}]}, rules, out=out
        )
    assert sorted(p.name for p in out.iterdir()) == REPORTS
    assert caught.value.exit_code == 5
    assert "nothing was published" in str(caught.value)
    data = json.loads((out / "scrub-report.json").read_text(encoding="utf-8"))
    assert data["status"] == "failed"
    assert [t["output"] for t in data["tables"]] == [None, None]
    assert data["verification"]["findings"] == [
        {
            "table": "t",
            "column": "Backup",
            "row": 2,
            "kind": "original-value",
            "entity": "EMAIL_ADDRESS",
        }
    ]
    for name in REPORTS:
        assert "ada@example.com" not in (out / name).read_text(encoding="utf-8")


# --- policies, rules at run time, the network ------------------------------------------------


def test_scrub_policy_fail_names_unknown_columns_and_writes_nothing(
    scrub_tables: ScrubTables, tmp_path: Path
) -> None:
    rules = "version: 1\nextends: [default]\npolicy: {unknown_columns: fail}\n"
    out = tmp_path / "out"
    row = {"Email": "a@example.com", "Segment": "gold", "Mystery Col": "x"}
    with pytest.raises(UnknownColumnsError) as caught:
        # Three batches: each column is still named once.
        scrub_tables({"t.csv": [row, row, row]}, rules, out=out, batch_rows=1)
    assert caught.value.columns == [("t", "Segment"), ("t", "Mystery Col")]
    assert "2 column(s) have no rule" in str(caught.value)
    assert "t.Segment, t.Mystery Col" in str(caught.value)
    assert caught.value.exit_code == 3
    assert not out.exists() or list(out.iterdir()) == []


def test_scrub_rule_naming_absent_column_raises_and_writes_nothing(
    scrub_tables: ScrubTables, tmp_path: Path
) -> None:
    rules = "version: 1\nextends: [default]\ntables:\n  t:\n    columns:\n      Emial: {entity: EMAIL_ADDRESS}\n"
    out = tmp_path / "out"
    with pytest.raises(RulesError) as caught:
        scrub_tables({"t.csv": [{"Email": "a@example.com"}]}, rules, out=out)
    assert "rules.yaml:6" in str(caught.value)
    assert "'Emial'" in str(caught.value)
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize("output_format", [None, "csv"])
def test_scrub_refuses_to_write_over_its_input(
    tmp_path: Path, keyring_a: Keyring, output_format: str | None
) -> None:
    # `--out .` beside the extract would replace it with the scrubbed file (and a second run would
    # scrub scrubbed data): the run stops before any work, and the input is left as it was.
    data = tmp_path / "contacts.csv"
    data.write_text("id,Email\n1,ada@example.com\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="would replace the input"):
        scrub(
            read_sources([tmp_path]),
            read_rules(rules_dir()),
            keyring_a,
            tmp_path,
            output_format=output_format,  # type: ignore[arg-type]
        )
    assert data.read_text(encoding="utf-8") == "id,Email\n1,ada@example.com\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts.csv"]


def test_scrub_persona_naming_absent_column_raises(scrub_tables: ScrubTables) -> None:
    rules = "version: 1\nextends: [default]\ntables:\n  t:\n    persona: {first_name: First, last_name: LastName, email: Email}\n"
    with pytest.raises(RulesError, match="column 'First' is not in table t"):
        scrub_tables(
            {"t.csv": [{"FirstName": "Ada", "LastName": "L", "Email": "a@example.com"}]}, rules
        )


def test_scrub_extracted_tables_without_rows_publish_empty_tables(
    tmp_path: Path, keyring_a: Keyring
) -> None:
    # An org without external contacts, and a data table nobody filled: the rules name their columns
    # and a persona, which no row contradicts; the data table's output keeps its definition's columns.
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: 1\nextends: [default]\ntables:\n  contacts:\n    columns:\n"
        "      workEmail: {entity: EMAIL_ADDRESS}\n"
        "    persona: {first_name: firstName, last_name: lastName, email: workEmail}\n"
        "  blocked:\n    columns:\n      key: {entity: PHONE_NUMBER}\n",
        encoding="utf-8",
    )
    schema = pa.schema([("key", pa.string()), ("Active", pa.bool_())])
    sources = [
        source_from_bytes("contacts", b"", "jsonl", label="raw:contacts.jsonl", is_extracted=True),
        source_from_bytes(
            "blocked", b"", "jsonl", label="raw:blocked.jsonl", is_extracted=True, schema=schema
        ),
    ]
    result = scrub(sources, read_rules(rules), keyring_a, tmp_path / "out", output_format="parquet")
    assert [(t.name, t.rows) for t in result.report.tables] == [("contacts", 0), ("blocked", 0)]
    assert pq.read_table(tmp_path / "out" / "contacts.parquet").num_rows == 0
    assert pq.read_table(tmp_path / "out" / "blocked.parquet").schema == schema


def test_scrub_nlp_model_not_installed_is_a_config_error(
    scrub_tables: ScrubTables, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_network(monkeypatch)
    rules = "version: 1\nextends: [default]\nnlp: {model: not_installed}\n"
    with pytest.raises(
        ConfigError, match=r"'not_installed'.*not installed; sanitizer never downloads"
    ):
        scrub_tables({"t.csv": [{"Email": "a@example.com"}]}, rules)


def _no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object, *args: object) -> None:
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_scrub_with_content_detection_opens_no_socket(
    scrub_tables: ScrubTables, fake_contacts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = _no_network(monkeypatch)
    # Columns no rule covers are classified with Presidio (email recognizer → tldextract).
    rows = [
        {
            "Contact Info": r["Email"],
            "Reach": r["HomePhone"],
            "Memo text": f"Mr {r['LastName']} asked for mail to {r['Email']}",
            "Segment": r["Status"],
        }
        for r in fake_contacts(30)
    ]
    run = scrub_tables({"t.csv": rows}, "version: 1\nextends: [default]\n")
    assert attempts == []
    columns = {c.name: c for c in run.result.report.tables[0].columns}
    detection = columns["Contact Info"].detection
    assert columns["Contact Info"].entity == "EMAIL_ADDRESS"
    assert detection is not None and detection.method == "sample"
    assert detection.confidence == 1.0 and detection.sample_size > 0
    assert "EmailRecognizer" in detection.recognizers
    assert columns["Reach"].entity == "PHONE_NUMBER"
    assert (columns["Memo text"].operator, columns["Memo text"].entity) == ("text", "FREE_TEXT")
    assert columns["Segment"].operator == "text"  # no PII seen, still scanned (fail-closed)
    for before, after in zip(rows, run.rows("t"), strict=True):
        assert before["Contact Info"] not in after["Memo text"]


def test_scrub_name_found_in_one_note_is_replaced_in_the_others(scrub_tables: ScrubTables) -> None:
    rows = [
        {"id": "1", "Notes": "Spoke to Stephanie, prefers mornings."},
        {"id": "2", "Notes": "Stephanie called about the renewal."},
    ]
    out = scrub_tables({"t.csv": rows}, KEEP).rows("t")
    assert "Stephanie" not in out[0]["Notes"] + out[1]["Notes"]


def test_scrub_realistic_data_passes_without_false_findings(
    scrub_tables: ScrubTables, fake_contacts: Any
) -> None:
    # A few thousand Faker contacts: fake names are drawn from the same public pool as real ones,
    # so some replacements equal other customers' names. Those coincidences must not fail the run.
    rows = fake_contacts(3000, seed=3)
    run = scrub_tables({"contacts.csv": rows}, KEEP)
    assert run.result.report.status == "verified"
    assert run.result.report.verification.coincidences >= 0
    assert run.result.report.summary.rows == 3000


def test_scrub_surname_that_is_a_title_is_replaced(scrub_tables: ScrubTables) -> None:
    rows = [{"id": "1", "FirstName": "Rosie", "LastName": "Lord"}]
    out = scrub_tables({"contacts.csv": rows}, KEEP).rows("contacts")
    assert out[0]["LastName"] != "Lord"


def test_scrub_full_name_opening_a_note_is_replaced(scrub_tables: ScrubTables) -> None:
    rows = [{"id": "1", "Notes": "Jennifer Whitfield called about her bill."}]
    out = scrub_tables({"t.csv": rows}, KEEP).rows("t")[0]
    assert "Whitfield" not in out["Notes"]


def test_scrub_possessive_names_in_notes_are_replaced_and_keep_their_s(
    scrub_tables: ScrubTables,
) -> None:
    rows = [
        {
            "id": "1",
            "FirstName": "Tom",
            "LastName": "Smith",
            "Notes": "Tom's wife: Smith’s account",
        },
        {"id": "2", "FirstName": "Siobhan", "LastName": "O'Brien", "Notes": "O'BRIEN'S NOTE"},
    ]
    out = scrub_tables({"contacts.csv": rows}, KEEP).rows("contacts")
    first, last = out[0]["FirstName"], out[0]["LastName"]
    assert out[0]["Notes"] == f"{first}'s wife: {last}’s account"
    assert out[1]["Notes"] == f"{out[1]['LastName'].upper()}'S NOTE"


def test_scrub_internationalised_email_in_a_note_gets_the_columns_replacement(
    scrub_tables: ScrubTables,
) -> None:
    rows = [
        {
            "id": "1",
            "Email": "anna@müller-bau.example",
            "Notes": "an <anna@müller-bau.example>, jörg@bücher.example",
        }
    ]
    out = scrub_tables({"contacts.csv": rows}, KEEP).rows("contacts")[0]
    assert out["Notes"].startswith(f"an <{out['Email']}>, user-")
    assert "müller" not in out["Notes"] and "jörg" not in out["Notes"]


def test_scrub_name_typed_without_accents_gets_the_columns_replacement(
    scrub_tables: ScrubTables,
) -> None:
    rows = [{"id": "1", "FirstName": "José", "LastName": "García", "Notes": "Jose Garcia; jose"}]
    out = scrub_tables({"contacts.csv": rows}, KEEP).rows("contacts")[0]
    assert out["Notes"] == f"{out['FirstName']} {out['LastName']}; {out['FirstName'].lower()}"


@pytest.mark.parametrize(
    ("first", "last", "note", "expected"),
    [
        # letters written the ASCII way, and read back: a column's "Mueller" may be a note's "Müller"
        ("Jürgen", "Müller", "Mr Mueller and MULLER", "Mr {last} and {LAST}"),
        ("Hans", "Mueller", "Herr Müller; muller", "Herr {last}; {lower}"),
        ("Søren", "Ødegård", "Soren Odegaard, Ms Oedegaard", "{first} {last}, Ms {last}"),
        ("Wojciech", "Łukasiewicz", "Lukasiewicz rang", "{last} rang"),
        # a family by its name keeps its plural; a profile address keeps its hyphen
        ("John", "Smith", "the Smiths. Smiths' dog", "the {last}s. {last}s' dog"),
        ("Ada", "Lovelace", "linkedin.com/in/ada-lovelace", "linkedin.com/in/{lf}-{lower}"),
        # a row's common-word name in lower case, beside its other name words
        ("Bob", "Marley", "callback for bob marley", "callback for {lf} {lower}"),
        ("Jan", "van der Berg", "Mr van der Berg rang", "Mr {last} rang"),
        ("Chris", "O'Neill", "ONEILL and Oneill", "{LAST} and {last}"),  # without its apostrophe
        # run together, as user names and social handles write them
        ("Bob", "Marley", "dm @bobmarley; user bmarley", "dm @{handle}; user {handle2}"),
        # ... with a surname's particles, a title or an initial after it (kept before)
        (
            "Jan",
            "van der Berg",
            "dm @janvanderberg; user mrsvanderberg",
            "dm @{handle}; user {handle2}",
        ),
        ("Ada", "Lovelace", "dm @mslovelace; user lovelacea", "dm @{handle}; user {handle2}"),
        # a handle of two name words, or a title and one, gets the columns' replacements run together
        (
            "Bob",
            "Marley",
            "dm @bobmarley, MarleyBob or mrsmarley",
            "dm @{lf}{lower}, {last}{first} or mrs{lower}",
        ),
        # ... a surname that is also a word ("smith"): the title says it is the name
        (
            "Drew",
            "Smith",
            "dm drewsmith; mrsmith and drsmith",
            "dm {lf}{lower}; mr{lower} and dr{lower}",
        ),
    ],
)
def test_scrub_name_in_another_spelling_gets_the_columns_replacement(
    scrub_tables: ScrubTables, first: str, last: str, note: str, expected: str
) -> None:
    # Each of these kept the real name in the note before (the verifier did not see them either).
    rows = [{"id": "1", "FirstName": first, "LastName": last, "Notes": note}]
    out = scrub_tables({"contacts.csv": rows}, KEEP).rows("contacts")[0]
    fake_first, fake_last = out["FirstName"], out["LastName"]
    if "handle" in expected:  # a handle becomes some fake word, not the row's name
        notes = out["Notes"]
        handle, handle2 = note.removeprefix("dm @").split("; user ")
        assert handle not in notes.casefold() and handle2 not in notes.casefold()
        assert notes.startswith("dm @") and "; user " in notes
        return
    assert out["Notes"] == expected.format(
        first=fake_first,
        last=fake_last,
        LAST=fake_last.upper(),
        lower=fake_last.lower(),
        lf=fake_first.lower(),
    )


def test_scrub_names_spelled_out_get_the_columns_replacement_spelled_out(
    scrub_tables: ScrubTables,
) -> None:
    # "spelled R-A-G-H-U-N-A-T-H-A-N": kept before, and the verifier did not see it either.
    note = "surname spelled R-A-G-H-U-N-A-T-H-A-N; first p. r. i. y. a; other cust O K A F O R"
    rows = [
        {"id": "1", "FirstName": "Priya", "LastName": "Raghunathan", "Notes": note},
        {"id": "2", "FirstName": "Brendan", "LastName": "Okafor", "Notes": ""},
    ]
    out = scrub_tables({"contacts.csv": rows}, KEEP).rows("contacts")
    first, last, other = out[0]["FirstName"], out[0]["LastName"], out[1]["LastName"]
    spelled = "-".join(c for c in last.upper() if c.isalpha())
    lower = ". ".join(c for c in first.lower() if c.isalpha())
    upper = " ".join(c for c in other.upper() if c.isalpha())
    assert out[0]["Notes"] == (f"surname spelled {spelled}; first {lower}; other cust {upper}")


def test_scrub_names_beside_a_number_in_a_phone_column_are_replaced(
    scrub_tables: ScrubTables,
) -> None:
    # The phone operator replaces the number and keeps the words around it: the row's name among them
    # was kept (the verifier now fails such a run; the scrubber replaces the name as in free text).
    rows = [
        {
            "id": "1",
            "FirstName": "Alan",
            "LastName": "Turing",
            "Phone": "call Alan on 212-555-0188",
        },
        {"id": "2", "FirstName": "Ada", "LastName": "Byron", "Phone": "+1 212 555 0187"},
    ]
    out = scrub_tables({"contacts.csv": rows}, KEEP).rows("contacts")
    first = out[0]["FirstName"]
    assert out[0]["Phone"].startswith(f"call {first} on 212-555-01")
    assert "Alan" not in out[0]["Phone"] and "0188" not in out[0]["Phone"]


def test_scrub_fake_last_name_is_never_the_rows_own_first_name(
    scrub_tables: ScrubTables, keyring_a: Keyring
) -> None:
    # The fake of the last name "L" is some name "F"; a customer called "F L" must not become "X F":
    # her note would keep "F" in place and fail verification (it did, with the demo's random key).
    from sanitizer.operators.fake import replace_name_tokens

    last = "Johnson"
    first = replace_name_tokens([last], "last", keyring_a)[0]
    rows = [{"id": "1", "FirstName": first, "LastName": last, "Notes": f"{first} {last} called"}]
    out = scrub_tables({"contacts.csv": rows}, KEEP, key=keyring_a).rows("contacts")[0]
    assert out["LastName"].casefold() not in {first.casefold(), last.casefold()}
    assert out["Notes"] == f"{out['FirstName']} {out['LastName']} called"


def test_scrub_detect_policy_replaces_names_under_unknown_headers(
    scrub_tables: ScrubTables,
) -> None:
    rows = [
        {"Contact": "Ada Lovelace", "Given": "Ada"},
        {"Contact": "Grace Hopper", "Given": "Grace"},
        {"Contact": "Jennifer Whitfield", "Given": "Jennifer"},
    ]
    out = scrub_tables({"t.csv": rows}, "version: 1\nextends: [default]\n").rows("t")
    assert all(a["Contact"] != b["Contact"] for a, b in zip(rows, out, strict=True))
    assert all(a["Given"] != b["Given"] for a, b in zip(rows, out, strict=True))


def test_scrub_with_every_column_ruled_never_imports_presidio(tmp_path: Path) -> None:
    # Importing Presidio costs seconds; a nightly run whose rules cover every column must not pay it.
    script = """
import sys
from pathlib import Path
from sanitizer.keyring import Keyring
from sanitizer.rules import read_rules
from sanitizer.scrub import scrub
from sanitizer.tables import read_sources, source_from_bytes
files = Path(sys.argv[1])
scrub(read_sources([files]), read_rules(files / "rules.yaml"),
      Keyring(b"presidio-import-test-key-0123456789", source="tests"), Path(sys.argv[2]), workers=1)
print("presidio_analyzer" in sys.modules)
"""
    files = Path(__file__).resolve().parents[2] / "fixtures" / "files"
    done = subprocess.run(
        [sys.executable, "-c", script, str(files), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_scrub_chinese_japanese_korean_names_inside_a_note_are_replaced(
    scrub_tables: ScrubTables,
) -> None:
    # Invented names; these scripts run a name into the words around it, and one character can be a
    # whole name (王), which is a name, not an initial.
    rows = [
        {"id": "1", "FirstName": "伟", "LastName": "王", "Notes": "王伟先生来电，王先生要求回电"},
        {"id": "2", "FirstName": "さくら", "LastName": "山田", "Notes": "山田さくらさんから電話"},
        {"id": "3", "FirstName": "민준", "LastName": "김", "Notes": "김민준 고객님 전화"},
        {"id": "4", "FirstName": "Li", "LastName": "Ng", "Notes": "山田さん和王女士 asked"},
    ]
    out = scrub_tables({"contacts.csv": rows}, KEEP).rows("contacts")
    for before, after in zip(rows, out, strict=True):
        assert len(after["FirstName"]) > 1 and len(after["LastName"]) > 1  # no initials
        for name in (before["FirstName"], before["LastName"]):
            if not name.isascii():
                assert name not in after["Notes"] and name not in after["FirstName"]
    first, last = out[0]["FirstName"], out[0]["LastName"]
    assert out[0]["Notes"] == f"{last}{first}先生来电，{last}先生要求回电"
    assert out[2]["Notes"] == f"{out[2]['LastName']}{out[2]['FirstName']} 고객님 전화"
    # Another customer's note: the run's two-character name goes, one character alone stays ("王女士"
    # could be "the princess"; the row's own one-character name would go).
    assert out[3]["Notes"] == f"{out[1]['LastName']}さん和王女士 asked"


@pytest.mark.parametrize(
    ("first", "last", "note", "kept"),
    [
        ("Иван", "Петров", "Петрову сказали ждать. Ивану отправили письмо.", ""),
        ("Ольга", "Смирнова", "Смирновой позвонили; Ольге тоже", ""),
        ("Γιώργος", "Παπαδόπουλος", "Του Παπαδόπουλου; Γιώργο", ""),
        ("Ahmet", "Yılmaz", "Yılmaz'a; Ahmet'in dosyası", "'a; 'in dosyası"),
    ],
)
def test_scrub_names_with_case_endings_are_replaced(
    scrub_tables: ScrubTables, first: str, last: str, note: str, kept: str
) -> None:
    # Invented names. Languages that inflect names write the row's name with an ending; after an
    # apostrophe (Turkish) only the name goes, and the ending stays.
    rows = [{"id": "1", "FirstName": first, "LastName": last, "Notes": note}]
    out = scrub_tables({"contacts.csv": rows}, KEEP).rows("contacts")[0]
    stems = {first[:-1], last[:-2]}
    assert not any(stem in out["Notes"] for stem in stems), out["Notes"]
    for piece in filter(None, kept.split(" ")):
        assert piece in out["Notes"]
