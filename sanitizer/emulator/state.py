"""The emulator's settings and live state: the org store, issued tokens, faults, ids and clocks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sanitizer.emulator.faults import FaultController, Faults
from sanitizer.emulator.store import Store

# Every emulated org has one division, Home, with this id.
HOME_DIVISION_ID = "4c1d2f0e-8a1b-4d6c-9e2f-0d1e2f3a4b5c"


@dataclass(frozen=True)
class EmulatorConfig:
    """How one emulated org behaves (not counting faults, which can change while it runs)."""

    data_dir: Path
    client_id: str
    client_secret: str = field(repr=False)
    seed: Path | None = None
    token_ttl_seconds: int = 86400
    # Asynchronous jobs (contact-list exports, flow export/import jobs) report "not ready" this many
    # times before they finish, so clients exercise their polling.
    job_polls: int = 1
    max_contacts_per_request: int = 1000
    max_bulk_entities: int = 200


@dataclass(frozen=True)
class IssuedToken:
    client_id: str
    expires_at: float


class Emulator:
    """Everything a request handler needs: config, store, tokens, faults."""

    def __init__(self, config: EmulatorConfig, faults: Faults | None = None) -> None:
        self.config = config
        self.store = Store.open(config.data_dir)
        self.faults = FaultController(faults or Faults())
        self._tokens: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()
        self._signing_key = secrets.token_bytes(32)

    def issue_token(self) -> str:
        """A new bearer token for the configured client."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = IssuedToken(
                self.config.client_id, time.monotonic() + self.config.token_ttl_seconds
            )
        return token

    def is_valid_token(self, token: str) -> bool:
        """Whether a bearer token was issued here and has not expired or been revoked."""
        with self._lock:
            issued = self._tokens.get(token)
        return issued is not None and time.monotonic() < issued.expires_at

    def revoke_tokens(self) -> None:
        """Forget every issued token (clients must authenticate again)."""
        with self._lock:
            self._tokens.clear()

    def sign(self, value: str) -> str:
        """A signature for presigned URLs (so they work without a token, like S3's)."""
        return hmac.new(self._signing_key, value.encode(), hashlib.sha256).hexdigest()[:32]

    def is_signed(self, value: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(value), signature)

    def org(self) -> dict[str, Any]:
        """The org document (created with a random id the first time, when nothing was seeded)."""
        org = self.store.get("org", "me")
        if org is None:
            org_id = str(uuid.uuid4())
            org = {"id": org_id, "name": "Emulated org", "thirdPartyOrgName": "emulated-org"}
            self.store.put("org", "me", org)
        return org

    def close(self) -> None:
        self.store.close()


def new_id() -> str:
    """A fresh entity id (a UUID, as Genesys uses)."""
    return str(uuid.uuid4())


def now_iso() -> str:
    """The current time the way Genesys writes it: `2024-01-31T12:00:00.000Z`."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def home_division() -> dict[str, Any]:
    """The reference to the org's Home division."""
    return {
        "id": HOME_DIVISION_ID,
        "name": "Home",
        "selfUri": f"/api/v2/authorization/divisions/{HOME_DIVISION_ID}",
    }
