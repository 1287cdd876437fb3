"""Seeding from fixture orgs, and the promises the shipped fixture orgs keep."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import phonenumbers
import pytest

from sanitizer.emulator.seed import seed_org
from sanitizer.emulator.state import Emulator, EmulatorConfig
from sanitizer.emulator.testing import EmulatorHandle, running_emulator
from sanitizer.errors import InputError

from .conftest import PRODUCTION, STAGING

PHONE = re.compile(r"\+?\(?\d[\d ()-]{8,}\d")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
RESERVED = ("example.com", "example.net", "example.org", ".test", ".invalid")


def test_seed_production_fills_every_area(production: EmulatorHandle) -> None:
    summary = production.seed_summary
    assert summary.is_seeded
    assert (summary.contact_lists, summary.contacts) == (4, 1440)
    assert (summary.external_contacts, summary.datatables, summary.rows, summary.flows) == (
        200,
        3,
        196,
        3,
    )
    assert production.emulator.org()["name"] == "Example Retail"


def test_seed_staging_is_an_empty_org_with_another_id(
    tmp_path: Path, production: EmulatorHandle
) -> None:
    with running_emulator(tmp_path / "staging", seed=STAGING) as staging:
        assert staging.org_id != production.org_id
        assert staging.store.all("contactlist") == [] and staging.store.all("externalcontact") == []


def test_seed_existing_org_is_left_alone(tmp_path: Path) -> None:
    with running_emulator(tmp_path / "org", seed=STAGING) as first:
        first.store.put("contactlist", "x", {"name": "made by a test"})
    with running_emulator(tmp_path / "org", seed=PRODUCTION) as again:
        assert not again.seed_summary.is_seeded
        assert again.emulator.org()["name"] == "Example Retail Staging"
        assert [c["name"] for c in again.store.all("contactlist")] == ["made by a test"]


@pytest.mark.parametrize(
    ("breakage", "where"),
    [
        (lambda root: (root / "org.json").write_text("{"), "org.json"),
        (
            lambda root: (root / "contact-lists" / "collections-q3.csv").write_text(
                "inin-outbound-id,Unknown Column\nid-1,x\n"
            ),
            "collections-q3.csv rows 2..2",
        ),
        (
            lambda root: (root / "datatables" / "vip-customers.rows.jsonl").write_text(
                '{"key": 5}\n'
            ),
            "vip-customers.rows.jsonl line 1",
        ),
        (
            lambda root: (root / "flows" / "main-ivr.yaml").write_text("inboundCall: [\n"),
            "main-ivr.yaml",
        ),
    ],
)
def test_seed_broken_fixture_names_the_file_and_writes_nothing(
    tmp_path: Path, breakage, where: str
) -> None:
    root = tmp_path / "fixture"
    shutil.copytree(PRODUCTION, root)
    breakage(root)
    emulator = Emulator(EmulatorConfig(data_dir=tmp_path / "org", client_id="a", client_secret="b"))
    try:
        with pytest.raises(InputError) as caught:
            seed_org(emulator, root)
        assert where in str(caught.value)
        assert emulator.store.get("org", "me") is None and emulator.store.count("contactlist") == 0
    finally:
        emulator.close()


def fixture_text() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in sorted(PRODUCTION.rglob("*")) if p.is_file()
    )


def fictional(e164: str) -> bool:
    """NANP 555-0100..0199, Ofcom drama ranges, ACMA creative-works ranges."""
    return bool(
        re.fullmatch(r"\+1\d{3}55501\d\d", e164)
        or re.fullmatch(r"\+447700900\d{3}|\+442079460\d{3}", e164)
        or re.fullmatch(r"\+61[2378]5550\d{4}|\+6149157\d{4}", e164)
    )


def as_e164(raw: str) -> str:
    """The E.164 form of a fixture phone, trying the three countries the fixtures use."""
    for region in ("US", "GB", "AU"):
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if fictional(e164):
            return e164
    return raw


def phone_values() -> list[str]:
    """Every phone the fixture holds in a phone field, plus every phone-like run in free text."""
    values: list[str] = []
    for definition in (PRODUCTION / "contact-lists").glob("*.json"):
        body = json.loads(definition.read_text())
        phones = [c["columnName"] for c in body["phoneColumns"]]
        with definition.with_suffix(".csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                values += [row[c] for c in phones if row[c]]
                for column in body["columnNames"]:
                    values += PHONE.findall(row[column]) if column not in phones else []
    for line in (PRODUCTION / "external-contacts.jsonl").read_text().splitlines():
        values += re.findall(r'"(?:e164|display|userInput)":"([^"]+)"', line)
    for line in (PRODUCTION / "datatables" / "ani-block-list.rows.jsonl").read_text().splitlines():
        row = json.loads(line)
        values += ["+" + row["key"], *PHONE.findall(row["Notes"])]
    for line in (PRODUCTION / "datatables" / "vip-customers.rows.jsonl").read_text().splitlines():
        values.append(json.loads(line)["Direct Line"])
    for flow in (PRODUCTION / "flows").glob("*.yaml"):
        values += PHONE.findall(flow.read_text())
    return values


def test_fixture_phones_are_all_fictional() -> None:
    values = phone_values()
    assert len(values) > 3000
    real = [v for v in values if len(re.sub(r"\D", "", v)) >= 10 and not fictional(as_e164(v))]
    assert real == []


def test_fixture_us_numbers_spread_over_area_codes() -> None:
    e164s = set(re.findall(r'"e164":"(\+1\d{10})"', fixture_text()))
    per_area = Counter(n[2:5] for n in e164s)
    assert len(per_area) >= 40 and max(per_area.values()) <= 40


def test_fixture_emails_use_reserved_domains_only() -> None:
    emails = set(EMAIL.findall(fixture_text()))
    assert len(emails) > 500
    assert all(e.lower().endswith(RESERVED) for e in emails), [
        e for e in emails if not e.endswith(RESERVED)
    ][:5]


def test_fixture_same_phone_in_contact_list_external_contact_and_ani_table() -> None:
    with (PRODUCTION / "contact-lists" / "spring-renewal.csv").open(encoding="utf-8") as handle:
        list_phones = {normal(r["CellPhone"]) for r in csv.DictReader(handle)}
    contacts = [
        json.loads(line)
        for line in (PRODUCTION / "external-contacts.jsonl").read_text().splitlines()
    ]
    external_phones = {c["cellPhone"]["e164"] for c in contacts}
    ani = {
        "+" + json.loads(line)["key"]
        for line in (PRODUCTION / "datatables" / "ani-block-list.rows.jsonl").open()
    }
    assert len(list_phones & external_phones & ani) >= 50


def normal(raw: str) -> str:
    return phonenumbers.format_number(
        phonenumbers.parse(raw, "US"), phonenumbers.PhoneNumberFormat.E164
    )


def test_fixture_external_contacts_fill_every_pii_field() -> None:
    lines = (PRODUCTION / "external-contacts.jsonl").read_text().splitlines()
    contacts = [json.loads(line) for line in lines]
    always = (
        "firstName",
        "lastName",
        "salutation",
        "title",
        "workPhone",
        "cellPhone",
        "homePhone",
        "otherPhone",
        "workEmail",
        "personalEmail",
        "otherEmail",
        "address",
        "twitterId",
        "lineId",
        "whatsAppId",
        "facebookId",
        "instagramId",
        "externalIds",
        "identifiers",
        "customFields",
        "externalOrganization",
        "externalSystemUrl",
    )
    for field in always:
        assert all(c.get(field) for c in contacts), field
    assert 0.2 < sum(1 for c in contacts if c.get("middleName")) / len(contacts) < 0.8


def test_fixture_flows_hold_substitutions_urls_and_phone_numbers() -> None:
    text = "\n".join(p.read_text() for p in (PRODUCTION / "flows").glob("*.yaml"))
    assert "{{CRM_ENDPOINT}}" in text and "https://crm.prod.example.com" in text
    assert "+1 312 555 0142" in text


@pytest.mark.slow
def test_fixture_generator_rewrites_the_same_bytes(tmp_path: Path) -> None:
    import runpy

    generator = PRODUCTION.parent.parent / "generate_orgs.py"
    runpy.run_path(str(generator), run_name="generate")["main"]([str(tmp_path)])
    for path in sorted(PRODUCTION.rglob("*")):
        if path.is_file():
            assert (
                tmp_path / "production" / path.relative_to(PRODUCTION)
            ).read_bytes() == path.read_bytes(), path
