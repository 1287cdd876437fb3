"""Logging and the progress display: plain lines carry the same context as JSON lines, and on a
terminal log lines print above the progress bars, whose finished tasks stop their timers."""

from __future__ import annotations

import importlib
import io
import json
import logging
import re
from typing import Any

import pytest
from rich.console import Console
from rich.progress import Progress

from sanitizer.cli.app import JsonLogFormatter, LogFormat, TextLogFormatter, configure_logging

# `sanitizer.cli.app` the attribute is the typer app; the module is what the display reads from.
cli_app = importlib.import_module("sanitizer.cli.app")


def _record(message: str, **context: Any) -> logging.LogRecord:
    record = logging.LogRecord("sanitizer.load", logging.WARNING, __file__, 1, message, (), None)
    record.__dict__.update(context)
    return record


@pytest.mark.parametrize(
    ("context", "tail"),
    [
        ({}, ""),  # why: no context, no trailing space
        ({"kind": "contact_list", "rows": 140}, " kind=contact_list rows=140"),  # why: plain words
        ({"object": "UK Customer Callbacks"}, ' object="UK Customer Callbacks"'),  # why: spaces
        ({"object": 'say "hi"'}, ' object="say \\"hi\\""'),  # why: quotes are escaped
        ({"object": "a=b"}, ' object="a=b"'),  # why: an `=` would split the pair
        ({"object": "two\nlines"}, ' object="two\\nlines"'),  # why: one log line stays one line
        ({"object": ""}, ' object=""'),  # why: an empty value stays visible
    ],
)
def test_text_log_line_appends_context_as_key_value_pairs(
    context: dict[str, Any], tail: str
) -> None:
    line = TextLogFormatter().format(_record("recreated staging object", **context))
    assert line == f"WARNING sanitizer.load: recreated staging object{tail}"


def test_text_and_json_log_lines_carry_the_same_context() -> None:
    context = {"kind": "data_table", "object": "VIP Customers", "rows": 80}
    record = _record("recreated staging object whose structure drifted", **context)
    entry = json.loads(JsonLogFormatter().format(record))
    line = TextLogFormatter().format(record)
    assert {k: entry[k] for k in context} == context
    assert line.endswith(' kind=data_table object="VIP Customers" rows=80')


def test_text_log_line_does_not_repeat_what_the_message_says() -> None:
    record = _record("plan contacts: 100000 rows", stage="plan", table="contacts", rows=100000)
    assert TextLogFormatter().format(record) == "WARNING sanitizer.load: plan contacts: 100000 rows"
    partly = _record("scrub contacts: 10 rows", table="contacts", rows=12)
    assert TextLogFormatter().format(partly).endswith("10 rows rows=12")


def _terminal(monkeypatch: pytest.MonkeyPatch) -> tuple[Console, list[Progress]]:
    """A terminal console for the display, and the Progress objects the display creates."""
    terminal = Console(file=io.StringIO(), force_terminal=True, width=100)
    monkeypatch.setattr(cli_app, "stderr", terminal)
    monkeypatch.setattr(cli_app.state, "log_format", LogFormat.text)
    created: list[Progress] = []

    class RecordedProgress(Progress):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(cli_app, "Progress", RecordedProgress)
    return terminal, created


def test_progress_display_prints_log_lines_on_their_own_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal, _ = _terminal(monkeypatch)
    configure_logging(LogFormat.text, is_debug=False)
    with cli_app.progress_printer() as progress:
        progress("load", "contact list Collections Q3", 140)
        logging.getLogger("sanitizer.load").info("loaded", extra={"step": "contact_list:Q3"})
        progress("load", "contact list Collections Q3", 420)
    written: str = terminal.file.getvalue()  # type: ignore[attr-defined]
    # Drop cursor movements and colours; what is left is what each screen line starts with.
    lines = re.split(r"[\r\n]", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", written))
    assert "INFO sanitizer.load: loaded step=contact_list:Q3" in lines
    assert "rows 0:00:00INFO" not in written


def test_progress_display_stops_the_timer_of_a_finished_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, created = _terminal(monkeypatch)
    with cli_app.progress_printer() as progress:
        progress("scrub", "contacts", 100)
        progress("scrub", "contacts", 200)
        progress("scrub", "accounts", 5)  # stages report one table at a time
        (bar,) = created
        finished, running = bar.tasks
        assert finished.finished and finished.stop_time is not None
        assert (finished.completed, finished.total) == (200, 200)
        assert not running.finished and running.stop_time is None


def test_an_unexpected_error_in_a_worker_names_the_workers_place_not_its_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import typer

    from sanitizer.cli.app import report_errors
    from sanitizer.parallel import RemoteTraceback

    @report_errors
    def fails() -> None:
        error = KeyError("ada@example.org")  # a message that quotes a value
        error.__cause__ = RemoteTraceback("Traceback ...", "/site/sanitizer/detect/text.py:412")
        raise error

    with pytest.raises(typer.Exit) as raised:
        fails()
    line = capsys.readouterr().err
    assert raised.value.exit_code == 1
    assert (
        "internal error: KeyError at /site/sanitizer/detect/text.py:412 (in a worker process)"
        in (" ".join(line.split()))
    )
    assert "ada@" not in line
