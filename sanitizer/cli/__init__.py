"""The `sanitize` command line: each module registers one group of commands on `app`."""

from __future__ import annotations

from sanitizer.cli import commands  # noqa: F401  (registers the commands)
from sanitizer.cli.app import app


def main() -> None:
    """Entry point of the `sanitize` console script."""
    app()


__all__ = ["app", "main"]
