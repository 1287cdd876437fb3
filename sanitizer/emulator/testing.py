"""Run an emulated org on a free loopback port for the length of a `with` block (tests, demos).

with running_emulator(tmp_path / "prod", seed=fixtures_dir() / "orgs" / "production") as prod: with
GenesysClient(prod.base_url, prod.base_url, prod.client_id, prod.client_secret) as c:
c.organization.me() prod.set_faults(fail_rate=0.2)      # change faults while it runs
prod.store.all("contactlist")       # read the org's state directly

Each call starts its own server, store and fault settings, so two (production and staging) can run
at once in one process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sanitizer.emulator.faults import Faults, FaultStats
from sanitizer.emulator.seed import SeedSummary
from sanitizer.emulator.server import BackgroundServer, open_emulator
from sanitizer.emulator.state import Emulator, EmulatorConfig
from sanitizer.emulator.store import Store

DEFAULT_CLIENT_ID = "sanitizer-emulator-client"
DEFAULT_CLIENT_SECRET = "sanitizer-emulator-secret"  # noqa: S105 (a local test credential)


@dataclass
class EmulatorHandle:
    """A running emulated org: where it is, its credentials, and levers for tests."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    emulator: Emulator
    seed_summary: SeedSummary

    @property
    def store(self) -> Store:
        """The org's state, for direct assertions (prefer the API where possible)."""
        return self.emulator.store

    @property
    def org_id(self) -> str:
        return str(self.emulator.org()["id"])

    @property
    def faults(self) -> Faults:
        return self.emulator.faults.faults

    @property
    def fault_stats(self) -> FaultStats:
        """How many faults were injected so far."""
        return self.emulator.faults.stats

    def set_faults(self, **changes: Any) -> Faults:
        """Change fault settings while running, e.g. `set_faults(fail_rate=0.3)`."""
        return self.emulator.faults.update(**changes)

    def revoke_tokens(self) -> None:
        """Invalidate every issued token, as if they had all expired."""
        self.emulator.revoke_tokens()


@contextmanager
def running_emulator(
    data_dir: Path,
    *,
    seed: Path | None = None,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    rate_limit_per_minute: int | None = None,
    fail_rate: float = 0.0,
    latency_ms: int = 0,
    fault_seed: int = 0,
    token_ttl_seconds: int = 86400,
    job_polls: int = 1,
    host: str = "127.0.0.1",
) -> Iterator[EmulatorHandle]:
    """Start an emulated org in a background thread; stop it and close its store on exit."""
    config = EmulatorConfig(
        data_dir=data_dir,
        client_id=client_id,
        client_secret=client_secret,
        seed=seed,
        token_ttl_seconds=token_ttl_seconds,
        job_polls=job_polls,
    )
    faults = Faults(
        rate_limit_per_minute=rate_limit_per_minute,
        fail_rate=fail_rate,
        latency_ms=latency_ms,
        fault_seed=fault_seed,
    )
    emulator, summary = open_emulator(config, faults)
    try:
        server = BackgroundServer(emulator, host=host)
        server.start()
    except BaseException:
        emulator.close()
        raise
    try:
        yield EmulatorHandle(server.base_url, client_id, client_secret, emulator, summary)
    finally:
        server.stop()
        emulator.close()
