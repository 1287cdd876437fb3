"""Configuration variables: one mapping file per org, what each placeholder means, `vars check`.

A mapping file (`rules/mappings/<org>.yaml`) says, for one org, the value of every variable a flow
may use as `{{name}}` or `${NAME}`, with a description; secret values are references to an
environment variable or a file, never the value. It also lists what identifies the org in a flow
(DID ranges, trunk names, endpoint hosts) so that lint can tell an org's values from another's and
retarget can swap them. The org's name is the file name without `.yaml`. This is how sanitizer
implements "configuration variables" on Archy substitutions (reference/genesys-api.md §5): there is
no configuration-variables API in Genesys Cloud."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self

import phonenumbers
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from sanitizer.errors import ConfigError, env_var_words
from sanitizer.shipped import rules_dir
from sanitizer.yamlfile import KeyPath, read_yaml

if TYPE_CHECKING:
    from sanitizer.flows.documents import FlowDocument
    from sanitizer.flows.findings import Finding

MAPPINGS_ENV = "SANITIZER_MAPPINGS"
_HOST = re.compile(r"(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Scalar = str | int | float | bool


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(_Model):
    """Where a secret value comes from: an environment variable or a file (its first line)."""

    env: str | None = Field(default=None, description="Name of the environment variable.")
    file: str | None = Field(
        default=None, description="Path, relative to the mapping file's folder."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret needs exactly one of `env` or `file`")
        if self.env is not None and not _ENV_NAME.fullmatch(self.env):
            raise ValueError("`env` must be an environment variable name (letters, digits, _)")
        return self


class Variable(_Model):
    """One configuration variable in one org."""

    description: str = Field(min_length=1)
    value: Scalar | None = None
    secret: SecretRef | None = None
    org_specific: bool = Field(
        default=True,
        description="Whether a literal occurrence of this value in a flow identifies the org "
        "(false for values such as a language code that may legitimately appear anywhere).",
    )

    @model_validator(mode="after")
    def _value_or_secret(self) -> Self:
        if (self.value is None) == (self.secret is None):
            raise ValueError("a variable needs exactly one of `value` or `secret`")
        return self


class DidRange(_Model):
    """An inclusive range of the org's phone numbers (DIDs), in E.164 or any dialable form."""

    first: str
    last: str | None = None
    region: str = Field(
        default="US", description="Region for numbers written without +country code."
    )

    _bounds: tuple[int, int] = PrivateAttr(default=(0, 0))

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        first = _e164_int(self.first, self.region)
        last = _e164_int(self.last or self.first, self.region)
        if len(str(first)) != len(str(last)) or first > last:
            raise ValueError(
                "`first` and `last` must be numbers of the same length with first <= last"
            )
        self._bounds = (first, last)
        return self

    @property
    def bounds(self) -> tuple[int, int]:
        """The range as two integers of E.164 digits."""
        return self._bounds

    def contains(self, e164: str) -> bool:
        first, last = self.bounds
        digits = e164.lstrip("+")
        return digits.isdigit() and len(digits) == len(str(first)) and first <= int(digits) <= last


def _e164_int(number: str, region: str) -> int:
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        raise ValueError("a DID is not a phone number phonenumbers can parse") from None
    return int(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:])


class Connection(_Model):
    """How `flows promote` reaches the org: region or URL, credentials from env vars, org id.

    Keys are spelled as in the run config's org profiles (`base_url`, `expected_org_id`); the
    earlier spellings `api_url` and `org_id` are still read."""

    region: str | None = None
    base_url: str | None = Field(default=None, validation_alias=AliasChoices("base_url", "api_url"))
    login_url: str | None = None
    client_id_env: str
    client_secret_env: str
    expected_org_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("expected_org_id", "org_id"),
        description="Expected id from GET /api/v2/organizations/me.",
    )

    @model_validator(mode="after")
    def _where(self) -> Self:
        if (self.region is None) == (self.base_url is None):
            raise ValueError("a connection needs exactly one of `region` or `base_url`")
        return self


class OrgMapping(_Model):
    """The mapping file of one org."""

    role: Literal["production", "staging", "other"]
    description: str = ""
    variables: dict[str, Variable] = Field(default_factory=dict)
    dids: dict[str, DidRange] = Field(default_factory=dict)
    trunks: dict[str, str] = Field(default_factory=dict)
    endpoints: dict[str, str] = Field(
        default_factory=dict, description="Logical name to host name."
    )
    connection: Connection | None = None

    _org: str = PrivateAttr(default="")
    _path: Path | None = PrivateAttr(default=None)
    _lines: dict[KeyPath, int] = PrivateAttr(default_factory=dict)

    @field_validator("endpoints")
    @classmethod
    def _hosts(cls, endpoints: dict[str, str]) -> dict[str, str]:
        for key, host in endpoints.items():
            if not _HOST.fullmatch(host):
                raise ValueError(
                    f"endpoint {key!r} must be a lower-case host name (no scheme, port or path)"
                )
        return endpoints

    @property
    def org(self) -> str:
        return self._org

    @property
    def source(self) -> str:
        return str(self._path) if self._path else f"<mapping {self._org}>"

    def line_of(self, *path: str | int) -> int | None:
        """The line of a key path in the mapping file (or of its nearest ancestor)."""
        key: KeyPath = tuple(path)
        while key:
            if key in self._lines:
                return self._lines[key]
            key = key[:-1]
        return None

    def with_identity(self, org: str, path: Path | None = None) -> OrgMapping:
        """Attach the org name (and file) to a mapping built in code, e.g. in tests."""
        self._org, self._path = org, path
        return self


def read_mapping(path: Path) -> OrgMapping:
    """Read and validate one mapping file; an error names the file, line and key path."""
    document = read_yaml(path, ConfigError)
    if document.data is None:
        raise ConfigError(f"{path}: the mapping file is empty; expected at least `role:`")
    mapping = document.validate(OrgMapping, ConfigError)
    mapping._lines = dict(document.lines)
    return mapping.with_identity(path.stem, path)


def default_mappings_dir() -> Path:
    """$SANITIZER_MAPPINGS, else the shipped `rules/mappings/`."""
    return Path(os.environ.get(MAPPINGS_ENV) or rules_dir() / "mappings")


def read_mappings(directory: Path | None = None) -> list[OrgMapping]:
    """Every `*.yaml` mapping in a folder, sorted by org name."""
    directory = directory or default_mappings_dir()
    if not directory.is_dir():
        raise ConfigError(f"{directory}: mappings folder not found", hint="pass --mappings DIR")
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    stems = [f.stem for f in files]
    for stem in stems:
        if stems.count(stem) > 1:
            raise ConfigError(f"{directory}: two mapping files for org {stem!r} (.yaml and .yml)")
    if not files:
        raise ConfigError(f"{directory}: no mapping files (*.yaml), one per org, were found")
    return [read_mapping(f) for f in files]


def find_mapping(mappings: Sequence[OrgMapping], org: str) -> OrgMapping:
    """The mapping of `org`; an unknown org is a config error listing the known ones."""
    for mapping in mappings:
        if mapping.org == org:
            return mapping
    known = ", ".join(m.org for m in mappings) or "none"
    raise ConfigError(f"no mapping file for org {org!r} (known orgs: {known})")


def value_text(value: Scalar) -> str:
    """A variable value as it is substituted into text (booleans as YAML writes them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve(mapping: OrgMapping, name: str) -> str:
    """The value of variable `name` in `mapping`, reading a secret from its env var or file."""
    variable = mapping.variables.get(name)
    if variable is None:
        raise ConfigError(
            f"{mapping.source}: variable {name!r} is not defined for org {mapping.org!r}"
        )
    if variable.value is not None:
        return value_text(variable.value)
    secret = variable.secret
    assert secret is not None  # guaranteed by Variable._value_or_secret
    where = f"{mapping.source}:{mapping.line_of('variables', name) or ''}".rstrip(":")
    if secret.env is not None:
        found = os.environ.get(secret.env)
        if not found:
            raise ConfigError(
                f"{where}: secret variable {name!r} of org {mapping.org!r}: "
                f"{env_var_words(secret.env)} is not set"
            )
        return found
    base = mapping._path.parent if mapping._path else Path.cwd()
    file = (base / secret.file) if secret.file else base
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{where}: secret variable {name!r} of org {mapping.org!r}: cannot read {file} "
            f"({getattr(exc, 'strerror', None) or type(exc).__name__})"
        ) from None
    if not lines or not lines[0]:
        raise ConfigError(
            f"{where}: secret variable {name!r} of org {mapping.org!r}: {file} is empty"
        )
    return lines[0]


def try_resolve(mapping: OrgMapping, name: str) -> str | None:
    """The value, or None when the variable is undefined or its secret unavailable."""
    try:
        return resolve(mapping, name)
    except ConfigError:
        return None


def check_variables(
    docs: Sequence[FlowDocument], mappings: Sequence[OrgMapping], *, resolve_secrets: bool = False
) -> list[Finding]:
    """`vars check`: each used variable is defined for every org; no org points at another's."""
    from sanitizer.flows.varcheck import check

    return check(docs, mappings, resolve_secrets=resolve_secrets)
