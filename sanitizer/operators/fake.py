"""`fake`: realistic Faker output chosen by the keyed hash, in the locale's style.

Names come from the locale's own first- and last-name lists, indexed by the keyed number (fast, and
the same token always gets the same name); a full name is replaced token by token, so "Jane" in a
first-name column, in a full-name column and in an agent's note all become the same fake name.
Other providers (city, street_address, company...) run a Faker instance seeded per value; dates of
birth come from a fixed window, and Faker's providers that count from today's date are refused.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from faker import Faker
from faker.providers.date_time import Provider as DateTimeProvider
from pydantic import field_validator

from sanitizer.entities import (
    ADDRESS,
    FIRST_NAME,
    LAST_NAME,
    LOCATION,
    PERSON,
    is_name_word,
    namespace,
    normalize,
    normalize_name,
)
from sanitizer.errors import RulesError
from sanitizer.operators.base import Operator, OperatorContext, OperatorParams

if TYPE_CHECKING:
    from sanitizer.keyring import Keyring

NameKind = Literal["first", "last"]

DEFAULT_PROVIDER: dict[str, str] = {
    PERSON: "name",
    FIRST_NAME: "first_name",
    LAST_NAME: "last_name",
    LOCATION: "city",
    ADDRESS: "street",
}
# `street`: a house number, a street word that is nobody's name, and a suffix. Faker's own street names
# are built from surnames, so a fake address could spell a customer's name (and look like a leak).
_STREET_WORDS = (
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Elm",
    "Birch",
    "Spruce",
    "Chestnut",
    "Hawthorn",
    "Sycamore",
    "Poplar",
    "Alder",
    "Cypress",
    "Hemlock",
    "Beech",
    "Walnut",
    "Hazel",
    "Larch",
    "Rowan",
    "Yew",
    "Acorn",
    "Orchard",
    "Meadow",
    "Quarry",
    "Granary",
    "Market",
    "Mill",
    "Station",
    "Harbour",
    "Canal",
    "Bridge",
    "Church",
    "School",
    "Chapel",
    "Garden",
    "Valley",
    "Ridge",
    "Summit",
    "Spring",
    "Creek",
    "Pond",
    "Lakeview",
    "Hillside",
    "Parkside",
    "Riverside",
    "Seaview",
    "Windmill",
    "Lighthouse",
    "Foundry",
    "Tannery",
    "Dockyard",
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
)
_STREET_SUFFIXES = (
    "Street",
    "Avenue",
    "Road",
    "Lane",
    "Way",
    "Drive",
    "Court",
    "Place",
    "Terrace",
    "Close",
)
_UNIT = re.compile(r"\b(Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat)\s*[\w-]+", re.IGNORECASE)
_FIRST_PROVIDERS = frozenset({"first_name", "first_name_female", "first_name_male"})
_NOT_PROVIDERS = frozenset({"seed", "seed_instance", "seed_locale", "add_provider", "format"})
# Honorifics (before a name) and generational suffixes (after one) are not identifying: they pass
# through unchanged. The same word alone, or as the surname, is a name ("Jane Lord").
_HONORIFICS = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lady", "lord", "rev", "fr"}
)
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_EDGE_PUNCTUATION = ".,;:!?\"'()[]{}<>"
_WHITESPACE = re.compile(r"(\s+)")
_MAX_ATTEMPTS = 32


# Faker's date and time providers count from the current date (`date_of_birth` up to today, `date`,
# `year` or `past_date` up to now): the same value would get another fake on another day, so they are
# refused, except `date_of_birth`, which this module draws itself from a fixed window.
_CLOCK_FREE = frozenset({"date_of_birth", "century", "timezone"})
_BORN_FROM, _BORN_UNTIL = date(1936, 1, 1), date(2008, 12, 31)  # ages 18 to 90 in 2026


class FakeParams(OperatorParams):
    """`provider`: a Faker provider (default by entity); `locale`: e.g. en_GB (else the run's)."""

    provider: str | None = None
    locale: str | None = None

    @field_validator("provider")
    @classmethod
    def _independent_of_the_date(cls, provider: str | None) -> str | None:
        if (
            provider
            and provider not in _CLOCK_FREE
            and callable(vars(DateTimeProvider).get(provider))
        ):
            raise ValueError(
                f"provider {provider!r} counts from today's date, so a value would get another fake "
                "on another day; use date_of_birth (a fixed window), or operator hmac or redact"
            )
        return provider


class FakeOperator(Operator):
    """Keyed Faker values; a name never maps to itself and keeps its case (UPPER, lower, Title)."""

    name: ClassVar[str] = "fake"
    Params: ClassVar[type[OperatorParams]] = FakeParams

    def replace(self, values: list[str], ctx: OperatorContext) -> list[str]:
        """One fake value per value, in the same order."""
        params = ctx.params
        if not isinstance(params, FakeParams):
            params = FakeParams.model_validate(params.model_dump())
        locale = params.locale or ctx.locale
        provider = params.provider or DEFAULT_PROVIDER.get(ctx.entity)
        if provider is None:
            raise RulesError(
                f"operator fake on entity {ctx.entity}: no default provider; set params.provider "
                "(e.g. city, street_address, company)"
            )
        if provider == "name":
            return replace_person_names(values, ctx.keyring, locale)
        if provider == "street":
            return _streets(values, ctx)
        if provider == "date_of_birth":
            return _dates_of_birth(values, ctx)
        if provider in _FIRST_PROVIDERS or provider == "last_name":
            kind: NameKind = "last" if provider == "last_name" else "first"
            return replace_person_names(values, ctx.keyring, locale, only=kind)
        return _seeded(values, provider, locale, ctx)


def replace_name_tokens(
    tokens: list[str], kind: NameKind, keyring: Keyring, locale: str = "en_US"
) -> list[str]:
    """Each name token (one word, no spaces) as a fake first or last name of the locale.

    The shared primitive of the name columns and of free text: the replacement of a token depends
    only on the key, the kind, the locale and the case-folded token; a token never maps to itself.
    A one-letter token (an initial) becomes another initial; one Chinese, Japanese or Korean
    character is a name (王).
    """
    pool = name_pool(locale, kind)
    space = namespace(FIRST_NAME if kind == "first" else LAST_NAME)
    keys = [normalize_name(token) for token in tokens]
    out: list[str] = []
    for token, key, digest in zip(tokens, keys, keyring.digests(space, keys), strict=True):
        index = int.from_bytes(digest[:8], "big") % len(pool)
        candidate = pool[index]
        initial = not is_name_word(key)  # "J", not "王"
        for step in range(1, len(pool) + 1):
            shown = candidate[0] if initial else candidate
            if normalize_name(shown) != key:
                break
            candidate = pool[(index + step) % len(pool)]
        out.append(same_case(token, candidate[0] if initial else candidate))
    return out


def replace_person_names(
    values: list[str], keyring: Keyring, locale: str = "en_US", *, only: NameKind | None = None
) -> list[str]:
    """Full names token by token: first and middle tokens as first names, the last as a last name
    ("Berg, Jane" reads last-name first); `only` maps every token to one kind (name columns)."""
    plans = [_name_plan(value, only) for value in values]
    wanted: dict[NameKind, dict[str, str]] = {"first": {}, "last": {}}
    for plan in plans:
        for core, kind in plan.cores():
            wanted[kind][core] = core
    for kind, mapping in wanted.items():
        cores = list(mapping)
        mapping.update(zip(cores, replace_name_tokens(cores, kind, keyring, locale), strict=True))
    return [plan.render(wanted) for plan in plans]


class _NamePlan:
    """A name split into whitespace, punctuation and word cores, each core with its kind."""

    def __init__(self, parts: list[tuple[str, str, str, NameKind | None]]) -> None:
        self.parts = parts  # (leading punctuation, core, trailing punctuation, kind or None)

    def cores(self) -> list[tuple[str, NameKind]]:
        return [(core, kind) for _, core, _, kind in self.parts if kind is not None]

    def render(self, wanted: dict[NameKind, dict[str, str]]) -> str:
        return "".join(
            lead + (wanted[kind][core] if kind is not None else core) + trail
            for lead, core, trail, kind in self.parts
        )


def _name_plan(value: str, only: NameKind | None) -> _NamePlan:
    chunks = _WHITESPACE.split(value)
    words = [i for i, chunk in enumerate(chunks) if any(ch.isalpha() for ch in chunk)]
    if only is None:
        # "Mr Jane Roe Jr": a title before a name and a suffix after one pass through. A title word that
        # stands alone or last is the name itself ("Jane Lord"), and in a first/last-name column every
        # word is a name.
        while len(words) > 1 and _core(chunks[words[0]]) in _HONORIFICS:
            words.pop(0)
        while len(words) > 1 and _core(chunks[words[-1]]) in _SUFFIXES:
            words.pop()
    if not words:
        return _NamePlan([(value, "", "", None)])
    comma = next((i for i in words if chunks[i].rstrip().endswith(",")), None)
    if comma is not None and comma != words[-1]:
        last_word: int | None = comma  # "Berg, Jane": the surname comes first
    else:
        last_word = words[-1] if len(words) > 1 else None
    parts: list[tuple[str, str, str, NameKind | None]] = []
    for i, chunk in enumerate(chunks):
        core = chunk.strip(_EDGE_PUNCTUATION)
        if i not in words or not core:
            parts.append((chunk, "", "", None))
            continue
        lead = chunk[: len(chunk) - len(chunk.lstrip(_EDGE_PUNCTUATION))]
        trail = chunk[len(lead) + len(core) :]
        kind: NameKind = only or ("last" if i == last_word else "first")
        parts.append((lead, core, trail, kind))
    return _NamePlan(parts)


def _core(chunk: str) -> str:
    return chunk.strip(_EDGE_PUNCTUATION).casefold()


def same_case(template: str, name: str) -> str:
    """`name` in the case of `template` (upper, lower, else as written)."""
    if template.isupper():
        return name.upper()
    if template.islower():
        return name.lower()
    return name


@lru_cache(maxsize=64)
def _faker(locale: str) -> Faker:
    try:
        return Faker(locale)
    except AttributeError:
        raise RulesError(f"operator fake: unknown Faker locale {locale!r}") from None


@lru_cache(maxsize=1)
def _frozen_pools() -> dict[str, dict[str, list[str]]]:
    pools: dict[str, dict[str, list[str]]] = json.loads(
        (Path(__file__).resolve().parents[1] / "data" / "names.json").read_text(encoding="utf-8")
    )
    return pools


@lru_cache(maxsize=64)
def name_pool(locale: str, kind: NameKind) -> tuple[str, ...]:
    """The locale's name list: the frozen copy shipped with sanitizer (sanitizer/data/names.json, so a
    Faker upgrade does not change pseudonyms), else Faker's own list, else names Faker draws."""
    frozen = _frozen_pools().get(locale, {}).get(kind)
    if frozen:
        return tuple(frozen)
    attribute = "first_names" if kind == "first" else "last_names"
    for provider in _faker(locale).providers:
        names = getattr(provider, attribute, None)
        if names:
            pool = tuple(dict.fromkeys(str(name) for name in names if str(name).strip()))
            if len(pool) >= 2:
                return pool
    fake = _faker(locale)
    fake.seed_instance(0)
    draw = fake.first_name if kind == "first" else fake.last_name
    return tuple(dict.fromkeys(draw() for _ in range(500)))


def _streets(values: list[str], ctx: OperatorContext) -> list[str]:
    """Keyed street addresses whose words are never a person's name nor a word of the original."""
    space = f"{namespace(ctx.entity)}:street"
    keys = [normalize(ctx.entity, value, ctx.default_region) for value in values]
    out = []
    for value, key in zip(values, keys, strict=True):
        held = {word.casefold() for word in re.findall(r"\w+", value)}
        for attempt in range(_MAX_ATTEMPTS):
            n = ctx.keyring.number(space, key, attempt)
            word = _STREET_WORDS[(n >> 16) % len(_STREET_WORDS)]
            suffix = _STREET_SUFFIXES[(n >> 32) % len(_STREET_SUFFIXES)]
            number = str(1 + n % 9899)
            if word.casefold() not in held and suffix.casefold() not in held and number not in held:
                break
        unit = _UNIT.search(value)
        out.append(
            f"{number} {word} {suffix}"
            + (f", {unit.group(1)} {100 + (n >> 40) % 900}" if unit else "")
        )
    return out


def _dates_of_birth(values: list[str], ctx: OperatorContext) -> list[str]:
    """An ISO date between _BORN_FROM and _BORN_UNTIL chosen by the keyed number, never the value's
    own (the same on any day, unlike Faker's `date_of_birth`)."""
    space = f"{namespace(ctx.entity)}:date_of_birth"
    days = (_BORN_UNTIL - _BORN_FROM).days + 1
    keys = [normalize(ctx.entity, value, ctx.default_region) for value in values]
    out = []
    for key, digest in zip(keys, ctx.keyring.digests(space, keys), strict=True):
        number, attempt = int.from_bytes(digest[:8], "big"), 0
        while (born := (_BORN_FROM + timedelta(days=number % days)).isoformat()) == key:
            attempt += 1
            number = ctx.keyring.number(space, key, attempt)
        out.append(born)
    return out


def _seeded(values: list[str], provider: str, locale: str, ctx: OperatorContext) -> list[str]:
    fake = _faker(locale)
    method = _provider_method(fake, provider, locale)
    space = f"{namespace(ctx.entity)}:{provider}"
    keys = [normalize(ctx.entity, value, ctx.default_region) for value in values]
    out = []
    for key, digest in zip(keys, ctx.keyring.digests(space, keys), strict=True):
        seed, attempt = int.from_bytes(digest[:8], "big"), 0
        while True:
            fake.seed_instance(seed)
            try:
                candidate = str(method())
            except TypeError:
                raise RulesError(
                    f"operator fake: provider {provider!r} needs arguments; "
                    "choose one that takes none (e.g. city, street_address, company)"
                ) from None
            if normalize(ctx.entity, candidate, ctx.default_region) != key:
                break
            attempt += 1
            if attempt > _MAX_ATTEMPTS:
                raise RulesError(
                    f"operator fake: provider {provider!r} keeps returning the original value; "
                    "choose a provider with more variety"
                )
            seed = ctx.keyring.number(space, key, attempt)
        # Some locales' addresses span lines; a table cell keeps them on one.
        out.append(", ".join(line.strip() for line in candidate.splitlines() if line.strip()))
    return out


def _provider_method(fake: Faker, provider: str, locale: str) -> Any:
    method = (
        None
        if provider.startswith("_") or provider in _NOT_PROVIDERS
        else getattr(fake, provider, None)
    )
    if not callable(method):
        raise RulesError(
            f"operator fake: {provider!r} is not a Faker provider for locale {locale!r}; "
            "expected e.g. first_name, last_name, name, street_address, city, postcode, company"
        )
    return method


OPERATOR = FakeOperator
