"""`hmac`: a keyed HMAC-SHA256 pseudonym of the normalised value, encoded and truncated.

Never an unkeyed or salted hash: without the key nobody can test a guess (a phone book, a list of
customer ids) against an output. Equal values (after normalisation) get equal pseudonyms everywhere.
"""

from __future__ import annotations

import base64
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from sanitizer.entities import namespace, normalize
from sanitizer.errors import ConfigError
from sanitizer.operators.base import Operator, OperatorContext, OperatorParams

Encoding = Literal["hex", "base32", "base64url"]
# Characters one SHA-256 digest yields in each encoding (no padding).
MAX_LENGTH: dict[str, int] = {"hex": 64, "base32": 52, "base64url": 43}
# Attempts before we conclude `length` is too short for the number of distinct values.
_MAX_ATTEMPTS = 64


class HmacParams(OperatorParams):
    """`encoding`, `length` (characters kept), `prefix` (e.g. "cust_"), `unique` (no two alike)."""

    encoding: Encoding = "hex"
    length: int = Field(default=16, ge=4)
    prefix: str = ""
    unique: bool = False

    @model_validator(mode="after")
    def _fits(self) -> Self:
        limit = MAX_LENGTH[self.encoding]
        if self.length > limit:
            raise ValueError(
                f"length {self.length} exceeds the {limit} characters of {self.encoding}"
            )
        return self


class HmacOperator(Operator):
    """Keyed pseudonyms such as `cust_3f9a7c0d12e4b8a6`; stable per key, unrelated across keys."""

    name: ClassVar[str] = "hmac"
    Params: ClassVar[type[OperatorParams]] = HmacParams

    def replace(self, values: list[str], ctx: OperatorContext) -> list[str]:
        """One pseudonym per value; collisions (with `unique`, the input or `ctx.avoid`) re-key."""
        params = ctx.params
        if not isinstance(params, HmacParams):
            params = HmacParams.model_validate(params.model_dump())
        space = namespace(ctx.entity)
        keys = [normalize(ctx.entity, value, ctx.default_region) for value in values]
        digests = ctx.keyring.digests(space, keys)
        encoded = [_encode(digest, params) for digest in digests]
        order: list[int] = list(range(len(values)))
        if params.unique:
            _check_capacity(len(set(keys)), params, ctx.entity)
            # Resolve clashes in keyed order, so the result does not depend on the input order.
            order.sort(key=digests.__getitem__)
        taken: dict[str, str] = {}  # output → the normalised value that holds it
        decided: dict[str, str] = {}  # normalised value → output (equal values, equal outputs)
        out = list(encoded)
        for i in order:
            value, key = values[i], keys[i]
            if key in decided:
                out[i] = decided[key]
                continue
            candidate, attempt = encoded[i], 0
            while _refused(candidate, value, key, ctx, taken if params.unique else None):
                attempt += 1
                if attempt > _MAX_ATTEMPTS:
                    raise ConfigError(
                        f"operator hmac on {ctx.entity}: no free pseudonym of length "
                        f"{params.length} after {_MAX_ATTEMPTS} attempts",
                        hint="raise `length`, or drop `unique`",
                    )
                digest = ctx.keyring.digest(space, f"{key}\x1e{attempt}")
                candidate = _encode(digest, params)
            out[i] = decided[key] = candidate
            taken[candidate] = key
        return out


def _check_capacity(distinct: int, params: HmacParams, entity: str) -> None:
    alphabet = {"hex": 16, "base32": 32, "base64url": 64}[params.encoding]
    if distinct > alphabet**params.length // 2:
        raise ConfigError(
            f"operator hmac on {entity}: {distinct} distinct values cannot get unique "
            f"pseudonyms of length {params.length} ({params.encoding})",
            hint="raise `length`, or drop `unique`",
        )


def _encode(digest: bytes, params: HmacParams) -> str:
    if params.encoding == "hex":
        text = digest.hex()
    elif params.encoding == "base32":
        text = base64.b32encode(digest).decode("ascii").rstrip("=")
    else:
        text = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    return params.prefix + text[: params.length]


def _refused(
    candidate: str, value: str, key: str, ctx: OperatorContext, taken: dict[str, str] | None
) -> bool:
    if candidate in (value, key) or (taken is not None and candidate in taken):
        return True
    return bool(ctx.avoid) and normalize(ctx.entity, candidate, ctx.default_region) in ctx.avoid


OPERATOR = HmacOperator
