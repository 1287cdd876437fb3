"""Run config errors: secrets inline, what is never extracted, missing environment variables, role and
org-id mismatches, a missing key; each is one clear line (file, line, key path) and exit code 3."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.config import NEVER_EXTRACTED, read_config
from sanitizer.errors import EXIT_CONFIG, ConfigError, KeyMaterialError
from sanitizer.pipeline import refresh

from .helpers import (
    FIXTURE_RULES,
    STAGING_SECRET_ENV,
    Orgs,
    deep_merge,
    store_dump,
)

SECRET = "inline-secret-value-0123456789"
PRODUCTION_ID = "4f1c2a9e-0c1d-4e6b-9a53-00000000a001"
STAGING_ID = "4f1c2a9e-0c1d-4e6b-9a53-00000000b002"
BASE: dict[str, Any] = {
    "version": 1,
    "source": {
        "name": "production",
        "role": "production",
        "region": "us_east_1",
        "client_id_env": "PROD_ID",
        "client_secret_env": "PROD_SECRET",
        "expected_org_id": PRODUCTION_ID,
    },
    "target": {
        "name": "staging",
        "role": "staging",
        "region": "us_east_1",
        "client_id_env": "STAGING_ID",
        "client_secret_env": "STAGING_SECRET",
        "expected_org_id": STAGING_ID,
    },
    "staging_org_ids": [STAGING_ID],
    "extract": {"contact_lists": {"all": True}, "external_contacts": True},
    "rules": str(FIXTURE_RULES),
}
runner = CliRunner()


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "refresh.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


INVALID = [
    pytest.param(
        {"source": {"client_secret": SECRET}},
        "source.client_secret",
        "client_secret:",
        id="secret-inline",
    ),  # secrets live in the environment; an inline one is an unknown key, and never echoed
    pytest.param(
        {"target": {"client_id": SECRET}}, "target.client_id", "client_id:", id="client-id-inline"
    ),
    pytest.param(
        {"source": {"role": "staging"}},
        "role: production",
        "source:",
        id="source-not-production",
    ),
    pytest.param(
        {"target": {"role": "production"}},
        "role: staging",
        "target:",
        id="target-not-staging",
    ),
    pytest.param(
        {"staging_org_ids": ["4f1c2a9e-0c1d-4e6b-9a53-00000000c003"]},
        "must be one of staging_org_ids",
        None,
        id="target-not-allow-listed",
    ),
    pytest.param(
        {"staging_org_ids": [STAGING_ID, PRODUCTION_ID]},
        "must not be in staging_org_ids",
        None,
        id="production-allow-listed",
    ),
    pytest.param(
        {"target": {"region": None}},
        "exactly one of `region` or `base_url`",
        None,
        id="target-nowhere",
    ),
    pytest.param(
        {"source": {"base_url": "http://127.0.0.1:9"}},
        "exactly one of `region` or `base_url`",
        None,
        id="source-two-places",
    ),
    pytest.param(
        {"target": {"client_secret_env": SECRET}},
        "target.client_secret_env: expected the name of an environment variable",
        None,
        id="secret-where-its-variable-name-belongs",
    ),
    pytest.param({"staging_org_ids": []}, "staging_org_ids", None, id="empty-allow-list"),
    pytest.param({"rules": "no-such-rules.yaml"}, "not found", "rules:", id="rules-missing"),
    pytest.param({"extract": {"flows": {"nmaes": ["*"]}}}, "nmaes", "nmaes", id="typo"),
]


@pytest.mark.parametrize(("changes", "says", "line_of"), INVALID)
def test_config_invalid_is_one_line_with_exit_3(
    tmp_path: Path, changes: dict[str, Any], says: str, line_of: str | None
) -> None:
    path = _write(tmp_path, deep_merge(BASE, changes))
    with pytest.raises(ConfigError) as raised:
        read_config(path)
    message = str(raised.value)
    assert says in message
    assert message.startswith(f"{path}:")
    if line_of is not None:
        assert message.startswith(f"{path}:{_line_of(path, line_of)}:")
    result = runner.invoke(app, ["refresh", "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG
    assert [line for line in result.stderr.splitlines() if line.strip()] == [f"error: {message}"]
    assert SECRET not in result.output


@pytest.mark.parametrize("key", sorted(NEVER_EXTRACTED))
def test_config_asking_for_customer_history_is_refused(tmp_path: Path, key: str) -> None:
    """Conversations, recordings, analytics...: never extracted, whatever the config says."""
    path = _write(tmp_path, deep_merge(BASE, {"extract": {key: True}}))
    result = runner.invoke(app, ["refresh", "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert f"{NEVER_EXTRACTED[key]} are never extracted" in line
    assert line.startswith(f"error: {path}:{_line_of(path, 'extract:')}:")


def test_config_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "refresh.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mapping"):
        read_config(path)


def test_config_missing_file_exits_3(tmp_path: Path) -> None:
    result = runner.invoke(app, ["refresh", "--config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == EXIT_CONFIG
    assert "nope.yaml" in result.stderr


def test_config_relative_paths_start_at_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(FIXTURE_RULES.read_text(), encoding="utf-8")
    path = _write(tmp_path, deep_merge(BASE, {"rules": "rules.yaml", "runs_dir": "out/runs"}))
    loaded = read_config(path)
    assert loaded.rules_path == tmp_path / "rules.yaml"
    assert loaded.runs_dir == tmp_path / "out" / "runs"
    assert loaded.snapshots_dir == tmp_path / "snapshots"


def test_config_lock_dir_is_host_wide_unless_set(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(FIXTURE_RULES.read_text(), encoding="utf-8")
    path = _write(tmp_path, deep_merge(BASE, {"rules": "rules.yaml", "lock_dir": None}))
    assert read_config(path).lock_dir == Path(tempfile.gettempdir()) / "sanitizer-locks"
    path = _write(tmp_path, deep_merge(BASE, {"rules": "rules.yaml", "lock_dir": "locks"}))
    assert read_config(path).lock_dir == tmp_path / "locks"


# --- errors found when the run starts --------------------------------------------------------


def test_refresh_missing_env_var_names_it_and_touches_nothing(
    orgs: Orgs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(STAGING_SECRET_ENV)
    before = store_dump(orgs.staging)
    result = runner.invoke(app, ["refresh", "--config", str(orgs.config)])
    assert result.exit_code == EXIT_CONFIG
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert f"environment variable ${STAGING_SECRET_ENV}" in line
    assert "'staging (emulated)'" in line
    assert store_dump(orgs.staging) == before
    assert not orgs.snapshots.exists()


def test_refresh_without_key_exits_3_before_extracting(
    orgs: Orgs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SANITIZER_KEY")
    with pytest.raises(KeyMaterialError):
        refresh(orgs.loaded())
    result = runner.invoke(app, ["refresh", "--config", str(orgs.config)])
    assert result.exit_code == EXIT_CONFIG
    assert "SANITIZER_KEY" in result.stderr
    assert not list(orgs.snapshots.glob("*/*"))


def test_refresh_source_answering_as_another_org_exits_3_and_leaves_no_raw(orgs: Orgs) -> None:
    """The source credentials reach an org other than the one the profile names: nothing is scrubbed."""
    other = "4f1c2a9e-0c1d-4e6b-9a53-00000000d004"
    config = orgs.write_config(source={"expected_org_id": other})
    result = runner.invoke(app, ["refresh", "--config", str(config)])
    assert result.exit_code == EXIT_CONFIG, result.output
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert f"answered as org {orgs.production.org_id}" in line
    assert f"expected_org_id is {other}" in line
    assert list(orgs.snapshots.glob("*/raw")) == []
    assert orgs.staging.store.count("contactlist") == 0


@pytest.mark.parametrize(
    ("name", "shown"),
    [("SANITIZER_PROD_SECRET", True), ("hunter2", False), ("s3cr3tValue", False)],
)
def test_missing_env_var_is_named_only_when_it_looks_like_a_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, shown: bool
) -> None:
    monkeypatch.delenv(name, raising=False)
    config = read_config(
        _write(tmp_path, deep_merge(BASE, {"source": {"client_secret_env": name}}))
    )
    monkeypatch.setenv("PROD_ID", "an-id")
    with pytest.raises(ConfigError) as raised:
        config.config.source.credentials()
    message = str(raised.value)
    assert (name in message) is shown, message
    assert "client_secret_env" in message and "is not set" in message
