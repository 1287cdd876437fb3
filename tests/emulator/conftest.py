"""Fixtures for the emulator tests: emulated orgs and raw HTTP clients holding a token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from sanitizer.emulator.testing import EmulatorHandle, running_emulator
from sanitizer.shipped import fixtures_dir

PRODUCTION = fixtures_dir() / "orgs" / "production"
STAGING = fixtures_dir() / "orgs" / "staging"


def token_for(handle: EmulatorHandle) -> str:
    response = httpx.post(
        f"{handle.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(handle.client_id, handle.client_secret),
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def api_for(handle: EmulatorHandle) -> httpx.Client:
    """A raw HTTP client for the org's base URL with a valid bearer token."""
    return httpx.Client(
        base_url=handle.base_url, headers={"Authorization": f"Bearer {token_for(handle)}"}
    )


@pytest.fixture
def org(tmp_path: Path) -> Iterator[EmulatorHandle]:
    """A fresh, empty emulated org."""
    with running_emulator(tmp_path / "org") as handle:
        yield handle


@pytest.fixture
def api(org: EmulatorHandle) -> Iterator[httpx.Client]:
    with api_for(org) as client:
        yield client


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorHandle]:
    """The production fixture org, shared by read-only tests."""
    with running_emulator(tmp_path_factory.mktemp("production"), seed=PRODUCTION) as handle:
        yield handle


@pytest.fixture
def prod_api(production: EmulatorHandle) -> Iterator[httpx.Client]:
    with api_for(production) as client:
        yield client


def error_of(response: httpx.Response) -> tuple[int, str]:
    """(status, code) of an ErrorBody response, after checking its shape."""
    body = response.json()
    assert set(body) >= {"message", "code", "status", "contextId", "details", "errors"}
    assert body["status"] == response.status_code
    assert response.headers["ININ-Correlation-Id"] == body["contextId"]
    return response.status_code, body["code"]


ErrorOf = Callable[[httpx.Response], tuple[int, str]]
