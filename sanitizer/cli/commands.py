"""Imports every command module so that each registers its commands on the app."""

from __future__ import annotations

from sanitizer.cli import emulator, flows, refresh, report, scrub  # noqa: F401
