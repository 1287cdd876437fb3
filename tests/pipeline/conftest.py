"""Fixtures of the refresh tests: two emulated orgs on loopback with a run config, and one refresh
made once per session whose staging read-back many tests inspect."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sanitizer.pipeline import RunResult, refresh

from .helpers import Orgs, OrgState, read_org, running_orgs


@pytest.fixture
def orgs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Orgs]:
    """Production (fixture data) and an empty staging on free loopback ports, a run config for them
    in tmp_path, and the credentials and scrub key in the environment."""
    with running_orgs(tmp_path) as pair:
        for name, value in pair.env().items():
            monkeypatch.setenv(name, value)
        yield pair


@dataclass
class Baseline:
    """One complete refresh without faults: what staging and production return afterwards."""

    orgs: Orgs
    result: RunResult
    staging: OrgState
    production: OrgState

    @property
    def snapshot(self) -> Path:
        return self.result.snapshot_dir


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Baseline]:
    """A refresh into an empty staging, read back through the API (shared: read it, never write to it)."""
    with running_orgs(tmp_path_factory.mktemp("baseline")) as pair:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in pair.env().items():
                patch.setenv(name, value)
            result = refresh(pair.loaded())
        yield Baseline(pair, result, read_org(pair.staging), read_org(pair.production))


@pytest.fixture(scope="session")
def refreshed_again(baseline: Baseline) -> tuple[RunResult, OrgState]:
    """A second refresh into the baseline's staging right after the first, and staging read back."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in baseline.orgs.env().items():
            patch.setenv(name, value)
        result = refresh(baseline.orgs.loaded())
    return result, read_org(baseline.orgs.staging)


@pytest.fixture
def clean_snapshot(orgs: Orgs, baseline: Baseline) -> Path:
    """A copy of the baseline's clean snapshot in this test's snapshots folder (for load-only tests)."""
    target = orgs.snapshots / baseline.result.run_id
    shutil.copytree(baseline.snapshot / "clean", target / "clean")
    return target
