"""The retry policy: honour 429 Retry-After, back off exponentially with jitter otherwise.

Defaults follow the issue: on 429 wait `Retry-After` seconds; without it (and for 502/503/504 and
connection errors on idempotent requests) back off 2 s, 4 s, 8 s... with jitter, at most 5 attempts.
The official SDKs do much the same (the .NET and Go SDKs retry 429/502/503/504 and honour
Retry-After; see docs/genesys-client.md). The loop itself is stamina's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx
import stamina

from sanitizer.errors import GenesysError, GenesysRateLimitError

log = logging.getLogger(__name__)
# stamina logs every scheduled retry as a bare warning; ours (above, at INFO) name the endpoint.
logging.getLogger("stamina").setLevel(logging.ERROR)

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before an API call is reported as failed."""

    attempts: int = 5
    wait_initial: float = 2.0
    wait_max: float = 60.0
    wait_exp_base: float = 2.0
    wait_jitter: float = 1.0
    # A Retry-After longer than this is not waited out: the call fails with a clear error instead.
    max_retry_after: float = 300.0
    # Total time budget for one call including waits; None means only `attempts` limits it.
    timeout: float | None = None

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")


class Transient(Exception):
    """One attempt failed in a way that a later attempt may not (internal to the client)."""

    def __init__(self, error: GenesysError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The wait a response asks for (`Retry-After`: seconds or an HTTP date); None if absent."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def call_with_retries(policy: RetryPolicy, attempt: Callable[[int], T]) -> T:
    """Run `attempt(number)` until it returns, raises a final error, or the policy gives up."""

    def backoff(exc: Exception) -> bool | float:
        if not isinstance(exc, Transient):
            return False
        if exc.retry_after is None:
            log.info("%s; retrying with backoff", exc.error)
            return True
        if exc.retry_after > policy.max_retry_after:
            return False
        log.info("%s; retrying in %.1f s as Retry-After asks", exc.error, exc.retry_after)
        return exc.retry_after

    try:
        for retry in stamina.retry_context(
            on=backoff,
            attempts=policy.attempts,
            timeout=policy.timeout,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
            wait_exp_base=policy.wait_exp_base,
        ):
            with retry:
                return attempt(retry.num)
    except Transient as exc:
        error = exc.error
        if exc.retry_after is not None and exc.retry_after > policy.max_retry_after:
            error = GenesysRateLimitError(
                "the org asked to wait longer than the retry policy allows",
                status=error.status,
                code=error.code,
                context_id=error.context_id,
                endpoint=error.endpoint,
                hint=f"Retry-After was {exc.retry_after:.0f} s; max_retry_after is "
                f"{policy.max_retry_after:.0f} s",
            )
        else:
            gave_up = f"gave up after {policy.attempts} attempt(s)"
            error.hint = gave_up if error.hint is None else f"{error.hint}; {gave_up}"
        raise error from exc.__cause__
    raise AssertionError("unreachable: stamina either returns or raises")
