"""Writes that a retry cannot duplicate.

Writes whose ids or keys we choose (contacts with ids, data-table rows by key, PUTs) are idempotent
and retried like reads. A create where the server picks the id (a contact list, a data table) is
not: after an ambiguous failure (502/503/504 or a connection lost after sending) it may or may not
have happened. So before trying again we look the object up by its unique name and return it if it
is there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from sanitizer.errors import GenesysConnectionError, GenesysError
from sanitizer.genesys.retry import RetryPolicy, Transient, call_with_retries

T = TypeVar("T")

AMBIGUOUS_STATUSES = frozenset({500, 502, 503, 504})


def is_ambiguous(error: GenesysError) -> bool:
    """Whether a failed write may still have been applied by the server."""
    return isinstance(error, GenesysConnectionError) or error.status in AMBIGUOUS_STATUSES


def create_or_recover(
    policy: RetryPolicy, create: Callable[[], T], find: Callable[[], T | None]
) -> T:
    """`create()`, and after an ambiguous failure `find()` the object before creating it again."""

    def attempt(number: int) -> T:
        if number > 1:
            found = find()
            if found is not None:
                return found
        try:
            return create()
        except GenesysError as exc:
            if is_ambiguous(exc):
                raise Transient(exc) from exc
            raise

    return call_with_retries(policy, attempt)


def batched(items: Iterable[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive lists of at most `size` items."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
