"""Scrub reports: the model (model.py) and its renderers (JSON, HTML, Markdown), plus run history."""

from __future__ import annotations

from sanitizer.report.model import ScrubReport

__all__ = ["ScrubReport"]
