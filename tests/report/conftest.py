"""Reports for the report tests: the synthetic nightly runs built by fixtures/generate_runs.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from sanitizer.report.figures import note_unreviewed
from sanitizer.report.model import RuleRef, ScrubReport

REPO = Path(__file__).resolve().parents[2]
FIXTURE_RUNS = REPO / "fixtures" / "runs"


def load_generator() -> ModuleType:
    """fixtures/generate_runs.py as a module (fixtures/ is data, not a package)."""
    spec = importlib.util.spec_from_file_location(
        "generate_runs", REPO / "fixtures" / "generate_runs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    return load_generator()


@pytest.fixture
def runs(generator: ModuleType) -> list[ScrubReport]:
    """Four nights, oldest first: clean, clean, drift (verified), failed. Fresh copies per test."""
    reports: list[ScrubReport] = generator.build_runs()
    return reports


@pytest.fixture
def verified(runs: list[ScrubReport]) -> ScrubReport:
    return runs[0]


@pytest.fixture
def failed(runs: list[ScrubReport]) -> ScrubReport:
    return runs[3]


@pytest.fixture
def vouched(verified: ScrubReport) -> ScrubReport:
    """The verified run with a person's reason on every column it passed through unchanged."""
    for table in verified.tables:
        for column in table.columns:
            if column.operator == "keep":
                column.rule = RuleRef(
                    kind="table", source="rules.yaml:3", match=column.name, reason="a code"
                )
    return note_unreviewed(verified)
