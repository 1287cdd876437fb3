"""Where the rules and fixture orgs that ship with sanitizer are, installed or in a source checkout.

The repository keeps them at the top level (`rules/`, `fixtures/`); an install places them inside the
package as `sanitizer/_rules` and `sanitizer/_fixtures` (see pyproject's package-dir).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(installed: str, checkout: str) -> Path:
    inside = _PACKAGE / installed
    return inside if inside.is_dir() else _PACKAGE.parent / checkout


def rules_dir() -> Path:
    """The shipped rules folder (default rules, safe ranges, mappings, schemas)."""
    return _shipped("_rules", "rules")


def fixtures_dir() -> Path:
    """The shipped fixtures folder (synthetic orgs and files)."""
    return _shipped("_fixtures", "fixtures")
