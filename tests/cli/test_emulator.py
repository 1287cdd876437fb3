"""`sanitize emulator`: options reach the emulator, seeding is reported, errors exit cleanly."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.emulator import server as emulator_server
from sanitizer.emulator.state import Emulator
from sanitizer.errors import EXIT_CONFIG, EXIT_INPUT, EXIT_OK, EXIT_USAGE

runner = CliRunner()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the blocking server with a recorder of what it was asked to serve."""
    calls: list[dict[str, Any]] = []

    def fake_serve(emulator: Emulator, host: str, port: int, **kwargs: Any) -> None:
        calls.append(
            {
                "emulator": emulator,
                "host": host,
                "port": port,
                "faults": emulator.faults.faults,
                "config": emulator.config,
                "org": emulator.org(),
            }
        )
        kwargs["on_listening"](f"http://{host}:{port}")

    # The command imports the server when it runs (a fast --help), so patch it where it lives.
    monkeypatch.setattr(emulator_server, "serve", fake_serve)
    return calls


def test_emulator_options_reach_the_server(tmp_path: Path, served: list[dict[str, Any]]) -> None:
    result = runner.invoke(
        app,
        [
            "emulator",
            "--port",
            "8123",
            "--data",
            str(tmp_path / "org"),
            "--seed",
            "production",
            "--client-id",
            "cid",
            "--client-secret",
            "secret",
            "--rate-limit",
            "300",
            "--fail-rate",
            "0.1",
            "--latency",
            "25",
            "--token-ttl",
            "600",
        ],
    )
    assert result.exit_code == EXIT_OK, result.output
    call = served[0]
    assert (call["host"], call["port"]) == ("127.0.0.1", 8123)
    assert (
        call["faults"].rate_limit_per_minute,
        call["faults"].fail_rate,
        call["faults"].latency_ms,
    ) == (300, 0.1, 25)
    assert (call["config"].client_id, call["config"].token_ttl_seconds) == ("cid", 600)
    assert call["org"]["name"] == "Example Retail"
    assert "1440 contacts" in result.stdout and "base URL http://127.0.0.1:8123" in result.stdout
    assert "secret" not in result.stdout


def test_emulator_secret_from_environment(tmp_path: Path, served: list[dict[str, Any]]) -> None:
    result = runner.invoke(
        app,
        ["emulator", "--port", "0", "--data", str(tmp_path / "org"), "--client-id", "cid"],
        env={"SANITIZER_EMULATOR_CLIENT_SECRET": "from-env"},
    )
    assert result.exit_code == EXIT_OK, result.output
    assert served[0]["config"].client_secret == "from-env"
    assert "not seeded" in result.stdout


def test_emulator_existing_org_ignores_seed(tmp_path: Path, served: list[dict[str, Any]]) -> None:
    args = [
        "emulator",
        "--port",
        "0",
        "--data",
        str(tmp_path / "org"),
        "--client-id",
        "a",
        "--client-secret",
        "b",
    ]
    runner.invoke(app, [*args, "--seed", "staging"])
    result = runner.invoke(app, [*args, "--seed", "production"])
    assert "existing org kept" in result.stdout
    assert served[-1]["org"]["name"] == "Example Retail Staging"


@pytest.mark.parametrize(
    ("extra", "exit_code", "why"),
    [
        (
            ["--seed", "no-such-org"],
            EXIT_CONFIG,
            "a seed that is neither a folder nor a shipped org",
        ),
        (["--fail-rate", "2"], EXIT_USAGE, "a probability above 1"),
        (["--rate-limit", "0"], EXIT_USAGE, "a limit that refuses everything"),
    ],
)
def test_emulator_bad_options_exit_with_code(
    tmp_path: Path, served: list[dict[str, Any]], extra: list[str], exit_code: int, why: str
) -> None:
    result = runner.invoke(
        app,
        [
            "emulator",
            "--port",
            "0",
            "--data",
            str(tmp_path / "org"),
            "--client-id",
            "a",
            "--client-secret",
            "b",
            *extra,
        ],
    )
    assert result.exit_code == exit_code, why
    assert served == []


@pytest.mark.slow
def test_emulator_command_serves_until_terminated(tmp_path: Path) -> None:
    env = {**os.environ, "SANITIZER_EMULATOR_CLIENT_SECRET": "s3cret"}
    command = [
        sys.executable,
        "-m",
        "sanitizer",
        "emulator",
        "--port",
        "0",
        "--data",
        str(tmp_path / "org"),
        "--seed",
        "production",
        "--client-id",
        "cid",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        url = None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline() if process.stdout else ""
            match = re.search(r"base URL (http://\S+)", line)
            url = match.group(1) if match else None
        assert url, "the emulator never reported its base URL"
        token = httpx.post(
            f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=("cid", "s3cret")
        )
        me = httpx.get(
            f"{url}/api/v2/organizations/me",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert me.json()["name"] == "Example Retail"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _args(data: Path, port: int = 0) -> list[str]:
    return [
        "emulator",
        "--port",
        str(port),
        "--data",
        str(data),
        "--client-id",
        "a",
        "--client-secret",
        "b",
    ]


def _corrupt_org(tmp_path: Path) -> Path:
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "org.sqlite3").write_bytes(b"\x00garbage\x00" * 64)
    return tmp_path / "org"


def _file(tmp_path: Path) -> Path:
    (tmp_path / "hostname").write_text("a-host\n", encoding="utf-8")
    return tmp_path / "hostname"


@pytest.mark.parametrize(
    ("data", "exit_code", "says"),
    [
        (_file, EXIT_CONFIG, "hostname: not a folder"),  # why: --data names a file
        (_corrupt_org, EXIT_INPUT, "org.sqlite3: cannot open it as an emulated org's database"),
    ],
)
def test_emulator_bad_data_folder_is_one_line_with_exit_code(
    tmp_path: Path,
    served: list[dict[str, Any]],
    data: Callable[[Path], Path],
    exit_code: int,
    says: str,
) -> None:
    result = runner.invoke(app, _args(data(tmp_path)))
    assert result.exit_code == exit_code
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("error: ") and says in line
    assert served == []


def test_emulator_port_in_use_is_one_line_with_exit_3(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, _args(tmp_path / "org", port))
    assert result.exit_code == EXIT_CONFIG
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith(f"error: cannot listen on 127.0.0.1:{port} (")
    assert "pick another port, or 0 for a free one" in line


def test_emulator_port_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, _args(tmp_path / "org", 70000))
    assert result.exit_code == EXIT_USAGE
    assert not (tmp_path / "org").exists()
