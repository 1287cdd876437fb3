"""The README's first Quick start command works on this machine: install (done: we run from the
installed package), then the command after `&&`, run as `python -m sanitizer ...` in a fresh folder
with no key in the environment and no network beyond loopback."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _first_quick_start_command() -> list[str]:
    """The command after `pip install ... &&` in the README's first Quick start code block."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```(?:bash|sh|console)?\n(.*?)```", section, re.DOTALL)
    assert block is not None, "README Quick start has no code block"
    line = block.group(1).strip()
    assert " && " in line, (
        "the first Quick start command installs, then runs: `pip install . && ...`"
    )
    install, run = line.split(" && ", 1)
    assert "pip install" in install
    return shlex.split(run)


def test_readme_quick_start_has_two_commands() -> None:
    section = README.read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 2
    assert "pytest" in blocks[1]


@pytest.mark.slow
def test_readme_first_quick_start_command_runs(tmp_path: Path) -> None:
    command = _first_quick_start_command()
    assert command[0] == "sanitize"
    env = {k: v for k, v in os.environ.items() if k != "SANITIZER_KEY"}
    env["NO_COLOR"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "sanitizer", *command[1:]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    verified = re.search(
        r"^verified: (\d+) table\(s\), .* 0 findings; key hmac-sha256:\w+", done.stdout, re.M
    )
    assert verified is not None, done.stdout
    report = re.search(r"^report: (.+\.html)$", done.stdout, re.M)
    assert report is not None, done.stdout
    path = Path(report.group(1))
    path = path if path.is_absolute() else tmp_path / path
    assert path.is_file()
    assert path.with_suffix(".json").is_file()
    assert "Traceback" not in done.stderr
