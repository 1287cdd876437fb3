"""Fault injection: rate limit, injected 429s and 5xx, latency, cut connections, live changes."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from sanitizer.emulator.faults import Faults
from sanitizer.emulator.testing import EmulatorHandle, running_emulator

from .conftest import api_for, error_of

ME = "/api/v2/organizations/me"


def test_rate_limit_per_minute_answers_normalised_429(tmp_path: Path) -> None:
    with running_emulator(tmp_path / "org", rate_limit_per_minute=5) as org, api_for(org) as api:
        statuses = [api.get(ME).status_code for _ in range(5)]
        refused = api.get(ME)
    assert statuses == [200] * 5
    assert error_of(refused) == (429, "too.many.requests.retry.after")
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert f"[{retry_after}] seconds" in refused.json()["message"]
    assert org.fault_stats.limited == 1


def test_rate_limit_counts_each_token_separately(tmp_path: Path) -> None:
    with (
        running_emulator(tmp_path / "org", rate_limit_per_minute=2) as org,
        api_for(org) as first,
        api_for(org) as second,
    ):
        assert [first.get(ME).status_code for _ in range(3)] == [200, 200, 429]
        assert second.get(ME).status_code == 200


def test_token_endpoint_is_not_rate_limited(tmp_path: Path) -> None:
    with running_emulator(tmp_path / "org", rate_limit_per_minute=1) as org:
        for _ in range(3):
            with api_for(org) as api:  # each fetches a new token
                assert api.get(ME).status_code == 200


@pytest.mark.parametrize(
    ("changes", "status", "why"),
    [
        ({"fail_next": 1}, (502, 503, 504), "an injected gateway failure"),
        ({"throttle_next": 1, "retry_after": 3}, (429,), "an injected 429 with our Retry-After"),
    ],
)
def test_next_request_fault_is_injected_once(
    org: EmulatorHandle,
    api: httpx.Client,
    changes: dict[str, int],
    status: tuple[int, ...],
    why: str,
) -> None:
    org.set_faults(**changes)
    first, second = api.get(ME), api.get(ME)
    assert first.status_code in status, why
    assert second.status_code == 200
    if first.status_code == 429:
        assert first.headers["Retry-After"] == "3"


def test_cut_connection_drops_the_response_after_processing(
    org: EmulatorHandle, api: httpx.Client
) -> None:
    body = {
        "name": "Cut",
        "columnNames": ["Phone"],
        "phoneColumns": [{"columnName": "Phone", "type": "cell"}],
    }
    org.set_faults(cut_next=1)
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/api/v2/outbound/contactlists", json=body)
    assert [c["name"] for c in org.store.all("contactlist")] == ["Cut"]  # it was applied
    assert org.fault_stats.cut == 1


def test_faults_only_hit_matching_methods_and_paths(org: EmulatorHandle, api: httpx.Client) -> None:
    org.set_faults(fail_rate=1.0, methods=frozenset({"POST"}), path_prefix="/api/v2/outbound")
    assert api.get(ME).status_code == 200
    assert api.get("/api/v2/outbound/contactlists").status_code == 200
    assert api.post("/api/v2/outbound/contactlists", json={}).status_code in (502, 503, 504)


def test_latency_delays_every_request(org: EmulatorHandle, api: httpx.Client) -> None:
    org.set_faults(latency_ms=150)
    started = time.monotonic()
    api.get(ME)
    assert time.monotonic() - started >= 0.15


def test_fail_rate_with_same_seed_fails_the_same_requests(tmp_path: Path) -> None:
    runs = []
    for attempt in range(2):
        with running_emulator(tmp_path / f"org{attempt}") as org, api_for(org) as api:
            org.set_faults(fail_rate=0.5, fault_seed=3)
            runs.append([api.get(ME).status_code == 200 for _ in range(20)])
    assert runs[0] == runs[1] and 0 < sum(runs[0]) < 20


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"fail_rate": 1.5}, "a probability above 1"),
        ({"cut_rate": -0.1}, "a negative probability"),
        ({"rate_limit_per_minute": 0}, "a limit that refuses everything"),
    ],
)
def test_faults_invalid_settings_raise(kwargs: dict[str, float], why: str) -> None:
    with pytest.raises(ValueError):
        Faults(**kwargs)  # type: ignore[arg-type]
