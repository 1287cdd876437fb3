"""Fixtures for operator tests: two fixed test keys and a context factory (session-wide, so that
hypothesis property tests can use them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from sanitizer.keyring import Keyring
from sanitizer.operators import get_operator
from sanitizer.operators.base import OperatorContext
from sanitizer.ranges import SafeRanges, default_safe_ranges

MakeContext = Callable[..., OperatorContext]


@pytest.fixture(scope="session")
def keyring() -> Keyring:
    return Keyring(b"operator-tests-key-0123456789abcdef", source="tests")


@pytest.fixture(scope="session")
def other_keyring() -> Keyring:
    return Keyring(b"operator-tests-other-key-fedcba9876543210", source="tests")


@pytest.fixture(scope="session")
def ranges() -> SafeRanges:
    return default_safe_ranges()


@pytest.fixture(scope="session")
def make_ctx(keyring: Keyring, ranges: SafeRanges) -> MakeContext:
    """`make_ctx(operator, entity, avoid=..., keyring=..., **params)` → an OperatorContext."""

    def build(
        operator: str,
        entity: str,
        *,
        avoid: Iterable[str] = (),
        key: Keyring | None = None,
        safe: SafeRanges | None = None,
        context: dict[str, Any] | None = None,
        **params: Any,
    ) -> OperatorContext:
        return OperatorContext(
            keyring=key or keyring,
            entity=entity,
            params=get_operator(operator).Params.model_validate(params),
            ranges=safe or ranges,
            avoid=frozenset(avoid),
            **(context or {}),
        )

    return build
