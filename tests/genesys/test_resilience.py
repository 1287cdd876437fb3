"""The client under a hostile org: 429 storms, 5xx faults, cut connections, token expiry, bad setup.

Every test here finishes with every record read or written exactly once, or with one clear error.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from sanitizer.emulator.testing import EmulatorHandle, running_emulator
from sanitizer.errors import (
    GenesysAuthError,
    GenesysConnectionError,
    GenesysNotFoundError,
    GenesysRateLimitError,
)
from sanitizer.genesys import GenesysClient, RetryPolicy, read_export

from .conftest import FAST_POLL, FAST_RETRY, PRODUCTION, client_for

WRITES = frozenset({"POST", "PUT", "DELETE"})
SERVER_FIELDS = ("id", "selfUri", "createDate", "modifyDate", "division")


VOLATILE = ("dateCreated", "dateModified", "createDate", "modifyDate")


def stable(entity: dict[str, Any]) -> dict[str, Any]:
    """An entity without the timestamps each seeding sets afresh."""
    return {k: v for k, v in entity.items() if k not in VOLATILE}


def extract(client: GenesysClient) -> dict[str, Any]:
    """Everything the refresh reads from a production org, in a comparable form."""
    lists = sorted(map(stable, client.outbound.list_contact_lists()), key=lambda c: c["name"])
    contacts = {
        c["name"]: read_export(
            client.outbound.export_contacts(c["id"]), c["columnNames"], source=c["name"]
        )
        for c in lists
    }
    tables = sorted(client.datatables.list(), key=lambda t: t["name"])
    flows = sorted(client.flows.list(), key=lambda f: f["name"])
    return {
        "lists": lists,
        "contacts": contacts,
        "external_contacts": sorted(
            map(stable, client.external_contacts.scan()), key=lambda c: c["id"]
        ),
        "tables": tables,
        "rows": {t["name"]: list(client.datatables.rows(t["id"])) for t in tables},
        "flows": client.flows.export([f["id"] for f in flows]),
    }


@pytest.fixture(scope="module")
def clean_extract(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with (
        running_emulator(tmp_path_factory.mktemp("clean"), seed=PRODUCTION) as org,
        client_for(org) as client,
    ):
        return extract(client)


@pytest.mark.parametrize(
    ("faults", "stat", "why"),
    [
        (
            {"throttle_rate": 0.3, "retry_after": 0},
            "throttled",
            "a 429 storm: every third call refused",
        ),
        ({"fail_rate": 0.3}, "failed", "502/503/504 on every third call"),
        ({"cut_rate": 0.2}, "cut", "connections dropped after the org answered"),
    ],
)
def test_extract_under_faults_reads_every_record_exactly_once(
    tmp_path: Path, clean_extract: dict[str, Any], faults: dict[str, Any], stat: str, why: str
) -> None:
    with running_emulator(tmp_path / "prod", seed=PRODUCTION) as org, client_for(org) as client:
        org.set_faults(path_prefix="/api/", fault_seed=7, **faults)
        extracted = extract(client)
        assert getattr(org.fault_stats, stat) > 10, "the faults did not happen"
    assert extracted == clean_extract, why
    assert sum(len(rows) for rows in extracted["contacts"].values()) == 1440


def load(client: GenesysClient, source: dict[str, Any]) -> None:
    """Write an extracted org into another one, the idempotent way the refresh does."""
    for cl in source["lists"]:
        body = {
            k: v
            for k, v in cl.items()
            if k not in (*SERVER_FIELDS, "version", "dateCreated", "dateModified")
        }
        target = client.outbound.find_contact_list(
            cl["name"]
        ) or client.outbound.create_contact_list(body)
        contacts = [
            {
                "id": row["inin-outbound-id"],
                "data": {k: v for k, v in row.items() if k != "inin-outbound-id"},
            }
            for row in source["contacts"][cl["name"]]
        ]
        client.outbound.add_contacts(target["id"], contacts, batch_size=500)
    for table in source["tables"]:
        target = client.datatables.find(table["name"]) or client.datatables.create(
            {"name": table["name"], "schema": table["schema"]}
        )
        client.datatables.replace_rows(target["id"], source["rows"][table["name"]])
    entities = [
        {k: v for k, v in c.items() if k not in SERVER_FIELDS} for c in source["external_contacts"]
    ]
    client.external_contacts.upsert(entities, person_key)
    for content in source["flows"].values():
        client.flows.import_flow(content)


def person_key(entity: Mapping[str, Any]) -> str:
    return f"{entity.get('firstName')}|{entity.get('lastName')}|{entity.get('personalEmail')}"


def summary(client: GenesysClient) -> dict[str, Any]:
    lists = {c["name"]: c["size"] for c in client.outbound.list_contact_lists(include_size=True)}
    tables = {
        t["name"]: sorted(r["key"] for r in client.datatables.rows(t["id"]))
        for t in client.datatables.list()
    }
    people = sorted(person_key(c) for c in client.external_contacts.scan())
    flows = sorted((f["name"], f["type"]) for f in client.flows.list())
    return {"lists": lists, "tables": tables, "people": people, "flows": flows}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("faults", "why"),
    [
        ({"throttle_rate": 0.3, "retry_after": 0}, "a 429 storm during the load"),
        ({"fail_rate": 0.25}, "5xx answers to writes the org never processed"),
        ({"cut_rate": 0.15}, "connections cut after the org applied the write"),
        (
            {"fail_rate": 0.15, "cut_rate": 0.1, "throttle_rate": 0.1, "retry_after": 0},
            "all at once",
        ),
    ],
)
def test_load_under_faults_writes_every_record_exactly_once(
    tmp_path: Path, clean_extract: dict[str, Any], faults: dict[str, Any], why: str
) -> None:
    with running_emulator(tmp_path / "staging") as staging, client_for(staging) as client:
        staging.set_faults(path_prefix="/api/", methods=WRITES, fault_seed=11, **faults)
        load(client, clean_extract)
        injected = staging.fault_stats
        staging.set_faults(throttle_rate=0.0, fail_rate=0.0, cut_rate=0.0)
        loaded = summary(client)
        load(client, clean_extract)  # a second run changes nothing
        assert summary(client) == loaded
    assert injected.failed + injected.cut + injected.throttled > 10, "the faults did not happen"
    assert loaded["lists"] == {
        c["name"]: len(clean_extract["contacts"][c["name"]]) for c in clean_extract["lists"]
    }
    assert loaded["tables"] == {
        name: sorted(r["key"] for r in rows) for name, rows in clean_extract["rows"].items()
    }
    assert loaded["people"] == sorted(person_key(c) for c in clean_extract["external_contacts"])
    assert len(loaded["flows"]) == 3, why


def test_token_is_renewed_before_it_expires(tmp_path: Path) -> None:
    statuses: list[int] = []
    hooks = {"response": [lambda response: statuses.append(response.status_code)]}
    with running_emulator(tmp_path / "org", token_ttl_seconds=1) as org:
        http = httpx.Client(event_hooks=hooks)
        with GenesysClient(
            org.base_url, org.base_url, org.client_id, org.client_secret, http=http
        ) as client:
            client.organization.me()
            time.sleep(1.05)
            client.organization.me()
            assert client.transport.tokens.fetch_count == 2
    assert 401 not in statuses


def test_token_refused_by_the_org_is_renewed_once(org: EmulatorHandle) -> None:
    with client_for(org) as client:
        client.organization.me()
        org.revoke_tokens()
        assert client.organization.me()["id"] == org.org_id
        assert client.transport.tokens.fetch_count == 2


def test_rate_limit_per_minute_answers_429_with_retry_after(tmp_path: Path) -> None:
    impatient = RetryPolicy(attempts=3, wait_initial=0.001, wait_jitter=0.0, max_retry_after=5)
    with (
        running_emulator(tmp_path / "org", rate_limit_per_minute=20) as org,
        client_for(org, retry=impatient) as client,
    ):
        for _ in range(20):
            client.organization.me()
        with pytest.raises(GenesysRateLimitError) as caught:
            client.organization.me()
    assert caught.value.status == 429 and caught.value.code == "too.many.requests.retry.after"
    assert "Retry-After was" in str(caught.value)


def test_retry_after_from_the_org_is_waited_out(org: EmulatorHandle) -> None:
    org.set_faults(throttle_next=2, retry_after=1, path_prefix="/api/")
    with client_for(org) as client:
        client.authenticate()
        started = time.monotonic()
        client.organization.me()
        elapsed = time.monotonic() - started
    assert org.fault_stats.throttled == 2
    assert 2.0 <= elapsed < 5.0


def test_bad_credentials_give_one_clear_auth_error(org: EmulatorHandle) -> None:
    calls: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda r: calls.append(r.url.path)]})
    with (
        GenesysClient(
            org.base_url, org.base_url, org.client_id, "wrong", retry=FAST_RETRY, http=http
        ) as client,
        pytest.raises(GenesysAuthError) as caught,
    ):
        client.organization.me()
    message = str(caught.value)
    assert calls == ["/oauth/token"]  # refused credentials are not retried
    assert "client id and secret" in message and "wrong" not in message and "\n" not in message


def test_wrong_base_url_unreachable_gives_one_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    url = f"http://127.0.0.1:{port}"
    with (
        GenesysClient(url, url, "id", "secret", retry=FAST_RETRY, poll=FAST_POLL) as client,
        pytest.raises(GenesysConnectionError) as caught,
    ):
        client.organization.me()
    message = str(caught.value)
    assert url in message and "gave up after 10" in message and "\n" not in message


def test_wrong_base_url_path_gives_one_not_found_error(org: EmulatorHandle) -> None:
    url = org.base_url + "/not-genesys"
    with (
        GenesysClient(url, url, org.client_id, org.client_secret, retry=FAST_RETRY) as client,
        pytest.raises(GenesysNotFoundError) as caught,
    ):
        client.authenticate()
    message = str(caught.value)
    assert "no OAuth token endpoint" in message and "/not-genesys/oauth/token" in message
