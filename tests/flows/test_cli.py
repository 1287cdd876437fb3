"""The CLI wiring: exit codes, formats and files of `sanitize flows ...` and `sanitize vars check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanitizer.cli.app import app
from sanitizer.errors import EXIT_CONFIG, EXIT_FINDINGS, EXIT_INPUT, EXIT_OK

from .helpers import FIXTURES, ORG_FLOWS, REPO

MAPPINGS = ["--mappings", str(REPO / "rules" / "mappings")]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> object:
    import sanitizer.cli.flows  # noqa: F401  (registers the commands even if other modules are broken)

    monkeypatch.setenv("STAGING_CRM_API_KEY", "stg-synthetic-key")
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, result.stdout, result.stderr

    return invoke


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["flows", "validate", str(FIXTURES / "archy"), *MAPPINGS], EXIT_OK),  # why: clean flows
        (
            ["flows", "validate", str(FIXTURES / "broken" / "duplicate-key.yaml"), *MAPPINGS],
            EXIT_FINDINGS,
        ),
        (
            ["flows", "validate", str(FIXTURES / "broken" / "malformed.yaml")],
            EXIT_INPUT,
        ),  # why: unreadable
        (
            [
                "flows",
                "lint",
                str(FIXTURES / "archy" / "customer-lookup.yaml"),
                "--org",
                "staging",
                *MAPPINGS,
            ],
            EXIT_OK,
        ),
        (["flows", "lint", str(ORG_FLOWS), "--org", "staging", *MAPPINGS], EXIT_FINDINGS),
        (
            ["flows", "lint", str(ORG_FLOWS), "--org", "qa", *MAPPINGS],
            EXIT_CONFIG,
        ),  # why: no such org
        (["vars", "check", str(FIXTURES / "archy"), *MAPPINGS], EXIT_OK),
        (
            ["vars", "check", str(FIXTURES / "broken" / "production-only.yaml"), *MAPPINGS],
            EXIT_FINDINGS,
        ),
    ],
)
def test_cli_exit_codes(run: object, args: list[str], code: int) -> None:
    exit_code, _out, err = run(*args)  # type: ignore[operator]
    assert exit_code == code, err


def test_cli_lint_json_and_sarif_to_file(run: object, tmp_path: Path) -> None:
    target = str(FIXTURES / "archy" / "after-hours-hardcoded.yaml")
    code, out, _err = run(
        "flows", "lint", target, "--org", "staging", "--format", "json", *MAPPINGS
    )  # type: ignore[operator]
    body = json.loads(out)
    assert code == EXIT_FINDINGS and body["summary"]["error"] == 7 and body["files"] == 1
    sarif = tmp_path / "lint.sarif"
    code, out, err = run(
        "flows",
        "lint",
        target,
        "--org",
        "staging",
        "--format",
        "sarif",
        "--output",
        str(sarif),
        *MAPPINGS,
    )  # type: ignore[operator]
    assert code == EXIT_FINDINGS and out == "" and "7 error finding(s)" in err
    assert len(json.loads(sarif.read_text())["runs"][0]["results"]) == 7


def test_cli_retarget_writes_rendered_files(run: object, tmp_path: Path) -> None:
    out_dir = tmp_path / "staging"
    code, out, err = run(
        "flows", "retarget", str(ORG_FLOWS), "--to", "staging", "--out", str(out_dir), *MAPPINGS
    )  # type: ignore[operator]
    assert code == EXIT_OK, err
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "ani-block-check.yaml",
        "main-ivr.yaml",
        "renewal-outbound.yaml",
    ]
    assert "crm.prod.example.com" not in (out_dir / "main-ivr.yaml").read_text()
    assert "placeholder(s) filled" in out


def test_cli_retarget_flow_with_a_secret_is_written_private(run: object, tmp_path: Path) -> None:
    out_dir = tmp_path / "staging"
    flow = str(FIXTURES / "archy" / "customer-lookup.yaml")  # {{CRM_API_KEY}} is a secret
    code, _out, err = run(
        "flows", "retarget", flow, "--to", "staging", "--out", str(out_dir), *MAPPINGS
    )  # type: ignore[operator]
    assert code == EXIT_OK, err
    assert (out_dir / "customer-lookup.yaml").stat().st_mode & 0o777 == 0o600


def test_cli_retarget_refuses_to_overwrite_its_input(run: object) -> None:
    code, _out, err = run(
        "flows",
        "retarget",
        str(ORG_FLOWS / "main-ivr.yaml"),
        "--to",
        "staging",
        "--out",
        str(ORG_FLOWS),
        *MAPPINGS,
    )  # type: ignore[operator]
    assert code == EXIT_INPUT and "overwrite the input" in err


@pytest.mark.parametrize(
    ("flow", "org", "code", "says"),
    [
        # why: a placeholder staging does not define is lint's missing-value error
        ("broken/production-only.yaml", "staging", EXIT_FINDINGS, "legacy_ivr_url (line 13)"),
        # why: a number in production's DID range is lint's other-org-did error
        ("archy/after-hours-hardcoded.yaml", "staging", EXIT_FINDINGS, "line 31"),
        ("archy/customer-lookup.yaml", "qa", EXIT_CONFIG, "qa"),  # why: no such org's mapping
        ("empty.yaml", "staging", EXIT_INPUT, "empty"),  # why: an empty file is not a flow
    ],
)
def test_cli_retarget_exit_codes(
    run: object, tmp_path: Path, flow: str, org: str, code: int, says: str
) -> None:
    (tmp_path / "empty.yaml").write_text("")
    source = tmp_path / flow if flow == "empty.yaml" else FIXTURES / flow
    out_dir = tmp_path / "out"
    exit_code, _out, err = run(
        "flows", "retarget", str(source), "--to", org, "--out", str(out_dir), *MAPPINGS
    )  # type: ignore[operator]
    assert exit_code == code and says in err, err
    assert not out_dir.exists()  # nothing is written


def test_cli_lint_of_flows_retargeted_for_the_org_exits_0(run: object, tmp_path: Path) -> None:
    out_dir = str(tmp_path / "staging")
    exports = str(FIXTURES / "exports")
    code, _out, err = run(
        "flows", "retarget", exports, "--to", "staging", "--out", out_dir, *MAPPINGS
    )  # type: ignore[operator]
    assert code == EXIT_OK, err
    code, out, err = run("flows", "lint", out_dir, "--org", "staging", *MAPPINGS)  # type: ignore[operator]
    assert code == EXIT_OK, err
    assert "0 errors, 0 warnings" in out
    code, _out, _err = run("flows", "lint", out_dir, "--org", "production", *MAPPINGS)  # type: ignore[operator]
    assert code == EXIT_FINDINGS  # staging's values in a flow linted for production


@pytest.mark.parametrize("command", ["validate", "lint"])
def test_cli_empty_yaml_flow_exits_as_unreadable(run: object, tmp_path: Path, command: str) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# a comment, and no flow\n")
    code, out, _err = run("flows", command, str(empty), *MAPPINGS)  # type: ignore[operator]
    assert code == EXIT_INPUT
    assert "unknown-format" in out and "empty" in out
