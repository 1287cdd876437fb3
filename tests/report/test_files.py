"""write_reports / read_report: a run's three files, written atomically, read with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sanitizer.errors import EXIT_INPUT, InputError
from sanitizer.report import (
    REPORT_HTML,
    REPORT_JSON,
    REPORT_MARKDOWN,
    read_report,
    write_reports,
)
from sanitizer.report.model import ScrubReport


def test_write_reports_fresh_directory_writes_three_files(
    tmp_path: Path, verified: ScrubReport
) -> None:
    paths = write_reports(verified, tmp_path / "runs" / verified.run.id)

    assert {p.name for p in paths.json.parent.iterdir()} == {
        REPORT_JSON,
        REPORT_HTML,
        REPORT_MARKDOWN,
    }
    assert paths.html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert paths.markdown.read_text(encoding="utf-8").startswith("# Scrub report")


def test_write_reports_json_round_trips_to_the_same_report(
    tmp_path: Path, failed: ScrubReport
) -> None:
    paths = write_reports(failed, tmp_path)

    assert read_report(paths.json) == failed
    assert read_report(tmp_path) == failed  # a run directory works as well as the file


def test_write_reports_refuses_a_report_changed_into_a_contradiction(
    tmp_path: Path, verified: ScrubReport
) -> None:
    # A refresh adds its flows' findings to a built report: "verified" must not survive them.
    verified.verification.findings_total += 1
    verified.summary.findings += 1
    with pytest.raises(ValueError, match="the report contradicts itself: status is verified"):
        write_reports(verified, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_write_reports_render_failure_leaves_previous_files_and_no_temp(
    tmp_path: Path, verified: ScrubReport, failed: ScrubReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_reports(verified, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(report: ScrubReport) -> str:
        raise RuntimeError("renderer broke")

    monkeypatch.setattr("sanitizer.report.render_html", broken)
    with pytest.raises(RuntimeError):
        write_reports(failed, tmp_path)

    # Nothing is written until all three are rendered: the previous set stays whole, no temp file.
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_write_reports_existing_files_are_replaced(
    tmp_path: Path, verified: ScrubReport, failed: ScrubReport
) -> None:
    write_reports(verified, tmp_path)
    write_reports(failed, tmp_path)

    assert read_report(tmp_path).status == "failed"
    assert "NOT verified" in (tmp_path / REPORT_HTML).read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _report_with(verified: ScrubReport, **changes: object) -> str:
    data = json.loads(verified.model_dump_json())
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "no such report file"),  # a typo in a path
        ("empty_dir", "no such report file"),  # a run that crashed before reporting
        ("not_json", "not valid JSON at line 2"),  # a truncated or hand-edited file
        ("list", "not a valid scrub report"),  # JSON, but not an object
        ("bad_field", "status"),  # the key path of the invalid field is named
        ("newer", "newer than this sanitizer reads"),  # written by a later release
        ("binary", "cannot read the report"),  # not text at all
    ],
)
def test_read_report_bad_input_raises_input_error_naming_the_file(
    tmp_path: Path, verified: ScrubReport, case: str, expected: str
) -> None:
    path = {
        "missing": lambda: tmp_path / "nope.json",
        "empty_dir": lambda: tmp_path,
        "not_json": lambda: _write(tmp_path / "r.json", '{\n  "status": ,\n}'),
        "list": lambda: _write(tmp_path / "r.json", "[]"),
        "bad_field": lambda: _write(tmp_path / "r.json", _report_with(verified, status="maybe")),
        "newer": lambda: _write(tmp_path / "r.json", _report_with(verified, schema_version=99)),
        "binary": lambda: (
            (tmp_path / "r.json").write_bytes(b"\xff\xfe\x00\x81") and tmp_path / "r.json"
        ),
    }[case]()

    with pytest.raises(InputError) as caught:
        read_report(path)

    assert expected in str(caught.value)
    assert str(tmp_path) in str(caught.value)
    assert caught.value.exit_code == EXIT_INPUT


def test_read_report_invalid_value_is_not_echoed(tmp_path: Path, verified: ScrubReport) -> None:
    # Someone pasted a real-looking value into a field; the error names the field, never the value.
    data = json.loads(verified.model_dump_json())
    data["tables"][0]["rows"] = "jane.roe@example.com"
    path = _write(tmp_path / "r.json", json.dumps(data))

    with pytest.raises(InputError) as caught:
        read_report(path)

    assert "tables.0.rows" in str(caught.value)
    assert "jane.roe" not in str(caught.value)
