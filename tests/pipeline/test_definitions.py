"""Customer data written into object definitions and flow prose: scrubbed like the rows, verified, and
never in staging. A data table's description, a column's title, description, allowed values and
default, a contact list's preview-mode values; a flow's prompts and descriptions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sanitizer.errors import VerificationError
from sanitizer.pipeline import refresh

from .helpers import PRODUCTION_SEED, leaks, production_originals, read_org, running_orgs

# Customers of the fixture org (its VIP Customers rows and UK Callbacks list).
VIP = ("Benjamin Green", "benjamin38@example.org", "(408) 555-0186")
VIP_TWO = "Sean Donovan"
CALLBACK = ("Kelly", "Clark", "07700 900416")


def _seed_with_customer_data(folder: Path) -> Path:
    seed = folder / "production"
    shutil.copytree(PRODUCTION_SEED, seed)
    table = seed / "datatables" / "vip-customers.json"
    definition = json.loads(table.read_text(encoding="utf-8"))
    definition["description"] = (
        f"Escalations: {VIP[0]} on {VIP[2]} ({VIP[1]}) always goes to Tier 3"
    )
    properties = definition["schema"]["properties"]
    properties["Direct Line"]["description"] = f"e.g. {VIP[2]}"
    rows = (seed / "datatables" / "vip-customers.rows.jsonl").read_text(encoding="utf-8")
    names = [json.loads(line)["Name"] for line in rows.splitlines() if line]
    assert VIP[0] in names and VIP_TWO in names
    properties["Name"]["enum"] = [*names, "Walter Lindqvist"]  # and one no row holds
    properties["Name"]["default"] = VIP_TWO
    table.write_text(json.dumps(definition, indent=1), encoding="utf-8")
    listing = seed / "contact-lists" / "uk-callbacks.json"
    definition = json.loads(listing.read_text(encoding="utf-8"))
    definition["previewModeColumnName"] = "Mobile"
    definition["previewModeAcceptedValues"] = [CALLBACK[2]]
    listing.write_text(json.dumps(definition, indent=1), encoding="utf-8")
    flow = seed / "flows" / "main-ivr.yaml"
    text = flow.read_text(encoding="utf-8")
    text = text.replace(
        "tts: Thank you for calling Example Retail.",
        f"tts: Hello {CALLBACK[0]}, welcome back. {VIP[0]} gets the VIP line.",
    ).replace(
        "description: Front door for the retail line;",
        f"description: Front door for the retail line and for {CALLBACK[0]} {CALLBACK[1]};",
    )
    flow.write_text(text, encoding="utf-8")
    return seed


@pytest.fixture
def nasty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with running_orgs(tmp_path, production_seed=_seed_with_customer_data(tmp_path)) as pair:
        for name, value in pair.env().items():
            monkeypatch.setenv(name, value)
        yield pair


def test_refresh_scrubs_customer_data_in_definitions_and_flow_prose(nasty) -> None:  # type: ignore[no-untyped-def]
    result = refresh(nasty.loaded())
    assert result.report.status == "verified"
    staging = read_org(nasty.staging)
    assert leaks(staging, production_originals()) == []
    for where, text in staging.strings:
        for original in (VIP[0], VIP_TWO, "408) 555-0186", "7700 900416", f"Hello {CALLBACK[0]}"):
            assert original not in text, where
    # The table's rows still satisfy its definition: each allowed name is one a row was given.
    clean = result.snapshot_dir / "clean"
    definition = json.loads(
        (clean / "definitions" / "data-table-vip-customers.definition.json").read_text("utf-8")
    )
    allowed = definition["schema"]["properties"]["Name"]["enum"]
    names = pq.read_table(clean / "tables" / "data-table-vip-customers.parquet").column("Name")
    assert sorted(allowed[:-1]) == sorted(names.to_pylist())  # each row's name is allowed
    assert "Lindqvist" not in allowed[-1]
    assert definition["schema"]["properties"]["Name"]["default"] in allowed
    assert definition["description"].startswith("Escalations: ")
    assert "Tier 3" in definition["description"]
    assert any(flow.replaced.get("PERSON") for flow in result.report.flows)


def test_refresh_fails_closed_on_customer_data_in_an_unscrubbed_definition_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A schema keyword the scrub does not read ($comment): the definition's check stops the run.
    seed = _seed_with_customer_data(tmp_path)
    table = seed / "datatables" / "vip-customers.json"
    definition = json.loads(table.read_text(encoding="utf-8"))
    definition["schema"]["properties"]["Tier"]["$comment"] = f"ask {CALLBACK[2]}"
    table.write_text(json.dumps(definition, indent=1), encoding="utf-8")
    with running_orgs(tmp_path, production_seed=seed) as pair:
        for name, value in pair.env().items():
            monkeypatch.setenv(name, value)
        with pytest.raises(VerificationError, match="the definition of data table 'VIP Customers'"):
            refresh(pair.loaded())
        assert read_org(pair.staging).is_empty
