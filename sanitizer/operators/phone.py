"""`phone`: a keyed number in a safe range that keeps the country and, where it can, the area code.

NANP numbers keep their area code and get line 555-0100..0199; UK numbers get Ofcom's drama block
for their area code (mobiles 07700 900xxx, else 01632 960xxx); Australian numbers ACMA's blocks;
every other country, and values that are not phone numbers at all, the configured pool. The output
keeps the input's layout (digits replaced in place) when the digit count allows, else it is E.164.

Generation lives here; membership (is this output safe?) lives in `sanitizer/ranges.py`, so the
verifier never trusts this code.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import ClassVar, Literal, NamedTuple

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberType

from sanitizer.entities import namespace, normalize_phone
from sanitizer.errors import ConfigError
from sanitizer.operators.base import Operator, OperatorContext, OperatorParams
from sanitizer.ranges import PhoneBlock, PhoneRange, SafeRanges

_SHAPE = re.compile(r"^\+?[0-9\s().\-]+$")
_NON_DIGITS = re.compile(r"[^0-9]+")
_GEOGRAPHIC = frozenset(
    {PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
_COUNTRY_CODES = frozenset(str(cc) for cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


class PhoneParams(OperatorParams):
    """`unique`: distinct outputs within the call; `format`: keep the input's layout, or E.164."""

    unique: bool = False
    format: Literal["keep", "e164"] = "keep"


class ParsedPhone(NamedTuple):
    """A value's identity (`key`: E.164, or digits when it is no phone) and its country parts."""

    key: str
    country_code: str | None
    national: str | None


class PhoneOperator(Operator):
    """Deterministic safe-range numbers; never an original in `ctx.avoid`, never the input."""

    name: ClassVar[str] = "phone"
    Params: ClassVar[type[OperatorParams]] = PhoneParams

    def replace(self, values: list[str], ctx: OperatorContext) -> list[str]:
        """One safe number per value; with `unique`, clashes resolve in keyed-digest order."""
        params = ctx.params
        if not isinstance(params, PhoneParams):
            params = PhoneParams.model_validate(params.model_dump())
        plan = _plan_for(ctx.ranges)
        regions = tuple(ctx.regions)
        parsed = [parse_phone(value, ctx.default_region, regions) for value in values]
        digests = ctx.keyring.digests(namespace(ctx.entity), [p.key for p in parsed])
        order = list(range(len(values)))
        if params.unique:
            order.sort(key=digests.__getitem__)
        picker = _Picker(ctx.avoid, params.unique)
        out = list(values)
        for i in order:
            phone = parsed[i]
            groups = plan.groups_for(phone.country_code, phone.national)
            number, group = picker.pick(groups, int.from_bytes(digests[i][:8], "big"), phone)
            if params.format == "e164":
                out[i] = "+" + number
            else:
                # Digits go in place when the area is kept; a new area code may need new grouping.
                same_shape = phone.country_code == "1" or id(group) in plan.area_groups
                out[i] = render(values[i], phone, number, in_place=same_shape)
        return out


def is_phone_number(value: str, default_region: str, regions: tuple[str, ...] = ()) -> bool:
    """False for a value phonenumbers cannot read as a possible number (it gets a pool number)."""
    return parse_phone(value, default_region, regions).country_code is not None


def parse_phone(value: str, default_region: str, regions: tuple[str, ...] = ()) -> ParsedPhone:
    """The number `value` holds: valid in `default_region`, else valid in one of `regions`, else
    possible in `default_region`; anything else keys by its digits and has no country."""
    fast = _parse_fast(value, default_region)
    return fast if fast is not None else _parse_slow(value, default_region, regions)


def _parse_fast(value: str, default_region: str) -> ParsedPhone | None:
    """The common shapes without a full phonenumbers parse; None when unsure (slow path decides).

    Each branch returns exactly what `_parse_slow` would (a property test holds them together).
    """
    text = value.strip()
    if not _SHAPE.match(text):
        return None
    digits = _NON_DIGITS.sub("", text)
    if len(digits) < 4:
        return None
    if text.startswith("+"):
        cc = split_country_code(digits)
        if cc is None:
            return None
        national = digits[len(cc) :]
        meta = _main_metadata(cc)
        if (
            meta is None
            or meta.general_desc is None
            or not national
            or national[0] == "0"
            or len(national) not in meta.general_desc.possible_length
            or _strips_prefix(meta, national)
        ):
            return None
        return ParsedPhone("+" + digits, cc, national)
    meta = PhoneMetadata.metadata_for_region(default_region)
    if meta is None:
        return None
    cc = str(meta.country_code)
    if cc == "1":
        national = digits[1:] if len(digits) == 11 and digits[0] == "1" else digits
        if len(national) == 10 and national[0] in "23456789" and _nanp_valid(national[:6]):
            return ParsedPhone("+1" + national, cc, national)
        return None
    if meta.national_prefix == "0" and digits[0] == "0" and digits[1] != "0":
        prefix = re.match(meta.national_prefix_for_parsing or "0", digits)
        national = digits[1:]
        if prefix is not None and prefix.end() == 1 and _valid_in(default_region, cc, national):
            return ParsedPhone("+" + cc + national, cc, national)
    return None


@lru_cache(maxsize=262_144)
def _parse_slow(value: str, default_region: str, regions: tuple[str, ...]) -> ParsedPhone:
    possible: PhoneNumber | None = None
    for region in (default_region, *(r for r in regions if r != default_region)):
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return _parsed(number)
        if possible is None and phonenumbers.is_possible_number(number):
            possible = number
        if value.lstrip().startswith("+"):
            break  # the country is explicit: other regions read it the same way
    if possible is not None:
        return _parsed(possible)
    return ParsedPhone(normalize_phone(value, default_region), None, None)


def _parsed(number: PhoneNumber) -> ParsedPhone:
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    cc = str(number.country_code)
    return ParsedPhone(e164, cc, e164[1 + len(cc) :])


def split_country_code(digits: str) -> str | None:
    """The country calling code `digits` (E.164 without "+") starts with; codes are prefix-free."""
    for length in (1, 2, 3):
        if digits[:length] in _COUNTRY_CODES:
            return digits[:length]
    return None


@lru_cache(maxsize=512)
def _main_metadata(cc: str) -> PhoneMetadata | None:
    region = phonenumbers.region_code_for_country_code(int(cc))
    return PhoneMetadata.metadata_for_region_or_calling_code(int(cc), region)


def _strips_prefix(meta: PhoneMetadata, national: str) -> bool:
    pattern = meta.national_prefix_for_parsing or meta.national_prefix
    return pattern is not None and re.match(pattern, national) is not None


@lru_cache(maxsize=1_000_000)
def _nanp_valid(first_six: str) -> bool:
    # US and Canadian validity is decided by area code and exchange (the first six digits).
    number = PhoneNumber(country_code=1, national_number=int(first_six + "5678"))
    return any(phonenumbers.is_valid_number_for_region(number, r) for r in ("US", "CA"))


def _valid_in(region: str, cc: str, national: str) -> bool:
    number = PhoneNumber(country_code=int(cc), national_number=int(national))
    return bool(phonenumbers.is_valid_number_for_region(number, region))


# --- the safe ranges, arranged for generation ----------------------------------------------


class _Group:
    """Blocks probed as one sequence of candidate numbers (E.164 digits, no "+")."""

    def __init__(self, label: str, blocks: tuple[PhoneBlock, ...]) -> None:
        self.label = label
        self.starts: list[int] = []
        # Per block: the first number (an int) and its width, or the explicit list.
        self.blocks: list[tuple[int, int, tuple[str, ...]]] = []
        self.size = 0
        for block in blocks:
            self.starts.append(self.size)
            self.size += block.size
            explicit = tuple(number[1:] for number in block.numbers)
            first = block.first[1:] if block.first is not None else "0"
            self.blocks.append((int(first), len(first), explicit))

    def at(self, index: int) -> str:
        k = bisect_right(self.starts, index) - 1
        first, width, explicit = self.blocks[k]
        offset = index - self.starts[k]
        return explicit[offset] if explicit else str(first + offset).zfill(width)


class _Plan:
    """Which groups a number may draw from, in order: its area, its country, the pool."""

    def __init__(self, ranges: SafeRanges) -> None:
        self.nanp = ranges.phones.nanp
        self.by_cc: dict[str, list[PhoneRange]] = {}
        for phone_range in ranges.phones.ranges:
            cc = str(phonenumbers.country_code_for_region(phone_range.country))
            if cc == "0":
                raise ConfigError(f"safe range {phone_range.name!r}: unknown country")
            for number in (
                phone_range.first,
                phone_range.numbers[0] if phone_range.numbers else None,
            ):
                if number is not None and not number[1:].startswith(cc):
                    raise ConfigError(
                        f"safe range {phone_range.name!r}: numbers must start with +{cc} "
                        f"({phone_range.country})"
                    )
            self.by_cc.setdefault(cc, []).append(phone_range)
        self.pool = _Group("pool", tuple(ranges.phones.pool))
        self._cache: dict[tuple[str | None, str], list[_Group]] = {}
        self.area_groups: set[int] = set()  # ids of groups that keep the input's area code

    def groups_for(self, cc: str | None, national: str | None) -> list[_Group]:
        """Candidate groups for a number, most specific first; the pool is always last."""
        if cc is None or national is None:
            return [self.pool] if self.pool.size else []
        if cc == "1" and self.nanp is not None:
            area = national[:3] if len(national) == 10 else ""
            return self._cached(cc, area, lambda: self._nanp_groups(area))
        ranges = self.by_cc.get(cc, [])
        serves = [p for r in ranges for p in r.serves if national.startswith(p)]
        area = max(serves, key=len, default="")
        return self._cached(cc, area, lambda: self._country_groups(ranges, area))

    def _cached(self, cc: str, area: str, build: Callable[[], list[_Group]]) -> list[_Group]:
        key = (cc, area)
        if key not in self._cache:
            groups = [g for g in (*build(), self.pool) if g.size]
            self._cache[key] = groups
        return self._cache[key]

    def _country_groups(self, ranges: list[PhoneRange], area: str) -> list[_Group]:
        if not area:
            fallback = tuple(r for r in ranges if r.is_fallback)
            return [_Group("fallback", fallback), _Group("country", tuple(ranges))]
        primary = _Group(f"area {area}", tuple(r for r in ranges if area in r.serves))
        self.area_groups.add(id(primary))
        return [primary, _Group("country", tuple(ranges))]

    def _nanp_groups(self, area: str) -> list[_Group]:
        assert self.nanp is not None
        areas = _nanp_areas(self.nanp.exchange, self.nanp.first_line)
        region = areas.get(area, "US")
        lines = (self.nanp.exchange, self.nanp.first_line, self.nanp.last_line)
        primary = (_nanp_block(area, *lines),) if area in areas else ()
        country = tuple(_nanp_block(a, *lines) for a, r in sorted(areas.items()) if r == region)
        extra = tuple(self.by_cc.get("1", []))
        return [_Group(f"area {area}", primary), _Group(region, country + extra)]


def _nanp_block(area: str, exchange: str, first_line: str, last_line: str) -> PhoneBlock:
    return PhoneBlock(
        name=f"NANP {area}",
        first=f"+1{area}{exchange}{first_line}",
        last=f"+1{area}{exchange}{last_line}",
    )


@lru_cache(maxsize=4)
def _nanp_areas(exchange: str, first_line: str) -> dict[str, str]:
    """Geographic area codes (where the fiction line is a valid fixed or mobile number) → region."""
    areas: dict[str, str] = {}
    for area in range(200, 1000):
        number = phonenumbers.parse(f"+1{area}{exchange}{first_line}")
        region = phonenumbers.region_code_for_number(number)
        geographic = phonenumbers.number_type(number) in _GEOGRAPHIC
        if region and geographic and phonenumbers.is_valid_number(number):
            areas[str(area)] = region
    return areas


_PLANS: dict[int, tuple[SafeRanges, _Plan]] = {}


def _plan_for(ranges: SafeRanges) -> _Plan:
    hit = _PLANS.get(id(ranges))
    if hit is not None and hit[0] is ranges:
        return hit[1]
    if len(_PLANS) > 8:
        _PLANS.clear()
    plan = _Plan(ranges)
    _PLANS[id(ranges)] = (ranges, plan)
    return plan


class _Picker:
    """Takes the first free candidate from a keyed start, group by group (linear probing)."""

    def __init__(self, avoid: AbstractSet[str], unique: bool) -> None:
        self.avoid = avoid
        self.taken: set[str] | None = set() if unique else None
        self.full: set[int] = set()

    def pick(self, groups: list[_Group], keyed: int, phone: ParsedPhone) -> tuple[str, _Group]:
        own = phone.key[1:] if phone.key.startswith("+") else phone.key
        for group in groups:
            if id(group) in self.full:
                continue
            size = group.size
            start, skipped_own = keyed % size, False
            for step in range(size):
                candidate = group.at((start + step) % size)
                if candidate == own:
                    skipped_own = True
                    continue
                if self.taken is not None and candidate in self.taken:
                    continue
                if self.avoid and "+" + candidate in self.avoid:
                    continue
                if self.taken is not None:
                    self.taken.add(candidate)
                return candidate, group
            if not skipped_own:
                self.full.add(id(group))
        where = f"country code +{phone.country_code}" if phone.country_code else "non-phone values"
        raise ConfigError(
            f"operator phone: every safe number for {where} is taken or belongs to an original",
            hint="add numbers to `phones.pool` in the safe ranges file, or drop `unique`",
        )


def render(raw: str, phone: ParsedPhone, number: str, *, in_place: bool = True) -> str:
    """`number` (E.164 digits) in the layout of `raw`: its digits replaced in place when the digit
    count allows (and `in_place`), else the standard national or international format, or E.164."""
    cc = split_country_code(number) or ""
    national = number[len(cc) :]
    digits = _NON_DIGITS.sub("", raw)
    if phone.country_code is None or phone.national is None:
        return "+" + number
    international = raw.lstrip().startswith("+")
    if not in_place and len(digits) != len(raw.strip()):
        style = phonenumbers.PhoneNumberFormat.NATIONAL
        if international or cc != phone.country_code:
            style = phonenumbers.PhoneNumberFormat.INTERNATIONAL
        return str(phonenumbers.format_number(phonenumbers.parse("+" + number), style))
    if international:
        after_cc = digits[len(phone.country_code) :]
        candidate = cc + ("0" if after_cc.startswith("0") else "") + national
    elif digits.startswith(("00" + phone.country_code, "011" + phone.country_code)):
        candidate = digits[: 3 if digits.startswith("011") else 2] + cc + national
    elif cc == phone.country_code and digits.endswith(phone.national):
        candidate = digits[: len(digits) - len(phone.national)] + national
    else:
        return "+" + number
    if len(candidate) != len(digits):
        return "+" + number
    fill = iter(candidate)
    return "".join(next(fill) if "0" <= ch <= "9" else ch for ch in raw)


OPERATOR = PhoneOperator
