"""`phone`: a keyed number in a safe range that keeps the country and, where it can, the area code.

NANP numbers keep their area code and get line 555-0100..0199; UK numbers get Ofcom's drama block
for their area code (mobiles 07700 900xxx, else 01632 960xxx); Australian numbers ACMA's blocks;
every other country the configured pool. The output keeps the input's layout (digits replaced in
place) when the digit count allows, else it is E.164. A cell that is not one number (a placeholder,
several numbers, a number with a label or an extension, a partial number) is cut into parts
(`phone_cells`): each number is replaced as it would be alone, the rest of the text is kept.

Generation lives here; membership (is this output safe?) lives in `sanitizer/ranges.py`, so the
verifier never trusts this code.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from functools import lru_cache
from itertools import chain
from typing import ClassVar, Literal

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneNumberType

from sanitizer.entities import namespace, normalize_phone
from sanitizer.errors import ConfigError
from sanitizer.operators.base import Operator, OperatorContext, OperatorParams
from sanitizer.operators.phone_cells import (
    cell_parts,
    is_unsafe,
    masked,
    may_hold_parts,
    number_test,
    replace_cells,
)
from sanitizer.operators.phone_numbers import (
    NANP_SPELLING,
    ParsedPhone,
    home_country_code,
    is_phone_number,
    nanp_in_place,
    parse_phone,
    read_nanp,
    render,
    split_country_code,
)
from sanitizer.ranges import PhoneBlock, PhoneRange, SafeRanges

_NON_DIGITS = re.compile(r"[^0-9]+")
_GEOGRAPHIC = frozenset(
    {PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


class PhoneParams(OperatorParams):
    """`unique`: distinct outputs within the call; `format`: keep the input's layout, or E.164."""

    unique: bool = False
    format: Literal["keep", "e164"] = "keep"


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
        home_cc = home_country_code(ctx.default_region)
        done = (
            _first_probes(values, ctx, plan, home_cc)
            if not params.unique and params.format == "keep"
            else {}
        )
        rest = [i for i in range(len(values)) if i not in done]
        each = _replace_each([values[i] for i in rest], ctx, params, plan, home_cc)
        cells = [rest[k] for k, text in enumerate(each) if text is None]  # not one number
        made = iter(_replace_cells([values[i] for i in cells], ctx, plan, home_cc) if cells else ())
        filled = [text if text is not None else next(made) for text in each]
        out = list(values)
        shared: dict[str, str] = {}  # a safe block is small: many inputs share one output string
        for i, text in chain(done.items(), zip(rest, filled, strict=True)):
            out[i] = shared.setdefault(text, text)
        return out

    def parts(self, values: list[str], ctx: OperatorContext) -> list[str]:
        """The numbers and partial numbers inside cells that hold more than one number, or more than
        a number: the run maps them on their own first."""
        regions = tuple(ctx.regions)
        found: set[str] = set()
        for i in may_hold_parts(values):
            value = values[i]
            phone = parse_phone(value, ctx.default_region, regions)
            if phone.country_code is not None and not phone.extension:
                continue
            for part in cell_parts(value, number_test(ctx)):
                piece = value[part.start : part.end]
                if part.kind != "digits" and piece.strip() != value.strip():
                    found.add(piece)
        return sorted(found)

    def is_independent(self, params: OperatorParams) -> bool:
        """Without `unique`, a number's pick depends on the number, the key and `ctx.avoid` only."""
        return not getattr(params, "unique", False)

    def respell(self, value: str, replacement: str, ctx: OperatorContext) -> str:
        """The safe number of `replacement` written in `value`'s layout ((212) 555-0177 or +12125550177)."""
        return _respell(value, replacement, ctx)

    def respell_part(self, piece: str, whole: str, replacement: str, ctx: OperatorContext) -> str:
        """A number's digits after its area code written alone ("555-0143" of (212) 555-0143): the
        last as many digits of its replacement, in the piece's layout ("555-0177" of (212) 555-0177).
        Failing that (a replacement too short, or one that ends in the same digits), a partial
        number's replacement (see `_partial`)."""
        digits = _NON_DIGITS.sub("", piece)
        fresh = _NON_DIGITS.sub("", replacement)[-len(digits) :]
        if len(fresh) == len(digits) and fresh != digits:
            spread = iter(fresh)
            return "".join(next(spread) if "0" <= ch <= "9" else ch for ch in piece)
        return _partial(piece, ctx, _plan_for(ctx.ranges), home_country_code(ctx.default_region))


def _replace_each(
    values: list[str], ctx: OperatorContext, params: PhoneParams, plan: _Plan, home_cc: str
) -> list[str | None]:
    """The per-value path: parse, keyed digest, probe the groups, lay out, read back. None for a value
    that is not one number (no country read, or an extension after it): see `_replace_cells`."""
    regions = tuple(ctx.regions)
    # Everyday North American spellings (most contact-centre data) by one regex, the rest parsed.
    nanp = [read_nanp(value, home_cc) for value in values]
    parsed = [
        fast[0] if fast is not None else parse_phone(value, ctx.default_region, regions)
        for value, fast in zip(values, nanp, strict=True)
    ]
    digests = ctx.keyring.digests(namespace(ctx.entity), [p.key for p in parsed])
    order = list(range(len(values)))
    if params.unique:
        order.sort(key=digests.__getitem__)
    picker = _Picker(ctx.avoid, params.unique)
    out: list[str | None] = list(values)
    for i in order:
        phone = parsed[i]
        if phone.country_code is None or phone.extension:
            out[i] = None
            continue
        groups = plan.groups_for(phone.country_code, phone.national)
        number, group = picker.pick(groups, int.from_bytes(digests[i][:8], "big"), phone)
        fast = nanp[i]
        if params.format == "e164":
            text = "+" + number
        elif fast is not None and len(number) == 11 and number[0] == "1":
            text = nanp_in_place(fast[1], number)  # what _layout gives, without its detour
            if number[:4] != phone.key[1:5]:  # a new area code: checked as _layout checks it
                text = _read_back(text, number, ctx.default_region, regions)
        else:
            # Digits go in place when the area is kept; a new area code may need new grouping.
            same_shape = phone.country_code == "1" or id(group) in plan.area_groups
            text = _layout(values[i], phone, number, ctx.default_region, regions, same_shape)
        out[i] = text
    return out


def _replace_cells(values: list[str], ctx: OperatorContext, plan: _Plan, home_cc: str) -> list[str]:
    own = ctx.replace_own
    if own is None:  # outside a run (a direct call): the numbers are mapped here
        return replace_cells(
            values,
            ctx,
            lambda parts: PhoneOperator().replace(parts, ctx),
            lambda text: _partial(text, ctx, plan, home_cc),
        )
    return replace_cells(values, ctx, own, lambda text: _partial(text, ctx, plan, home_cc))


def _partial(text: str, ctx: OperatorContext, plan: _Plan, home_cc: str) -> str:
    """A partial number ("212 555 014": too short or too long to be one) with each digit replaced by
    the digits, in order, of a keyed safe number for it (the country's, and for a North American
    partial its area's): "212 555 01X". Never its own digits, an original, or a valid number outside
    the safe ranges; failing that (no safe number long enough), the safe number itself in E.164."""
    regions = tuple(ctx.regions)
    digits = _NON_DIGITS.sub("", text)
    international = text.lstrip().startswith("+")
    cc = (split_country_code(digits) or "") if international else home_cc
    national = digits[len(cc) :] if international else digits
    trunk = ""
    if not international and cc != "1" and national.startswith("0"):
        trunk, national = "0", national[1:]
    groups = plan.groups_for(cc or None, national.ljust(10, "0") if cc == "1" else national)
    if not groups:
        return masked(text)
    key = parse_phone(text, ctx.default_region, regions).key
    [digest] = ctx.keyring.digests(namespace(ctx.entity), [key])
    keyed = int.from_bytes(digest[:8], "big")
    first = ""
    for group in groups:
        for step in range(min(group.size, 100)):
            number = group.at((keyed + step) % group.size)
            first = first or number
            number_cc = split_country_code(number) or ""
            same = number_cc == cc and not international
            sources = (trunk + number[len(number_cc) :] if same else number, number)
            fill = next((s[: len(digits)] for s in sources if len(s) >= len(digits)), None)
            if fill is None or fill == digits:
                continue
            spread = iter(fill)
            out = "".join(next(spread) if "0" <= ch <= "9" else ch for ch in text)
            if normalize_phone(out, ctx.default_region, regions) in ctx.avoid:
                continue
            if not is_unsafe(out, ctx):
                return out
    return "+" + first


def _first_probes(
    values: list[str], ctx: OperatorContext, plan: _Plan, home_cc: str
) -> dict[int, str]:
    """Outputs of the everyday North American spellings whose first probe is free, decided in bulk.

    RE2 reads the spellings (most numbers of a North American contact list); each one's first group is
    its own area code's fiction lines or, for an area code without them (unassigned, toll-free), the
    country's. Its first probe (the keyed offset into that group) is free when it is neither the number
    itself nor an original in `ctx.avoid`; then it is what the per-value path picks, and it is written
    in place as that path writes it. Every other value is left to that path (a property test holds the
    two together).

    The per-value path reads a new area code's layout back (fail closed). Here that reading is known:
    a spelling without "+" is read at home, and a home with calling code 1 reads its ten digits (or
    1 and ten) as the North American number they spell, which is the pick (`_parse_fast`). A spelling
    with "+" is not read back by either path.
    """
    if plan.nanp is None or not values:
        return {}
    # RE2 reads what read_nanp reads, or nothing (see NANP_SPELLING): the others take the per-value path.
    parts = pc.extract_regex(pa.array(values, type=pa.large_string()), NANP_SPELLING)
    wanted = parts.is_valid()
    if home_cc != "1":  # as read_nanp: without "+1" a number is North American only at home
        wanted = pc.and_(wanted, pc.equal(parts.field("cc"), "+1"))
    rows = np.flatnonzero(pc.fill_null(wanted, False).to_numpy(zero_copy_only=False))
    if not len(rows):
        return {}
    found = parts.take(pa.array(rows))
    fields = ("head", "area", "exchange", "gap", "line", "tail")
    heads, area, exchange, gaps, line, tails = (found.field(name).to_pylist() for name in fields)
    keys = ["1" + a + e + n for a, e, n in zip(area, exchange, line, strict=True)]
    digests = ctx.keyring.digests(namespace(ctx.entity), ["+" + key for key in keys])
    keyed = np.frombuffer(b"".join(d[:8] for d in digests), dtype=">u8").tolist()
    first_group: dict[str, _Group | None] = {}  # by area code (None: no group at all)
    avoid = ctx.avoid
    done: dict[int, str] = {}
    for k, row in enumerate(rows.tolist()):
        code = area[k]
        group = first_group.get(code)
        if group is None and code not in first_group:
            groups = plan.groups_for("1", keys[k][1:])
            group = first_group[code] = groups[0] if groups else None
        if group is None:
            continue
        numbers = group.spelled()
        number = numbers[keyed[k] % group.size] if numbers else group.at(keyed[k] % group.size)
        if number == keys[k] or len(number) != 11 or number[0] != "1" or "+" + number in avoid:
            continue  # taken, or not a North American number: the per-value path decides
        head = heads[k]
        if (
            number[1:4] != code
        ):  # the area code sits last in the head: only ( ) . - and spaces follow
            cut = head.rindex(code)
            head = head[:cut] + number[1:4] + head[cut + 3 :]
        done[row] = head + number[4:7] + gaps[k] + number[7:11] + tails[k]
    return done


def _respell(value: str, replacement: str, ctx: OperatorContext) -> str:
    regions = tuple(ctx.regions)
    target = parse_phone(replacement, ctx.default_region, regions)
    if target.country_code is None or target.national is None:
        return replacement
    number = target.country_code + target.national
    phone = parse_phone(value, ctx.default_region, regions)
    return _layout(
        value, phone, number, ctx.default_region, regions, phone.country_code == target.country_code
    )


def _layout(
    raw: str, phone: ParsedPhone, number: str, region: str, regions: tuple[str, ...], same: bool
) -> str:
    home_cc = home_country_code(region)
    return _read_back(
        render(raw, phone, number, home_cc=home_cc, in_place=same), number, region, regions
    )


def _read_back(text: str, number: str, region: str, regions: tuple[str, ...]) -> str:
    """Fail closed: a layout without "+" must read back as the safe number, else E.164."""
    if not text.lstrip().startswith("+") and _reads_as(text, region, regions) != "+" + number:
        return "+" + number
    return text


@lru_cache(maxsize=262_144)
def _reads_as(text: str, region: str, regions: tuple[str, ...]) -> str:
    # Outputs repeat (a safe block holds 100 to 10,000 numbers), so their readings are cached.
    return parse_phone(text, region, regions).key


# --- the safe ranges, arranged for generation ----------------------------------------------


# A block as the generator sees it: first number (E.164 digits as an int), size, digit width, and
# the explicit numbers when the block is a list rather than an interval.
_Spec = tuple[int, int, int, tuple[str, ...]]


def _spec(block: PhoneBlock) -> _Spec:
    if block.numbers:
        return 0, len(block.numbers), 0, tuple(number[1:] for number in block.numbers)
    assert block.first is not None
    return int(block.first[1:]), block.size, len(block.first) - 1, ()


_SPELLED_MAX = 200_000


class _Group:
    """Blocks probed as one sequence of candidate numbers (E.164 digits, no "+")."""

    def __init__(self, label: str, specs: tuple[_Spec, ...]) -> None:
        self.label = label
        self.specs = specs
        self.starts: list[int] = []
        self.size = 0
        for spec in specs:
            self.starts.append(self.size)
            self.size += spec[1]
        self._spelled: list[str] | None = None

    def spelled(self) -> list[str] | None:
        """The group's numbers as a list (item i is `at(i)`), built once; None when too many to hold
        (an area has 100 fiction lines, a country a few thousand, a configured pool may have millions)."""
        if self._spelled is None and self.size <= _SPELLED_MAX:
            self._spelled = [self.at(i) for i in range(self.size)]
        return self._spelled

    def at(self, index: int) -> str:
        k = bisect_right(self.starts, index) - 1
        first, _, width, explicit = self.specs[k]
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
        self.serves = {cc: {p for r in rs for p in r.serves} for cc, rs in self.by_cc.items()}
        lengths = {len(p) for prefixes in self.serves.values() for p in prefixes}
        self.serve_lengths = sorted(lengths, reverse=True)  # the longest prefix wins
        self.pool = _Group("pool", tuple(_spec(block) for block in ranges.phones.pool))
        self._cache: dict[tuple[str | None, str], list[_Group]] = {}
        self._countries: dict[str, _Group] = {}  # one shared "same country" group per country
        self.area_groups: set[int] = set()  # ids of groups that keep the input's area code

    def groups_for(self, cc: str | None, national: str | None) -> list[_Group]:
        """Candidate groups for a number, most specific first; the pool is always last."""
        if cc is None or national is None:
            return [self.pool] if self.pool.size else []
        if cc == "1" and self.nanp is not None:
            area = national[:3] if len(national) == 10 else ""
            hit = self._cache.get((cc, area))
            if hit is not None:
                return hit
            return self._cached(cc, area, lambda: self._nanp_groups(area))
        ranges = self.by_cc.get(cc, [])
        serves = self.serves.get(cc, set())
        area = next((national[:n] for n in self.serve_lengths if national[:n] in serves), "")
        return self._cached(cc, area, lambda: self._country_groups(cc, ranges, area))

    def _cached(self, cc: str, area: str, build: Callable[[], list[_Group]]) -> list[_Group]:
        key = (cc, area)
        if key not in self._cache:
            groups = [g for g in (*build(), self.pool) if g.size]
            self._cache[key] = groups
        return self._cache[key]

    def _country(self, name: str, specs: Callable[[], tuple[_Spec, ...]]) -> _Group:
        if name not in self._countries:
            self._countries[name] = _Group(f"country {name}", specs())
        return self._countries[name]

    def _country_groups(self, cc: str, ranges: list[PhoneRange], area: str) -> list[_Group]:
        country = self._country(cc, lambda: tuple(_spec(r) for r in ranges))
        if not area:
            fallback = tuple(_spec(r) for r in ranges if r.is_fallback)
            return [_Group("fallback", fallback), country]
        primary = _Group(f"area {area}", tuple(_spec(r) for r in ranges if area in r.serves))
        self.area_groups.add(id(primary))
        return [primary, country]

    def _nanp_groups(self, area: str) -> list[_Group]:
        nanp = self.nanp
        assert nanp is not None
        areas = _nanp_areas(nanp.exchange, nanp.first_line)
        region = areas.get(area, "US")
        size = int(nanp.last_line) - int(nanp.first_line) + 1

        def spec(code: str) -> _Spec:
            return int(f"1{code}{nanp.exchange}{nanp.first_line}"), size, 11, ()

        def country() -> tuple[_Spec, ...]:
            lines = tuple(spec(code) for code, r in sorted(areas.items()) if r == region)
            return lines + tuple(_spec(r) for r in self.by_cc.get("1", []))

        primary = (spec(area),) if area in areas else ()
        return [_Group(f"area {area}", primary), self._country(f"1/{region}", country)]


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
        self.unique = unique
        self.taken: set[str] = set()
        self.decided: dict[str, tuple[str, _Group]] = {}  # key → pick (equal keys, equal picks)
        self.full: set[int] = set()

    def pick(self, groups: list[_Group], keyed: int, phone: ParsedPhone) -> tuple[str, _Group]:
        if self.unique and phone.key in self.decided:
            return self.decided[phone.key]
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
                if self.unique and candidate in self.taken:
                    continue
                if self.avoid and "+" + candidate in self.avoid:
                    continue
                if self.unique:
                    self.taken.add(candidate)
                    self.decided[phone.key] = candidate, group
                return candidate, group
            if not skipped_own:
                self.full.add(id(group))
        where = f"country code +{phone.country_code}" if phone.country_code else "non-phone values"
        raise ConfigError(
            f"operator phone: every safe number for {where} is taken or belongs to an original",
            hint="add numbers to `phones.pool` in the safe ranges file, or drop `unique`",
        )


OPERATOR = PhoneOperator

__all__ = ["OPERATOR", "PhoneOperator", "PhoneParams", "is_phone_number", "parse_phone"]
