"""`email`: a deterministic, readable address at a reserved domain or the configured sink domain.

The local part is built from keyed fake names (`jane.doe.3f9a`) or a keyed token (`user-3f9a7c0d`);
the domain is example.com/.net/.org by default (chosen by the keyed hash) or the sink domain. A
persona variant builds the local part from the row's fake first and last name, so that a contact's
name and address still agree after scrubbing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import ClassVar, Literal

from sanitizer.entities import EMAIL_ADDRESS, namespace, normalize_email
from sanitizer.errors import ConfigError, RulesError, SanitizerError
from sanitizer.operators.base import Operator, OperatorContext, OperatorParams
from sanitizer.operators.fake import name_pool

_NOT_LOCAL = re.compile(r"[^a-z0-9-]+")
_USER_PIECES = re.compile(r"[._+-]")
_HYPHENS = re.compile(r"-{2,}")
_PART_MAX = 20
_MAX_ATTEMPTS = 64


class EmailParams(OperatorParams):
    """`domains` (default: the safe ranges' reserved domains), `sink_domain` (all mail to one
    domain you own), `style` (`name`: jane.doe.3f9a, `user`: user-3f9a7c0d), `unique`."""

    domains: tuple[str, ...] | None = None
    sink_domain: str | None = None
    style: Literal["name", "user"] = "name"
    unique: bool = False


class EmailOperator(Operator):
    """Keyed addresses at safe domains; never an original in `ctx.avoid`, never the input."""

    name: ClassVar[str] = "email"
    Params: ClassVar[type[OperatorParams]] = EmailParams

    def replace(self, values: list[str], ctx: OperatorContext) -> list[str]:
        """One address per value; with `unique`, clashes resolve in keyed-digest order."""
        params = _params(ctx)
        domains = _domains(params, ctx)
        first_pool, last_pool = name_pool(ctx.locale, "first"), name_pool(ctx.locale, "last")

        def local(digest: bytes) -> str:
            if params.style == "user":
                return "user-" + digest[:4].hex()
            first = first_pool[int.from_bytes(digest[8:16], "big") % len(first_pool)]
            last = last_pool[int.from_bytes(digest[16:24], "big") % len(last_pool)]
            return _persona_local(first, last, digest)

        return _resolve(values, ctx, params, domains, lambda _i, digest: local(digest))

    def is_independent(self, params: OperatorParams) -> bool:
        """Without `unique`, an address depends on the value, the key and `ctx.avoid` only."""
        return not getattr(params, "unique", False)

    def respell_part(self, piece: str, whole: str, replacement: str, ctx: OperatorContext) -> str:
        """An address's user part written alone ("skype zq1985" for zq1985@example.org): the user part
        of its replacement ("jane.doe.3f9a"); a piece of it ("1985x" of zq.1985x@...): the
        replacement's last piece, its keyed one ("3f9a")."""
        user = replacement.rpartition("@")[0] or replacement
        if piece.lower() == whole.strip().rpartition("@")[0].lower():
            return user
        return _USER_PIECES.split(user)[-1] or user

    def replace_persona(
        self,
        values: list[str],
        first_names: list[str],
        last_names: list[str],
        ctx: OperatorContext,
    ) -> list[str]:
        """The persona variant (see the module function `replace_persona`)."""
        return replace_persona(values, first_names, last_names, ctx)


def replace_persona(
    values: list[str], first_names: list[str], last_names: list[str], ctx: OperatorContext
) -> list[str]:
    """Addresses whose local part is the row's fake first and last name (ASCII-folded) plus a
    short keyed suffix, e.g. ("jane.roe@corp.example", "Mia", "Åberg") → mia.aberg.3f9a@example.org.

    `values[i]`, `first_names[i]` and `last_names[i]` belong to one row; the names are the row's
    already-replaced fake names. The domain and suffix are keyed by the original address.
    """
    if not len(values) == len(first_names) == len(last_names):
        raise SanitizerError(
            f"replace_persona: {len(values)} emails, {len(first_names)} first names and "
            f"{len(last_names)} last names; expected one of each per row"
        )
    params = _params(ctx)
    domains = _domains(params, ctx)
    return _resolve(
        values,
        ctx,
        params,
        domains,
        lambda i, digest: _persona_local(first_names[i], last_names[i], digest),
    )


def _params(ctx: OperatorContext) -> EmailParams:
    params = ctx.params
    if isinstance(params, EmailParams):
        return params
    return EmailParams.model_validate(params.model_dump())


def _domains(params: EmailParams, ctx: OperatorContext) -> tuple[str, ...]:
    """The domains to draw from; every one must pass the safe ranges' own membership check."""
    if params.sink_domain is not None:
        domains: tuple[str, ...] = (params.sink_domain.strip().lower().rstrip("."),)
    else:
        domains = params.domains if params.domains is not None else ctx.ranges.emails.domains
        domains = tuple(domain.strip().lower().rstrip(".") for domain in domains)
    if not domains:
        raise RulesError("operator email: `domains` is empty; expected at least one safe domain")
    for domain in domains:
        if not ctx.ranges.is_safe_email_domain(domain):
            raise RulesError(
                f"operator email: domain {domain!r} is not in the safe ranges; expected "
                "example.com/.net/.org, a .test/.invalid/.example domain or the sink_domain"
            )
    return domains


def _resolve(
    values: list[str],
    ctx: OperatorContext,
    params: EmailParams,
    domains: tuple[str, ...],
    local: Callable[[int, bytes], str],
) -> list[str]:
    space = namespace(EMAIL_ADDRESS)
    keys = [normalize_email(value) for value in values]
    digests = ctx.keyring.digests(space, keys)
    order = list(range(len(values)))
    if params.unique:
        order.sort(key=digests.__getitem__)
    taken: set[str] = set()
    decided: dict[str, str] = {}  # normalised address → output (equal values, equal outputs)
    out = list(values)
    for i in order:
        if params.unique and keys[i] in decided:
            out[i] = decided[keys[i]]
            continue
        digest, attempt = digests[i], 0
        while True:
            address = f"{local(i, digest)}@{domains[digest[26] % len(domains)]}"
            if address != keys[i] and address not in ctx.avoid and address not in taken:
                break
            attempt += 1
            if attempt > _MAX_ATTEMPTS:
                raise ConfigError(
                    "operator email: no free address after "
                    f"{_MAX_ATTEMPTS} attempts (unique outputs exhausted)",
                    hint="add domains, use style `user`, or drop `unique`",
                )
            digest = ctx.keyring.digest(space, f"{keys[i]}\x1e{attempt}")
        if params.unique:
            taken.add(address)
            decided[keys[i]] = address
        out[i] = address
    return out


def _persona_local(first: str, last: str, digest: bytes) -> str:
    parts = [part for part in (ascii_fold(first), ascii_fold(last)) if part]
    return ".".join([*(parts or ["user"]), digest[:2].hex()])


def ascii_fold(name: str) -> str:
    """A name as a local-part word: accents removed, lower case, letters, digits and hyphens."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    word = _HYPHENS.sub("-", _NOT_LOCAL.sub("", ascii_only.replace(" ", "-")))
    return word.strip("-")[:_PART_MAX].strip("-")


OPERATOR = EmailOperator
