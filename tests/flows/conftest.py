"""Fixtures for the flow tests: the shipped synthetic flows, the public samples, mapping sets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from sanitizer.variables import OrgMapping, read_mappings

from .helpers import REPO, SAMPLE_VARIABLES, SAMPLES


@pytest.fixture(scope="session")
def mappings() -> list[OrgMapping]:
    """The shipped mapping files (rules/mappings/production.yaml and staging.yaml)."""
    return read_mappings(REPO / "rules" / "mappings")


@pytest.fixture
def samples() -> Path:
    """The public Genesys sample exports; skipped when the shared folder is not beside the repo."""
    if not SAMPLES.is_dir():
        pytest.skip("the shared genesys-samples folder is not beside this checkout")
    return SAMPLES


MappingWriter = Callable[[dict[str, dict[str, object]]], list[OrgMapping]]


@pytest.fixture
def write_mappings(tmp_path: Path) -> MappingWriter:
    """Write mapping files {org: body} into a fresh folder and read them back."""

    def write(bodies: dict[str, dict[str, object]]) -> list[OrgMapping]:
        folder = tmp_path / "mappings"
        folder.mkdir(exist_ok=True)
        for org, body in bodies.items():
            (folder / f"{org}.yaml").write_text(
                yaml.safe_dump(body, sort_keys=False), encoding="utf-8"
            )
        return read_mappings(folder)

    return write


@pytest.fixture
def sample_mappings(write_mappings: MappingWriter) -> list[OrgMapping]:
    """Two orgs defining every substitution the public samples use."""

    def body(role: str, i: int) -> dict[str, object]:
        return {
            "role": role,
            "variables": {
                name: {"description": f"sample {name}", "value": values[i]}
                for name, values in SAMPLE_VARIABLES.items()
            },
        }

    return write_mappings({"production": body("production", 0), "staging": body("staging", 1)})
