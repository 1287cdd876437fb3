"""`sanitize refresh --config FILE` with an invalid run config: every problem on its own line with file,
line and key path, exit 3, and a secret written inline is named as such but never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanitizer.cli import app
from sanitizer.errors import EXIT_CONFIG

runner = CliRunner()
SECRET = "hunter2-inline-secret-value"

# The audit's config: credentials pasted inline instead of naming their environment variables.
INLINE_SECRETS = f"""\
version: 1
source:
  name: production
  role: production
  region: us_east_1
  client_id: prod-client-{SECRET}
  client_secret: {SECRET}
  expected_org_id: org-production
target:
  name: staging
  role: staging
  region: us_east_1
  client_id_env: STAGING_CLIENT_ID
  client_secret_env: STAGING_CLIENT_SECRET
  expected_org_id: org-staging
staging_org_ids: [org-staging]
extract:
  external_contacts: true
key:
  value: {SECRET}
"""


def _refresh(tmp_path: Path, text: str) -> tuple[int, list[str], str]:
    path = tmp_path / "refresh.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["refresh", "--config", str(path)])
    return (
        result.exit_code,
        [line for line in result.stderr.splitlines() if line.strip()],
        result.output,
    )


def test_config_with_inline_secrets_lists_every_problem_without_the_values(tmp_path: Path) -> None:
    code, lines, output = _refresh(tmp_path, INLINE_SECRETS)
    path = tmp_path / "refresh.yaml"
    never = "a secret is never written in the config (its value is not shown)"
    assert code == EXIT_CONFIG
    assert lines == [
        f"error: {path}: 5 problems",
        f"  {path}:2: source.client_id_env: required key is missing",
        f"  {path}:2: source.client_secret_env: required key is missing",
        f"  {path}:6: source.client_id: {never}: name the environment variable that holds it "
        "with `source.client_id_env`",
        f"  {path}:7: source.client_secret: {never}: name the environment variable that holds it "
        "with `source.client_secret_env`",
        f"  {path}:20: key.value: {never}: name the key's environment variable with `key.env` "
        "or its file with `key.file`",
    ]
    assert SECRET not in output


@pytest.mark.parametrize(
    ("key", "instead"),
    [
        ("password", "target.client_secret_env"),  # why: a password is the client secret
        ("token", "target.client_secret_env"),  # why: so is a pasted token
        ("Client_Secret", "target.client_secret_env"),  # why: the spelling's case does not matter
    ],
)
def test_config_secret_key_in_org_profile_names_the_env_key(
    tmp_path: Path, key: str, instead: str
) -> None:
    text = INLINE_SECRETS.replace(
        "  client_secret_env: STAGING_CLIENT_SECRET\n",
        f"  client_secret_env: STAGING_CLIENT_SECRET\n  {key}: {SECRET}\n",
    )
    code, lines, output = _refresh(tmp_path, text)
    assert code == EXIT_CONFIG
    assert any(f"target.{key}: a secret is never written" in line for line in lines)
    assert any(line.endswith(f"with `{instead}`") for line in lines)
    assert SECRET not in output


def test_config_with_one_problem_is_one_line(tmp_path: Path) -> None:
    text = INLINE_SECRETS.replace(
        f"  client_id: prod-client-{SECRET}\n  client_secret: {SECRET}\n",
        "  client_id_env: PROD_CLIENT_ID\n  client_secret_env: PROD_CLIENT_SECRET\n",
    ).replace(f"key:\n  value: {SECRET}\n", "keep_snapshot: 3\n")
    code, lines, _ = _refresh(tmp_path, text)
    assert code == EXIT_CONFIG
    assert lines == [
        f"error: {tmp_path / 'refresh.yaml'}:19: keep_snapshot: unknown key "
        "(check the spelling; see the reference in docs/)"
    ]
