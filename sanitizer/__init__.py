"""sanitizer: extract, scrub, verify and load Genesys Cloud data into a staging org without real PII."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
