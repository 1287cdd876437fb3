"""pytest fixtures for emulated Genesys orgs, registered when sanitizer is installed (entry point
`pytest11`), so any project's tests can use them without a conftest.py:

    def test_reads_the_org(genesys_production):
        with GenesysClient(genesys_production.base_url, genesys_production.base_url,
                           genesys_production.client_id, genesys_production.client_secret) as client:
            assert client.organization.me()["name"] == "Example Retail"

    def test_under_faults(genesys_emulator):
        org = genesys_emulator(seed="staging", fail_rate=0.2)

Every org runs on its own free loopback port with its state in the test's temporary folder, and is
stopped when the test ends. Nothing is imported until a fixture is used (the plugin loads in every
pytest session of an environment that has sanitizer installed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sanitizer.emulator.testing import EmulatorHandle

StartOrg = Callable[..., "EmulatorHandle"]


@pytest.fixture
def genesys_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartOrg]:
    """`genesys_emulator(seed=None, **options)` starts an emulated org and returns its handle.

    `seed`: "production" or "staging" (the shipped fixture orgs), a fixture folder, or None for an
    empty org; `options`: those of `sanitizer.emulator.testing.running_emulator` (client_id,
    client_secret, rate_limit_per_minute, fail_rate, latency_ms, fault_seed, token_ttl_seconds,
    job_polls). Call it as often as needed: each org has its own server and store.
    """
    from sanitizer.emulator.testing import running_emulator
    from sanitizer.shipped import fixtures_dir

    with ExitStack() as stack:

        def start(seed: str | Path | None = None, **options: Any) -> EmulatorHandle:
            if seed in ("production", "staging"):
                seed = fixtures_dir() / "orgs" / str(seed)
            data = tmp_path_factory.mktemp("genesys-org")
            return stack.enter_context(
                running_emulator(data, seed=Path(seed) if seed else None, **options)
            )

        yield start


@pytest.fixture
def genesys_production(genesys_emulator: StartOrg) -> EmulatorHandle:
    """The shipped production fixture org (Example Retail, with synthetic data), on loopback."""
    return genesys_emulator(seed="production")


@pytest.fixture
def genesys_staging(genesys_emulator: StartOrg) -> EmulatorHandle:
    """The shipped staging fixture org (Example Retail Staging, empty), on loopback."""
    return genesys_emulator(seed="staging")
