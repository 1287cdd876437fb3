"""`sanitize scrub`, `sanitize scan`, `sanitize rules check`: wiring, output, exit codes, and one clear
line per bad input without any record value."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.errors import EXIT_CONFIG, EXIT_INPUT, EXIT_OK, EXIT_USAGE, EXIT_VERIFICATION

KEY = "cli-tests-secret-key-0123456789abcdef"
runner = CliRunner()

ROWS = [
    {
        "id": "c-1",
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Email": "ada@example.com",
        "Phone": "+1 212 555 0185",
        "Notes": "Ada asked for a callback",
    },
    {
        "id": "c-2",
        "FirstName": "Grace",
        "LastName": "Hopper",
        "Email": "grace@example.org",
        "Phone": "(212) 555-0186",
        "Notes": "No answer",
    },
]
VALUES = [v for row in ROWS for k, v in row.items() if k != "id"]
RULES = """\
version: 1
extends: [default, genesys]
policy: {unknown_columns: fail}
tables:
  contacts:
    columns:
      id: {operator: keep, reason: row id}
"""


def _run(*args: str, key: str | None = KEY) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"SANITIZER_KEY": key})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, write_rows: Callable[..., Path]) -> Path:
    (tmp_path / "in").mkdir()
    write_rows(tmp_path / "in" / "contacts.csv", ROWS)
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    return tmp_path


def _scrub(project: Path, *extra: str, key: str | None = KEY) -> tuple[int, str, str]:
    return _run(
        "scrub",
        str(project / "in"),
        "--out",
        str(project / "out"),
        "--rules",
        str(project / "rules.yaml"),
        *extra,
        key=key,
    )


def test_scrub_prints_outputs_report_and_fingerprint(project: Path) -> None:
    code, out, err = _scrub(project)
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert lines[0].startswith("verified: 1 table(s), 2 rows, ")
    assert "0 findings; key hmac-sha256:" in lines[0]
    assert f"output: {project / 'out' / 'contacts.csv'}" in lines
    assert f"report: {project / 'out' / 'scrub-report.html'}" in lines
    assert sorted(p.name for p in (project / "out").iterdir()) == [
        "contacts.csv",
        "scrub-report.html",
        "scrub-report.json",
        "scrub-report.md",
    ]


def test_scrub_never_shows_or_writes_the_key_or_originals(project: Path) -> None:
    code, out, err = _scrub(project)
    assert code == EXIT_OK
    published = "".join(p.read_text(encoding="utf-8") for p in (project / "out").iterdir())
    for text in (out, err, published):
        assert KEY not in text
    for value in VALUES:
        if "@" in value or "555" in value:
            assert value not in out + err + published


def test_scrub_key_file_gives_the_same_outputs_as_the_env_key(project: Path) -> None:
    (project / "scrub.key").write_text(KEY + "\n", encoding="utf-8")
    assert _scrub(project)[0] == EXIT_OK
    by_env = (project / "out" / "contacts.csv").read_bytes()
    code, _out, err = _scrub(project, "--key-file", str(project / "scrub.key"), key=None)
    assert code == EXIT_OK, err
    assert (project / "out" / "contacts.csv").read_bytes() == by_env


def test_scrub_other_key_gives_other_outputs(project: Path) -> None:
    _scrub(project)
    first = (project / "out" / "contacts.csv").read_bytes()
    _scrub(project, key="another-secret-key-fedcba9876543210")
    assert (project / "out" / "contacts.csv").read_bytes() != first


@pytest.mark.parametrize(
    ("fmt", "suffix"), [("csv", ".csv"), ("parquet", ".parquet"), ("jsonl", ".jsonl")]
)
def test_scrub_format_option_sets_the_output_format(project: Path, fmt: str, suffix: str) -> None:
    code, _out, err = _scrub(project, "--format", fmt)
    assert code == EXIT_OK, err
    assert (project / "out" / f"contacts{suffix}").exists()


def test_scrub_format_json_is_not_an_option(project: Path) -> None:
    code, _, err = _scrub(project, "--format", "xml")
    assert code == 2
    assert "--format" in err


def test_scrub_verification_failure_exits_5_and_publishes_only_the_report(project: Path) -> None:
    (project / "rules.yaml").write_text(
        RULES + "      Notes: {operator: keep, reason: test}\n", encoding="utf-8"
    )
    code, out, err = _scrub(project)
    assert code == EXIT_VERIFICATION
    assert err.strip().splitlines()[-1].startswith("error: verification found ")
    assert "nothing was published" in err
    assert sorted(p.name for p in (project / "out").iterdir()) == [
        "scrub-report.html",
        "scrub-report.json",
        "scrub-report.md",
    ]
    report = json.loads((project / "out" / "scrub-report.json").read_text(encoding="utf-8"))
    assert {(f["column"], f["row"]) for f in report["verification"]["findings"]} == {("Notes", 1)}
    assert "Ada asked" not in out + err


def test_scrub_verification_failure_removes_the_earlier_outputs_it_would_have_replaced(
    project: Path, write_rows: Any
) -> None:
    # An earlier run's tables beside a report saying "NOT verified ... Nothing was published": a job
    # picking files from the folder could not tell they were not this run's.
    (project / "out").mkdir()
    (project / "out" / "other.csv").write_text("kept,by,someone\n", encoding="utf-8")
    assert _scrub(project)[0] == EXIT_OK
    assert (project / "out" / "contacts.csv").exists()
    (project / "rules.yaml").write_text(
        RULES + "      Notes: {operator: keep, reason: test}\n", encoding="utf-8"
    )
    code, _, err = _scrub(project)
    assert code == EXIT_VERIFICATION
    assert (
        f"nothing was published and the 1 earlier output(s) it would have replaced in "
        f"{project / 'out'} were removed" in err
    )
    assert sorted(p.name for p in (project / "out").iterdir()) == [
        "other.csv",  # not this run's output: left alone
        "scrub-report.html",
        "scrub-report.json",
        "scrub-report.md",
    ]


def test_scrub_unknown_columns_with_policy_fail_exit_3_naming_them(
    project: Path, write_rows: Any
) -> None:
    write_rows(project / "in" / "extra.csv", [{"Segment": "gold", "Tier": "1"}])
    code, _, err = _scrub(project)
    assert code == EXIT_CONFIG
    assert "2 column(s) have no rule and policy is 'fail': extra.Segment, extra.Tier" in err
    assert not (project / "out").exists()


def _write(relative: str, content: str | bytes) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        path = project / relative
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return setup


def _nothing(project: Path) -> None:
    """Leave the project as it is."""


def _inputs(relative: str) -> Callable[[Path], list[str]]:
    return lambda project: [str(project / relative)]


def _key_file(relative: str) -> Callable[[Path], list[str]]:
    return lambda project: [str(project / "in"), "--key-file", str(project / relative)]


Args = Callable[[Path], list[str]] | None
# (case, setup, arguments instead of the input folder, $SANITIZER_KEY, exit code, phrase of the line)
BAD: list[tuple[str, Callable[[Path], None], Args, str | None, int, str]] = [
    (
        "no-key",
        _nothing,
        None,
        None,
        EXIT_CONFIG,
        "no scrub key: set $SANITIZER_KEY or pass --key-file",
    ),
    ("short-key", _nothing, None, "short-key", EXIT_CONFIG, "at least 16 are required"),
    (
        "missing-key-file",
        _nothing,
        _key_file("absent.key"),
        None,
        EXIT_CONFIG,
        "cannot read key file",
    ),
    ("key-file-is-a-folder", _nothing, _key_file("in"), None, EXIT_CONFIG, "cannot read key file"),
    ("empty-key-file", _write("k", ""), _key_file("k"), None, EXIT_CONFIG, "is empty"),
    (
        "empty-file",
        _write("in/contacts.csv", b""),
        None,
        KEY,
        EXIT_INPUT,
        "contacts.csv: empty file",
    ),
    (
        "binary-file",
        _write("in/contacts.csv", b"\x00\x01ada@example.com\x00"),
        None,
        KEY,
        EXIT_INPUT,
        "binary file",
    ),
    (
        "unknown-extension",
        _write("in/x.xlsx", b"PK"),
        _inputs("in/x.xlsx"),
        KEY,
        EXIT_INPUT,
        "unknown extension '.xlsx'",
    ),
    (
        "ragged-rows",
        _write("in/contacts.csv", "id,Email\nc-1,ada@example.com\nc-2,grace@example.org,extra\n"),
        None,
        KEY,
        EXIT_INPUT,
        "row 2: expected 2 fields, found 3",
    ),
    (
        "invalid-json",
        _write("in/ext.json", '[\n {"Email": "ada@example.com"},\n {"Email": }\n]'),
        None,
        KEY,
        EXIT_INPUT,
        "ext.json: line 3: invalid JSON (Expecting value, column 12)",
    ),
    (
        "json-object",
        _write("in/ext.json", '{"Email": "ada@example.com"}'),
        None,
        KEY,
        EXIT_INPUT,
        "expected a JSON array of objects",
    ),
    (
        "invalid-utf8",
        _write("in/contacts.csv", b"id,Email\nc-1,ad\xe9@example.com\n"),
        None,
        KEY,
        EXIT_INPUT,
        "not valid UTF-8",
    ),
    (
        "duplicate-header",
        _write("in/contacts.csv", "id,Email,Email\nc-1,ada@example.com,x\n"),
        None,
        KEY,
        EXIT_INPUT,
        "duplicate column name 'Email'",
    ),
    ("missing-input", _nothing, _inputs("nothere.csv"), KEY, EXIT_INPUT, "no such file or folder"),
    (
        "duplicate-parquet-column",
        lambda project: pq.write_table(
            pa.Table.from_arrays([pa.array(["c-1"]), pa.array(["x"])], names=["id", "id"]),
            project / "in" / "ext.parquet",
        ),
        None,
        KEY,
        EXIT_INPUT,
        "ext.parquet: schema: duplicate column name 'id'",
    ),
    (
        "lone-surrogate-json",
        _write("in/ext.json", '[{"id": "c-1", "Email": "ada@example.com\\ud800"}]'),
        None,
        KEY,
        EXIT_INPUT,
        "ext.json: record 1: Email: invalid Unicode: a lone surrogate escape in the value",
    ),
    (
        "lone-surrogate-jsonl",
        _write("in/ext.jsonl", '{"id": "c-1", "Email": "ada@example.com\\udfff"}\n'),
        None,
        KEY,
        EXIT_INPUT,
        "ext.jsonl: line 1: Email: invalid Unicode: a lone surrogate escape in the value",
    ),
    (
        "json-nested-3000-levels",
        _write("in/ext.json", "[" + '{"n": ' * 3000 + '"ada@example.com"' + "}" * 3000 + "]"),
        None,
        KEY,
        EXIT_INPUT,
        "ext.json: record 1: nested deeper than 32 levels",
    ),
    (
        "invalid-yaml",
        _write("rules.yaml", "version: 1\ntables: [\n"),
        None,
        KEY,
        EXIT_CONFIG,
        "rules.yaml:3: invalid YAML",
    ),
    (
        "unknown-operator",
        _write("rules.yaml", RULES + "      Email: {operator: shred}\n"),
        None,
        KEY,
        EXIT_CONFIG,
        "rules.yaml:8: tables.contacts.columns.Email.operator: unknown operator 'shred'",
    ),
    (
        "absent-column",
        _write("rules.yaml", RULES + "      Emial: {entity: EMAIL_ADDRESS}\n"),
        None,
        KEY,
        EXIT_CONFIG,
        "the rule names column 'Emial'",
    ),
]


@pytest.mark.parametrize(
    ("setup", "args", "key", "exit_code", "phrase"),
    [pytest.param(*rest, id=case) for case, *rest in BAD],
)
def test_scrub_bad_input_one_line_documented_code_nothing_written(
    project: Path,
    setup: Callable[[Path], None],
    args: Args,
    key: str | None,
    exit_code: int,
    phrase: str,
) -> None:
    setup(project)
    given = args(project) if args else [str(project / "in")]
    code, out, err = _run(
        "scrub",
        *given,
        "--out",
        str(project / "out"),
        "--rules",
        str(project / "rules.yaml"),
        key=key,
    )
    # Progress log lines may come first (tables read before the bad one); then one error line.
    lines = [line for line in err.strip().splitlines() if not line.startswith("INFO sanitizer.")]
    assert code == exit_code, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert phrase in lines[0]
    for value in ["ada@example.com", "grace@example.org", "extra", KEY, "short-key"]:
        assert value not in err + out
    assert not (project / "out").exists()


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        (
            "version: 1\ncolumns:\n  - match: '(unclosed'\n    entity: PERSON\n",
            "rules.yaml:3: columns[0].match: invalid regex",
        ),
        (
            "version: 1\nextends: [default]\ncolumns:\n  - match: x\n    entity: SHOE_SIZE\n",
            "rules.yaml:5: columns[0].entity: unknown entity 'SHOE_SIZE'",
        ),
        (
            "version: 1\nextends: [default]\ntables:\n  t:\n    columns:\n      a: {operator: hmac, params: {length: 2}}\n",
            "rules.yaml:6: tables.t.columns.a.params.length",
        ),
        ("version: 1\ncolums: []\n", "rules.yaml:2: colums: unknown key"),
    ],
)
def test_rules_check_bad_rules_exit_3_with_file_line_and_key(
    tmp_path: Path, text: str, phrase: str
) -> None:
    (tmp_path / "rules.yaml").write_text(text, encoding="utf-8")
    code, out, err = _run("rules", "check", str(tmp_path / "rules.yaml"))
    assert code == EXIT_CONFIG
    assert len(err.strip().splitlines()) == 1
    assert phrase in err
    assert out == ""


def test_rules_check_of_a_folder_reports_every_broken_file_one_line_each(tmp_path: Path) -> None:
    # It stopped at the first: fixing a folder of rules took one run per broken file.
    (tmp_path / "a.yaml").write_text("version: 1\ncolums: []\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(
        "version: 1\ncolumns:\n  - match: '(unclosed'\n    entity: PERSON\n", encoding="utf-8"
    )
    (tmp_path / "d.yaml").write_text("version: 1\nextends: [a.yaml]\n", encoding="utf-8")
    code, out, err = _run("rules", "check", str(tmp_path))
    assert code == EXIT_CONFIG
    lines = err.strip().splitlines()
    assert len(lines) == 2, err  # d.yaml fails only for a.yaml, which is named once
    assert "a.yaml:2: colums: unknown key" in lines[0]
    assert "c.yaml:3: columns[0].match: invalid regex" in lines[1]
    assert out == ""


def test_rules_check_shipped_and_demo_rules_are_ok() -> None:
    code, out, _ = _run("rules", "check")
    assert code == EXIT_OK
    assert out.startswith(
        "rules OK: 2 file(s), 0 recognizer(s), policy unknown_columns=detect, sha256:"
    )
    demo = Path(__file__).resolve().parents[2] / "fixtures" / "files" / "rules.yaml"
    code, out, _ = _run("rules", "check", str(demo))
    assert code == EXIT_OK
    assert "3 file(s), 1 recognizer(s), policy unknown_columns=fail" in out


def test_rules_check_warns_of_keeps_nobody_vouched_for(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(
        "tables:\n"
        "  contacts:\n"
        "    columns:\n"
        "      Region: {operator: keep}\n"
        "      Tier: {operator: keep, reason: 'REVIEW: no PII found in the sample'}\n"
        "      Balance: {operator: keep, reason: an amount}\n",
        encoding="utf-8",
    )
    code, out, err = _run("rules", "check", str(tmp_path / "rules.yaml"))
    assert code == EXIT_OK and out.startswith("rules OK")
    warnings = err.splitlines()
    assert len(warnings) == 2, err
    assert warnings[0].startswith("warning: ") and "rules.yaml:4: keep that states no reason" in err
    assert "rules.yaml:5: keep that is still marked REVIEW:" in err


def test_scan_prints_a_row_per_column_and_needs_no_key(project: Path) -> None:
    code, out, err = _run("scan", str(project / "in" / "contacts.csv"), key=None)
    assert code == EXIT_OK, err
    for column in ("FirstName", "Email", "Phone", "Notes"):
        assert column in out
    assert "FIRST_NAME" in out and "EMAIL_ADDRESS" in out and "PHONE_NUMBER" in out
    for value in VALUES:
        assert value not in out


def test_scan_suggest_rules_file_is_accepted_and_makes_fail_policy_pass(
    project: Path, write_rows: Any
) -> None:
    write_rows(
        project / "in" / "extra.csv", [{"Segment": "gold", "Contact Info": "zoe@example.net"}]
    )
    suggested = project / "suggested.yaml"
    code, out, err = _run("scan", str(project / "in"), "--suggest-rules", str(suggested), key=None)
    assert code == EXIT_OK, err
    assert f"suggested rules for 2 column(s): {suggested}" in out
    assert _run("rules", "check", str(suggested))[0] == EXIT_OK
    code, out, err = _run(
        "scrub", str(project / "in"), "--out", str(project / "out"), "--rules", str(suggested)
    )
    assert code == EXIT_OK, err


def test_progress_display_on_a_terminal_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # Worker processes are forked only from a single-threaded process (sanitizer.parallel.can_fork):
    # a live display with a refresh thread would silently turn them off on every terminal.
    import importlib
    import io
    import threading

    from rich.console import Console

    module = importlib.import_module("sanitizer.cli.app")
    terminal = Console(file=io.StringIO(), force_terminal=True)
    monkeypatch.setattr(module, "stderr", terminal)
    before = threading.active_count()
    with module.progress_printer() as progress:
        progress("scrub", "contacts", 100_000)
        assert threading.active_count() == before
    assert "scrub contacts" in terminal.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_scrub_csv_with_another_separator_is_read_and_written_with_it(
    project: Path, delimiter: str
) -> None:
    # A spreadsheet in a European locale writes `;`: read with commas, each row was one cell, the
    # names in it went unfound, and verification passed with the real names in the output.
    lines = [delimiter.join(ROWS[0]), *(delimiter.join(row.values()) for row in ROWS)]
    (project / "in" / "contacts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = _scrub(project)
    assert code == EXIT_OK, err
    written = (project / "out" / "contacts.csv").read_text(encoding="utf-8").splitlines()
    assert written[0] == delimiter.join(ROWS[0])
    cells = [line.split(delimiter) for line in written[1:]]
    assert [row[0] for row in cells] == ["c-1", "c-2"]
    assert all(len(row) == len(ROWS[0]) for row in cells)
    originals = [v for v in VALUES if v != "No answer"]  # a note without PII stays as it was
    assert not any(value in line for value in originals for line in written[1:])


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        # It said "cannot be created or written (File exists)".
        pytest.param("in/contacts.csv", "not a folder (a file has that name)", id="an-input-file"),
        pytest.param(
            "in/contacts.csv/sub",
            "cannot be created or written (Not a directory)",
            id="below-a-file",
        ),
    ],
)
def test_scrub_out_that_cannot_be_a_folder_exit_3_naming_it_and_the_reason(
    project: Path, out: str, reason: str
) -> None:
    before = (project / "in" / "contacts.csv").read_bytes()
    code, _, err = _run(
        "scrub",
        str(project / "in"),
        "--out",
        str(project / out),
        "--rules",
        str(project / "rules.yaml"),
    )
    assert code == EXIT_CONFIG, err
    assert err.strip().splitlines() == [
        f"error: output folder {project / out}: {reason} "
        "(give a folder the job's user can create and write)"
    ]
    assert (project / "in" / "contacts.csv").read_bytes() == before


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        pytest.param("/proc/sanitizer-rules.yaml", "No such file or directory", id="system-folder"),
    ],
)
def test_scan_suggest_rules_that_cannot_be_written_exit_3_naming_it(
    project: Path, target: str, reason: str
) -> None:
    path = target if target.startswith("/") else str(project / target)
    code, _, err = _run("scan", str(project / "in"), "--suggest-rules", path, key=None)
    assert code == EXIT_CONFIG, err
    assert err.strip().splitlines() == [
        f"error: --suggest-rules {path}: cannot be written ({reason})"
    ]


@pytest.mark.parametrize(
    ("target", "said"),
    [
        pytest.param(
            "reviewed.yaml",
            "reviewed.yaml exists (a reviewed rules file would be lost); give --force",
            id="an-existing-file",
        ),
        pytest.param(
            "typo/suggested.yaml", "the folder {project}/typo does not exist", id="a-missing-folder"
        ),
        pytest.param(".", "is a folder; name the rules file to write", id="a-folder"),
    ],
)
def test_scan_suggest_rules_that_would_replace_a_file_or_make_folders_is_a_usage_error(
    project: Path, target: str, said: str
) -> None:
    (project / "reviewed.yaml").write_text(RULES, encoding="utf-8")
    code, out, err = _run(
        "scan", str(project / "in"), "--suggest-rules", str(project / target), key=None
    )
    assert code == EXIT_USAGE, err
    # The error box wraps a long path anywhere (the test's folder is long under pytest-xdist): the
    # message is compared without its whitespace.
    assert "".join(said.format(project=project).split()) in "".join(err.replace("│", "").split())
    assert out == ""  # refused before the scan
    assert (project / "reviewed.yaml").read_text(encoding="utf-8") == RULES
    assert not (project / "typo").exists()


def test_scan_suggest_rules_with_force_replaces_an_existing_file(project: Path) -> None:
    (project / "reviewed.yaml").write_text(RULES, encoding="utf-8")
    args = ["scan", str(project / "in"), "--suggest-rules", str(project / "reviewed.yaml")]
    code, _, err = _run(*args, "--force", key=None)
    assert code == EXIT_OK, err
    assert "Suggested by `sanitize scan`" in (project / "reviewed.yaml").read_text()


def _link(name: str, to: str) -> Callable[[Path], str]:
    def setup(project: Path) -> str:
        (project / name).symlink_to(project / to)
        return str(project / name)

    return setup


def _hard_link(name: str, to: str) -> Callable[[Path], str]:
    def setup(project: Path) -> str:
        (project / name).hardlink_to(project / to)
        return str(project / name)

    return setup


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(lambda p: str(p / "in" / "contacts.csv"), id="the-input-file"),
        pytest.param(lambda p: str(p / "in" / ".." / "in" / "contacts.csv"), id="another-spelling"),
        pytest.param(_link("link.csv", "in/contacts.csv"), id="a-symlink-to-it"),
        pytest.param(_hard_link("hard.csv", "in/contacts.csv"), id="a-hard-link-to-it"),
        pytest.param(lambda p: str(p / "in" / "new.csv"), id="a-new-table-in-the-input-folder"),
    ],
)
def test_scan_suggest_rules_onto_an_input_exit_3_and_the_input_is_kept(
    project: Path, target: Callable[[Path], str]
) -> None:
    before = (project / "in" / "contacts.csv").read_bytes()
    path = target(project)
    code, out, err = _run("scan", str(project / "in"), "--suggest-rules", path, key=None)
    assert code == EXIT_CONFIG, err
    assert len(err.strip().splitlines()) == 1
    assert f"error: --suggest-rules {path}: would replace or join the input " in err
    assert out == ""  # refused before the scan
    assert (project / "in" / "contacts.csv").read_bytes() == before
    assert not (project / "in" / "new.csv").exists()


def _write_big_csv(path: Path, rows: int, seed: int = 20261128) -> None:
    """Synthetic contacts (reserved domains, fictional 555-01xx numbers), enough for a few seconds."""
    import random

    rng = random.Random(seed)
    firsts = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"]
    lasts = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]
    lines = ["id,first_name,last_name,email,phone,notes"]
    for i in range(rows):
        first, last = rng.choice(firsts), rng.choice(lasts)
        phone = f"212-555-01{rng.randint(0, 99):02d}"
        lines.append(
            f"{i},{first},{last},{first.lower()}.{last.lower()}{i}@example.com,{phone},"
            f"Spoke to {first} {last} on {phone}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_scrub_stopped_by_sigterm_exits_143_and_leaves_nothing(tmp_path: Path) -> None:
    # A scheduler stopping the nightly job: the process died with -15, left scrubbed but unverified
    # rows in --out/.sanitizer-staging-*/ and sometimes printed a worker's traceback.
    import os
    import signal
    import subprocess
    import sys
    import time

    _write_big_csv(tmp_path / "contacts.csv", 100_000)
    out = tmp_path / "out"
    env = {**os.environ, "SANITIZER_KEY": KEY, "SANITIZER_WORKERS": "2"}
    command = [sys.executable, "-m", "sanitizer", "scrub", str(tmp_path / "contacts.csv")]
    process = subprocess.Popen(
        [*command, "--out", str(out), "--batch-rows", "10000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(p.stat().st_size for p in out.glob(".sanitizer-staging-*/contacts.csv")):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the scrub never started writing"
            time.sleep(0.05)
        # Frozen, the run is known to be mid-way (its rows staged, not published) when SIGTERM comes:
        # it is delivered as the process resumes. Sent to a running process, it could land after the
        # run published, which is no test of the cleanup.
        process.send_signal(signal.SIGSTOP)
        staged = [p for p in out.glob(".sanitizer-staging-*/contacts.csv") if p.stat().st_size]
        assert staged, "the run published before it was stopped"
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGCONT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 143, stderr
    assert "stopped by SIGTERM; nothing was published" in stderr
    assert "Traceback" not in stderr
    assert stdout == ""
    assert not out.exists()  # no staging folder, no output, not even the folder the run made


# A scrub in a fresh interpreter, with the check of the rules for catastrophic patterns bypassed (it is
# a test, not a proof: the run-time budget must hold on its own) and a small table taking the worker
# path; it records which worker pools it forked.
SCRUB_MISSING_CHECK = """
import os, sys
from pathlib import Path

import sanitizer.rules
from sanitizer import parallel
from sanitizer.cli import main
from sanitizer.detect import text

sanitizer.rules.catastrophic_input = lambda pattern, timeout: None
text.PARALLEL_MIN_TEXTS = text.FORKED_MIN_TEXTS = 50
forked = []


class Counted(parallel.Workers):
    def __init__(self, function, state, workers):
        forked.append(function.__name__)
        super().__init__(function, state, workers)


parallel.Workers = Counted
sys.argv = ["sanitize", *sys.argv[1:]]
try:
    main()
finally:
    Path(os.environ["FORKED_LOG"]).write_text(",".join(forked))
"""
SLOW_PATTERN_RULES = """\
version: 1
extends: [default, genesys]
policy: {unknown_columns: fail}
recognizers:
  - name: PolicyRecognizer
    supported_entity: POLICY_NUMBER
    patterns:
      - {name: policy, regex: '\\bPOL-\\d{8}\\b', score: 0.9}
      - {name: runs, regex: '(a|aa)+b', score: 0.9}
    operator: hmac
tables:
  claims:
    columns:
      id: {operator: keep, reason: row id}
"""
BACKTRACKING_NOTE = "a" * 200 + "c"  # (a|aa)+b tries about 2^140 ways here


def _scrub_with_slow_pattern(tmp_path: Path, rows: int, bad_row: int, workers: int) -> Any:
    import os
    import signal
    import subprocess
    import sys

    lines = ["id,first_name,last_name,notes"]
    for i in range(1, rows + 1):
        note = BACKTRACKING_NOTE if i == bad_row else f"Spoke to Ada about POL-{i:08d} case {i}"
        lines.append(f"{i},Ada,Lovelace,{note}")
    (tmp_path / "claims.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(SLOW_PATTERN_RULES, encoding="utf-8")
    env = {
        **os.environ,
        "SANITIZER_KEY": KEY,
        "SANITIZER_WORKERS": str(workers),
        "FORKED_LOG": str(tmp_path / "forked.txt"),
    }
    command = [sys.executable, "-c", SCRUB_MISSING_CHECK, "scrub", str(tmp_path / "claims.csv")]
    process = subprocess.Popen(
        [*command, "--rules", str(tmp_path / "rules.yaml"), "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its workers too can be stopped, should it hang
    )
    try:
        stdout, stderr = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        # Before the budget the scrub ran for hours: a failure, not a hang (workers busy in a match
        # never read that their caller is gone, so the whole group goes).
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("the scrub did not stop within 90 s")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _assert_stopped_at(done: Any, tmp_path: Path, row: int) -> None:
    assert done.returncode == EXIT_CONFIG, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith(
        f"error: {tmp_path / 'rules.yaml'}:9: recognizers[0].patterns[1]: recognizer "
        "'PolicyRecognizer', pattern 'runs': the regex ran longer than policy.regex_timeout (1 s) "
        f"on table claims, column notes, row {row} and was stopped; nothing was published ("
    )
    assert "aaaaaaaa" not in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []  # no output, no staging folder, no report


def test_scrub_catastrophic_pattern_stops_within_seconds_exit_3_nothing_published(
    tmp_path: Path,
) -> None:
    done = _scrub_with_slow_pattern(tmp_path, rows=6, bad_row=4, workers=1)
    _assert_stopped_at(done, tmp_path, row=4)
    assert (tmp_path / "forked.txt").read_text() == ""


def test_scrub_catastrophic_pattern_in_a_worker_process_stops_the_same_way(tmp_path: Path) -> None:
    done = _scrub_with_slow_pattern(tmp_path, rows=300, bad_row=250, workers=2)
    _assert_stopped_at(done, tmp_path, row=250)
    assert "_scan_chunk_since" in (tmp_path / "forked.txt").read_text()  # the notes' scan workers


def test_rules_check_catastrophic_pattern_exits_3_naming_its_line(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(SLOW_PATTERN_RULES, encoding="utf-8")
    code, out, err = _run("rules", "check", str(tmp_path / "rules.yaml"))
    assert code == EXIT_CONFIG
    assert out == ""
    assert err.startswith(
        f"error: {tmp_path / 'rules.yaml'}:9: recognizers[0].patterns[1].regex: pattern 'runs' "
        "backtracks catastrophically: it ran longer than policy.regex_timeout (1 s) on 'a' repeated "
        "1000 times, then '!', and a run would stop on the first value like that ("
    )
