"""Compact sets of strings and fast word splitting: generic primitives with no policy in them, shared
by the transform path and the verifier.

A set of many strings costs about a hundred bytes each in Python; `string_keys` keeps their hashes in
a sorted numpy array instead (8 bytes each). Python's string hash is the same in a process and in the
workers it forks, so keys made before a fork answer after it. Two strings that share a hash (odds of
about n / 2^64 for a look-up among n keys) answer as equal: callers use these only where such an
answer errs on the safe side.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

# Every byte that is no ASCII letter becomes a space (for `bytes.translate`).
_ASCII_LETTER_BYTES = bytes(c if chr(c).isascii() and chr(c).isalpha() else 32 for c in range(256))


def ascii_letter_runs(text: str) -> list[bytes]:
    """The lower-case runs of ASCII letters of `text`, split in C ("Zq.Wexford77" → zq, wexford);
    other characters part them like digits and punctuation do."""
    return text.encode().lower().translate(_ASCII_LETTER_BYTES).split()


def string_keys(strings: Iterable[str]) -> np.ndarray:
    """The keys of `strings`: their hashes, sorted and distinct."""
    return np.unique(np.fromiter(map(hash, strings), dtype=np.int64))


def has_key(keys: np.ndarray, text: str) -> bool:
    """Whether `text` is among the strings `keys` was made of."""
    key = hash(text)
    at = int(np.searchsorted(keys, key))
    return at < len(keys) and int(keys[at]) == key


def keys_contain(keys: np.ndarray, strings: Sequence[str]) -> list[bool]:
    """`has_key` for many strings at once."""
    hashes = np.fromiter(map(hash, strings), dtype=np.int64, count=len(strings))
    return np.isin(hashes, keys).tolist()  # type: ignore[no-any-return]
