"""The scrub key: where it comes from, its fingerprint, and the keyed digests every operator draws from."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sanitizer.errors import KeyMaterialError

log = logging.getLogger("sanitizer.keyring")

KEY_ENV = "SANITIZER_KEY"
MIN_KEY_BYTES = 16
_FINGERPRINT_LABEL = b"sanitizer key fingerprint v1"
_BLOCK = 64  # SHA-256's block size: HMAC pads the key to it (and hashes a longer key first)
_IPAD = bytes(b ^ 0x36 for b in range(256))  # byte translations: key XOR ipad, key XOR opad
_OPAD = bytes(b ^ 0x5C for b in range(256))


@dataclass(frozen=True)
class Keyring:
    """A secret key and the keyed HMAC-SHA256 digests derived from it.

    The same (namespace, value) always gives the same digest under the same key, and another key gives
    unrelated digests. Nobody without the key can test a guess (a phone book) against an output.
    """

    secret: bytes = field(repr=False)
    source: str = "env"

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_KEY_BYTES:
            raise KeyMaterialError(
                f"the scrub key from {self.source} is {len(self.secret)} bytes; "
                f"at least {MIN_KEY_BYTES} are required",
                hint="generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`",
            )

    def __repr__(self) -> str:
        # Never the key: tracebacks, debuggers and test reports print reprs.
        return f"Keyring(fingerprint={self.fingerprint!r}, source={self.source!r})"

    @property
    def fingerprint(self) -> str:
        """A short public identifier of the key: safe to print, useless for recovering the key."""
        return (
            "hmac-sha256:"
            + hmac.new(self.secret, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]
        )

    def digest(self, namespace: str, value: str) -> bytes:
        """HMAC-SHA256 of `value` within `namespace` (namespaces keep entity families apart)."""
        return hmac.new(self.secret, f"{namespace}\x1f{value}".encode(), hashlib.sha256).digest()

    def digests(self, namespace: str, values: list[str]) -> list[bytes]:
        """`digest` for many values: HMAC-SHA256 spelled out (RFC 2104) from keyed inner and outer SHA-256
        states copied per value, several times faster than a new `hmac` object each."""
        key = self.secret if len(self.secret) <= _BLOCK else hashlib.sha256(self.secret).digest()
        key = key.ljust(_BLOCK, b"\0")
        inner = hashlib.sha256(key.translate(_IPAD))
        inner.update(f"{namespace}\x1f".encode())
        outer = hashlib.sha256(key.translate(_OPAD))
        out = []
        for value in values:
            h = inner.copy()
            h.update(value.encode())
            o = outer.copy()
            o.update(h.digest())
            out.append(o.digest())
        return out

    def number(self, namespace: str, value: str, attempt: int = 0) -> int:
        """A keyed 64-bit integer for `value`; `attempt` > 0 gives the next candidates when one is refused."""
        suffix = "" if attempt == 0 else f"\x1e{attempt}"
        return int.from_bytes(self.digest(namespace, value + suffix)[:8], "big")

    def derive(self, purpose: str) -> bytes:
        """A 32-byte subkey for another purpose (e.g. encrypting a snapshot at rest)."""
        return hmac.new(
            self.secret, f"sanitizer derive {purpose}".encode(), hashlib.sha256
        ).digest()


def read_key(
    key_file: Path | None = None,
    *,
    env: dict[str, str] | None = None,
    env_var: str = KEY_ENV,
    how: str = "pass --key-file",
) -> Keyring:
    """Load the key from `key_file` or else from the environment; no key is an error, never a default."""
    environ = os.environ if env is None else env
    if key_file is not None:
        try:
            raw = key_file.read_bytes()
        except OSError as exc:
            raise KeyMaterialError(
                f"cannot read key file {key_file}: {exc.strerror or type(exc).__name__}"
            ) from None
        secret = raw.strip()
        if not secret:
            raise KeyMaterialError(f"key file {key_file} is empty")
        mode = key_file.stat().st_mode & 0o777
        if mode & 0o077:  # a warning, not an error: mounted secrets are often 0644 by default
            log.warning(
                "key file %s can be read by other users (mode %04o); make it 0400 or 0600",
                key_file,
                mode,
            )
        return Keyring(secret, source=f"file {key_file}")
    value = environ.get(env_var, "").strip()
    if not value:
        raise KeyMaterialError(
            f"no scrub key: set ${env_var} or {how}",
            hint="the key makes pseudonyms deterministic and irreversible; keep it in your secret store",
        )
    return Keyring(value.encode(), source=f"${env_var}")


def generate_key() -> Keyring:
    """A throwaway random key (for demos); its outputs cannot be reproduced by anyone."""
    return Keyring(secrets.token_urlsafe(32).encode(), source="generated for this run only")
