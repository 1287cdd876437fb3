"""Session-wide test fixtures. Subfolders add their own conftest.py for area-specific fixtures."""

from __future__ import annotations
