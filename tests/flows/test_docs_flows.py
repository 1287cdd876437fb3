"""docs/flows.md keeps up with the code: every rule with its severity, every option of the commands."""

from __future__ import annotations

import re

import pytest
import typer.main

from sanitizer.cli.app import app
from sanitizer.flows.findings import RULES

from .helpers import REPO

PAGE = (REPO / "docs" / "flows.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_docs_flows_rule_table_lists_every_rule_with_its_severity(rule: object) -> None:
    row = re.search(rf"^\| `{re.escape(rule.id)}` \| (\w+) \|", PAGE, flags=re.M)  # type: ignore[attr-defined]
    assert row is not None, f"docs/flows.md has no row for rule {rule.id}"  # type: ignore[attr-defined]
    assert row.group(1) == rule.severity  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "path",
    [
        ("flows", "validate"),
        ("flows", "lint"),
        ("flows", "retarget"),
        ("flows", "promote"),
        ("vars", "check"),
    ],
)
def test_docs_flows_describes_every_option(path: tuple[str, str]) -> None:
    import sanitizer.cli.flows  # noqa: F401  (registers the commands)

    root = typer.main.get_command(app)
    group = root.commands[path[0]]  # type: ignore[attr-defined]
    command = group.commands[path[1]]
    assert f"sanitize {' '.join(path)}" in PAGE
    for param in command.params:
        for flag in param.opts if param.param_type_name == "option" else []:
            assert re.search(rf"`{re.escape(flag)}[ `]", PAGE), f"{flag} of {' '.join(path)}"
