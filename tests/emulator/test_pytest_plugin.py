"""The shipped pytest fixtures: orgs on free loopback ports, seeded, stopped after the test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sanitizer.genesys import GenesysClient


def test_production_fixture_is_the_seeded_org(genesys_production) -> None:
    assert genesys_production.base_url.startswith("http://127.0.0.1:")
    with GenesysClient(
        genesys_production.base_url,
        genesys_production.base_url,
        genesys_production.client_id,
        genesys_production.client_secret,
    ) as client:
        assert client.organization.me()["name"] == "Example Retail"


def test_factory_starts_independent_orgs_with_options(genesys_emulator, genesys_staging) -> None:
    empty = genesys_emulator(client_id="other-client", client_secret="other-secret")
    assert empty.base_url != genesys_staging.base_url
    assert empty.org_id != genesys_staging.org_id
    assert empty.client_id == "other-client"
    assert genesys_staging.store.count("contactlist") == 0


OUTSIDE = """\
import httpx
import pytest

URLS = []


def test_org(genesys_production, genesys_emulator):
    assert genesys_production.org_id
    URLS.extend([genesys_production.base_url, genesys_emulator().base_url])


def test_orgs_of_the_previous_test_are_stopped():
    for url in URLS:
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/api/v2/organizations/me", timeout=5)
"""


def test_plugin_serves_any_project_and_stops_its_orgs(tmp_path: Path) -> None:
    # A test file outside this repo (no conftest.py) sees the fixtures through the entry point alone.
    (tmp_path / "test_outside.py").write_text(OUTSIDE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "2 passed" in done.stdout
