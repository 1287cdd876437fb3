"""Detection: classify columns (Presidio on a sample) and find PII spans in free text (fast scanner).

This package is the only place that imports Presidio. Nothing here reaches the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sanitizer.detect.evidence import ColumnEvidence, corroborate
from sanitizer.detect.names import (
    FIRST,
    LAST,
    NameFinder,
    handles,
    name_tokens,
    row_name_words,
)
from sanitizer.detect.offline import load_spacy, use_bundled_suffix_list
from sanitizer.detect.text import Span, TextScanner

if TYPE_CHECKING:
    from sanitizer.detect.columns import build_analyzer, classify


def __getattr__(name: str) -> Any:
    # Presidio takes seconds to import: load the column classifier only when a column needs it.
    if name in {"build_analyzer", "classify"}:
        from sanitizer.detect import columns

        return getattr(columns, name)
    raise AttributeError(name)


__all__ = [
    "FIRST",
    "LAST",
    "ColumnEvidence",
    "NameFinder",
    "Span",
    "TextScanner",
    "build_analyzer",
    "classify",
    "corroborate",
    "handles",
    "load_spacy",
    "name_tokens",
    "row_name_words",
    "use_bundled_suffix_list",
]
