"""Fault injection: latency, 5xx answers, 429 storms, the per-minute rate limit, cut connections.

The per-minute limit counts API requests per access token, like the documented
`client.credentials.token.rate.per.minute` (300 by default in real orgs); past it, the answer is the
normalised 429 (`Retry-After` header, code `too.many.requests.retry.after`). Injected 5xx answers
are sent before the request is processed (a gateway refusing it); cut connections drop the socket
after the request WAS processed, which is the case that makes a blind retry of a write dangerous.
All settings can be changed while the server runs (`FaultController.update`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import random
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

from sanitizer.emulator.problems import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

Action = Literal["pass", "fail", "throttle", "limit", "cut"]
_FAIL_STATUSES = (502, 503, 504)


@dataclass(frozen=True)
class Faults:
    """What the emulator does wrong on purpose. Rates are probabilities per matching request."""

    rate_limit_per_minute: int | None = None
    fail_rate: float = 0.0
    latency_ms: int = 0
    throttle_rate: float = 0.0
    cut_rate: float = 0.0
    retry_after: int = 1
    fail_next: int = 0
    throttle_next: int = 0
    cut_next: int = 0
    methods: frozenset[str] | None = None
    path_prefix: str = "/"
    fault_seed: int = 0

    def __post_init__(self) -> None:
        for name in ("fail_rate", "throttle_rate", "cut_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be at least 1")


@dataclass
class FaultStats:
    """How many faults were injected (tests assert that their faults really happened)."""

    failed: int = 0
    throttled: int = 0
    limited: int = 0
    cut: int = 0


class InjectedCut(Exception):
    """Raised after the response started, so the server drops the connection mid-response."""


class FaultController:
    """The live fault settings and the decisions drawn from them (thread-safe)."""

    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self._faults = faults
        self._rng = random.Random(faults.fault_seed)
        self._windows: dict[str, tuple[float, int]] = {}
        self.stats = FaultStats()

    @property
    def faults(self) -> Faults:
        return self._faults

    def update(self, **changes: Any) -> Faults:
        """Change settings while running (`update(fail_rate=0.2)`); a new seed restarts draws."""
        with self._lock:
            self._faults = dataclasses.replace(self._faults, **changes)
            if "fault_seed" in changes:
                self._rng = random.Random(self._faults.fault_seed)
            if "rate_limit_per_minute" in changes:
                self._windows.clear()
            return self._faults

    def decide(self, method: str, path: str, token: str | None) -> tuple[Action, int]:
        """What to do with one request, and the Retry-After seconds for 429s."""
        with self._lock:
            f = self._faults
            if token is not None and f.rate_limit_per_minute is not None:
                wait = self._count(token, f.rate_limit_per_minute)
                if wait is not None:
                    self.stats.limited += 1
                    return "limit", wait
            if not path.startswith(f.path_prefix) or (
                f.methods is not None and method not in f.methods
            ):
                return "pass", 0
            if f.throttle_next > 0 or self._draw(f.throttle_rate):
                self._faults = dataclasses.replace(f, throttle_next=max(0, f.throttle_next - 1))
                self.stats.throttled += 1
                return "throttle", f.retry_after
            if f.fail_next > 0 or self._draw(f.fail_rate):
                self._faults = dataclasses.replace(f, fail_next=max(0, f.fail_next - 1))
                self.stats.failed += 1
                return "fail", 0
            if f.cut_next > 0 or self._draw(f.cut_rate):
                self._faults = dataclasses.replace(f, cut_next=max(0, f.cut_next - 1))
                self.stats.cut += 1
                return "cut", 0
            return "pass", 0

    def fail_status(self) -> int:
        with self._lock:
            return self._rng.choice(_FAIL_STATUSES)

    def _draw(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    def _count(self, token: str, limit: int) -> int | None:
        now = time.monotonic()
        start, used = self._windows.get(token, (now, 0))
        if now - start >= 60:
            start, used = now, 0
        if used >= limit:
            return max(1, math.ceil(start + 60 - now))
        self._windows[token] = (start, used + 1)
        return None


class FaultMiddleware:
    """ASGI middleware applying the controller's decisions to `/oauth` and `/api` requests."""

    def __init__(self, app: ASGIApp, controller: FaultController) -> None:
        self.app = app
        self.controller = controller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(("/api/", "/oauth/")):
            await self.app(scope, receive, send)
            return
        faults = self.controller.faults
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        token = _bearer(scope) if path.startswith("/api/") else None
        action, retry_after = self.controller.decide(str(scope["method"]), path, token)
        if action == "pass":
            await self.app(scope, receive, send)
        elif action in ("limit", "throttle"):
            message = (
                f"Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds"
            )
            await _send_error(
                send,
                429,
                "too.many.requests.retry.after",
                message,
                {"Retry-After": str(retry_after)},
            )
        elif action == "fail":
            status = self.controller.fail_status()
            await _send_error(
                send, status, "service.unavailable", "The service is unavailable.", {}
            )
        else:
            await self._cut(scope, receive, send)

    async def _cut(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def swallow(message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"entities": [', "more_body": True})
        raise InjectedCut("connection cut on purpose by the emulator's fault injection")


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = bytes(value).decode("latin-1")
            if text.lower().startswith("bearer "):
                return text[7:].strip()
    return None


async def _send_error(
    send: Send, status: int, code: str, message: str, headers: dict[str, str]
) -> None:
    cid = str(uuid.uuid4())
    body = json.dumps(error_body(status, code, message, cid)).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"inin-correlation-id", cid.encode()),
        *((k.lower().encode(), v.encode()) for k, v in headers.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
