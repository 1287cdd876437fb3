"""The embedded default: a full refresh between two emulated orgs, with no credentials and no network.

Two emulators start in-process on loopback, seeded from the shipped fixture orgs (production with data,
staging empty); the demo writes a run config for them and runs the same `refresh` the nightly job runs.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sanitizer.config import read_config
from sanitizer.emulator.testing import running_emulator
from sanitizer.keyring import KEY_ENV
from sanitizer.pipeline import RunResult, connect, refresh
from sanitizer.shipped import fixtures_dir, rules_dir

PRODUCTION_ID = "4f1c2a9e-0c1d-4e6b-9a53-00000000a001"
STAGING_ID = "4f1c2a9e-0c1d-4e6b-9a53-00000000b002"
DEMO_KEY_ENV = "SANITIZER_DEMO_KEY"
CONFIG = """\
# Written by `sanitize demo`: a refresh between two local emulated orgs. A real config names regions
# and real org ids instead of base URLs (see docs/configuration.md).
version: 1
source:
  name: production (emulated)
  role: production
  base_url: {production_url}
  client_id_env: SANITIZER_DEMO_CLIENT_ID
  client_secret_env: SANITIZER_DEMO_CLIENT_SECRET
  expected_org_id: {production_id}
target:
  name: staging (emulated)
  role: staging
  base_url: {staging_url}
  client_id_env: SANITIZER_DEMO_CLIENT_ID
  client_secret_env: SANITIZER_DEMO_CLIENT_SECRET
  expected_org_id: {staging_id}
staging_org_ids: [{staging_id}]
extract:
  contact_lists: {{all: true}}
  external_contacts: true
  data_tables: {{names: ["*"]}}
  flows: {{names: ["*"], mappings: {mappings}, target_mapping: staging}}
rules: {rules}
key: {{env: {key_env}}}
snapshots_dir: snapshots
runs_dir: runs
lock_dir: locks  # the demo's staging is its own emulator, so its lock stays in the demo folder
retry: {{max_attempts: 5, base_delay_s: 0.2, max_delay_s: 2}}
"""


@dataclass
class DemoResult:
    result: RunResult
    config: Path
    is_key_generated: bool
    staging_summary: str
    how_to_look: str


def how_to_look(staging: Path, port: int = 8082) -> str:
    """Shell lines that start the staging org again and ask it one question: a token, then a GET.
    The secret is read from the environment and handed to curl on its stdin (`-K -`), never on a
    command line other users can see; every API call needs the bearer token."""
    base = f"http://127.0.0.1:{port}"
    return "\n".join(
        [
            "export SANITIZER_EMULATOR_CLIENT_SECRET=choose-a-local-secret",
            f"sanitize emulator --data {staging} --port {port} --client-id demo &",
            "sleep 3  # it starts in a few seconds; `kill %1` stops it",
            'TOKEN=$(printf \'user = "demo:%s"\\n\' "$SANITIZER_EMULATOR_CLIENT_SECRET" | curl -s -K - '
            f"-d grant_type=client_credentials {base}/oauth/token "
            "| python3 -c 'import json, sys; print(json.load(sys.stdin)[\"access_token\"])')",
            'printf \'header = "Authorization: Bearer %s"\\n\' "$TOKEN" | curl -s -K - '
            f"{base}/api/v2/outbound/contactlists",
        ]
    )


def run_demo(
    folder: Path, *, progress: Callable[[str, str, int], None] | None = None
) -> DemoResult:
    """Start both emulated orgs, write the run config, refresh, and describe what staging now holds."""
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    is_key_generated = not os.environ.get(KEY_ENV)
    os.environ[DEMO_KEY_ENV] = os.environ.get(KEY_ENV) or secrets.token_urlsafe(32)
    client_id, client_secret = "sanitizer-demo", secrets.token_urlsafe(16)
    os.environ["SANITIZER_DEMO_CLIENT_ID"], os.environ["SANITIZER_DEMO_CLIENT_SECRET"] = (
        client_id,
        client_secret,
    )
    orgs = fixtures_dir() / "orgs"
    with (
        running_emulator(
            folder / "orgs" / "production",
            seed=orgs / "production",
            client_id=client_id,
            client_secret=client_secret,
        ) as production,
        running_emulator(
            folder / "orgs" / "staging",
            seed=orgs / "staging",
            client_id=client_id,
            client_secret=client_secret,
        ) as staging,
    ):
        config = folder / "refresh.yaml"
        config.write_text(
            CONFIG.format(
                production_url=production.base_url,
                staging_url=staging.base_url,
                production_id=PRODUCTION_ID,
                staging_id=STAGING_ID,
                mappings=rules_dir() / "mappings",
                rules=orgs / "rules.yaml",
                key_env=DEMO_KEY_ENV,
            ),
            encoding="utf-8",
        )
        loaded = read_config(config)
        result = refresh(loaded, progress=progress)
        with connect(loaded.config.target, loaded) as client:
            lists = {
                c["name"]: c.get("size", 0)
                for c in client.outbound.list_contact_lists(include_size=True)
            }
            contacts = sum(1 for _ in client.external_contacts.scan())
            tables = {
                t["name"]: sum(1 for _ in client.datatables.rows(str(t["id"])))
                for t in client.datatables.list()
            }
            flows = [f["name"] for f in client.flows.list()]
    summary = (
        f"{len(lists)} contact lists ({sum(lists.values()):,} contacts), {contacts:,} external contacts, "
        f"{len(tables)} data tables ({sum(tables.values()):,} rows), {len(flows)} flows"
    )
    look = how_to_look(folder / "orgs" / "staging")
    return DemoResult(result, config, is_key_generated, summary, look)
