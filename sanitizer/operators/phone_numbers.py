"""Reading phone numbers fast and writing them back in the input's layout (for the phone operator).

`parse_phone` answers what phonenumbers would (a value is valid in the default region, else in one
of the run's regions, else merely possible), with a fast path for the common shapes that skips the
full parse; a property test holds the two paths together. `render` puts a replacement number into
the layout of the value it replaces.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber

from sanitizer.entities import normalize_phone, read_phone

_SHAPE = re.compile(r"^\+?[0-9\s().\-]+$")
_NON_DIGITS = re.compile(r"[^0-9]+")
_COUNTRY_CODES = frozenset(str(cc) for cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


class ParsedPhone(NamedTuple):
    """A value's identity (`key`: E.164, or digits when it is no phone), its country parts, and the
    extension phonenumbers read after the number ("ext 12", "x12"), if any."""

    key: str
    country_code: str | None
    national: str | None
    extension: str = ""


# A North American number in an everyday spelling: (212) 555-0177, 212.555.0177, +1 212 555 0177,
# 1-212-555-0177, 2125550177. Named groups: the country prefix, area, exchange and line digits, and the
# text around the exchange and line (head, gap, tail). Read by Python here and by RE2 in the phone
# operator: RE2's \s and \d are ASCII where Python's are Unicode, and nothing else in the pattern
# matches the characters that tell them apart, so a value RE2 reads, Python reads the same way.
NANP_SPELLING = (
    r"^(?P<head>\s*(?P<cc>\+1|1)?[\s.\-]?\(?(?P<area>[2-9]\d\d)\)?[\s.\-]?)"
    r"(?P<exchange>\d{3})(?P<gap>[\s.\-]?)(?P<line>\d{4})(?P<tail>\s*)$"
)
_NANP_SPELLING = re.compile(NANP_SPELLING)


def read_nanp(value: str, home_cc: str) -> tuple[ParsedPhone, re.Match[str]] | None:
    """`parse_phone`'s answer for an everyday North American spelling, read by one regex (with the match,
    for `nanp_in_place`); None for anything else. Without "+1" only when the home country code is 1."""
    match = _NANP_SPELLING.match(value)
    if match is None or (home_cc != "1" and match["cc"] != "+1"):
        return None
    national = match["area"] + match["exchange"] + match["line"]
    return ParsedPhone("+1" + national, "1", national), match


def nanp_in_place(match: re.Match[str], number: str) -> str:
    """`number` (E.164 digits of a North American number) written in the spelling `match` read: what
    `render` gives in place, with the area, exchange and line digits swapped."""
    value = match.string
    return (
        value[: match.start("area")]
        + number[1:4]
        + value[match.end("area") : match.start("exchange")]
        + number[4:7]
        + value[match.end("exchange") : match.start("line")]
        + number[7:11]
        + value[match.end("line") :]
    )


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
        # Ten digits with a 2-9 area code: valid or merely possible, a NANP reading is the only one
        # (other regions are tried only for numbers written with a trunk 0), so no full parse.
        if len(national) == 10 and national[0] in "23456789":
            return ParsedPhone("+1" + national, cc, national)
        return None
    if meta.national_prefix == "0" and digits[0] == "0" and digits[1] != "0":
        prefix = re.match(meta.national_prefix_for_parsing or "0", digits)
        national = digits[1:]
        if prefix is not None and prefix.end() == 1 and valid_in_region(default_region, national):
            return ParsedPhone("+" + cc + national, cc, national)
    return None


@lru_cache(maxsize=262_144)
def _parse_slow(value: str, default_region: str, regions: tuple[str, ...]) -> ParsedPhone:
    # One reading of phone numbers for the whole run (entities.read_phone): the operator's keys must
    # agree with the originals the engine asks it to avoid.
    number = read_phone(value, default_region, regions)
    if number is not None:
        return _parsed(number)
    return ParsedPhone(normalize_phone(value, default_region), None, None)


def _parsed(number: PhoneNumber) -> ParsedPhone:
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    cc = str(number.country_code)
    return ParsedPhone(e164, cc, e164[1 + len(cc) :], number.extension or "")


@lru_cache(maxsize=256)
def home_country_code(region: str) -> str:
    """The calling code of a region (\"1\" for US), as text."""
    return str(phonenumbers.country_code_for_region(region))


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


# The number types phonenumbers tries when it decides validity (`_number_type_helper`); a number
# is valid when any matches, so the common ones go first.
_TYPE_DESCS = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)
_Desc = tuple[frozenset[int], "re.Pattern[str]"]


@lru_cache(maxsize=256)
def _descs(region: str) -> tuple[_Desc | None, tuple[_Desc, ...]]:
    """A region's general and per-type number patterns, compiled once."""
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None:
        return None, ()

    def compiled(desc: object) -> _Desc | None:
        pattern = getattr(desc, "national_number_pattern", None)
        if not pattern:
            return None
        return frozenset(getattr(desc, "possible_length", ()) or ()), re.compile(pattern)

    types = (compiled(getattr(meta, name, None)) for name in _TYPE_DESCS)
    return compiled(meta.general_desc), tuple(d for d in types if d is not None)


def _matches(desc: _Desc, national: str) -> bool:
    lengths, pattern = desc
    return (not lengths or len(national) in lengths) and pattern.fullmatch(national) is not None


def valid_in_region(region: str, national: str) -> bool:
    """`phonenumbers.is_valid_number_for_region` for a national significant number, without
    building a PhoneNumber (same patterns, same length rules; a property test holds them equal)."""
    general, types = _descs(region)
    if general is None or not _matches(general, national):
        return False
    return any(_matches(desc, national) for desc in types)


def _nanp_valid(national: str) -> bool:
    return valid_in_region("US", national) or valid_in_region("CA", national)


def render(
    raw: str, phone: ParsedPhone, number: str, *, home_cc: str, in_place: bool = True
) -> str:
    """`number` (E.164 digits) in the layout of `raw`: its digits replaced in place when the digit
    count allows (and `in_place`), else the standard national or international format, or E.164.

    A national layout is used only for numbers of the home country (`home_cc`, the default
    region's code): another country's number written nationally would read as a home number.
    """
    cc = split_country_code(number) or ""
    national = number[len(cc) :]
    digits = _NON_DIGITS.sub("", raw)
    if phone.country_code is None or phone.national is None:
        return "+" + number
    international = raw.lstrip().startswith("+")
    national_ok = cc == phone.country_code == home_cc and not international
    has_separators = len(digits) != len(raw.strip().lstrip("+"))
    if not in_place and has_separators:
        return _standard(number, national=national_ok)
    if international:
        after_cc = digits[len(phone.country_code) :]
        candidate = cc + ("0" if after_cc.startswith("0") else "") + national
    elif digits.startswith(("00" + phone.country_code, "011" + phone.country_code)):
        candidate = digits[: 3 if digits.startswith("011") else 2] + cc + national
    elif national_ok and digits.endswith(phone.national):
        candidate = digits[: len(digits) - len(phone.national)] + national
    elif raw.strip().isdigit() and digits == phone.country_code + phone.national:
        candidate = cc + national  # E.164 written without "+" (an ANI key) stays so
    else:
        return _standard(number, national=False) if has_separators else "+" + number
    if len(candidate) != len(digits):
        return "+" + number
    fill = iter(candidate)
    return "".join(next(fill) if "0" <= ch <= "9" else ch for ch in raw)


def _standard(number: str, *, national: bool) -> str:
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if national
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(phonenumbers.parse("+" + number), style))
