"""Open an emulated org (store + seed) and serve it with uvicorn, in the foreground or a thread."""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from collections.abc import Callable

import uvicorn

from sanitizer.emulator.app import create_app
from sanitizer.emulator.faults import Faults, InjectedCut
from sanitizer.emulator.seed import SeedSummary, seed_org
from sanitizer.emulator.state import Emulator, EmulatorConfig
from sanitizer.errors import ConfigError, SanitizerError

log = logging.getLogger(__name__)


class _QuietCuts(logging.Filter):
    """uvicorn logs an exception for every connection the fault injection cuts: drop those."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedCut)


logging.getLogger("uvicorn.error").addFilter(_QuietCuts())


def open_emulator(
    config: EmulatorConfig, faults: Faults | None = None
) -> tuple[Emulator, SeedSummary]:
    """The emulated org kept under `config.data_dir`, seeded from `config.seed` when it is new."""
    emulator = Emulator(config, faults)
    try:
        summary = seed_org(emulator, config.seed) if config.seed else SeedSummary(is_seeded=False)
        emulator.org()
    except BaseException:
        emulator.close()
        raise
    return emulator, summary


def build_server(
    emulator: Emulator, sock: socket.socket, *, log_level: str = "warning"
) -> uvicorn.Server:
    """A uvicorn server for the emulator's app on an already bound socket."""
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        create_app(emulator),
        host=host,
        port=port,
        log_level=log_level,
        lifespan="off",
        access_log=log_level == "debug",
    )
    return uvicorn.Server(config)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP, or asyncio leaves Nagle on for accepted connections and every
    # keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror or type(exc).__name__})",
            hint="another program listens there: pick another port, or 0 for a free one"
            if exc.errno == errno.EADDRINUSE
            else "check the host and port",
        ) from exc
    sock.listen(128)
    return sock


def base_url_of(sock: socket.socket) -> str:
    """The http base URL of a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(
    emulator: Emulator,
    host: str,
    port: int,
    *,
    log_level: str = "info",
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Serve in the foreground until interrupted; `on_listening` gets the base URL once bound."""
    sock = bind(host, port)
    if on_listening is not None:
        on_listening(base_url_of(sock))
    try:
        build_server(emulator, sock, log_level=log_level).run(sockets=[sock])
    finally:
        sock.close()


class BackgroundServer:
    """A server running in a daemon thread; `stop()` ends it."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = bind(host, port)
        self.host, self.port = self.sock.getsockname()[:2]
        self.server = build_server(emulator, self.sock)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True, name="emulator"
        )

    @property
    def base_url(self) -> str:
        return base_url_of(self.sock)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.sock.close()
                raise SanitizerError(f"the emulator did not start on {self.base_url}")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.server.force_exit = True  # do not wait for idle keep-alive connections to close
        self.thread.join(timeout)
        self.sock.close()
