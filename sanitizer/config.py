"""The run config of a refresh: which orgs, what to extract, which rules and key, where runs go.

One YAML file, validated like the rules (errors name the file, line and key path). Secrets are never
inline: the config names the environment variables that hold them. See docs/configuration.md.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sanitizer.errors import ConfigError, env_var_words
from sanitizer.yamlfile import KeyPath, read_yaml

# Whatever the config says, these are never extracted: they hold customer data staging must not get.
NEVER_EXTRACTED = {
    "conversations": "conversations",
    "contact_history": "contact history",
    "call_history": "contact history",
    "recordings": "call recordings",
    "call_recordings": "call recordings",
    "analytics": "analytics",
    "transcripts": "transcripts",
    "voicemails": "voicemails",
}

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Keys people write when they paste a credential into the config, and the key that names its
# environment variable instead (in an org profile).
INLINE_SECRET_KEYS = {
    "client_id": "client_id_env",
    "client_secret": "client_secret_env",
    "secret": "client_secret_env",
    "password": "client_secret_env",
    "token": "client_secret_env",
    "access_token": "client_secret_env",
    "api_key": "client_secret_env",
}


def _inline_secret(path: KeyPath) -> str | None:
    """What to say about an unknown key that holds a secret written inline (never its value)."""
    key = str(path[-1]).lower()
    never = "a secret is never written in the config (its value is not shown)"
    if path[0] == "key" and (key in INLINE_SECRET_KEYS or key in ("key", "value")):
        return f"{never}: name the key's environment variable with `key.env` or its file with `key.file`"
    if key not in INLINE_SECRET_KEYS:
        return None
    if path[0] in ("source", "target") and len(path) == 2:
        instead = f"{path[0]}.{INLINE_SECRET_KEYS[key]}"
        return f"{never}: name the environment variable that holds it with `{instead}`"
    return f"{never}: keep it in an environment variable"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrgProfileConfig(_Strict):
    """How to reach one Genesys org: a region or a base URL, credentials from env vars, its expected id."""

    name: str = Field(min_length=1, description="Shown in logs and reports.")
    role: Literal["production", "staging"]
    region: str | None = Field(None, description="Region name such as us_east_1 or eu_west_1.")
    base_url: str | None = Field(
        None, description="API base URL (a proxy or the emulator) instead of a region."
    )
    login_url: str | None = Field(None, description="OAuth host when it differs from the base URL.")
    client_id_env: str = Field(
        min_length=1, description="Environment variable holding the OAuth client id."
    )
    client_secret_env: str = Field(
        min_length=1, description="Environment variable holding the client secret."
    )
    expected_org_id: str = Field(
        min_length=1, description="The id GET /api/v2/organizations/me must return."
    )
    timeout_s: float = Field(30.0, gt=0)

    @field_validator("client_id_env", "client_secret_env")
    @classmethod
    def _a_variable_name(cls, name: str) -> str:
        if not _ENV_NAME.fullmatch(name):
            # Not echoed: people paste the credential itself where its variable's name belongs.
            raise ValueError(
                "expected the name of an environment variable (letters, digits and _), "
                "not the credential itself; the value is not shown"
            )
        return name

    @model_validator(mode="after")
    def _one_location(self) -> OrgProfileConfig:
        if (self.region is None) == (self.base_url is None):
            raise ValueError("give exactly one of `region` or `base_url`")
        return self

    def credentials(self) -> tuple[str, str]:
        """(client id, client secret) from the environment; a missing variable is a config error."""
        values = []
        for field_name, variable in (
            ("client_id_env", self.client_id_env),
            ("client_secret_env", self.client_secret_env),
        ):
            value = os.environ.get(variable, "")
            if not value:
                raise ConfigError(
                    f"{env_var_words(variable)} (org profile {self.name!r}, {field_name}) is not set",
                    hint="the nightly job reads org credentials from the environment; never from the config file",
                )
            values.append(value)
        return values[0], values[1]


class ContactListsConfig(_Strict):
    all: bool = False
    names: list[str] = Field(
        default_factory=list, description="Contact list names (globs allowed)."
    )
    ids: list[str] = Field(default_factory=list)


class DataTablesConfig(_Strict):
    names: list[str] = Field(default_factory=lambda: ["*"], description="Data table names (globs).")


class FlowsConfig(_Strict):
    types: list[str] = Field(
        default_factory=list, description="Flow types (inboundcall, workflow...); empty: all."
    )
    names: list[str] = Field(default_factory=lambda: ["*"], description="Flow names (globs).")
    mappings: Path | None = Field(
        None, description="Folder of per-org variable mappings (default: shipped)."
    )
    target_mapping: str = Field("staging", description="The mapping (org) flows are retargeted to.")


class ExtractConfig(_Strict):
    contact_lists: ContactListsConfig | None = None
    external_contacts: bool = False
    data_tables: DataTablesConfig | None = None
    flows: FlowsConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _never(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if str(key) in NEVER_EXTRACTED:
                    raise ValueError(
                        f"{NEVER_EXTRACTED[str(key)]} are never extracted: they hold customer data that a staging "
                        "org must not receive (remove the key)"
                    )
        return data


class KeyConfig(_Strict):
    env: str | None = Field(
        "SANITIZER_KEY", description="Environment variable holding the scrub key."
    )
    file: Path | None = Field(
        None, description="File holding the scrub key (e.g. a mounted secret)."
    )


class RetryConfig(_Strict):
    max_attempts: int = Field(5, ge=1, le=20)
    base_delay_s: float = Field(2.0, gt=0)
    max_delay_s: float = Field(60.0, gt=0)


class RunConfig(_Strict):
    version: Literal[1] = 1
    source: OrgProfileConfig
    target: OrgProfileConfig
    staging_org_ids: list[str] = Field(
        min_length=1, description="The only org ids sanitizer may write to."
    )
    extract: ExtractConfig
    rules: Path | None = Field(
        None, description="Rules file or folder (default: the shipped rules)."
    )
    safe_ranges: Path | None = Field(
        None, description="Safe ranges for this staging org (test DIDs, sink domain)."
    )
    key: KeyConfig = Field(default_factory=KeyConfig)
    snapshots_dir: Path = Path("snapshots")
    runs_dir: Path = Path("runs")
    lock_dir: Path | None = Field(
        None,
        description="Where the per-target lock files live (default: sanitizer-locks in the temp folder).",
    )
    keep_snapshots: int = Field(
        7, ge=1, description="Clean snapshots kept; older ones are removed."
    )
    retry: RetryConfig = Field(default_factory=RetryConfig)
    batch_rows: int = Field(50_000, ge=1)  # tables.BATCH_ROWS (that module loads pandas)

    @field_validator("source")
    @classmethod
    def _source_is_production(cls, value: OrgProfileConfig) -> OrgProfileConfig:
        if value.role != "production":
            raise ValueError("the source org profile must have role: production")
        return value

    @field_validator("target")
    @classmethod
    def _target_is_staging(cls, value: OrgProfileConfig) -> OrgProfileConfig:
        if value.role != "staging":
            raise ValueError("the target org profile must have role: staging")
        return value

    @model_validator(mode="after")
    def _allow_list(self) -> RunConfig:
        if self.target.expected_org_id not in self.staging_org_ids:
            raise ValueError(
                "target.expected_org_id must be one of staging_org_ids (the write allow-list)"
            )
        if self.source.expected_org_id in self.staging_org_ids:
            raise ValueError("the source (production) org id must not be in staging_org_ids")
        if self.source.expected_org_id == self.target.expected_org_id:
            raise ValueError("source and target are the same org")
        return self


@dataclass(frozen=True)
class LoadedConfig:
    """A validated run config, the folder its relative paths start from, and its hash."""

    config: RunConfig
    path: Path
    sha256: str

    def resolve(self, path: Path) -> Path:
        """A path from the config, relative to the config file's folder."""
        return path if path.is_absolute() else (self.path.parent / path).resolve()

    @property
    def snapshots_dir(self) -> Path:
        return self.resolve(self.config.snapshots_dir)

    @property
    def runs_dir(self) -> Path:
        return self.resolve(self.config.runs_dir)

    @property
    def lock_dir(self) -> Path:
        """Host-wide by default, so runs with different runs_dirs still see each other's lock."""
        if self.config.lock_dir is None:
            return Path(tempfile.gettempdir()) / "sanitizer-locks"
        return self.resolve(self.config.lock_dir)

    @property
    def rules_path(self) -> Path | None:
        return self.resolve(self.config.rules) if self.config.rules else None


def read_config(path: Path) -> LoadedConfig:
    """Read and validate a run config; the error lists every problem with file, line and key path."""
    document = read_yaml(path)
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path}:1: expected a mapping of run config keys at the top level")
    config = document.validate(RunConfig, explain_unknown=_inline_secret)
    for name, configured in (("rules", config.rules), ("safe_ranges", config.safe_ranges)):
        if configured is not None:
            target = configured if configured.is_absolute() else path.resolve().parent / configured
            if not target.exists():
                raise document.error((name,), f"not found: {configured}")
    return LoadedConfig(
        config=config, path=path.resolve(), sha256=hashlib.sha256(path.read_bytes()).hexdigest()
    )
