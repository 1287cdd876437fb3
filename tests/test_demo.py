"""`sanitize demo`: the whole refresh between two emulated orgs, with no setup; with no key it says it
made a throwaway one, with $SANITIZER_KEY it uses that key (and writes it nowhere)."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.demo import how_to_look
from sanitizer.emulator.testing import running_emulator
from sanitizer.keyring import Keyring
from sanitizer.shipped import fixtures_dir

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


@pytest.mark.skipif(shutil.which("curl") is None, reason="the printed lines use curl")
def test_demo_look_at_staging_lines_get_a_token_then_list_contacts(tmp_path: Path) -> None:
    # The hint said "browse http://127.0.0.1:8082/api/v2/": a 404, and every endpoint needs a token.
    with running_emulator(
        tmp_path / "staging",
        seed=fixtures_dir() / "orgs" / "staging",
        client_id="demo",
        client_secret="local-secret-for-tests",
    ) as staging:
        port = int(staging.base_url.rsplit(":", 1)[1])
        lines = how_to_look(tmp_path / "staging", port).splitlines()
        # The org runs already: the lines after the ones that start it.
        (start,) = [i for i, line in enumerate(lines) if line.startswith("sleep ")]
        assert lines[start - 1].startswith("sanitize emulator --data ")
        assert "local-secret-for-tests" not in "\n".join(lines)  # from the environment only
        result = subprocess.run(
            ["bash", "-c", "\n".join(lines[start + 1 :])],
            env={**os.environ, "SANITIZER_EMULATOR_CLIENT_SECRET": "local-secret-for-tests"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)  # a contact-list listing, not a 404 or a 401 body
    assert isinstance(listing["entities"], list) and "pageSize" in listing
