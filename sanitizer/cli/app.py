"""The typer application, global options, logging setup and the error-to-exit-code mapping."""

from __future__ import annotations

import functools
import json
import logging
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from sanitizer import __version__
from sanitizer.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    SanitizerError,
    Terminated,
)
from sanitizer.parallel import RemoteTraceback

app = typer.Typer(
    name="sanitize",
    help="Keep a Genesys Cloud staging org that mirrors production without real customer data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Piped output keeps long lines whole (a terminal wraps at its own width).
stdout = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class LogFormat(StrEnum):
    text = "text"
    json = "json"


@dataclass
class State:
    """Global options, set once by the app callback."""

    is_debug: bool = False
    log_format: LogFormat = LogFormat.text


state = State()


_STANDARD_RECORD_KEYS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _log_context(record: logging.LogRecord) -> dict[str, Any]:
    """The fields passed with `extra=` (object kinds, names, ids and counts; never record values)."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_RECORD_KEYS}


class TextLogFormatter(logging.Formatter):
    """`LEVEL logger: event key=value ...`; values with spaces or quotes are quoted like JSON strings."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        # A field the message already spells out ("plan contacts: 100000 rows") is not repeated.
        words = set(re.findall(r"[^\s:,;()]+", record.getMessage()))
        pairs = "".join(
            f" {k}={_logfmt(v)}"
            for k, v in _log_context(record).items()
            if not (isinstance(v, str | int) and str(v) in words)
        )
        return line + pairs


def _logfmt(value: Any) -> str:
    """A value as logfmt writes it: bare when it is one plain word, else a quoted, escaped string."""
    text = str(value)
    if text and all(c.isprintable() and not c.isspace() and c not in '"=\\' for c in text):
        return text
    return json.dumps(text, ensure_ascii=False)


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line; extra fields passed with `extra=` are kept (never record values)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update(_log_context(record))
        return json.dumps(entry, default=str)


class ConsoleLogHandler(logging.Handler):
    """Writes log lines through a rich console, which prints them above its live progress display."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.print(Text(self.format(record)), highlight=False, soft_wrap=True)
        except Exception:
            self.handleError(record)


def configure_logging(log_format: LogFormat, is_debug: bool) -> None:
    """Send sanitizer's logs to stderr, as plain lines or JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter() if log_format is LogFormat.json else TextLogFormatter())
    root = logging.getLogger("sanitizer")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if is_debug else logging.INFO)
    root.propagate = False
    # Third-party loggers may print values they were handed; keep them quiet unless debugging.
    for name in ("presidio-analyzer", "presidio-anonymizer", "httpx", "httpcore", "faker"):
        logging.getLogger(name).setLevel(logging.DEBUG if is_debug else logging.ERROR)


def _version(value: bool) -> None:
    if value:
        stdout.print(f"sanitizer {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logs."),
    log_format: LogFormat = typer.Option(
        LogFormat.text,
        "--log-format",
        help="Log lines as plain text or JSON (one object per line).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Keep a Genesys Cloud staging org that mirrors production without real customer data."""
    state.is_debug = debug
    state.log_format = log_format
    configure_logging(log_format, debug)


P = ParamSpec("P")
R = TypeVar("R")


def error_line(message: str, error: str, exit_code: int) -> None:
    """The one line a failure prints: plain, or a JSON object when logs are JSON (for log collectors)."""
    if state.log_format is LogFormat.json:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "level": "error",
            "logger": "sanitizer",
            "event": message,
            "error": error,
            "exit_code": exit_code,
        }
        sys.stderr.write(json.dumps(entry) + "\n")
        return
    # Text, not markup: a message naming `columns[3]` or a path with brackets must print as it is.
    label, _, rest = (
        message.partition(": ") if message.startswith("internal error") else ("error", "", message)
    )
    stderr.print(Text.assemble((f"{label}: ", "bold red"), rest), highlight=False)


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """While a command runs, SIGTERM (a scheduler or service manager stopping the job) raises
    `Terminated` once, so the run stops its workers and removes its staging folder as on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (an in-process caller's thread)
        return

    def terminate(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the cleanup short
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def report_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn sanitizer errors into one clear line on stderr and their documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with _stop_on_sigterm():
                return func(*args, **kwargs)
        except Terminated:
            stderr.print("stopped by SIGTERM; nothing was published")
            raise typer.Exit(EXIT_TERMINATED) from None
        except SanitizerError as exc:
            if state.is_debug:
                stderr.print_exception()
            error_line(str(exc), type(exc).__name__, exc.exit_code)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            stderr.print("interrupted; nothing was published")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # exits and usage errors (exit 2) are typer's to render
        except Exception as exc:
            if state.is_debug:
                stderr.print_exception()
            # The message of an unexpected exception may quote data, so only its type and place are shown.
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where = f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else ""
            if isinstance(exc.__cause__, RemoteTraceback):  # raised in a worker process: its place
                where = f" at {exc.__cause__.place} (in a worker process)"
            error_line(
                f"internal error: {type(exc).__name__}{where} "
                "(message withheld because it may quote data; run with --debug to see it)",
                type(exc).__name__,
                EXIT_INTERNAL,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper


@contextmanager
def _logs_through(console: Console) -> Iterator[None]:
    """While a live display is up, sanitizer's log lines print through its console, above the bars."""
    root = logging.getLogger("sanitizer")
    saved = root.handlers[:]
    handler = ConsoleLogHandler(console)
    handler.setFormatter(TextLogFormatter())
    root.handlers[:] = [handler]
    try:
        yield
    finally:
        root.handlers[:] = saved


@contextmanager
def progress_printer() -> Iterator[Callable[[str, str, int], None]]:
    """A progress callback (stage, table, rows): a live display on a terminal, sparse plain lines otherwise."""
    log = logging.getLogger("sanitizer.progress")
    if stderr.is_terminal and state.log_format is LogFormat.text:
        with (
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(bar_width=None),
                TextColumn("{task.completed:,} rows"),
                TimeElapsedColumn(),
                console=stderr,
                transient=True,
                # No refresh thread: worker processes are forked only from a single-threaded process.
                auto_refresh=False,
            ) as bar,
            _logs_through(bar.console),
        ):
            tasks: dict[tuple[str, str], TaskID] = {}

            def live(stage: str, table: str, rows: int) -> None:
                key = (stage, table)
                if key not in tasks:
                    # Stages report one table at a time: a new table means the others are done.
                    for task in bar.tasks:
                        if not task.finished:
                            bar.update(task.id, total=task.completed)
                            bar.stop_task(task.id)
                    tasks[key] = bar.add_task(f"{stage} {table}", total=None)
                bar.update(tasks[key], completed=rows)
                bar.refresh()

            yield live
        return
    last: dict[tuple[str, str], float] = {}

    def plain(stage: str, table: str, rows: int) -> None:
        now = time.monotonic()
        key = (stage, table)
        if now - last.get(key, 0.0) >= 10.0:
            last[key] = now
            log.info(
                "%s %s: %d rows",
                stage,
                table,
                rows,
                extra={"stage": stage, "table": table, "rows": rows},
            )

    yield plain
