"""`sanitize demo`: the whole refresh between two emulated orgs, with no setup; with no key it says it
made a throwaway one, with $SANITIZER_KEY it uses that key (and writes it nowhere)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.keyring import Keyring

THROWAWAY = "no $SANITIZER_KEY set: used a throwaway key generated for this run"
HOLDS = (
    "staging now holds: 4 contact lists (1,440 contacts), 200 external contacts, "
    "3 data tables (196 rows), 3 flows"
)
KEY = "demo-tests-key-0123456789abcdef-0123"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _demo_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The demo puts its credentials and key in os.environ; take them out again after the test."""
    logger = logging.getLogger("sanitizer")
    handlers = list(logger.handlers)
    for name in ("SANITIZER_DEMO_KEY", "SANITIZER_DEMO_CLIENT_ID", "SANITIZER_DEMO_CLIENT_SECRET"):
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    yield
    logger.handlers[:] = handlers


def _demo(folder: Path, key: str | None) -> str:
    result = runner.invoke(app, ["demo", "--dir", str(folder)], env={"SANITIZER_KEY": key})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.slow
def test_demo_without_key_says_it_used_a_throwaway_key(tmp_path: Path) -> None:
    out = _demo(tmp_path / "demo", None)
    assert THROWAWAY in out
    assert HOLDS in out
    assert f"config used: {tmp_path / 'demo' / 'refresh.yaml'}" in out
    assert re.search(r"^report: .+scrub-report\.html$", out, re.MULTILINE)
    assert "sanitize emulator --data" in out
    (summary,) = (tmp_path / "demo" / "runs").glob("*/summary.json")
    assert '"verified": true' in summary.read_text()


@pytest.mark.slow
def test_demo_with_key_uses_it_and_writes_it_nowhere(tmp_path: Path) -> None:
    out = _demo(tmp_path / "demo", KEY)
    assert THROWAWAY not in out
    assert HOLDS in out
    fingerprint = Keyring(KEY.encode(), source="tests").fingerprint
    assert out.splitlines()[0].endswith(f"0 findings; key {fingerprint}")
    written = [
        p for p in (tmp_path / "demo").rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()
    ]
    assert written == []
