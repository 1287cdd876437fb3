"""The safe ranges: where replacement phones and emails may live, and the membership checks.

Every phone range here is a block its regulator keeps out of service for fiction (NANP
555-0100..0199, Ofcom's drama numbers, ACMA's numbers for creative works) or a pool the operator
owns (staging test DIDs). Email domains are the reserved ones (RFC 2606 / RFC 6761) plus an
optional sink domain.

This module only answers "is this value safe?" for the independent verifier; the phone operator
has its own generation code (`sanitizer/operators/phone.py`) so that a bug in one cannot hide in
the other.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal, Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sanitizer.errors import RulesError
from sanitizer.shipped import rules_dir

SAFE_RANGES_FILE = "safe-ranges.yaml"
# The second-level domains RFC 2606 §3 reserves; their subdomains are reserved with them.
RFC2606_DOMAINS = frozenset({"example.com", "example.net", "example.org"})

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_REGION = re.compile(r"^[A-Z]{2}$")
_DIGITS = re.compile(r"^\d+$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+{_LABEL}$")
_TLD = re.compile(rf"^{_LABEL}$")
_MAX_BLOCK = 10_000_000


def _is_reserved(
    domain: str, tlds: tuple[str, ...], domains: frozenset[str] | set[str] = RFC2606_DOMAINS
) -> bool:
    if any(domain == d or domain.endswith("." + d) for d in domains):
        return True
    return domain.rsplit(".", 1)[-1] in tlds


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PhoneBlock(_Model):
    """A block of numbers: an inclusive E.164 interval (`first`..`last`) or an explicit list."""

    name: str
    first: str | None = None
    last: str | None = None
    numbers: tuple[str, ...] = ()
    source: str | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        has_interval = self.first is not None or self.last is not None
        if has_interval == bool(self.numbers):
            raise ValueError("give either `first` and `last` or `numbers`, not both or neither")
        for number in (self.first, self.last, *self.numbers):
            if number is not None and not _E164.match(number):
                raise ValueError(f"{number!r} is not an E.164 number like +441134960000")
        if has_interval:
            if self.first is None or self.last is None:
                raise ValueError("an interval needs both `first` and `last`")
            if len(self.first) != len(self.last) or self.first > self.last:
                raise ValueError("`first` and `last` must have the same length and first <= last")
            if int(self.last) - int(self.first) + 1 > _MAX_BLOCK:
                raise ValueError(f"a block holds at most {_MAX_BLOCK} numbers")
        return self

    @property
    def size(self) -> int:
        """How many numbers the block holds."""
        if self.first is not None and self.last is not None:
            return int(self.last) - int(self.first) + 1
        return len(self.numbers)


class PhoneRange(PhoneBlock):
    """A regulator's fiction block for one country, and the input numbers it stands in for."""

    country: str
    # National-number prefixes (area codes, or number types such as "7" for UK mobiles) whose
    # numbers this range replaces; the longest matching prefix wins.
    serves: tuple[str, ...] = ()
    # The range used for that country's numbers that no `serves` prefix matches.
    is_fallback: bool = False
    source: str = Field(min_length=1)

    @field_validator("country")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError("expected an ISO 3166 region code such as GB")
        return value

    @field_validator("serves")
    @classmethod
    def _prefixes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for prefix in value:
            if not _DIGITS.match(prefix):
                raise ValueError(f"serves prefix {prefix!r} must be digits of the national number")
        return value


class NanpLines(_Model):
    """The NANP fiction lines: the same exchange and line interval under every area code."""

    exchange: str = "555"
    first_line: str = "0100"
    last_line: str = "0199"
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if not re.fullmatch(r"[2-9]\d\d", self.exchange):
            raise ValueError("exchange must be three digits starting 2-9")
        lines = (self.first_line, self.last_line)
        if not all(re.fullmatch(r"\d{4}", line) for line in lines) or lines[0] > lines[1]:
            raise ValueError("first_line and last_line must be four digits with first <= last")
        return self


class PhoneRanges(_Model):
    """Per-country fiction ranges, the NANP lines, and the pool for every other country."""

    nanp: NanpLines | None = None
    ranges: tuple[PhoneRange, ...] = ()
    # Numbers for countries without a range and for values that are not phone numbers at all,
    # e.g. the staging org's own test DIDs.
    pool: tuple[PhoneBlock, ...] = ()


class EmailRanges(_Model):
    """Domains a replacement email may use: reserved ones, reserved TLDs, and one sink domain."""

    reserved_tlds: tuple[str, ...] = ("test", "invalid", "example")
    domains: tuple[str, ...] = tuple(sorted(RFC2606_DOMAINS))
    # A domain the operator owns that swallows all mail (a catch-all mailbox); the only real domain.
    sink_domain: str | None = None

    @field_validator("reserved_tlds")
    @classmethod
    def _tlds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        lowered = tuple(tld.strip().lower().lstrip(".") for tld in value)
        for tld in lowered:
            if not _TLD.match(tld):
                raise ValueError(f"{tld!r} is not a top-level domain label")
        return lowered

    @field_validator("domains")
    @classmethod
    def _reserved_domains(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        lowered = tuple(domain.strip().lower().rstrip(".") for domain in value)
        tlds = info.data.get("reserved_tlds", ())
        for domain in lowered:
            if not _DOMAIN.match(domain):
                raise ValueError(f"{domain!r} is not a domain name")
            # Fail closed: a real domain belongs in `sink_domain` (one you own), never here.
            if not _is_reserved(domain, tlds):
                raise ValueError(
                    f"domain {domain!r} is not reserved (example.com/.net/.org or a reserved "
                    "TLD); put a domain you own in `sink_domain` instead"
                )
        return lowered

    @field_validator("sink_domain")
    @classmethod
    def _sink(cls, value: str | None) -> str | None:
        if value is None:
            return None
        domain = value.strip().lower().rstrip(".")
        if not _DOMAIN.match(domain):
            raise ValueError(f"{domain!r} is not a domain name")
        return domain


class SafeRanges(_Model):
    """The shipped or configured safe ranges; `is_safe_phone` / `is_safe_email` test membership."""

    version: Literal[1] = 1
    phones: PhoneRanges = Field(default_factory=PhoneRanges)
    emails: EmailRanges = Field(default_factory=EmailRanges)

    @cached_property
    def _phone_index(self) -> _PhoneIndex:
        return _PhoneIndex(self.phones)

    def is_safe_phone(self, e164: str) -> bool:
        """True when `e164` ("+" and digits) lies in a fiction range, the NANP lines or the pool."""
        return self._phone_index.contains(e164.strip())

    def in_nanp_lines(self, national: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """For many North American national numbers (ten digits) at once, whether each is in the NANP
        fiction lines, so that `is_safe_phone("+1" + number)` is True. False does not mean unsafe: a
        number may lie in another range (ask `is_safe_phone`)."""
        index = self._phone_index
        nanp = self.phones.nanp
        if index.nanp is None or nanp is None or not re.fullmatch(r"[0-9]{3}", nanp.exchange):
            return np.zeros(len(national), dtype=bool)
        ten = pc.fill_null(pc.match_substring_regex(national, r"^[2-9][0-9]{9}$"), False)
        wanted = ten.to_numpy(zero_copy_only=False)
        digits = pc.if_else(ten, national, pa.scalar("0", national.type)).cast(pa.int64())
        numbers = digits.to_numpy(zero_copy_only=False)
        line = numbers % 10_000
        low, high = index.nanp_lines
        return (  # type: ignore[no-any-return]
            wanted
            & ((numbers // 10_000) % 1_000 == int(nanp.exchange))
            & (line >= low)
            & (line <= high)
        )

    def is_safe_email_domain(self, domain: str) -> bool:
        """True for a reserved domain, a subdomain of one, a reserved TLD or the sink domain."""
        domain = domain.strip().lower().rstrip(".")
        if not domain:
            return False
        if self.emails.sink_domain is not None and domain == self.emails.sink_domain:
            return True
        allowed = RFC2606_DOMAINS | set(self.emails.domains)
        return _is_reserved(domain, self.emails.reserved_tlds, allowed)

    def is_safe_email(self, address: str) -> bool:
        """True when the address's domain is safe (any local part at a safe domain is safe)."""
        local, at, domain = address.strip().rpartition("@")
        return bool(at) and bool(local) and self.is_safe_email_domain(domain)


class _PhoneIndex:
    """Membership structures built once: explicit numbers, intervals by length, the NANP pattern."""

    def __init__(self, phones: PhoneRanges) -> None:
        self.numbers: set[str] = set()
        self.intervals: dict[int, list[tuple[int, int]]] = {}
        for block in (*phones.ranges, *phones.pool):
            if block.numbers:
                self.numbers.update(block.numbers)
            elif block.first is not None and block.last is not None:
                self.intervals.setdefault(len(block.first), []).append(
                    (int(block.first[1:]), int(block.last[1:]))
                )
        self.nanp: re.Pattern[str] | None = None
        self.nanp_lines = (0, -1)
        if phones.nanp is not None:
            self.nanp = re.compile(rf"^\+1[2-9]\d\d{phones.nanp.exchange}(\d{{4}})$")
            self.nanp_lines = (int(phones.nanp.first_line), int(phones.nanp.last_line))

    def contains(self, e164: str) -> bool:
        if not _E164.match(e164):
            return False
        if e164 in self.numbers:
            return True
        if self.nanp is not None and (match := self.nanp.match(e164)):
            low, high = self.nanp_lines
            if low <= int(match.group(1)) <= high:
                return True
        value = int(e164[1:])
        return any(low <= value <= high for low, high in self.intervals.get(len(e164), ()))


def read_safe_ranges(path: Path) -> SafeRanges:
    """Read and validate a safe-ranges YAML file; errors name the file, key path and expectation."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(
            f"cannot read safe ranges file {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise RulesError(f"safe ranges file {path}{where}: {problem}") from None
    if not isinstance(document, dict):
        raise RulesError(f"safe ranges file {path}: expected a mapping with `phones` and `emails`")
    try:
        return SafeRanges.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _key_path(first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        raise RulesError(f"safe ranges file {path} at {where}: {message}{more}") from None


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


@lru_cache(maxsize=1)
def default_safe_ranges() -> SafeRanges:
    """The safe ranges that ship with sanitizer (`rules/safe-ranges.yaml`)."""
    return read_safe_ranges(rules_dir() / SAFE_RANGES_FILE)


__all__ = [
    "EmailRanges",
    "NanpLines",
    "PhoneBlock",
    "PhoneRange",
    "PhoneRanges",
    "SafeRanges",
    "default_safe_ranges",
    "read_safe_ranges",
]
