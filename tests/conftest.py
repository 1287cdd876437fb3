"""Session-wide test fixtures. Subfolders add their own conftest.py for area-specific fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanitizer.keyring import Keyring
from sanitizer.rules import RuleSet, read_rules

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shipped_rules() -> RuleSet:
    """The shipped rules (rules/default.yaml + rules/genesys.yaml), loaded once."""
    return read_rules()


@pytest.fixture(scope="session")
def demo_rules() -> RuleSet:
    """The demo rules of fixtures/files (policy fail, a custom recognizer, a persona), loaded once."""
    return read_rules(REPO / "fixtures" / "files" / "rules.yaml")


@pytest.fixture(scope="session")
def keyring_a() -> Keyring:
    return Keyring(b"scrub-tests-key-A-0123456789abcdef", source="tests")


@pytest.fixture(scope="session")
def keyring_b() -> Keyring:
    return Keyring(b"scrub-tests-key-B-fedcba9876543210", source="tests")
