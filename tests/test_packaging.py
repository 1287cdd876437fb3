"""The install ships every subpackage, the shipped rules and the fixture orgs (a non-editable install
only holds what pyproject lists)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_packaging_lists_every_subpackage() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(path.parent.relative_to(REPO).parts)
        for path in (REPO / "sanitizer").rglob("__init__.py")
        if "__pycache__" not in path.parts
    }
    assert sorted(found - listed) == []


def test_packaging_ships_rules_and_fixture_orgs() -> None:
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert setuptools["package-dir"] == {
        "sanitizer._rules": "rules",
        "sanitizer._fixtures": "fixtures",
    }
    data = setuptools["package-data"]
    assert {"*.yaml", "mappings/*.yaml", "schemas/*.json"} <= set(data["sanitizer._rules"])
    assert data["sanitizer._fixtures"] == ["**/*"]
    assert (REPO / "sanitizer" / "report" / "templates" / "report.html.j2").exists()
    assert "**/*.j2" in data["sanitizer"]
