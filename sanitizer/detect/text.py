"""The free-text scanner: every value of a free-text column, fast, offline.

It applies the same recognizers as the column classifier (detect/columns.py), compiled for speed:
Presidio's per-call overhead (1-5 ms a cell, see docs/rules.md) would make a notes column of a
million rows take an hour. Custom recognizers from the rules keep Presidio's semantics (regex flags,
scores, context words within five words before a match raising the score by 0.35, deny lists).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from sanitizer import entities, parallel
from sanitizer.detect import parts
from sanitizer.detect.names import SPELLED, NameFinder, NameSpan
from sanitizer.detect.shown import View, may_hide, shown, view
from sanitizer.errors import PatternTimeoutError
from sanitizer.patterns import BoundedPattern
from sanitizer.rules import RecognizerRule, RuleSet

if TYPE_CHECKING:
    from sanitizer.ranges import SafeRanges

# Presidio's defaults: LemmaContextAwareEnhancer parameters (its regex flags: sanitizer.patterns).
CONTEXT_FACTOR = 0.35
CONTEXT_MIN_SCORE = 0.4
CONTEXT_WORDS_BEFORE = 5

# Addresses in any script (RFC 6531 local parts, IDN domains: "jörg@müller-bau.de", "info@пример.рф");
# the top-level domain is letters, or an IDN's ASCII form ("xn--p1ai").
EMAIL = re.compile(
    r"(?<![\w.+%-])[^\W_][\w.%+-]*@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+"
    r"(?:[xX][nN]--[A-Za-z0-9-]{1,59}|[^\W\d_]{2,63})(?![\w-])"
)
# An address written so that mail programs miss it: "ada (at) example (dot) org", "ada [at] example.org",
# "ada @ example.org", "ada＠example.org", "ada&#64;example.org", "ada%40example.org", and "ada at example
# dot org" (with " at " only when a dot is spelled out too: "meet at the office. Next" is prose).
_SPELLED_DOT = r"(?:\s*[(\[{]\s*dot\s*[)\]}]\s*|\s+dot\s+)"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
DISGUISED_EMAIL = re.compile(
    r"(?<![\w.+%-])[^\W_][\w.+-]*?"
    r"(?:(?:\s+@\s*|\s*@\s+|\s*[＠﹫]\s*|&\#64;|%40|\s*[(\[{]\s*at\s*[)\]}]\s*)"
    rf"{_LABEL}(?:(?:\.|{_SPELLED_DOT}){_LABEL})+"
    rf"|\s+at\s+{_LABEL}(?:{_SPELLED_DOT}{_LABEL})+)"
    r"(?![\w-])",
    re.IGNORECASE,
)


# An address a reader still sees though the pattern misses it: escaped ("zq%2Bbilling%40example.com"),
# with a quoted user part ('"zq"@example.com'), full-width "＠" or "．", or invisible characters inside
# (zero-width space, soft hyphen). Read only where such a sign is (`_odd_email_signs`).
_ODD_GLUE = "\u00ad\u200b-\u200d\u2060"
ODD_EMAIL = re.compile(
    rf'(?<![\w.+%-])"?[^\W_][\w.+%"{_ODD_GLUE}-]*?"?(?:@|＠|%40)'
    rf"[^\W_][\w{_ODD_GLUE}-]*(?:[.．][\w{_ODD_GLUE}-]+)*[.．][^\W\d_]{{2,63}}(?![\w-])",
    re.IGNORECASE,
)


def _odd_email_signs(text: str) -> bool:
    return '"@' in text or "%40" in text or "%2" in text or not text.isascii()


def may_hide_email(text: str) -> bool:
    """Whether `text` holds a sign of a disguised address (an "@" beside a space, another "@", an
    escaped one, "at" in brackets or a spelled dot): substring tests spare most texts the pattern."""
    if (
        " @" in text
        or "@ " in text
        or "%40" in text
        or "&#64;" in text
        or "＠" in text
        or "﹫" in text
    ):
        return True
    lowered = text.lower()
    return "dot" in lowered or "at)" in lowered or "at]" in lowered or "at}" in lowered


_NO_DIGITS = str.maketrans("", "", "0123456789")
# A phone-like run that is not part of a word or an id ("9e1f-4a25-0123" in a UUID is not a phone).
PHONE_CANDIDATE = re.compile(r"(?<![\w+\-])(?:\+|00)?\(?\d[\d \t().\-/]{5,22}\d(?![\w\-])")
_DIGIT_RUN = re.compile(r"\d+")
# A date and time ("2024-03-15 09:30:00", "2024-03-15"): its digits read as a phone number ("2024-03-15
# 09" is ten digits with a valid area code 202), so a candidate that starts with an ISO date, or that
# a clock's ":" and minutes follow, is none.
_ISO_DATE = re.compile(r"(?:1[89]|2\d)\d\d-[01]\d-[0-3]\d(?!\d)")


def phone_candidates(text: str) -> Iterator[re.Match[str]]:
    """`PHONE_CANDIDATE.finditer(text)`, tried only where a match can start: at most two characters
    ("+(" or "(") before a run of digits. A match's first digit starts a run (the character before it
    is "(", "+" or not a word character), so no match is missed, and none is found twice."""
    end = 0
    for run in _DIGIT_RUN.finditer(text):
        start = run.start()
        if start < end:
            continue  # inside the match before
        for at in (start - 2, start - 1, start):
            if at >= end and at >= 0 and (match := PHONE_CANDIDATE.match(text, at)) is not None:
                yield match
                end = match.end()
                break


# Digits with anything that may stand between the groups of a phone written by hand: spaces (also
# no-break), hyphens and dashes of every kind, dots, slashes, brackets, "_". Letters end a run
# ("mob07700900123", "0143x12"). Searched for the run's own numbers only (`_known_phone_spans`).
KNOWN_PHONE_RUN = re.compile(r"\+?\d(?:[\d\s\-\u2010-\u2015\u2212./()_]*\d)?")


# Between a card's or an IBAN's groups, as between a phone's (`KNOWN_PHONE_RUN`): spaces of any kind,
# hyphens, dashes and the minus sign, dots, slashes, "_", and the invisible characters that part nothing
# on screen (zero-width space and joiners, soft hyphen); up to three of them ("4111   1111 ...",
# "6011 — 1111 — ..."). A card's groups may also stand apart by one colon or comma throughout, four
# digits first and groups of three to six ("3782:822463:10005", "4012,8888,8888,1881"): never a
# time ("10:30:45"), a date and time, or a number in thousands ("1,234,567,890,123").
_GROUP_GAP = r"[\s.\-/_\u2010-\u2015\u2212\u00ad\u200b-\u200d\u2060]"
CARD = re.compile(
    rf"(?<![\d-])(?:\d{_GROUP_GAP}{{0,3}}){{12,18}}\d(?![\d-])"
    r"|(?<![\d,:.])\d{4}([:,])\d{4,6}(?:\1\d{3,6}){1,3}(?!\d|[,:.]\d)"
)
# In either case, in groups apart by spaces or hyphens ("gb82 west 1234...", "GB82-WEST-1234-...").
# In either case; a space after the country code in capitals only ("DE 89 3704 ..."): "at 12" is prose.
IBAN = re.compile(
    rf"\b(?:[A-Za-z]{{2}}|[A-Z]{{2}}{_GROUP_GAP})\d{{2}}(?:{_GROUP_GAP}?[A-Za-z0-9]){{11,30}}\b"
)
_IBAN_GROUP = re.compile(r"[A-Za-z0-9]+")
IPV4 = re.compile(
    r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)"
)  # "from 192.0.2.10." ends a sentence
# Four numbers joined by "-" or "_": an IP address in a host name ("ec2-203-0-113-77") or written so.
_IP_APART = re.compile(r"(?<![\w.])\d{1,3}(?:[-_]\d{1,3}){3}(?![\d])")
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
SSN = re.compile(r"(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])")
_CONTEXT_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"[^\s,;:!?()\[\]{}\"']+(?<![.])")
_USPS = [
    "St",
    "Ave",
    "Rd",
    "Blvd",
    "Dr",
    "Ln",
    "Ct",
    "Pl",
    "Sq",
    "Hwy",
    "Pkwy",
    "Cres",
    "Tce",
    "Cl",
    "Way",
    "Terr",
    "Trl",
    "Cir",
    "Pk",
    "Gdns",
    "Mews",
    "Row",
]


@lru_cache(maxsize=1)
def address_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """House number, capitalised street words, a street suffix (Faker's bundled lists), optional unit;
    and the cheap shape that must be present first: a number, a space, the first letter of a word."""
    words, initials = _street_suffixes()
    address = re.compile(
        rf"\b\d{{1,6}}[A-Za-z]?,?\s+(?:[A-Z][\w'’.-]*\s+){{0,4}}(?:{words})\b\.?"
        r"(?:,?\s+(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|#)\s*[\w-]+)?"
    )
    return address, re.compile(rf"\d[A-Za-z]?,?\s+[{initials}]")


@lru_cache(maxsize=1)
def _street_suffixes() -> tuple[str, str]:
    """The street suffixes as a regex alternation (longest first), and their initials as a class body."""
    from importlib import import_module

    suffixes = set(_USPS)
    for locale in ("en_US", "en_GB", "en_AU", "en_IE", "en_NZ"):
        suffixes.update(
            getattr(
                import_module(f"faker.providers.address.{locale}").Provider, "street_suffixes", ()
            )
        )
    words = "|".join(sorted((re.escape(s) for s in suffixes if s), key=len, reverse=True))
    initials = "".join(
        sorted({re.escape(s[0]) for s in suffixes if s} | set("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    )
    return words, initials


# Cheap shapes that must be present before the card, IP and SSN recognizers (one starting with a digit,
# which the regex engine finds fast), the IBAN recognizer, and the IPv6 one are worth running.
NUMBER_HINT = re.compile(
    rf"\d(?:\d\d-\d{{2}}-\d{{4}}|\.\d{{1,3}}\.\d|(?:{_GROUP_GAP}{{0,3}}\d){{12}}|\d{{3}}[:,]\d{{4}})"
)
IBAN_HINT = re.compile(rf"[A-Za-z]{{2}}\d\d|[A-Z]{{2}}{_GROUP_GAP}\d\d")
IPV6_HINT = re.compile(r"[0-9A-Fa-f]{1,4}::?[0-9A-Fa-f]{1,4}:")

# What `scan` and `contacts` look for first in a text, decided for many texts at once in Arrow (RE2, C++),
# where it is exact: in ASCII texts. There RE2 reads each of these patterns as Python's re reads its
# counterpart above (\d is [0-9]; Python's \s is spelled out, see ASCII_SPACES). A text that is not
# ASCII gets no hints: Python's patterns decide, as without hints.
HAS_DIGIT, MAY_PHONE, NUMBER_LIKE, ADDRESS_LIKE, MAY_SPELL = 1, 2, 4, 8, 16
# What Python's \s and `str.split()` take for whitespace in ASCII text, as a character-class body for
# RE2, whose \s leaves out \v and \x1c-\x1f.
ASCII_SPACES = "\t\n\v\f\r \x1c-\x1f"


@lru_cache(maxsize=1)
def _hint_patterns() -> tuple[tuple[int, str], ...]:
    return (
        (HAS_DIGIT, r"[0-9]"),
        # PHONE_CANDIDATE without the borders RE2 cannot check: it matches wherever that one does.
        (MAY_PHONE, r"[0-9][0-9 \t().\-/]{5,22}[0-9]"),
        # NUMBER_HINT, IBAN_HINT or IPV6_HINT (ASCII already): the card, IP, SSN and IBAN recognizers.
        (
            NUMBER_LIKE,
            rf"[0-9](?:[0-9][0-9]-[0-9]{{2}}-[0-9]{{4}}|\.[0-9]{{1,3}}\.[0-9]"
            rf"|(?:[{ASCII_SPACES}./_\-]{{0,3}}[0-9]){{12}}|[0-9]{{3}}[:,][0-9]{{4}})"
            rf"|[A-Za-z]{{2}}[0-9][0-9]|[A-Z]{{2}}[{ASCII_SPACES}./_\-][0-9][0-9]|{IPV6_HINT.pattern}",
        ),
        (ADDRESS_LIKE, rf"[0-9][A-Za-z]?,?[{ASCII_SPACES}]+[{_street_suffixes()[1]}]"),
        # names.SPELLED without its borders and its one separator throughout: a word spelled out.
        (MAY_SPELL, r"[A-Za-z](?:[-. ]|\. )[A-Za-z](?:[-. ]|\. )[A-Za-z](?:[-. ]|\. )[A-Za-z]"),
    )


def text_hints(texts: Sequence[str]) -> list[int | None]:
    """For each text, which of the shapes above it holds (bits), or None where Python must decide."""
    array = pa.array(texts, type=pa.large_string())
    hints = np.zeros(len(texts), dtype=np.int64)
    for bit, pattern in _hint_patterns():
        hints |= bit * pc.match_substring_regex(array, pattern).to_numpy(zero_copy_only=False)
    ascii_only = pc.string_is_ascii(array).to_numpy(zero_copy_only=False)
    return [int(h) if a else None for h, a in zip(hints.tolist(), ascii_only.tolist(), strict=True)]


# When two recognizers claim overlapping text, the more specific one wins at equal score.
_PRIORITY = {
    entities.EMAIL_ADDRESS: 6,
    entities.PHONE_NUMBER: 5,
    entities.IBAN_CODE: 4,
    entities.CREDIT_CARD: 3,
    entities.IP_ADDRESS: 2,
    "US_SSN": 2,
    entities.PERSON: 0,
    entities.ADDRESS: 1,
}


class Span(NamedTuple):
    """A PII span in a text; PERSON spans also say which words are first or last names.

    A named tuple: a note yields several, a million notes millions, and they cross process boundaries.
    """

    start: int
    end: int
    entity: str
    score: float
    recognizer: str
    kinds: tuple[int, ...] = ()
    words: tuple[tuple[int, int], ...] = ()
    # The row's own value of which the span is a piece ("(212) 555-0143" for "555-0143"; see parts.py).
    whole: str = ""


@dataclass
class _Custom:
    rule: RecognizerRule
    patterns: list[tuple[BoundedPattern, float]]  # `regex` patterns within policy.regex_timeout
    deny: BoundedPattern | None
    context: frozenset[str]


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def iban_ok(text: str) -> bool:
    compact = _NOT_ALNUM.sub("", text).upper()
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


@dataclass
class TextScanner:
    """Finds PII spans in text with the rules' recognizers, the name finder and an optional NER pipeline."""

    rules: RuleSet
    ranges: SafeRanges
    names: NameFinder
    ner: Callable[[list[str]], list[list[NameSpan]]] | None = None
    # Values of the run's identifier columns (account numbers, ids...), by entity: found in text as they are.
    known_values: dict[str, str] = field(default_factory=dict)
    # National digits (entities.phone_key) of the run's original phones: phones even when invalid.
    known_phones: set[str] = field(default_factory=set)
    _phones: dict[str, str | None] = field(default_factory=dict)
    # Workers forked once for a pass of scans, and what the name finder knew then (see `scans_forked_once`).
    _forked: tuple[parallel.Workers[Any, Any, Any], tuple[int, int]] | None = field(
        default=None, repr=False
    )
    # Workers forked once for pass 1's contacts (see `contacts_forked_once`); in such a worker, how many
    # of the phone keys learned since the fork its scanner holds.
    _contact_workers: _ContactWorkers | None = field(default=None, repr=False)
    _phones_held: int = field(default=0, repr=False)
    _custom: list[_Custom] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.regions = [self.rules.policy.default_region] + [
            r for r in self.rules.policy.regions if r != self.rules.policy.default_region
        ]
        for rule in self.rules.recognizers:
            deny = None
            if rule.deny_list:
                words = "|".join(re.escape(w) for w in rule.deny_list)
                deny = BoundedPattern.of(
                    rf"(?:^|(?<=\W))({words})(?:(?=\W)|$)",  # Presidio's deny-list pattern
                    self.rules.pattern_source(rule.name, -1),
                    rule.name,
                    "deny_list",
                    self.rules.policy.regex_timeout,
                )
            self._custom.append(
                _Custom(
                    rule=rule,
                    patterns=self.rules.bounded_patterns(rule),
                    deny=deny,
                    context=frozenset(w.casefold() for w in rule.context),
                )
            )

    def phone_e164(self, candidate: str) -> str | None:
        """E.164 of a phone-like string when it is a real-format number, in a known fictional range, or one
        of the run's own phone values (those count even when phonenumbers rejects them)."""
        stripped = candidate.strip()
        digits = _NON_DIGITS.sub("", stripped)
        # Checked before the cache: the known phones are set after planning, which scans notes already.
        if self.known_phones and entities.phone_key(stripped) in self.known_phones:
            return "+" + digits if stripped.startswith("+") else digits
        if candidate in self._phones:
            return self._phones[candidate]
        result = None
        if (fast := _nanp(stripped, digits, self.regions[0])) is not None:
            result = fast
        if result is not None:
            self._phones[candidate] = result
            return result
        if stripped.startswith("00"):
            stripped = "+" + stripped[2:]
        # National formats of other countries start with their trunk prefix 0 (GB, AU, FR, DE, IE...).
        regions = self.regions if stripped.lstrip("(").startswith("0") else self.regions[:1]
        number = entities.read_phone(stripped, regions[0], tuple(regions))
        if number is not None:
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if phonenumbers.is_valid_number(number) or self.ranges.is_safe_phone(e164):
                result = e164
        if len(self._phones) > 500_000:
            self._phones.clear()
        self._phones[candidate] = result
        return result

    def _phone_spans(self, text: str, out: list[Span]) -> None:
        for match in phone_candidates(text):
            candidate = match.group()
            digits = len(_NON_DIGITS.sub("", candidate))
            if digits > 15 and "/" in candidate:  # numbers joined: "07700 900123 / 07700 900124"
                for part in _SLASHED.finditer(candidate):
                    piece = part.group()
                    if 7 <= len(_NON_DIGITS.sub("", piece)) <= 15 and self.phone_e164(piece):
                        at = match.start() + part.start()
                        out.append(
                            Span(at, at + len(piece), entities.PHONE_NUMBER, 0.9, "PhoneRecognizer")
                        )
                continue
            if digits < 7 or digits > 15:
                continue
            start, end = match.start(), match.end()
            if _ISO_DATE.match(candidate) or (
                text[end : end + 1] == ":" and text[end + 1 : end + 2].isdigit()
            ):
                continue
            if candidate.startswith("(") and ")" not in candidate:
                start, candidate = start + 1, candidate[1:]
            if self.phone_e164(candidate) is not None:
                out.append(Span(start, end, entities.PHONE_NUMBER, 0.9, "PhoneRecognizer"))

    def _known_phone_spans(self, text: str, out: list[Span]) -> None:
        """The run's own phone numbers in notations the phone pattern leaves out: two numbers joined by
        a slash (one run of too many digits), en dashes, "_", letters glued on ("mob07700900123",
        "212-555-0143x12"). Within a run of digits and separators, the longest stretch from a group's
        start to a group's end that is a known number (by its key, or its digits as they are) is one."""
        known = self.known_phones
        taken = [(s.start, s.end) for s in out]  # phones found whole, and emails (digits in names)
        total = outside = len(text) - len(text.translate(_NO_DIGITS))
        for left, right in taken:
            part = text[left:right]
            outside -= len(part) - len(part.translate(_NO_DIGITS))
        if total < 7 or not outside:
            return  # no digit outside the phones and emails found (most notes)
        for run in KNOWN_PHONE_RUN.finditer(text):
            if run.end() - run.start() < 7 or any(
                s <= run.start() and run.end() <= e for s, e in taken
            ):
                continue  # too short, or a phone found whole already (the common case)
            groups = [(m.start(), m.end()) for m in _DIGIT_RUN.finditer(run.group())]
            at, base = 0, run.start()
            while at < len(groups):
                end = None
                digits = 0
                for last in range(at, len(groups)):
                    digits += groups[last][1] - groups[last][0]
                    if digits > 15:
                        break
                    if digits >= 7:
                        piece = text[base + groups[at][0] : base + groups[last][1]]
                        if (
                            _NON_DIGITS.sub("", piece) in known
                            or entities.phone_key(piece) in known
                        ):
                            end = last
                if end is None:
                    at += 1
                    continue
                start, stop = base + groups[at][0], base + groups[end][1]
                if start > 0 and text[start - 1] == "+":
                    start -= 1
                elif start > 0 and text[start - 1] == "(" and ")" in text[start:stop]:
                    start -= 1  # "(11) 91234-5678": the area code's brackets go with it
                if not any(s < stop and start < e for s, e in taken):
                    out.append(Span(start, stop, entities.PHONE_NUMBER, 0.9, "PhoneRecognizer"))
                at = end + 1

    def contacts(self, text: str, hints: int | None = None) -> list[tuple[str, str]]:
        """(entity, value) of the emails and phones in a text: the cheap part of a scan, for pass 1.

        `hints` (see `text_hints`) spare the searches they settle; the result is the same without them.
        A text that reads otherwise than it is written is read as shown (`shown.view`)."""
        if may_hide(text) and (seen := view(text)) is not None:
            return [
                (entity, text[seen.start(start) : seen.end(end)])
                for entity, start, end in self._contacts(seen.text, None)
            ]
        return [(entity, text[start:end]) for entity, start, end in self._contacts(text, hints)]

    def _contacts(self, text: str, hints: int | None) -> list[tuple[str, int, int]]:
        found: list[Span] = []
        at = text.find("@")
        if at >= 0:
            found.extend(
                Span(m.start(), m.end(), entities.EMAIL_ADDRESS, 1.0, "")
                for m in EMAIL.finditer(text, _token_start(text, at))
            )
        if (hints & MAY_PHONE) if hints is not None else _DIGIT.search(text):
            self._phone_spans(text, found)
        # The run's own numbers written by hand are left to the scan (pass 2), which replaces them.
        return [(s.entity, s.start, s.end) for s in resolve_overlaps(found)]

    def learn_phones(self, keys: Iterable[str]) -> None:
        """Know these phone keys (`entities.phone_key`) from now on; contact workers forked once are told
        with their next call."""
        fresh = set(keys).difference(self.known_phones)
        if not fresh:
            return
        self.known_phones.update(fresh)
        if self._contact_workers is not None:
            # One text per entry (keys are digits): a call carries each entry to many work items.
            self._contact_workers.log.append("\n".join(fresh))

    @contextmanager
    def contacts_forked_once(self, workers: int) -> Iterator[None]:
        """For the length of the block, `start_contacts` uses workers forked here, once, rather than for
        each call (see `scans_forked_once`). The phone keys learned meanwhile (`learn_phones`, nothing else may
        change the scanner) reach them with the calls that follow."""
        if not parallel.can_fork(workers):
            yield
            return
        with _ContactWorkers(self, workers) as forked:
            self._contact_workers = forked
            try:
                yield
            finally:
                self._contact_workers = None

    def contacts_many(self, texts: list[str], *, workers: int = 1) -> list[tuple[str, str]]:
        """`contacts` of many texts, one list in text order (in `workers` processes when worth it)."""
        return self.start_contacts(texts, workers=workers).result()

    def start_contacts(self, texts: list[str], *, workers: int = 1) -> PendingContacts:
        """`contacts_many`, started: with workers they read while the caller goes on; without, they are
        read now. Either way on the scanner as it is now (the numbers it knows)."""
        forked = self._contact_workers
        if len(texts) >= FORKED_MIN_TEXTS and forked is not None:
            return PendingContacts(forked.submit(texts), forked=forked)
        if len(texts) >= PARALLEL_MIN_TEXTS and parallel.can_fork(workers):
            size = _chunk_size(len(texts), workers)
            chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
            return PendingContacts(parallel.fork_submit(_contacts_chunk, self, chunks, workers))
        return PendingContacts(None, _contacts_chunk(self, texts))

    def scan(
        self, text: str, row_names: frozenset[str] = frozenset(), hints: int | None = None
    ) -> list[Span]:
        """Non-overlapping PII spans in `text`, in order.

        `hints` (see `text_hints`) spare the searches they settle; the result is the same without them.
        A text that reads otherwise than it is written ("Zo\\u00eb", "Zo&euml;", "Zo%C3%AB",
        "Sio\u200cbhan", "Zoe\u0308") is scanned as shown (`shown.view`), its spans mapped back to
        the text as written."""
        if may_hide(text) and (seen := view(text)) is not None:
            return [_spans_back(seen, span) for span in self._scan(seen.text, row_names, None)]
        return self._scan(text, row_names, hints)

    def _scan(self, text: str, row_names: frozenset[str], hints: int | None) -> list[Span]:
        found: list[Span] = []
        at = text.find("@")
        if at >= 0:
            found.extend(
                Span(m.start(), m.end(), entities.EMAIL_ADDRESS, 1.0, "EmailRecognizer")
                for m in EMAIL.finditer(text, _token_start(text, at))
            )
        if may_hide_email(text):
            found.extend(
                Span(m.start(), m.end(), entities.EMAIL_ADDRESS, 1.0, "EmailRecognizer")
                for m in DISGUISED_EMAIL.finditer(text)
            )
        if _odd_email_signs(text) and ("@" in text or "＠" in text or "%40" in text):
            found.extend(
                Span(m.start(), m.end(), entities.EMAIL_ADDRESS, 1.0, "EmailRecognizer")
                for m in ODD_EMAIL.finditer(text)
            )
        if hints is None:
            hints = _python_hints(text)
        if hints & HAS_DIGIT:
            if hints & MAY_PHONE:
                self._phone_spans(text, found)
            if self.known_phones:
                self._known_phone_spans(text, found)
            if hints & NUMBER_LIKE:
                self._number_spans(text, found)
            if hints & ADDRESS_LIKE:
                address = address_patterns()[0]
                found.extend(
                    Span(m.start(), m.end(), entities.ADDRESS, 0.9, "StreetAddressRecognizer")
                    for m in address.finditer(text)
                )
        for custom in self._custom:
            self._custom_spans(custom, text, found)
        if self.known_values:
            for match in _TOKEN.finditer(text):
                entity = self.known_values.get(match.group().casefold())
                if entity is not None:
                    found.append(
                        Span(match.start(), match.end(), entity, 1.0, "KnownValueRecognizer")
                    )
            if hints & HAS_DIGIT and ("-" in text or "_" in text):
                # The run's own IP addresses in a host name or written with "-" or "_"
                # ("ec2-203-0-113-77.compute.example.com", "203_0_113_77").
                for match in _IP_APART.finditer(text):
                    if self.known_values.get(_dotted(match.group())) == entities.IP_ADDRESS:
                        found.append(
                            Span(
                                match.start(),
                                match.end(),
                                entities.IP_ADDRESS,
                                1.0,
                                "KnownValueRecognizer",
                            )
                        )
        if row_names and (own := parts.entries_in(row_names)):
            found.extend(self._part_spans(text, own, found, has_digits=bool(hints & HAS_DIGIT)))
        for name in self.names.find(text, row_names, may_spell=bool(hints & MAY_SPELL)):
            found.append(person_span(name, "NameFinder"))
        return resolve_overlaps(found)

    @staticmethod
    def _part_spans(
        text: str, own: list[str], found: list[Span], *, has_digits: bool
    ) -> list[Span]:
        """The row's own phones and addresses written partly ("555-0143", "skype zq1985"), outside the
        phones and addresses found whole."""
        taken = [
            (s.start, s.end)
            for s in found
            if s.entity in (entities.PHONE_NUMBER, entities.EMAIL_ADDRESS)
        ]
        return [
            Span(
                start,
                end,
                entities.PHONE_NUMBER if kind == parts.PHONE_PART else entities.EMAIL_ADDRESS,
                1.0,
                "RowPartRecognizer",
                whole=whole,
            )
            for start, end, kind, whole in parts.part_spans(text, own, taken, has_digits=has_digits)
        ]

    def scan_many(
        self,
        texts: Sequence[str],
        row_names: Sequence[frozenset[str]] | None = None,
        *,
        workers: int = 1,
    ) -> list[list[Span]]:
        """`scan` over many texts (in `workers` processes when worth it); NER runs once over all of them."""
        return self.start_scan(texts, row_names, workers=workers).result()

    def start_scan(
        self,
        texts: Sequence[str],
        row_names: Sequence[frozenset[str]] | None = None,
        *,
        workers: int = 1,
    ) -> PendingScan:
        """`scan_many`, started: with workers they scan while the caller goes on; `result()` finishes it.

        The result is the same whenever it is collected, as long as nothing teaches the name finder in
        between (the engine starts a batch's first text column before its other columns, which do not).
        """
        names = list(row_names) if row_names else [frozenset[str]()] * len(texts)
        submitted = None
        if len(texts) >= FORKED_MIN_TEXTS and self._forked is not None:
            forked, mark = self._forked
            found = self.names.found_since(mark)  # what scans collected since the fork taught
            size = _chunk_size(len(texts), forked.workers)
            submitted = forked.submit(
                (found, i, list(texts[i : i + size]), names[i : i + size])
                for i in range(0, len(texts), size)
            )
        elif len(texts) >= PARALLEL_MIN_TEXTS and parallel.can_fork(workers):
            size = _chunk_size(len(texts), workers)
            chunks = [
                (i, list(texts[i : i + size]), names[i : i + size])
                for i in range(0, len(texts), size)
            ]
            submitted = parallel.fork_submit(_scan_chunk, self, chunks, workers)
        return PendingScan(self, texts, names, submitted)

    @contextmanager
    def scans_forked_once(self, workers: int) -> Iterator[None]:
        """For the length of the block, `start_scan` uses workers forked here, once, rather than for each
        call (see `parallel.Workers`: a process of a gigabyte pays for every fork in copied pages). The
        workers keep this scanner as it is now; each call brings them the name words learned since
        (`finish_scan` learns from what it collects, nothing else may change the scanner meanwhile).
        While they run, nothing else forks (`parallel.can_fork` is false)."""
        if not parallel.can_fork(workers):
            yield
            return
        mark = self.names.mark()
        with parallel.Workers(_scan_chunk_since, self, workers) as forked:
            self._forked = (forked, mark)
            try:
                yield
            finally:
                self._forked = None

    def finish_scan(
        self,
        texts: Sequence[str],
        names: list[frozenset[str]],
        submitted: parallel.Submitted[list[list[tuple[Any, ...]]]] | None,
    ) -> list[list[Span]]:
        if submitted is not None:
            make = Span._make  # plain tuples cross the process boundary several times faster
            spans = [[make(s) for s in found] for part in submitted.results() for found in part]
        else:
            hints = _hints_of(texts)
            spans = []
            try:
                for i, text in enumerate(texts):
                    spans.append(self.scan(text, names[i], hints[i]))
            except PatternTimeoutError as exc:
                exc.text_index = len(spans)  # the caller knows that text's table, column and row
                raise
        # A name found in one text (with evidence: "Spoke to Stephanie") is a name in the others too
        # ("Stephanie called"): learn it, then scan again the texts that mention it.
        person = entities.PERSON
        learned = self.names.learn_found(
            (text[start:end], kind)
            for spans_of, text in zip(spans, texts, strict=True)
            for s in spans_of
            if s.entity == person
            for (start, end), kind in zip(s.words, s.kinds, strict=True)
        )
        if learned:
            mention = re.compile(
                r"\b(?:"
                + "|".join(map(re.escape, sorted(learned, key=len, reverse=True)))
                + r")\b",
                re.IGNORECASE,
            )
            for index, text in enumerate(texts):
                if mention.search(entities.bare(text)) or (  # learned words are without accents
                    may_hide(text) and mention.search(entities.bare(shown(text)))
                ):
                    try:
                        spans[index] = self.scan(text, names[index])
                    except PatternTimeoutError as exc:
                        exc.text_index = index
                        raise
        if self.ner is not None and texts:
            for index, found in enumerate(self.ner(list(texts))):
                if found:
                    spans[index] = resolve_overlaps(
                        spans[index] + [person_span(n, "SpacyRecognizer") for n in found]
                    )
        return spans

    def _number_spans(self, text: str, out: list[Span]) -> None:
        for match in CARD.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            if 13 <= len(digits) <= 19 and luhn_ok(digits):
                out.append(
                    Span(
                        match.start(),
                        match.end(),
                        entities.CREDIT_CARD,
                        1.0,
                        "CreditCardRecognizer",
                    )
                )
        for match in IBAN.finditer(text):
            # The run may take the words after it ("GB82 WEST 1234 5698 7654 32 and"): the longest
            # run of its groups that checks out is the IBAN.
            ends = [m.end() for m in _IBAN_GROUP.finditer(match.group())]
            for end in reversed(ends):
                piece = match.group()[:end]
                if len(piece) >= 15 and iban_ok(piece):
                    out.append(
                        Span(
                            match.start(),
                            match.start() + end,
                            entities.IBAN_CODE,
                            1.0,
                            "IbanRecognizer",
                        )
                    )
                    break
        for match in IPV4.finditer(text):
            if _is_ip(match.group()) or _is_ip(_dotted(match.group())):  # "203.0.113.077" too
                out.append(
                    Span(match.start(), match.end(), entities.IP_ADDRESS, 0.6, "IpRecognizer")
                )
        if ":" in text:
            for match in IPV6.finditer(text):
                if match.group().count(":") >= 2 and _is_ip(match.group()):
                    out.append(
                        Span(match.start(), match.end(), entities.IP_ADDRESS, 0.6, "IpRecognizer")
                    )
        for match in SSN.finditer(text):
            area, group, serial = match.groups()
            if area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000":
                # 3-2-4 with dashes is the SSN layout, never a phone's: it wins over a phone reading.
                out.append(Span(match.start(), match.end(), "US_SSN", 0.95, "UsSsnRecognizer"))

    def _custom_spans(self, custom: _Custom, text: str, out: list[Span]) -> None:
        entity = custom.rule.supported_entity
        threshold = self.rules.policy.min_score
        for pattern, score in custom.patterns:
            for match in pattern.finditer(text):
                if match.end() == match.start():
                    continue
                final = score
                if custom.context and _has_context(text, match.start(), custom.context):
                    final = min(1.0, max(score + CONTEXT_FACTOR, CONTEXT_MIN_SCORE))
                if final >= threshold:
                    out.append(Span(match.start(), match.end(), entity, final, custom.rule.name))
        if custom.deny is not None:
            for match in custom.deny.finditer(text):
                out.append(
                    Span(
                        match.start(1),
                        match.end(1),
                        entity,
                        custom.rule.deny_list_score,
                        custom.rule.name,
                    )
                )


_NON_DIGITS = re.compile(r"\D")
_DIGIT = re.compile(r"\d")
_SLASHED = re.compile(r"(?:\+|00)?\(?\d[^/]*\d")  # a part between slashes, from digit to digit


def _python_hints(text: str) -> int:
    """The hints `scan` needs, by Python's patterns (for a text `text_hints` leaves to them)."""
    spelled = MAY_SPELL if SPELLED.search(text) else 0
    if not _DIGIT.search(text):
        return spelled
    hints = HAS_DIGIT | MAY_PHONE | spelled
    if (
        NUMBER_HINT.search(text)
        or IBAN_HINT.search(text)
        or (":" in text and IPV6_HINT.search(text))
    ):
        hints |= NUMBER_LIKE
    if address_patterns()[1].search(text):
        hints |= ADDRESS_LIKE
    return hints


def _hints_of(texts: Sequence[str]) -> Sequence[int | None]:
    """`text_hints` for a list worth a pass in Arrow; no hints for a short one."""
    return text_hints(texts) if len(texts) >= HINTS_MIN_TEXTS else [None] * len(texts)


def _token_start(text: str, at: int) -> int:
    """Where the search for an email around the first `@` may start: an email holds no space, so none
    starts before the last space ahead of its `@` (the regex need not try every word before it)."""
    return text.rfind(" ", 0, at) + 1


def _nanp(text: str, digits: str, default_region: str) -> str | None:
    """E.164 of a North American number in a common format, without a full parse (None: not sure)."""
    if default_region not in {"US", "CA"} and not text.startswith("+1"):
        return None
    if text.startswith("+") and not text.startswith("+1"):
        return None
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        return None
    return f"+1{digits}" if _nanp_valid(digits[:6]) else None


@lru_cache(maxsize=100_000)
def _nanp_valid(npa_nxx: str) -> bool:
    """Whether numbers of an area code and exchange are valid (phonenumbers' metadata, once per prefix)."""
    number = phonenumbers.parse(f"+1{npa_nxx}0000", None)
    return bool(phonenumbers.is_valid_number(number)) or bool(
        phonenumbers.is_valid_number(phonenumbers.parse(f"+1{npa_nxx}5555", None))
    )


# Distinct texts from which a scan goes to worker processes: workers forked for the call cost a fork
# (fewer texts are scanned faster here); workers forked once for a pass sit idle until given texts.
PARALLEL_MIN_TEXTS = 20_000
FORKED_MIN_TEXTS = 2_000
HINTS_MIN_TEXTS = 64  # below this, Arrow's per-call overhead outweighs what hints spare


def _chunk_size(texts: int, workers: int) -> int:
    """Texts per work item: about eight items per worker (even shares), at least a thousand."""
    return max(1000, texts // (workers * 8))


def _scan_chunk(
    scanner: TextScanner, chunk: tuple[int, Sequence[str], list[frozenset[str]]]
) -> list[list[tuple[Any, ...]]]:
    """The spans of the texts of a chunk that starts at text `offset` of a scan."""
    offset, texts, names = chunk
    hints = _hints_of(texts)
    found: list[list[tuple[Any, ...]]] = []
    try:
        for i, text in enumerate(texts):
            found.append([tuple(s) for s in scanner.scan(text, names[i], hints[i])])
    except PatternTimeoutError as exc:
        exc.text_index = offset + len(found)  # the caller knows that text's table, column and row
        raise
    return found


def _scan_chunk_since(
    scanner: TextScanner,
    item: tuple[dict[str, int], int, list[str], list[frozenset[str]]],
) -> list[list[tuple[Any, ...]]]:
    """`_scan_chunk` in workers forked once: first learn the name words found since the fork."""
    found, offset, texts, names = item
    scanner.names.known.update(found)
    return _scan_chunk(scanner, (offset, texts, names))


class _ContactWorkers:
    """Workers forked once for pass 1's contacts (see `TextScanner.contacts_forked_once`).

    They hold the phone keys the scanner knew at the fork. The keys learned since are kept in order
    (`log`); a call brings its workers the entries from the fewest any of them is known to hold (each
    result says which worker read it and how many entries it holds then), and a worker adds those it
    lacks before reading."""

    def __init__(self, scanner: TextScanner, workers: int) -> None:
        self.log: list[str] = []  # the keys each `learn_phones` added, joined by newlines
        self.held: dict[int, int] = {}  # worker process id → log entries its scanner holds
        self.workers = workers
        self._pool: parallel.Workers[TextScanner, Any, Any] = parallel.Workers(
            _contacts_chunk_since, scanner, workers
        )

    def submit(self, texts: list[str]) -> parallel.Submitted[Any]:
        base = min(self.held.values()) if len(self.held) >= self.workers else 0
        entries = self.log[base:]
        size = _chunk_size(len(texts), self.workers)
        return self._pool.submit(
            (base, entries, texts[i : i + size]) for i in range(0, len(texts), size)
        )

    def collect(self, parts: list[tuple[int, int, list[tuple[str, str]]]]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for worker, held, part in parts:
            self.held[worker] = max(self.held.get(worker, 0), held)
            found.extend(part)
        return found

    def __enter__(self) -> _ContactWorkers:
        return self

    def __exit__(self, *_: object) -> None:
        self._pool.close()


def _contacts_chunk_since(
    scanner: TextScanner, item: tuple[int, list[str], list[str]]
) -> tuple[int, int, list[tuple[str, str]]]:
    """`_contacts_chunk` in a worker forked once: first add the phone keys learned since that it lacks
    (log entries from `base` on)."""
    base, entries, texts = item
    if scanner._phones_held < base:
        raise RuntimeError("a contacts worker lacks phone keys its call does not bring")
    for keys in entries[scanner._phones_held - base :]:
        scanner.known_phones.update(keys.split("\n"))
    scanner._phones_held = base + len(entries)
    return os.getpid(), scanner._phones_held, _contacts_chunk(scanner, texts)


def _contacts_chunk(scanner: TextScanner, texts: list[str]) -> list[tuple[str, str]]:
    hints = _hints_of(texts)
    return [found for i, text in enumerate(texts) for found in scanner.contacts(text, hints[i])]


@dataclass
class PendingScan:
    """A started `TextScanner.scan_many` (workers inherit the scanner, its known names and phones)."""

    scanner: TextScanner
    texts: Sequence[str]
    names: list[frozenset[str]]
    submitted: parallel.Submitted[list[list[tuple[Any, ...]]]] | None

    def result(self) -> list[list[Span]]:
        return self.scanner.finish_scan(self.texts, self.names, self.submitted)

    def is_done(self) -> bool:
        """Whether `result()` would not wait for the workers (without workers it scans: False)."""
        return self.submitted is not None and self.submitted.is_done()

    def cancel(self) -> None:
        if self.submitted is not None:
            self.submitted.cancel()


@dataclass
class PendingContacts:
    """A started `TextScanner.contacts_many`."""

    submitted: parallel.Submitted[Any] | None
    found: list[tuple[str, str]] | None = None  # read already (no workers)
    forked: _ContactWorkers | None = None  # the workers forked once that read them

    def result(self) -> list[tuple[str, str]]:
        if self.submitted is None:
            return self.found or []
        if self.forked is not None:
            return self.forked.collect(self.submitted.results())
        return [found for part in self.submitted.results() for found in part]

    def cancel(self) -> None:
        if self.submitted is not None:
            self.submitted.cancel()


def _dotted(text: str) -> str:
    """An IPv4 address's four numbers as Python reads an address ("203-0-113-077" → 203.0.113.77)."""
    return ".".join(str(int(part)) for part in _DIGIT_RUN.findall(text))


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _has_context(text: str, start: int, words: frozenset[str]) -> bool:
    before = _CONTEXT_WORD.findall(text[:start])[-CONTEXT_WORDS_BEFORE:]
    return any(w.casefold() in words for w in before)


def _spans_back(seen: View, span: Span) -> Span:
    """A span found in a text's view, at the text's own offsets."""
    return span._replace(
        start=seen.start(span.start),
        end=seen.end(span.end),
        words=tuple((seen.start(a), seen.end(b)) for a, b in span.words),
    )


def person_span(name: NameSpan, recognizer: str) -> Span:
    """A name the finder found, as a PERSON span."""
    return Span(
        name.start,
        name.end,
        entities.PERSON,
        name.score,
        recognizer,
        name.kinds,
        name.words,
    )


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Keep the best of overlapping spans: higher score, then more specific entity, then longer."""
    if len(spans) < 2:
        return spans
    ordered = sorted(spans, key=lambda s: s.start)
    if all(a.end <= b.start for a, b in pairwise(ordered)):
        return ordered  # nothing overlaps (the common case): each span stays
    ranked = sorted(
        spans, key=lambda s: (-s.score, -_PRIORITY.get(s.entity, 1), -(s.end - s.start), s.start)
    )
    kept: list[Span] = []
    for span in ranked:
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def describe(spans: Sequence[Span]) -> dict[str, Any]:
    """Counts per entity (for reports; never the span texts)."""
    counts: dict[str, int] = {}
    for span in spans:
        counts[span.entity] = counts.get(span.entity, 0) + 1
    return counts
