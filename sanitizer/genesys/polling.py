"""Wait for an asynchronous Genesys job (contact-list export, flow export/import) to finish."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sanitizer.errors import GenesysError

T = TypeVar("T")


@dataclass(frozen=True)
class PollPolicy:
    """How often and how long to poll: the wait doubles from `interval` up to `max_interval`."""

    interval: float = 1.0
    max_interval: float = 15.0
    timeout: float = 900.0


def poll(check: Callable[[], T | None], policy: PollPolicy, *, what: str, endpoint: str) -> T:
    """Call `check` until it returns something other than None, or fail after `policy.timeout`."""
    deadline = time.monotonic() + policy.timeout
    wait = policy.interval
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() + wait > deadline:
            raise GenesysError(
                f"{what} did not finish within {policy.timeout:.0f} s",
                endpoint=endpoint,
                hint="the org may be busy; try again later or raise the poll timeout",
            )
        time.sleep(wait)
        wait = min(wait * 2, policy.max_interval)
