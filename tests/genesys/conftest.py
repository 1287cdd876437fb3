"""Fixtures for the client tests: emulated orgs on loopback and clients with fast retry policies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from sanitizer.emulator.testing import EmulatorHandle, running_emulator
from sanitizer.genesys import GenesysClient, PollPolicy, RetryPolicy
from sanitizer.shipped import fixtures_dir

# Real backoff is 2 s, 4 s, 8 s...; tests keep the shape and shrink the scale.
FAST_RETRY = RetryPolicy(attempts=10, wait_initial=0.001, wait_max=0.01, wait_jitter=0.001)
FAST_POLL = PollPolicy(interval=0.001, max_interval=0.01, timeout=10)
PRODUCTION = fixtures_dir() / "orgs" / "production"


@dataclass
class Recorder:
    """Every request a client sent, as (method, path) with the query string dropped."""

    requests: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> None:
        self.requests.append((request.method, request.url.path))

    def count(self, method: str, path_suffix: str = "") -> int:
        return sum(1 for m, p in self.requests if m == method and p.endswith(path_suffix))


@contextmanager
def client_for(
    handle: EmulatorHandle, recorder: Recorder | None = None, **kwargs: Any
) -> Iterator[GenesysClient]:
    """A client for an emulated org, with fast retries and polls, recording its requests."""
    hooks = {"request": [recorder]} if recorder is not None else {}
    http = httpx.Client(timeout=10, event_hooks=hooks)
    kwargs.setdefault("retry", FAST_RETRY)
    kwargs.setdefault("poll", FAST_POLL)
    with GenesysClient(
        handle.base_url,
        handle.base_url,
        handle.client_id,
        handle.client_secret,
        http=http,
        **kwargs,
    ) as client:
        yield client


@pytest.fixture
def org(tmp_path: Path) -> Iterator[EmulatorHandle]:
    """A fresh, empty emulated org for tests that write."""
    with running_emulator(tmp_path / "org") as handle:
        yield handle


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorHandle]:
    """The fixture production org, shared by read-only tests."""
    with running_emulator(tmp_path_factory.mktemp("production"), seed=PRODUCTION) as handle:
        yield handle


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
