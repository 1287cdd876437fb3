"""`python -m sanitizer` runs the CLI."""

from sanitizer.cli import entry_point

entry_point()
