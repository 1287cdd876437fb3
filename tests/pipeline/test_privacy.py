"""Raw PII never on disk in clear: not during a run, not after it, not when it fails. The raw folder is
0700 with 0600 files while it exists, and is removed when the run ends, failed or not."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.errors import EXIT_CONFIG, EXIT_VERIFICATION, UnknownColumnsError
from sanitizer.pipeline import refresh

from .helpers import (
    EMAIL,
    FIXTURE_RULES,
    Orgs,
    Originals,
    phones_in,
    production_originals,
    readings,
    store_dump,
    strings_of,
)


@dataclass
class DiskWatch:
    """Scans the run's folders for production's emails and phones; remembers what it saw."""

    roots: list[Path]
    originals: Originals = field(default_factory=production_originals)
    found: list[str] = field(default_factory=list)
    raw_modes: set[tuple[str, int]] = field(default_factory=set)
    scans: int = 0
    _seen: dict[Path, tuple[float, int]] = field(default_factory=dict)

    def texts(self, path: Path) -> list[str] | None:
        """The text of a file (a Parquet file's values); None while a Parquet file is half written."""
        if path.suffix == ".parquet":  # compressed pages: search the values, not the bytes
            try:
                rows = pq.read_table(path).to_pylist()
            except pa.ArrowInvalid:
                return None
            return [text for _, text in strings_of(rows, "")]
        return [path.read_bytes().decode("latin-1")]

    def scan(self) -> None:
        self.scans += 1
        phones = self.originals.phones
        for root in self.roots:
            for path in root.rglob("*"):
                try:
                    info = path.stat()
                    if path.parent.name == "raw" or path.name == "raw":
                        self.raw_modes.add((path.name, stat.S_IMODE(info.st_mode)))
                    key = (info.st_mtime, info.st_size)
                    if not path.is_file() or self._seen.get(path) == key:
                        continue
                    texts = self.texts(path)
                except OSError:
                    continue  # removed while we looked
                if texts is None:
                    continue  # still being written: the next scan reads it whole
                self._seen[path] = key
                for text in texts:
                    if any(e.casefold() in self.originals.emails for e in EMAIL.findall(text)):
                        self.found.append(f"{path.relative_to(root)}: an original email")
                    if any(readings(p) & phones for p in phones_in(text)):
                        self.found.append(f"{path.relative_to(root)}: an original phone")

    def progress(self, stage: str, table: str, rows: int) -> None:
        self.scan()


def test_refresh_keeps_raw_pii_off_disk_during_and_after_the_run(orgs: Orgs) -> None:
    watch = DiskWatch([orgs.snapshots, orgs.runs])
    refresh(orgs.loaded(), progress=watch.progress)
    assert watch.scans >= 10
    watch.scan()
    assert watch.found == []
    assert ("raw", 0o700) in watch.raw_modes, "the raw folder was never seen while the run went on"
    files = {mode for name, mode in watch.raw_modes if name.endswith(".enc")}
    assert files == {0o600}
    assert all(mode == 0o700 for name, mode in watch.raw_modes if name == "raw")
    assert list(orgs.snapshots.glob("*/raw")) == []


def test_refresh_cli_creates_files_0600_in_folders_0700(orgs: Orgs) -> None:
    previous = os.umask(0o022)  # the usual umask of a cron job or a container
    try:
        result = CliRunner().invoke(app, ["refresh", "--config", str(orgs.config)])
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    created = [p for root in (orgs.snapshots, orgs.runs) for p in [root, *root.rglob("*")]]
    folders = [p for p in created if p.is_dir()]
    assert [str(p) for p in folders if stat.S_IMODE(p.stat().st_mode) != 0o700] == []
    # The report writer makes its pages 0644 on purpose; inside a 0700 run folder nobody else reads them.
    loose = [
        str(p.relative_to(orgs.folder))
        for p in created
        if p.is_file()
        and stat.S_IMODE(p.stat().st_mode) & 0o077
        and not (p.name.startswith("scrub-report.") and p.parent.parent == orgs.runs)
    ]
    assert loose == []


RULES_WITHOUT_BALANCE = FIXTURE_RULES.read_text().replace(
    '      Balance Due: {operator: keep, reason: "an amount owed, not personal data on its own"}\n',
    "      Agent Notes: {entity: FREE_TEXT}\n",
)


@pytest.mark.parametrize(
    "policy",
    [
        pytest.param("", id="rules-say-nothing"),
        pytest.param(
            "policy: {unknown_columns: detect}\n", id="rules-say-detect"
        ),  # the nightly job fails closed whatever the rules file says
    ],
)
def test_refresh_unknown_column_fails_closed_and_removes_raw(orgs: Orgs, policy: str) -> None:
    assert FIXTURE_RULES.read_text() != RULES_WITHOUT_BALANCE
    rules = orgs.folder / "rules.yaml"
    rules.write_text(RULES_WITHOUT_BALANCE.replace("version: 1\n", f"version: 1\n{policy}", 1))
    config = orgs.write_config(rules="rules.yaml")
    before = store_dump(orgs.staging)
    with pytest.raises(UnknownColumnsError) as raised:
        refresh(orgs.loaded(config))
    assert raised.value.columns == [("contact-list:Collections Q3", "Balance Due")]
    assert list(orgs.snapshots.glob("*/raw")) == []
    assert list(orgs.snapshots.glob("*/clean")) == []
    assert store_dump(orgs.staging) == before


def test_refresh_cli_unknown_column_exits_3_naming_the_column(orgs: Orgs) -> None:
    rules = orgs.folder / "rules.yaml"
    rules.write_text(RULES_WITHOUT_BALANCE)
    config = orgs.write_config(rules="rules.yaml")
    result = CliRunner().invoke(app, ["refresh", "--config", str(config)])
    assert result.exit_code == EXIT_CONFIG, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "contact-list:Collections Q3.Balance Due" in errors[0]
    watch = DiskWatch([orgs.snapshots, orgs.runs])
    watch.scan()
    assert watch.found == []
    assert list(orgs.snapshots.glob("*/raw")) == []


def test_disk_watch_finds_originals_written_in_clear(tmp_path: Path) -> None:
    """The watch above can fail: an original email or phone in a file (or a Parquet value) is found."""
    originals = production_originals()
    email = sorted(originals.emails)[0]
    phone = sorted(originals.phones)[0]
    (tmp_path / "leak.json").write_text(f'{{"to": "{email}"}}')
    pq.write_table(pa.table({"phone": [phone]}), tmp_path / "leak.parquet")
    watch = DiskWatch([tmp_path])
    watch.scan()
    assert sorted(watch.found) == [
        "leak.json: an original email",
        "leak.parquet: an original phone",
    ]


# A rule that keeps free text: the notes still quote the customers' e-mails the list's own e-mail
# column replaced, which the independent verifier must catch.
RULES_KEEPING_NOTES = FIXTURE_RULES.read_text().replace(
    '      Balance Due: {operator: keep, reason: "an amount owed, not personal data on its own"}\n',
    '      Balance Due: {operator: keep, reason: "an amount owed, not personal data on its own"}\n'
    '      Agent Notes: {operator: keep, reason: "a careless rule"}\n',
)


def test_refresh_verification_failure_exits_5_and_publishes_nothing(orgs: Orgs) -> None:
    assert FIXTURE_RULES.read_text() != RULES_KEEPING_NOTES
    (orgs.folder / "rules.yaml").write_text(RULES_KEEPING_NOTES)
    config = orgs.write_config(rules="rules.yaml")
    before = store_dump(orgs.staging)
    result = CliRunner().invoke(app, ["refresh", "--config", str(config)])
    assert result.exit_code == EXIT_VERIFICATION, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "nothing was published" in errors[0]
    assert store_dump(orgs.staging) == before
    assert list(orgs.snapshots.glob("*/raw")) == []
    assert list(orgs.snapshots.glob("*/clean")) == []
    (report,) = orgs.runs.glob("*/scrub-report.json")
    findings = json.loads(report.read_text())["verification"]["findings"]
    assert findings and {f["column"] for f in findings} == {"Agent Notes"}
    watch = DiskWatch([orgs.snapshots, orgs.runs])
    watch.scan()
    assert watch.found == [], "the report names table, column and row, never the value"
