"""`running_emulator`: free loopback ports, two orgs at once, state kept under the data folder."""

from __future__ import annotations

from pathlib import Path

import httpx

from sanitizer.emulator.testing import running_emulator
from sanitizer.genesys import GenesysClient

from .conftest import PRODUCTION, STAGING, api_for


def test_two_emulators_run_at_once_as_separate_orgs(tmp_path: Path) -> None:
    with (
        running_emulator(
            tmp_path / "prod", seed=PRODUCTION, client_id="prod", client_secret="p"
        ) as prod,
        running_emulator(
            tmp_path / "staging", seed=STAGING, client_id="stg", client_secret="s"
        ) as staging,
    ):
        assert prod.base_url != staging.base_url
        assert prod.base_url.startswith("http://127.0.0.1:")
        for handle, name in ((prod, "Example Retail"), (staging, "Example Retail Staging")):
            with GenesysClient(
                handle.base_url, handle.base_url, handle.client_id, handle.client_secret
            ) as c:
                assert c.organization.me()["name"] == name
        # credentials of one org are refused by the other
        refused = httpx.post(
            f"{staging.base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("prod", "p"),
        )
        assert refused.status_code == 401
        prod.set_faults(fail_rate=1.0)
        with api_for(staging) as api:  # faults of one org do not leak into the other
            assert api.get("/api/v2/organizations/me").status_code == 200


def test_state_persists_across_restarts_of_the_same_data_folder(tmp_path: Path) -> None:
    body = {
        "name": "Kept",
        "columnNames": ["Phone"],
        "phoneColumns": [{"columnName": "Phone", "type": "cell"}],
    }
    with running_emulator(tmp_path / "org") as first, api_for(first) as api:
        org_id = first.org_id
        api.post("/api/v2/outbound/contactlists", json=body)
    with running_emulator(tmp_path / "org") as second, api_for(second) as api:
        names = [c["name"] for c in api.get("/api/v2/outbound/contactlists").json()["entities"]]
        assert second.org_id == org_id and names == ["Kept"]
    assert (tmp_path / "org" / "org.sqlite3").is_file()


def test_stopped_emulator_frees_its_port(tmp_path: Path) -> None:
    with running_emulator(tmp_path / "org") as handle:
        url = handle.base_url
    try:
        httpx.get(url, timeout=1)
    except httpx.ConnectError:
        return
    raise AssertionError("something still answers on the emulator's port")
