"""The `sanitize` command line: each module registers one group of commands on `app`."""

from __future__ import annotations

import contextlib
import logging
import os
import sys

from sanitizer.cli import commands  # noqa: F401  (registers the commands)
from sanitizer.cli.app import app


def main() -> None:
    """Run the command line (`sys.argv`); ends with `SystemExit`, as a click program does."""
    app()


def entry_point() -> None:
    """The `sanitize` console script and `python -m sanitizer`: `main`, then the process ends.

    It ends as soon as its command has: outputs, reports and logs are written by then, and its logs
    and standard streams are flushed here. It skips the interpreter's teardown, which frees every
    object still alive one by one (the name lists, the caches of phone readings: about half a second
    after any scrub, a sixth of a small one) and runs nothing this tool needs: the commands stop their
    worker processes, emulators and locks and remove their staging folders themselves. A program that
    runs the command line and goes on calls `main`."""
    try:
        main()
    except SystemExit as exc:
        _end(exc.code)
    _end(0)


def _end(code: object) -> None:
    """Exit now with `code` as `sys.exit` reads it (None: 0; a number; anything else: printed, 1)."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`) or stream
            stream.flush()
    os._exit(status)


__all__ = ["app", "entry_point", "main"]
