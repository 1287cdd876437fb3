"""What identifies each org in a flow, and where such values occur in a string.

An org is identified by its endpoint hosts (and their subdomains), its trunk names, the numbers of
its DID ranges, and the values of its org-specific variables. Hosts, URLs and email addresses are
found inside longer strings; other values (a trunk name, a data-table name) only as a whole scalar,
so that a short word does not match inside a prompt. Numbers, booleans and values shorter than four
characters never identify an org. Lint, retarget and `vars check` all ask this one index."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import phonenumbers

from sanitizer.variables import DidRange, OrgMapping, try_resolve

Kind = Literal["endpoint", "did", "trunk", "variable"]
MIN_LITERAL = 4
# National number forms are read for these regions and each DID range's (+CC forms always).
DEFAULT_REGIONS = ("US", "GB", "AU")

_URLISH = re.compile(
    r"^[a-z][a-z0-9+.-]*://|^[^@\s]+@[^@\s]+\.[a-z]+$|^(?:[a-z0-9-]+\.)+[a-z]{2,}$", re.I
)
_BEFORE = r"(?<![A-Za-z0-9-])"
_AFTER = r"(?![A-Za-z0-9-]|\.[A-Za-z0-9])"
_MIN_PHONE_DIGITS = 7
# UUIDs hold digit runs that read as phone numbers.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@dataclass(frozen=True)
class OrgValue:
    """One identifying value of one org."""

    org: str
    kind: Kind
    key: str  # endpoint name, DID range name, trunk name key, or variable name
    text: str  # the literal; for a DID, the number found

    def describe(self) -> str:
        """Names the value without quoting it (variables may be secrets)."""
        if self.kind == "variable":
            return f"the value of {self.org}'s variable {self.key}"
        if self.kind == "endpoint":
            return f"{self.org}'s endpoint {self.key} ({self.text})"
        if self.kind == "trunk":
            return f"{self.org}'s trunk {self.key} ({self.text})"
        return f"a number in {self.org}'s DID range {self.key}"


@dataclass(frozen=True)
class Occurrence:
    """A span of a string that is one or more orgs' value."""

    start: int
    end: int
    values: tuple[OrgValue, ...]

    @property
    def orgs(self) -> frozenset[str]:
        return frozenset(v.org for v in self.values)


def is_substring_value(text: str) -> bool:
    """URLs, host names and email addresses are matched inside strings; other values only whole."""
    return bool(_URLISH.match(text))


@lru_cache(maxsize=65536)
def find_phones(text: str, regions: tuple[str, ...] = ("US",)) -> tuple[tuple[int, int, str], ...]:
    """(start, end, E.164) of every possible phone number in `text` (national forms per region)."""
    if sum(c.isdigit() for c in text) < _MIN_PHONE_DIGITS:
        return ()
    masked = _UUID.sub(lambda m: "x" * len(m.group()), text)
    found: dict[tuple[int, int], str] = {}
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(
            masked, region, leniency=phonenumbers.Leniency.POSSIBLE
        ):
            before = masked[match.start - 1] if match.start else " "
            after = masked[match.end] if match.end < len(masked) else " "
            if before.isalnum() or after.isalnum() or before in "-_" or after in "-_":
                continue  # part of an identifier, not a number someone dials
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            if not any(s <= match.start < e for s, e in found):
                found[(match.start, match.end)] = e164
    return tuple(sorted((s, e, n) for (s, e), n in found.items()))


class OrgIndex:
    """Every org's identifying values, searchable in a string."""

    def __init__(
        self,
        mappings: Sequence[OrgMapping],
        *,
        include_secrets: bool = True,
        include_variables: bool = True,
    ) -> None:
        self.mappings = list(mappings)
        self.orgs = [m.org for m in mappings]
        self._whole: dict[str, list[OrgValue]] = {}
        self._inner: dict[str, list[OrgValue]] = {}
        self._dids: list[tuple[str, str, DidRange]] = []
        regions = set(DEFAULT_REGIONS)
        for mapping in mappings:
            for key, host in mapping.endpoints.items():
                host = host.removeprefix("*.")
                self._inner.setdefault(host.lower(), []).append(
                    OrgValue(mapping.org, "endpoint", key, host)
                )
            for key, trunk in mapping.trunks.items():
                self._whole.setdefault(trunk, []).append(OrgValue(mapping.org, "trunk", key, trunk))
            for name, variable in mapping.variables.items():
                if not include_variables or not variable.org_specific:
                    continue
                if variable.value is not None and not isinstance(variable.value, str):
                    continue  # numbers and booleans identify no org
                if variable.secret is not None and not include_secrets:
                    continue
                text = try_resolve(mapping, name)
                if text is None or len(text) < MIN_LITERAL:
                    continue
                table = self._inner if is_substring_value(text) else self._whole
                table.setdefault(text.lower() if table is self._inner else text, []).append(
                    OrgValue(mapping.org, "variable", name, text)
                )
            for key, did in mapping.dids.items():
                self._dids.append((mapping.org, key, did))
                regions.add(did.region)
        self.regions = tuple(sorted(regions))
        literals = sorted(self._inner, key=len, reverse=True)
        self._pattern = (
            re.compile(_BEFORE + "(?:" + "|".join(map(re.escape, literals)) + ")" + _AFTER, re.I)
            if literals
            else None
        )

    def mapping(self, org: str) -> OrgMapping | None:
        return next((m for m in self.mappings if m.org == org), None)

    def did_ranges(self, e164: str) -> list[OrgValue]:
        """The DID ranges (of any org) that hold a number."""
        return [
            OrgValue(org, "did", key, e164) for org, key, did in self._dids if did.contains(e164)
        ]

    def find(self, value: str, *, is_string: bool = True) -> list[Occurrence]:
        """Every span of `value` that is some org's value, longest first where they overlap."""
        found: list[Occurrence] = []
        if is_string and value in self._whole:
            found.append(Occurrence(0, len(value), tuple(self._whole[value])))
        if is_string and self._pattern is not None:
            for match in self._pattern.finditer(value):
                found.append(
                    Occurrence(
                        match.start(), match.end(), tuple(self._inner[match.group().lower()])
                    )
                )
        if self._dids:
            for start, end, e164 in find_phones(value, self.regions):
                ranges = self.did_ranges(e164)
                if ranges:
                    found.append(Occurrence(start, end, tuple(ranges)))
        return _without_overlaps(found)

    def shared(self, occurrence: Occurrence) -> bool:
        """True when every org has this value: then it identifies none of them."""
        return len(self.orgs) > 1 and occurrence.orgs >= set(self.orgs)


def _without_overlaps(found: list[Occurrence]) -> list[Occurrence]:
    """Longest first where spans overlap; the values of spans that coincide are merged."""
    found.sort(key=lambda o: (o.start, -(o.end - o.start)))
    kept: list[Occurrence] = []
    for occurrence in found:
        if kept and (occurrence.start, occurrence.end) == (kept[-1].start, kept[-1].end):
            merged = kept[-1].values + tuple(
                v for v in occurrence.values if v not in kept[-1].values
            )
            kept[-1] = Occurrence(occurrence.start, occurrence.end, merged)
        elif not kept or occurrence.start >= kept[-1].end:
            kept.append(occurrence)
    return kept
