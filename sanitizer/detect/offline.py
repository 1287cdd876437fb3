"""Keeping detection offline: tldextract's bundled suffix list, and spaCy pipelines that must be installed."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from sanitizer.errors import ConfigError


@cache
def use_bundled_suffix_list() -> None:
    """Make tldextract (used by Presidio's email recognizer) use its bundled list, never the network."""
    import tldextract
    import tldextract.tldextract as module

    module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def spacy_pipeline_path(model: str) -> str:
    """Check that a spaCy pipeline is installed (package or path) without ever downloading one."""
    import spacy.util

    if Path(model).exists() or spacy.util.is_package(model):
        return model
    raise ConfigError(
        f"spaCy pipeline {model!r} (rules nlp.model) is not installed; sanitizer never downloads models",
        hint="install it from your internal package index (e.g. `pip install <wheel>`), give a path to a "
        "saved pipeline, or set nlp.model: null to use the pattern and gazetteer recognizers only",
    )


@cache
def load_spacy(model: str) -> Any:
    """Load an installed spaCy pipeline once per process (NER only; other components disabled)."""
    import spacy

    path = spacy_pipeline_path(model)
    try:
        nlp = spacy.load(path, disable=["parser", "lemmatizer", "textcat"])
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"spaCy pipeline {model!r} failed to load ({type(exc).__name__})"
        ) from None
    if "ner" not in nlp.pipe_names:
        raise ConfigError(
            f"spaCy pipeline {model!r} has no `ner` component; PERSON detection needs one"
        )
    return nlp
