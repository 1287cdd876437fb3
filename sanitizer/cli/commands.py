"""Imports every command module so that each registers its commands on the app."""

from __future__ import annotations

from sanitizer.cli import emulator  # noqa: F401
from sanitizer.cli import flows  # noqa: F401
from sanitizer.cli import report  # noqa: F401
from sanitizer.cli import scrub  # noqa: F401
