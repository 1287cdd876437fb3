"""`sanitize emulator`: run a local Genesys Cloud-compatible org over HTTP until interrupted."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sanitizer.cli.app import app, report_errors, stderr, stdout
from sanitizer.errors import ConfigError

if TYPE_CHECKING:
    # FastAPI and uvicorn are imported by the command itself: other commands start without them.
    from sanitizer.emulator.seed import SeedSummary
from sanitizer.shipped import fixtures_dir


@app.command("emulator")
@report_errors
def emulator_command(
    data: Annotated[
        Path,
        typer.Option(
            "--data", help="Folder holding the org's state (org.sqlite3); created when missing."
        ),
    ],
    port: int = typer.Option(
        ..., "--port", min=0, max=65535, help="TCP port to listen on (0 picks a free one)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    seed: str | None = typer.Option(
        None,
        "--seed",
        help="Fixture org folder to fill a NEW org from, or `production` / `staging` for the "
        "shipped fixture orgs. Ignored when --data already holds an org.",
    ),
    client_id: str = typer.Option(
        ..., "--client-id", envvar="SANITIZER_EMULATOR_CLIENT_ID", help="OAuth client id to accept."
    ),
    client_secret: str = typer.Option(
        ...,
        "--client-secret",
        envvar="SANITIZER_EMULATOR_CLIENT_SECRET",
        help="OAuth client secret to accept (better passed through the environment variable).",
    ),
    rate_limit: int | None = typer.Option(
        None, "--rate-limit", min=1, help="Requests per minute per token before 429s (real: 300)."
    ),
    fail_rate: float = typer.Option(
        0.0, "--fail-rate", min=0.0, max=1.0, help="Share of requests answered 502/503/504."
    ),
    latency: int = typer.Option(0, "--latency", min=0, help="Delay added to every request, in ms."),
    token_ttl: int = typer.Option(
        86400, "--token-ttl", min=1, help="Lifetime of issued tokens, in seconds."
    ),
    fault_seed: int = typer.Option(0, "--fault-seed", help="Seed of the fault draws."),
) -> None:
    """Run a local Genesys Cloud-compatible org (OAuth + the API subset sanitizer uses)."""
    from sanitizer.emulator.faults import Faults
    from sanitizer.emulator.server import open_emulator, serve
    from sanitizer.emulator.state import EmulatorConfig

    config = EmulatorConfig(
        data_dir=data,
        client_id=client_id,
        client_secret=client_secret,
        seed=_seed_dir(seed),
        token_ttl_seconds=token_ttl,
    )
    faults = Faults(
        rate_limit_per_minute=rate_limit,
        fail_rate=fail_rate,
        latency_ms=latency,
        fault_seed=fault_seed,
    )
    emulator, summary = open_emulator(config, faults)
    try:
        org = emulator.org()
        stdout.print(f"org {org['name']} ({org['id']}); state in {emulator.store.path}")
        stdout.print(_describe(summary, config.seed))
        if host not in ("127.0.0.1", "::1", "localhost"):
            stderr.print(
                f"warning: listening on {host} without TLS; use it on trusted networks only"
            )
        serve(
            emulator,
            host,
            port,
            on_listening=lambda url: stdout.print(
                f"base URL {url} (API and /oauth/token); Ctrl-C stops it"
            ),
        )
    finally:
        emulator.close()


def _seed_dir(seed: str | None) -> Path | None:
    if seed is None:
        return None
    path = Path(seed)
    if path.is_dir():
        return path
    shipped = fixtures_dir() / "orgs" / seed
    if shipped.is_dir() and seed in ("production", "staging"):
        return shipped
    raise ConfigError(
        f"--seed {seed}: no such folder",
        hint="give a fixture org folder, or `production` / `staging` for the shipped ones",
    )


def _describe(summary: SeedSummary, seed: Path | None) -> str:
    if seed is None:
        return "not seeded"
    if not summary.is_seeded:
        return f"existing org kept; --seed {seed} ignored"
    return (
        f"seeded from {seed}: {summary.contact_lists} contact lists ({summary.contacts} contacts), "
        f"{summary.external_contacts} external contacts, {summary.datatables} data tables "
        f"({summary.rows} rows), {summary.flows} flows"
    )
