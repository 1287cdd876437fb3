"""Load helpers that need no org: drifted objects, external contacts as staging receives them."""

from __future__ import annotations

import pytest

from sanitizer.errors import GenesysError
from sanitizer.load import UPSERT_HOST, _recreate, staging_contact, upsert_key


def test_recreate_refused_by_the_org_says_what_to_do_without_values() -> None:
    def delete() -> None:
        raise GenesysError("in use", status=400, code="contact.list.in.use", endpoint="DELETE /x")

    with pytest.raises(GenesysError) as raised:
        _recreate(delete, "contact list", "Spring Renewal Campaign")
    message = str(raised.value)
    assert "cannot be changed in place" in message
    assert "contact.list.in.use" in message
    assert "delete or rename it in staging" in message


def test_staging_contact_drops_production_ids_and_carries_its_upsert_key() -> None:
    record = {
        "id": "prod-1",
        "firstName": "Ada",
        "division": {"id": "d"},
        "identifiers": [{"type": "Email", "value": "x"}],
        "externalOrganization": {"id": "o"},
        "cellPhone": {"e164": "+12125550100", "display": None},
    }
    contact = staging_contact(record)
    assert set(contact) == {"firstName", "cellPhone", "externalSystemUrl"}
    assert contact["cellPhone"] == {"e164": "+12125550100"}  # nulls are dropped
    assert upsert_key(contact) == UPSERT_HOST + "prod-1"
    assert upsert_key({"externalSystemUrl": "https://crm.example.com/1"}) is None  # not ours
