"""Snapshots: the raw extract (encrypted at rest) and the clean, verified result (Parquet + manifest).

    snapshots/<run id>/raw/      AES-GCM encrypted files (0600 in a 0700 folder), deleted when the run ends
    snapshots/<run id>/clean/    manifest.json, tables/*.parquet, definitions/*.json, flows/*

Raw PII never lands on disk in clear: the raw files are encrypted with a key derived from the scrub
key (nobody without the key can read them), and removed at the end of the run, failed or not. A run
killed with `kill -9` leaves encrypted files behind; the next run removes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from datetime import datetime
from pathlib import Path
from typing import Literal, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sanitizer.errors import InputError, VerificationError
from sanitizer.keyring import Keyring

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1
Kind = Literal["contact_list", "external_contacts", "data_table"]
_SLUG = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """A file-name-safe form of an object name ("Spring Renewal Campaign" → spring-renewal-campaign)."""
    return _SLUG.sub("-", name.lower()).strip("-")[:80] or "unnamed"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Vault:
    """A private folder of AES-GCM encrypted files: where raw extracted data waits to be scrubbed."""

    def __init__(self, folder: Path, keyring: Keyring) -> None:
        self.folder = folder
        self._cipher = AESGCM(keyring.derive("snapshot encryption at rest v1"))
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)

    def put(self, name: str, data: bytes) -> None:
        """Encrypt and store `data` (the name is authenticated too: files cannot be swapped)."""
        nonce = secrets.token_bytes(12)
        sealed = nonce + self._cipher.encrypt(nonce, data, name.encode())
        path = self.folder / f"{name}.enc"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(sealed)

    def get(self, name: str) -> bytes:
        """Decrypt a stored file into memory (it is never written out in clear)."""
        path = self.folder / f"{name}.enc"
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{path}: missing from the raw snapshot") from None
        try:
            return self._cipher.decrypt(sealed[:12], sealed[12:], name.encode())
        except InvalidTag:
            raise InputError(
                f"{path}: cannot be decrypted (the file was altered or damaged since the extract)"
            ) from None

    def has(self, name: str) -> bool:
        return (self.folder / f"{name}.enc").exists()

    def destroy(self) -> None:
        """Remove the raw files (overwritten first, then unlinked) and the folder."""
        if not self.folder.exists():
            return
        for path in self.folder.iterdir():
            try:
                size = path.stat().st_size
                with path.open("r+b") as handle:
                    handle.write(b"\0" * size)
            except OSError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RawTable(_Model):
    """One extracted table in the raw snapshot."""

    name: str = Field(
        description="Table name in rules and reports, e.g. contact-list:Spring Renewal Campaign."
    )
    kind: Kind
    source_id: str
    source_name: str
    file: str = Field(description="Name of the encrypted file in the vault.")
    format: Literal["csv", "jsonl"]
    definition: str | None = Field(
        None, description="Vault file of the object's definition (list, schema)."
    )


class RawFlow(_Model):
    name: str
    type: str
    source_id: str
    file: str


class RawManifest(_Model):
    schema_version: int = SCHEMA_VERSION
    run_id: str
    created_at: datetime
    source_org_id: str
    source_org_name: str
    key_fingerprint: str | None = Field(
        None,
        description="The scrub key's fingerprint: the files are encrypted with a key it derives.",
    )
    tables: list[RawTable] = Field(default_factory=list)
    flows: list[RawFlow] = Field(default_factory=list)


class CleanColumn(_Model):
    name: str
    type: str


class CleanTable(_Model):
    name: str
    kind: Kind
    source_id: str
    source_name: str
    file: str = Field(description="Path relative to the clean snapshot folder.")
    rows: int
    columns: list[CleanColumn]
    sha256: str
    definition: str | None = None
    definition_sha256: str | None = None


class CleanFlow(_Model):
    name: str
    type: str
    source_id: str
    file: str
    sha256: str


class CleanManifest(_Model):
    """What a clean snapshot holds and how it was made: checked before anything is loaded."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    created_at: datetime
    tool_version: str
    source_org_id: str
    source_org_name: str
    rules_hash: str
    key_fingerprint: str
    verification: Literal["passed", "failed"]
    findings: int
    tables: list[CleanTable]
    flows: list[CleanFlow]
    timings: dict[str, float] = Field(default_factory=dict)


def write_json(path: Path, data: str) -> None:
    """Write text atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(data, encoding="utf-8")
    temp.replace(path)


M = TypeVar("M", RawManifest, CleanManifest)


def read_raw_manifest(folder: Path) -> RawManifest:
    return _read(folder / MANIFEST, RawManifest)


def read_clean_manifest(folder: Path) -> CleanManifest:
    return _read(folder / MANIFEST, CleanManifest)


def _read(path: Path, model: type[M]) -> M:
    try:
        return model.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise InputError(f"{path}: no snapshot manifest here") from None
    except (json.JSONDecodeError, ValidationError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a valid snapshot manifest ({type(exc).__name__})") from None


def check_clean(folder: Path) -> CleanManifest:
    """The manifest of a clean snapshot, after proving it passed verification and matches its files."""
    manifest = read_clean_manifest(folder)
    if manifest.verification != "passed":
        raise VerificationError(
            f"{folder}: this snapshot did not pass verification ({manifest.findings} finding(s)); it cannot be loaded"
        )
    entries: list[CleanTable | CleanFlow] = [*manifest.tables, *manifest.flows]
    for entry in entries:
        path = folder / entry.file
        if not path.exists():
            raise VerificationError(
                f"{path}: listed in the manifest but missing; the snapshot cannot be loaded"
            )
        if sha256_file(path) != entry.sha256:
            raise VerificationError(
                f"{path}: does not match the checksum in the manifest; the snapshot was altered and cannot be loaded"
            )
    for table in manifest.tables:
        if table.definition and table.definition_sha256:
            path = folder / table.definition
            if not path.exists() or sha256_file(path) != table.definition_sha256:
                raise VerificationError(
                    f"{path}: missing or altered; the snapshot cannot be loaded"
                )
    return manifest
