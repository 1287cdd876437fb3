"""Independent leak scan of the staged output: it shares no code with detection or the operators
(only generic text primitives in sanitizer/arrowtext.py, each held to RE2 by a property test).

It reads each input and its staged output side by side, row by row, and checks every column:
1. original values:
   - a replaced cell never keeps its own original (compared in normalised form);
   - no original email, phone or identifier-like value (anything not replaced from a public pool of
     fake names, cities, companies...) appears anywhere in the output, in any column;
   - in free text, no original name word that a cell held is still there in the same place, in any case
     where it is no ordinary English word or spells one of the run's full names. Fake names
     come from the same public pool as real ones, so a replacement may equal some customer's name: a
     word-level diff of input and output tells a survivor (a finding) from a replacement (a coincidence).
2. email domains: every email address in the output is at an allowed domain.
3. phone ranges: every valid phone number in the output is in a safe range.
Findings carry table, column, 1-based row and kind: never the value.
"""

from __future__ import annotations

import difflib
import html
import operator
import re
import unicodedata
import urllib.parse
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, permutations
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from sanitizer import parallel
from sanitizer.arrowtext import ascii_digits
from sanitizer.entities import (
    AMBIGUOUS_NAME_WORDS,
    APOSTROPHE_LOOKALIKES,
    HIDDEN,
    LATIN_LOOKALIKES,
    NAME_ASCII_SPELLINGS,
    NAME_LETTER_SPELLINGS,
    NAME_PARTICLES,
    OVERLAYS,
    is_handle_word,
    is_ordinary_word,
    lower_case_names,
)
from sanitizer.errors import VerificationError
from sanitizer.report.model import Finding, VerificationReport
from sanitizer.tables import (
    BATCH_ROWS,
    Batch,
    FrameBatch,
    RecordsBatch,
    RowCells,
    TableSource,
    read_output,
)
from sanitizer.textkeys import ascii_letter_runs, has_key, string_keys

if TYPE_CHECKING:
    from sanitizer.ranges import SafeRanges

MAX_FINDINGS = 1000
CATEGORY_ROWS = 10  # a kept value shared by this many rows of a batch is a category, not a remark
# Outputs are checked in pieces of at most this many rows, whatever the scrub's batch size, so that
# worker processes share even a one-batch table (and one or more workers see the same pieces).
VERIFY_BATCH_ROWS = 25_000
NAME_ENTITIES = frozenset({"PERSON", "FIRST_NAME", "LAST_NAME"})
Kind = Literal["original-value", "email-outside-allowed-domains", "phone-outside-safe-ranges"]

# The top-level domain in any script ("пример.рф"), or an IDN's ASCII form ("xn--p1ai").
# Characters that show nothing (Unicode's Default_Ignorable_Code_Point set: the shared policy's list).
_INVISIBLE = re.compile(f"[{HIDDEN}]")
_TAG = re.compile(r"\+[^@+]*@")  # a "+tag" before the "@"
_EMAIL_LIKE = re.compile(
    r"[^\s@<>()\[\],;:\"'`]+@[^\s@<>()\[\],;:\"'`]+\.(?:[xX][nN]--[\w-]+|[^\W\d_]{2,})"
)
# An address disguised from mail programs, in the verifier's own words: the user part, then "@" with
# spaces, a full-width or encoded "@", or "at" in brackets (or between spaces when a dot is spelled
# too), then the domain, its dots written or spelled ("dot", "(dot)", "[dot]").
_AT_DISGUISED = r"(?:\s+@\s*|\s*@\s+|\s*[＠﹫]\s*|&\#64;|%40|\s*[(\[{]\s*at\s*[)\]}]\s*)"
_DOT_SPELLED = r"(?:\s*[(\[{]\s*dot\s*[)\]}]\s*|\s+dot\s+)"
_EMAIL_DISGUISED = re.compile(
    r"([\w.+-]+?)"
    rf"(?:{_AT_DISGUISED}((?:[\w-]+(?:\.|{_DOT_SPELLED}))+[\w-]+)"
    rf"|\s+at\s+((?:[\w-]+{_DOT_SPELLED})+[\w-]+))",
    re.IGNORECASE,
)
_DOTS_SPELLED = re.compile(_DOT_SPELLED, re.IGNORECASE)
_DIGITS_DROPPED = str.maketrans("", "", "0123456789")


def _digit_count(text: str) -> int:
    return len(text) - len(text.translate(_DIGITS_DROPPED))


def _disguise_signs(value: str) -> bool:
    """An "@" beside a space or in another form, an escaped one, or "at"/"dot" in words or brackets,
    by substring tests."""
    if ("@" in value and (" @" in value or "@ " in value)) or "%40" in value or "&#64;" in value:
        return True
    if "＠" in value or "﹫" in value:
        return True
    if " " not in value and "(" not in value and "[" not in value and "{" not in value:
        return False  # a single word: no "at" or "dot" apart (most cells)
    folded = value.casefold()
    return "dot" in folded or any(f"at{bracket}" in folded for bracket in ")]}")


_PHONE_LIKE = re.compile(r"(?<![\w+\-])\+?[\d(][\d\s().\-/]{5,24}\d(?![\w\-])")
# A timestamp's digits ("2024-03-15 09:30:00") are no number to dial: a phone-like run that starts with
# a year, month and day, or that a clock's ":" and minutes follow, is not checked against the ranges.
_YEAR_MONTH_DAY = re.compile(r"\d{4}-\d\d-\d\d\b")


def _is_timestamp(text: str, match: re.Match[str]) -> bool:
    after = text[match.end() : match.end() + 2]
    return bool(_YEAR_MONTH_DAY.match(match.group())) or (after[:1] == ":" and after[1:].isdigit())


# Joined by hyphens and apostrophes (the words of a value that may be a specific original).
_WORDS = re.compile(r"\w+(?:-\w+|['’](?![sS]\b)\w+)*")
# Name words: letters joined by apostrophes or their look-alikes ("O`Brien", "OʼBrien"), but "Tom's"
# and "Tomʼs" are the word Tom (a possessive is not part of the name). Hyphens, digits and "_" part
# words: "Mary-Jane" is Mary and Jane, "ada_lovelace" in a profile address is Ada Lovelace. What shows
# nothing, and marks that strike a letter through, part none ("Sio\u200cbhan", "S\u0336iobhan").
_NAME_LETTER = (
    r"[^\W\d_\u02b9\u02bb\u02bc]"  # "ʼ" is a letter to Unicode, an apostrophe to a reader
)
_NAME_WORDS = re.compile(
    rf"{_NAME_LETTER}+(?:['’{APOSTROPHE_LOOKALIKES}](?![sS](?!{_NAME_LETTER})){_NAME_LETTER}+"
    rf"|[{HIDDEN}{OVERLAYS}]+{_NAME_LETTER}*)*"
)
# An apostrophe look-alike read as "'" in a name word.
_APOSTROPHE = str.maketrans(dict.fromkeys(APOSTROPHE_LOOKALIKES, "'"))
# How a name's letters are also written ("Müller": "Mueller", "Muller"), applied to every occurrence at
# once; spellings shorter than three letters are not names ("Mae" is not "Ma").
_RESPELLINGS = [
    (letters, spelling)
    for table in (NAME_LETTER_SPELLINGS, NAME_ASCII_SPELLINGS)
    for letters, spellings in table.items()
    for spelling in spellings
]
_MIN_RESPELLED = 3
# Whether a name word may be spelled otherwise at all: most are not ("smith"), and need no respelling.
_RESPELLABLE = re.compile(
    "|".join(re.escape(letters) for letters, _ in _RESPELLINGS if letters.isascii())
)
# Titles are never names; words that are names but also ordinary English ("West Lake", "Will do") count
# in free text only as the row's own name (entities.AMBIGUOUS_NAME_WORDS).
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "sir",
        "madam",
        "prof",
        "mister",
        "dame",
        "lord",
        "lady",
    ]
)
_AMBIGUOUS = AMBIGUOUS_NAME_WORDS  # shared policy: which words need more evidence to be names
_NOT_DIGIT = re.compile(r"\D")
_A_DIGIT = re.compile(r"\d")
# A phone written by hand: digits and whatever separates their groups (spaces, hyphens and dashes of
# every kind, dots, brackets, "_"); letters end it ("mob07700900123", "0143x12"), and so does a slash
# between two numbers ("07700 900123 / 07700 900124"). Compared with the originals' keys, not parsed.
_HAND_PHONE = re.compile(r"\+?\d(?:[\d\s\-\u2010-\u2015\u2212.()_]*\d)?")
# A card number or an IBAN written by hand, in either case: between its groups any space, dashes and the
# minus sign, dots, slashes, "_", colons, commas ("3782:822463:10005", "4012,8888,8888,1881"), or
# invisible characters (zero-width space and joiners, soft hyphen); up to three ("6011 — 1111 — ...").
_APART = r"[\s.\-/_:,\u2010-\u2015\u2212\u00ad\u200b-\u200d\u2060]"
_CARD_LIKE = re.compile(rf"\d(?:{_APART}{{0,3}}\d){{12,}}")
_IBAN_LIKE = re.compile(
    rf"[A-Za-z]{{2}}{_APART}{{0,2}}\d{{2}}(?:{_APART}{{0,3}}[A-Za-z0-9]){{11,}}"
)
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")
# Four numbers of up to three digits joined by dots, hyphens or "_": an IPv4 address however written.
_IPV4_LIKE = re.compile(r"(?<![\w.])\d{1,3}(?:[._\-]\d{1,3}){3}(?![\d]|\.\d)")


def _four_numbers(text: str) -> str:
    return ".".join(str(int(n)) for n in re.findall(r"\d+", text))


_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")  # a URL escape ("%2E", "%40")
# An ASCII text's bytes with every byte that is not a letter made a space: its split is the text's
# letter runs, a name word joined by "'" in pieces (see _ascii_words).
_ASCII_PIECE = re.compile(r"[a-z]+")
_LETTERS = re.compile(r"[^\W\d_]+")


_ACCENTS = re.compile(f"[\u0300-\u036f{OVERLAYS}]")
# Cyrillic and Greek letters that look like Latin ones (the shared policy's list): a word whose letters
# of those scripts all do is read in Latin letters ("Lоvelace" with a Cyrillic "о" is Lovelace).
_TO_LATIN = str.maketrans(LATIN_LOOKALIKES)
_LOOKALIKE = re.compile("[" + "".join(LATIN_LOOKALIKES) + "]")
_CYRILLIC_GREEK = re.compile("[\u0370-\u03ff\u0400-\u052f]")
# Chinese, Japanese and Korean characters, written again here: one can be a whole name (王), and their
# texts run names into the words around them ("王伟先生来电"), so names are looked for inside runs.
_CJK_RUN = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    "\uf900-\ufaff\U00020000-\U0002ebef]+"
)
_CJK_NAME_MAX = 5
# Greek and Cyrillic names take case endings on their stem ("Петрову" for Петров); what an ending
# replaces at a name's end (final vowels, Greek's final sigma folded); the longest ending read.
_INFLECTING = re.compile("[\u0370-\u03ff\u0400-\u052f]")
_NAME_ENDING = re.compile("[аеёиоуыэюяйьъαάεέηήιίοόυύωώσς]{1,2}$")
_ENDING_MAX = 3
# A title glued to a name ("MsLovelace", "MRSMITH"), longest first; how a text holding one looks.
_GLUED_TITLES = ("miss", "mrs", "mr", "ms", "mx", "dr")
_GLUED_STARTS = frozenset(title[:2] for title in _GLUED_TITLES)
# A word spelled out letter by letter ("S-M-I-T-H", "S M I T H", "S.M.I.T.H", "s. m. i. t. h"): four
# letters or more, one separator throughout; and what stands between its letters.
_SPELLED_RUN = re.compile(r"(?<![^\W\d_])[^\W\d_]([-. ]|\. )[^\W\d_](?:\1[^\W\d_]){2,}(?![^\W\d_])")
_SPELLING_GAPS = re.compile(r"[-. ]")
# What RE2 finds wherever `_SPELLED_RUN` matches (without its borders and its one separator; \pN for
# the numerals Python counts as letters there), a column at a time.
_MAY_SPELL = r"[\pL\pN](?:[-. ]|\. )[\pL\pN](?:[-. ]|\. )[\pL\pN](?:[-. ]|\. )[\pL\pN]"
_GLUED_TITLE = re.compile(r"(?:M(?:rs?|s|x|iss)|Dr|MRS?|MS|MX|MISS|DR)[A-Z]")
# A word hyphenated at a line end ("Love-\nlace"): its two parts.
_LINE_END_HYPHEN = re.compile(r"([^\W\d_]+)-[ \t]*\r?\n[ \t]*([^\W\d_]+)")
# Texts of more words are compared a line at a time, or between anchors: runs of this many words found
# once in each text (see `_Checker.surviving_names`).
_LONG_TEXT_WORDS = 400
_ANCHOR_WORDS = 3


def _name_word(word: str) -> str:
    """A word as name words compare: case-folded, without accents ("José" and "jose" are one name).
    Written here again, not shared with the scrubber: the verifier does not trust its code."""
    if word.isascii():
        return word.casefold() if "`" not in word else word.casefold().replace("`", "'")
    # Invisible characters go, letters in another width or style are the letters they show, an
    # apostrophe look-alike is an apostrophe (before NFKC, which makes "´" a space and an accent).
    folded = unicodedata.normalize(
        "NFKC", _INVISIBLE.sub("", word.translate(_APOSTROPHE))
    ).casefold()
    folded = unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", folded)))
    if _LOOKALIKE.search(folded):  # "lоvelace" (a Cyrillic "о") is lovelace; "клиент" stays
        latin = folded.translate(_TO_LATIN)
        if not _CYRILLIC_GREEK.search(latin):
            return latin
    return folded


# A text as a reader sees it (written here again, not shared with the scanner's detect/shown.py): JSON's
# "\uXXXX" escapes as Python writes them by default, HTML character references, the URL escapes of
# characters beyond ASCII ("%C3%AB") decoded; what shows nothing, and marks that strike a letter
# through, left out; accents composed ("Zoe\u0308" is "Zoë").
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_WIDE_ESCAPES = re.compile(r"(?:%[0-9a-fA-F]{2})*%[89a-fA-F][0-9a-fA-F](?:%[0-9a-fA-F]{2})*")
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_UNSHOWN = re.compile(f"[{HIDDEN}{OVERLAYS}]")
_MAY_HIDE = re.compile(f"[{HIDDEN}{_COMBINING}]")


def _may_hide(text: str) -> bool:
    """Whether `text` may show otherwise than it is written (substring tests; `_as_shown` decides)."""
    if "\\u" in text or "%" in text or ("&" in text and ";" in text):
        return True
    return not text.isascii() and _MAY_HIDE.search(text) is not None


def _as_shown(text: str) -> str:
    """`text` as a reader sees it (see `_JSON_ESCAPE` above)."""
    if "\\u" in text:
        text = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
        # A character beyond the BMP is two escapes, a surrogate pair: one character.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if "&" in text:
        text = html.unescape(text)
    if "%" in text:
        text = _WIDE_ESCAPES.sub(lambda m: urllib.parse.unquote(m.group()), text)
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _UNSHOWN.sub("", text))


@lru_cache(maxsize=65_536)
def _with_titles(word: str) -> tuple[str, ...]:
    """A name word (as names compare) with a title glued before it in lower case, as handles write it
    ("mslovelace"); none for a word of one or two letters. Names repeat across rows: cached."""
    return tuple(title + word for title in _GLUED_TITLES) if len(word) >= 3 else ()


def _cell_words(words: list[str]) -> list[str]:
    """The name words of a name cell (`_NAME_WORDS.findall`), and its particles run together with their
    word as notes also write them ("van der Berg": "van", "der", "Berg" and "vanderBerg")."""
    joined: list[str] = []
    run = ""
    for word in words:
        if word.casefold() in NAME_PARTICLES:
            run += word
        elif run:
            joined.append(run + word)
            run = ""
    return words + joined if joined else words


def _with_endings(text: str, row_names: set[str] | frozenset[str]) -> set[str] | frozenset[str]:
    """`row_names` and the words of `text` that are one of them with a case ending: after an
    apostrophe ("yılmaz'a", "ahmet'in"), or in Greek and Cyrillic on the name's stem, the name without
    its final vowels ("петрову", "смирновой", "παπαδοπουλου"), an ending of at most three letters."""
    stems = [
        (stem, name)
        for name in row_names
        if len(name) >= 4
        and _INFLECTING.search(name)
        and len(stem := _NAME_ENDING.sub("", name)) >= 3
    ]
    found = set()
    for word in _NAME_WORDS.findall(text):
        folded = _name_word(word)
        if folded in row_names:
            continue
        head, mark, tail = folded.replace("\u2019", "'").partition("'")
        if (mark and head in row_names and len(tail) <= _ENDING_MAX) or any(
            folded.startswith(stem) and 0 < len(folded) - len(stem) <= _ENDING_MAX
            for stem, _ in stems
        ):
            found.add(folded)
    return row_names.union(found) if found else row_names


def _name_forms(word: str) -> set[str]:
    """A name word of an original as free text may write it: `_name_word` of each of its respellings
    ("Müller": "muller", "mueller"; "Ødegård": "ødegard", "odegard", "oedegaard", ...)."""
    folded = word.casefold().translate(_APOSTROPHE)
    if folded.isascii() and not _RESPELLABLE.search(folded):
        return {folded}
    folded = unicodedata.normalize("NFC", folded)
    forms = {folded}
    for letters, spelling in _RESPELLINGS:
        respelled = {form.replace(letters, spelling) for form in forms if letters in form}
        forms.update(r for r in respelled if len(r) >= _MIN_RESPELLED)
    return {_name_word(form) for form in forms}


def _ascii_words(text: str) -> set[bytes]:
    """The lower-case letter runs of an ASCII text, in C: a _NAME_WORDS word's pieces (split at "'")
    are among them, so two texts that share no piece of a name share no name."""
    return set(ascii_letter_runs(text))


def _lines(before: str, after: str) -> list[tuple[str, str]] | None:
    """A text and its replacement line by line, when they have as many lines (None otherwise).

    Lines pair up whenever the counts agree: no replacement holds a line break, so a scrub can only
    remove one (a span across lines), and then the counts differ. Sentences are not cut: a replacement
    may end a sentence where the original did not, and pairs could then shift without a sign."""
    lines_before, lines_after = before.split("\n"), after.split("\n")
    if len(lines_before) == len(lines_after) > 1:
        return list(zip(lines_before, lines_after, strict=True))
    return None


def _matching_blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    """difflib's runs of equal words of two word lists, in order, without its closing empty run."""
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return [(i, j, size) for i, j, size in matcher.get_matching_blocks() if size]


def _anchored_blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    """`_matching_blocks` of a long text on one line, in about linear time (a patience diff): equal words
    at both ends pair up; then runs of `_ANCHOR_WORDS` words found once in each text, in the same order in
    both, are anchors (the longest such chain); the stretches between anchors are aligned alone, in the
    same way. Word runs, not words: in a long text few words occur once, most runs of three do."""
    blocks: list[tuple[int, int, int]] = []
    _align(a, b, (0, len(a)), (0, len(b)), blocks)
    merged: list[tuple[int, int, int]] = []
    for i, j, size in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + size)
        else:
            merged.append((i, j, size))
    return merged


def _align(
    a: list[str],
    b: list[str],
    a_span: tuple[int, int],
    b_span: tuple[int, int],
    out: list[tuple[int, int, int]],
) -> None:
    (a_lo, a_hi), (b_lo, b_hi) = a_span, b_span
    while a_lo < a_hi and b_lo < b_hi and a[a_lo] == b[b_lo]:
        out.append((a_lo, b_lo, 1))
        a_lo, b_lo = a_lo + 1, b_lo + 1
    tail = 0
    while a_lo < a_hi - tail and b_lo < b_hi - tail and a[a_hi - tail - 1] == b[b_hi - tail - 1]:
        tail += 1
    a_hi, b_hi = a_hi - tail, b_hi - tail
    anchors = _anchors(a, b, a_lo, a_hi, b_lo, b_hi) if a_hi - a_lo > _LONG_TEXT_WORDS else []
    if not anchors:
        out.extend(
            (a_lo + i, b_lo + j, size)
            for i, j, size in _matching_blocks(a[a_lo:a_hi], b[b_lo:b_hi])
        )
    else:
        for i, j in anchors:
            _align(a, b, (a_lo, i), (b_lo, j), out)
            out.append((i, j, _ANCHOR_WORDS))
            a_lo, b_lo = i + _ANCHOR_WORDS, j + _ANCHOR_WORDS
        _align(a, b, (a_lo, a_hi), (b_lo, b_hi), out)
    out.extend((a_hi + k, b_hi + k, 1) for k in range(tail))


def _anchors(
    a: list[str], b: list[str], a_lo: int, a_hi: int, b_lo: int, b_hi: int
) -> list[tuple[int, int]]:
    """The longest chain of (i, j) starts of runs of `_ANCHOR_WORDS` words found once in a[a_lo:a_hi] and
    once in b[b_lo:b_hi], increasing in both and not overlapping."""
    size = _ANCHOR_WORDS
    runs_a = [tuple(a[i : i + size]) for i in range(a_lo, a_hi - size + 1)]
    runs_b = [tuple(b[j : j + size]) for j in range(b_lo, b_hi - size + 1)]
    in_a, in_b = Counter(runs_a), Counter(runs_b)
    at_b = {run: b_lo + j for j, run in enumerate(runs_b) if in_b[run] == 1}
    pairs = [
        (a_lo + i, at_b[run]) for i, run in enumerate(runs_a) if in_a[run] == 1 and run in at_b
    ]
    # Longest increasing run of the j's (patience sorting): the chain ending at each pile's top.
    tops: list[int] = []  # per length, the pair ending such a chain with the smallest j
    top_js: list[int] = []
    previous = [-1] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        length = bisect_left(top_js, j)
        if length:
            previous[index] = tops[length - 1]
        if length == len(tops):
            tops.append(index)
            top_js.append(j)
        else:
            tops[length], top_js[length] = index, j
    chain: list[tuple[int, int]] = []
    index = tops[-1] if tops else -1
    while index >= 0:
        chain.append(pairs[index])
        index = previous[index]
    anchors: list[tuple[int, int]] = []
    for i, j in reversed(chain):  # overlapping runs (i and i + 1) are one run of equal words
        if not anchors or (i >= anchors[-1][0] + size and j >= anchors[-1][1] + size):
            anchors.append((i, j))
    return anchors


def _beside(text: str, left: re.Match[str], right: re.Match[str]) -> bool:
    """Two words one or two blanks apart on one line (as the words of one name)."""
    gap = text[left.end() : right.start()]
    return 0 < len(gap) <= 2 and gap.isspace() and "\n" not in gap


def _starts_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:;\n"


def _fold(text: str) -> str:
    """Whitespace runs made one space, the ends stripped, case folded (str.split's whitespace is the
    regex's \\s: Python's one definition, Py_UNICODE_ISSPACE)."""
    return " ".join(text.split()).casefold()


def _same_or(original: str, form: str) -> str:
    """`form`, or `original` itself where the two are equal (one string in memory, not two)."""
    return original if form == original else form


_COUNTRY_CODES = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def _phone_key(text: str) -> str:
    """National significant digits: the same number in any format (country code or trunk 0 removed).

    Written here again on purpose (see sanitizer.entities.phone_key): the verifier shares no code with
    the transform path, so a bug there cannot hide the leak it causes.
    """
    stripped = text.strip()
    digits = _NOT_DIGIT.sub("", stripped)
    international = stripped.startswith("+") or digits.startswith("00")
    if international:
        digits = digits[2:] if digits.startswith("00") else digits
        prefix = next((digits[:n] for n in (1, 2, 3) if digits[:n] in _COUNTRY_CODES), "")
        return digits[len(prefix) :]
    if len(digits) == 11 and digits.startswith("1"):
        return digits[1:]
    if len(digits) >= 12 and digits[0] not in "01":
        # E.164 without its "+" (447700900393): the country code comes off as for "+44...".
        prefix = next((digits[:n] for n in (1, 2, 3) if digits[:n] in _COUNTRY_CODES), "")
        return digits[len(prefix) :]
    return digits.removeprefix("0")


def _phone_keys(values: list[str]) -> list[str]:
    """`_phone_key` of many values."""
    if not values:
        return []
    return list(_phone_key_array(pa.array(values, type=pa.large_string())).to_pylist())


def _phone_key_array(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`_phone_key` of every value, in Arrow: a plain North American number (ASCII; "+1" and ten digits,
    or no "+" and ten digits not starting with 0, or 1 and ten) is its last ten digits; the others are
    keyed one by one."""
    digits = ascii_digits(array)
    length = pc.utf8_length(digits).to_numpy(zero_copy_only=False)
    # The first digit compared in Arrow: a numpy array of one-character strings costs an object each.
    one = pc.starts_with(digits, "1").to_numpy(zero_copy_only=False)
    zero = pc.starts_with(digits, "0").to_numpy(zero_copy_only=False)
    eleven = (length == 11) & one
    no_plus = ~pc.match_substring(array, "+").to_numpy(zero_copy_only=False)
    plus_one = pc.match_substring_regex(array, r"^[ \t]*\+1").to_numpy(zero_copy_only=False)
    plain = pc.string_is_ascii(array).to_numpy(zero_copy_only=False) & (
        (no_plus & (eleven | ((length == 10) & ~zero))) | (plus_one & eleven)
    )
    keys = pc.utf8_slice_codeunits(digits, -10)
    other = np.flatnonzero(~plain)
    if len(other):
        spelled = keys.to_pylist()
        others = array.take(pa.array(other)).to_pylist()
        for index, value in zip(other, others, strict=True):
            spelled[index] = _phone_key(value)
        keys = pa.array(spelled, type=pa.large_string())
    return keys


@dataclass(frozen=True)
class ColumnCheck:
    """What the scrub did to a column, which decides how it is checked."""

    entity: str | None
    operator: str
    is_verified: bool = True

    @property
    def is_replaced(self) -> bool:
        return self.operator not in {"keep", "drop", "text"}


@dataclass
class VerifyTable:
    """An input table, its staged output file, and what the scrub did to each column."""

    name: str
    source: TableSource
    output: Path
    columns: dict[str, ColumnCheck]

    @property
    def name_columns(self) -> list[str]:
        return [
            p for p, c in self.columns.items() if c.entity in NAME_ENTITIES and c.operator != "keep"
        ]

    @property
    def email_columns(self) -> list[str]:
        return [
            p
            for p, c in self.columns.items()
            if c.entity == "EMAIL_ADDRESS" and c.operator != "keep"
        ]

    @property
    def phone_columns(self) -> list[str]:
        return [
            p
            for p, c in self.columns.items()
            if c.entity == "PHONE_NUMBER" and c.operator != "keep"
        ]


@dataclass
class Originals:
    """The original PII values of the run (in memory only), handed over by the scrub."""

    values: dict[str, set[str]]
    pooled: set[str] = field(default_factory=set)  # entities replaced from a public pool (fake)
    # The name columns' full names ("first last" case-folded without accents, `Mapper.full_names`)
    # as `textkeys.string_keys`: 8 bytes a name where a set of the strings takes about a hundred, at a
    # million names the difference between 1.4 and 1.5 GB. A pair that only shares a full name's hash
    # counts as one: a finding, never a pass.
    full_names: np.ndarray = field(default_factory=lambda: string_keys(()))


@dataclass
class _Scan:
    findings: list[Finding] = field(default_factory=list)
    total: int = 0
    coincidences: int = 0
    cells: int = 0
    per_column: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def merge(self, other: _Scan) -> None:
        """Add a later batch's scan (batches merged in order give the sequential result)."""
        self.total += other.total
        self.coincidences += other.coincidences
        self.cells += other.cells
        for key, count in other.per_column.items():
            self.per_column[key] += count
        self.findings.extend(other.findings[: MAX_FINDINGS - len(self.findings)])

    def add(self, table: str, column: str, row: int, kind: Kind, entity: str | None) -> None:
        self.total += 1
        self.per_column[(table, column)] += 1
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(
                Finding(table=table, column=column, row=row + 1, kind=kind, entity=entity)
            )


class _Checker:
    """Search sets built once from the originals, and the content checks of one output value."""

    def __init__(self, originals: Originals, ranges: SafeRanges, regions: list[str]) -> None:
        self.ranges = ranges
        self.regions = regions
        values = originals.values
        # An original already in its folded form (most addresses) is held once, not twice.
        self.emails = {_same_or(v, _fold(v)) for v in values.get("EMAIL_ADDRESS", ())}
        self.phones = {k for k in _phone_keys(list(values.get("PHONE_NUMBER", ()))) if len(k) >= 7}
        self.specific = {
            _same_or(v, _fold(v))
            for entity, group in values.items()
            if entity not in originals.pooled | NAME_ENTITIES | {"EMAIL_ADDRESS", "PHONE_NUMBER"}
            for v in group
            if len(v.strip()) >= 4
        }
        # Card numbers by their digits, IBANs by their letters and digits: found however grouped.
        self.cards = {
            digits
            for v in values.get("CREDIT_CARD", ())
            if 13 <= len(digits := _NOT_DIGIT.sub("", v)) <= 19
        }
        self.ibans = {
            compact
            for v in values.get("IBAN_CODE", ())
            if len(compact := _NOT_ALNUM.sub("", v).upper()) >= 15
        }
        # IPv4 addresses by their four numbers: "203.0.113.077" and "ec2-203-0-113-77" are 203.0.113.77.
        self.ipv4 = {
            _four_numbers(v)
            for v in values.get("IP_ADDRESS", ())
            if _IPV4_LIKE.fullmatch(v.strip())
        }
        self.card_sizes = sorted({len(c) for c in self.cards})
        self.iban_sizes = sorted({len(c) for c in self.ibans})
        self.name_words = {
            form
            for e in NAME_ENTITIES
            for v in values.get(e, ())
            for w in _cell_words(_NAME_WORDS.findall(v))
            for form in _name_forms(w)
        }
        self.name_words = {
            w for w in self.name_words if (len(w) > 1 or _CJK_RUN.match(w)) and w not in _TITLES
        }
        # Name words that are names in lower case too: no ordinary English word ("lovelace", not
        # "hopper"); and the full names, which are names in any case ("grace hopper").
        self.lower_names = lower_case_names(self.name_words)
        self.full_names = originals.full_names
        # A family by its last name ("the Smiths", "the Joneses"): plural → last name.
        last_words = [w for v in values.get("LAST_NAME", ()) for w in _NAME_WORDS.findall(v)]
        last_words += [
            words[-1] for v in values.get("PERSON", ()) if len(words := _NAME_WORDS.findall(v)) > 1
        ]
        self.plurals = {
            form + ending: form
            for w in last_words
            for form in _name_forms(w)
            if form in self.name_words
            for ending in ("s", "es")
        }
        # The pieces of the ASCII name words and plurals (see _ascii_words); others cannot be in an
        # ASCII text.
        self.name_pieces = {
            piece.encode()
            for w in self.name_words.union(self.plurals)
            if w.isascii()
            for piece in _ASCII_PIECE.findall(w)
        }
        # Every name word holds a Unicode letter (RE2's \pL), so a value without one holds none of them.
        self.name_words_have_letters = all(
            any(unicodedata.category(c).startswith("L") for c in w) for w in self.name_words
        )
        self.emails_and_specific = self.emails | self.specific if self.specific else self.emails
        self._phones_seen: dict[str, bool] = {}
        self._domains: dict[str, bool] = {}
        # Values the caller vouches for (an org's own numbers and mailboxes in a flow): never findings.
        self.is_allowed: Callable[[str], bool] = lambda _value: False

    def is_unsafe_phone(self, candidate: str) -> bool:
        """A valid phone number (for any configured region) outside every safe range."""
        cached = self._phones_seen.get(candidate)
        if cached is not None:
            return cached
        unsafe = False
        text = "+" + candidate[2:] if candidate.startswith("00") else candidate
        digits = _NOT_DIGIT.sub("", text)
        is_nanp = (text.startswith("+1") or not text.startswith("+")) and (
            len(digits) == 10 or (len(digits) == 11 and digits.startswith("1"))
        )
        # A North American number written any way: its E.164 is +1 and the last ten digits, no parse.
        if is_nanp and self.ranges.is_safe_phone("+1" + digits[-10:]):
            self._phones_seen[candidate] = False
            return False
        # National formats of other countries start with their trunk prefix 0 (GB, AU, FR, DE, IE...).
        regions = self.regions if text.lstrip("(").startswith("0") else self.regions[:1]
        for region in [None] if text.startswith("+") else regions:
            try:
                number = phonenumbers.parse(text, region)
            except phonenumbers.NumberParseException:
                continue
            if self.ranges.is_safe_phone(
                phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            ):
                break
            if phonenumbers.is_valid_number(number):
                unsafe = True
                break
        self._phones_seen[candidate] = unsafe
        return unsafe

    def suspects(
        self, values: list[Any], check_ranges: bool
    ) -> tuple[list[int], list[tuple[int, Kind, str]]]:
        """Split distinct values into those needing the full check and findings decided vectorised.

        Done in Arrow (RE2, C++): a value with no `@`, no phone-like digits, no whitespace and not itself an
        original cannot hold a finding; a value that is exactly an email, or exactly a North American phone
        number, is checked whole here. Everything else goes to `content`.
        """
        if not values:
            return [], []
        array = pa.array([str(v) for v in values], type=pa.large_string())
        # Set lookups in Python: Arrow's is_in would hash every original again for each column and batch.
        known = self.emails_and_specific
        originals = np.zeros(len(values), dtype=bool)
        # Without identifier originals only emails can match, and an email holds an "@".
        candidates = (
            np.arange(len(values))
            if self.specific
            else np.flatnonzero(pc.match_substring(array, "@").to_numpy(zero_copy_only=False))
        )
        if len(candidates):
            folded = pc.utf8_lower(  # only the candidates: most values of most columns are not
                pc.utf8_trim_whitespace(
                    pc.replace_substring_regex(array.take(pa.array(candidates)), r"\s+", " ")
                )
            )
            originals[candidates] = np.fromiter(
                (
                    value in known or ("+" in value and _TAG.sub("@", value) in known)
                    for value in folded.to_pylist()
                ),
                dtype=bool,
                count=len(candidates),
            )
        found: list[tuple[int, Kind, str]] = []
        is_email = pc.match_substring_regex(
            array, r"^[^\s@<>()\[\],;:\"'`]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
        )
        is_nanp = pc.match_substring_regex(
            array, r"^\s*(\+?1[\s.\-]?)?\(?[2-9]\d\d\)?[\s.\-]?\d{3}[\s.\-]?\d{4}\s*$"
        )
        # Decided whole in ASCII only: an invisible character inside an address is read by `content`.
        whole = pc.and_(pc.or_(is_email, is_nanp), pc.string_is_ascii(array)).to_numpy(
            zero_copy_only=False
        )
        emails = np.flatnonzero(is_email.to_numpy(zero_copy_only=False))
        # An email's domain is checked once per distinct domain (the pattern allows one "@").
        bad_domain = np.zeros(len(emails), dtype=bool)
        if check_ranges and len(emails):
            domains = pc.extract_regex(array.take(pa.array(emails)), r"@(?P<domain>.*)$")
            domains = domains.field("domain")
            bad = [d for d in pc.unique(domains).to_pylist() if not self._domain_ok(d)]
            if bad:
                bad_domain = pc.is_in(domains, pa.array(bad, domains.type)).to_numpy(
                    zero_copy_only=False
                )
        for index in emails[originals[emails] | bad_domain].tolist():
            kind: Kind = "original-value" if originals[index] else "email-outside-allowed-domains"
            found.append((index, kind, "EMAIL_ADDRESS"))
        nanp = np.flatnonzero(is_nanp.to_numpy(zero_copy_only=False))
        if len(nanp):
            keys = _phone_key_array(array.take(pa.array(nanp)))
            phones = self.phones
            original = np.fromiter((k in phones for k in keys.to_pylist()), bool, len(nanp))
            # Numbers in the NANP fiction lines are decided in bulk; the others one by one.
            flagged = original | ~self.ranges.in_nanp_lines(keys) if check_ranges else original
            for k in np.flatnonzero(flagged).tolist():
                index = int(nanp[k])
                if original[k]:
                    found.append((index, "original-value", "PHONE_NUMBER"))
                elif check_ranges and self.is_unsafe_phone(str(values[index]).strip()):
                    found.append((index, "phone-outside-safe-ranges", "PHONE_NUMBER"))
        # Phone-like digits not inside a word or an id (RE2 has no lookbehind: the borders are spelled out).
        phoneish = pc.match_substring_regex(
            array, r"(^|[^\w+\-])\+?[\d(][\d\s().\-/]{5,24}\d($|[^\w\-])"
        )
        wanted = pc.or_(pc.match_substring(array, "@"), phoneish)
        if self.specific:
            wanted = pc.or_(wanted, pc.match_substring_regex(array, r"\s"))
        # RE2's \s and \d are ASCII: a text with other characters is read whole ("4929\u00a01234...").
        wanted = pc.or_(wanted, pc.invert(pc.string_is_ascii(array)))
        if self.emails:  # an escaped address ("zq%2Bbilling%40example.com")
            wanted = pc.or_(wanted, pc.match_substring(array, "%"))
        # JSON escapes and HTML character references ("zq&#x40;example.com"): read as shown.
        wanted = pc.or_(
            wanted, pc.match_substring_regex(array, r"\\u[0-9a-fA-F]{4}|&#?[0-9A-Za-z]+;")
        )
        if self.cards:  # grouped by anything ("4929_1234_5678_9015"): thirteen digits or more
            digits = pc.count_substring_regex(array, r"[0-9]")
            wanted = pc.or_(wanted, pc.greater_equal(digits, 13))
        if self.ipv4:
            wanted = pc.or_(
                wanted,
                pc.match_substring_regex(array, r"[0-9]{1,3}(?:[._\-][0-9]{1,3}){3}"),
            )
        if self.ibans:
            wanted = pc.or_(
                wanted, pc.match_substring_regex(array, r"[A-Za-z]{2}[^A-Za-z0-9]{0,2}[0-9]{2}")
            )
        rest = (wanted.to_numpy(zero_copy_only=False) | originals) & ~whole
        return [int(i) for i in np.flatnonzero(rest)], found

    def _email_ok(self, email: str) -> bool:
        """`ranges.is_safe_email(email)` for an address `_EMAIL_LIKE` found (no whitespace in it, a
        domain ending in letters), its domain's answer cached."""
        local, at, domain = email.strip().rpartition("@")
        return bool(at) and bool(local) and self._domain_ok(domain)

    def _domain_ok(self, domain: str) -> bool:
        cached = self._domains.get(domain)
        if cached is None:
            cached = self._domains[domain] = self.ranges.is_safe_email("x@" + domain.rstrip("."))
        return cached

    def content(self, value: str, check_ranges: bool) -> list[tuple[Kind, str | None]]:
        """Problems in one distinct output value, as (kind, entity) pairs."""
        problems: list[tuple[Kind, str | None]] = []
        folded = _fold(value)
        if folded in self.emails:
            problems.append(("original-value", "EMAIL_ADDRESS"))
        elif folded in self.specific:
            problems.append(("original-value", None))
        emails = list(_EMAIL_LIKE.finditer(value)) if "@" in value else []
        for match in emails:
            email = match.group().rstrip(".")
            if self.is_allowed(email):
                continue
            if _fold(email) in self.emails:
                if folded != _fold(email):
                    problems.append(("original-value", "EMAIL_ADDRESS"))
            elif check_ranges and not self._email_ok(email):
                problems.append(("email-outside-allowed-domains", "EMAIL_ADDRESS"))
        if (
            self.emails
            and ("original-value", "EMAIL_ADDRESS") not in problems
            and self._email_in_plain_sight(value)
        ):
            problems.append(("original-value", "EMAIL_ADDRESS"))
        if (
            self.emails
            and ("original-value", "EMAIL_ADDRESS") not in problems
            and _disguise_signs(value)
        ):
            for user, domain, spelled in _EMAIL_DISGUISED.findall(value):
                address = f"{user}@{_DOTS_SPELLED.sub('.', domain or spelled)}"
                if _fold(address) in self.emails:
                    problems.append(("original-value", "EMAIL_ADDRESS"))
                    break
        if _A_DIGIT.search(value):  # str.isdigit's digits beyond \d cannot start a phone-like run
            without_emails = _blanked(value, emails)
            compared: list[tuple[int, int]] = []  # where whole phone-like runs were compared
            for match in _PHONE_LIKE.finditer(without_emails):
                candidate = match.group()
                digits = _NOT_DIGIT.sub("", candidate)
                if len(digits) <= 15 and "/" not in candidate:  # one number, compared whole
                    compared.append(match.span())
                if len(digits) < 7 or self.is_allowed(candidate.strip()):
                    continue
                # By its key, or by its digits: a national number without a trunk 0 ("(11) 91234-5678"
                # of +55 11 91234-5678) reads as another country's.
                if _phone_key(candidate) in self.phones or digits in self.phones:
                    problems.append(("original-value", "PHONE_NUMBER"))
                elif (
                    check_ranges
                    and len(digits) <= 15
                    and not _is_timestamp(without_emails, match)
                    and self.is_unsafe_phone(candidate.strip())
                ):
                    problems.append(("phone-outside-safe-ranges", "PHONE_NUMBER"))
            if self.phones and ("original-value", "PHONE_NUMBER") not in problems:
                problems.extend(self._hand_written_phones(without_emails, compared))
            if (
                self.cards
                and _digit_count(value) >= 13
                and _within(_CARD_LIKE, _NOT_DIGIT, value, self.cards, self.card_sizes)
            ):
                problems.append(("original-value", "CREDIT_CARD"))
        if self.ibans and _within(
            _IBAN_LIKE, _NOT_ALNUM, value, self.ibans, self.iban_sizes, upper=True
        ):
            problems.append(("original-value", "IBAN_CODE"))
        if self.ipv4 and any(
            _four_numbers(m.group()) in self.ipv4 for m in _IPV4_LIKE.finditer(value)
        ):
            problems.append(("original-value", "IP_ADDRESS"))
        if (
            self.specific
            and (" " in folded or "\n" in value)
            and any(w.casefold() in self.specific for w in _WORDS.findall(value))
        ):
            problems.append(("original-value", None))
        if _may_hide(value) and (shown := _as_shown(value)) != value:
            # As a reader sees it: "marisol&#x40;example.net", "212\u200b555\u200b0143".
            problems.extend(p for p in self.content(shown, check_ranges) if p not in problems)
        return problems

    def _email_in_plain_sight(self, value: str) -> bool:
        """An original address a reader still sees, written so that the pattern misses it: escaped
        ("%2B", "%40"), in full-width letters ("＠", "．"), with invisible characters inside, a quoted
        user part, or a "+tag" added (mail for zq+billing@ reaches zq@)."""
        if value.isascii() and "%" not in value and '"' not in value and "+" not in value:
            return False  # every address in it was compared whole already (most notes)
        plain = value
        if "%" in plain:
            plain = urllib.parse.unquote(plain)
        if not plain.isascii():
            plain = _INVISIBLE.sub("", unicodedata.normalize("NFKC", plain))
        plain = plain.replace('"', "")
        for match in _EMAIL_LIKE.finditer(plain):
            address = _fold(match.group().rstrip("."))
            if address in self.emails or _TAG.sub("@", address) in self.emails:
                return True
        return False

    def _hand_written_phones(
        self, value: str, compared: list[tuple[int, int]]
    ) -> list[tuple[Kind, str | None]]:
        """Original phones in the notations the phone pattern does not take whole: en dashes, "_",
        letters glued on, two numbers joined by a slash. Each run that is not inside one compared
        already is compared as it is, by its key and by its digits (a national number whose trunk
        prefix is not 0: "(11) 91234-5678")."""
        total = _digit_count(value)
        if total < 7 or total == sum(_digit_count(value[s:e]) for s, e in compared):
            return []  # no digit outside the runs compared whole (most texts)
        done = iter(compared)
        span = next(done, None)
        for match in _HAND_PHONE.finditer(value):
            while span is not None and span[1] < match.end():
                span = next(done, None)
            if span is not None and span[0] <= match.start():
                continue  # within a run compared whole
            run = match.group()
            digits = _NOT_DIGIT.sub("", run)
            if (
                7 <= len(digits) <= 15
                and (digits in self.phones or _phone_key(run) in self.phones)
                and not self.is_allowed(run)
            ):
                return [("original-value", "PHONE_NUMBER")]
        return []

    def surviving_names(
        self,
        before: str,
        after: str,
        row_names: set[str] | frozenset[str] = frozenset(),
        joined: set[bytes] | frozenset[bytes] = frozenset(),
        *,
        may_spell: bool = True,
    ) -> tuple[int, int]:
        """(survivors, coincidences): original name words of `before` still in `after` in place, or
        re-made (`_surviving_words`), and original names spelled out letter by letter in `after`
        ("R-A-G-H-U", "S M I T H"): a survivor where `before` spells it the same way, else a
        coincidence (the replacement of another name, spelled out). `may_spell` False: the caller
        knows `after` spells out no word (`_MAY_SPELL`). Both are read as shown (`_as_shown`:
        "Zo\\u00eb", "Zo&euml;", "Zo%C3%AB", "Sio\u200cbhan" and "Zoe\u0308" are Zoë's name)."""
        if _may_hide(before) or _may_hide(after):
            before, after = _as_shown(before), _as_shown(after)
        found = self._surviving_words(before, after, row_names, joined)
        if not after.isascii() and _CJK_RUN.search(after):
            found = (found[0] + self._surviving_cjk(before, after, row_names), found[1])
        if not may_spell or _SPELLED_RUN.search(after) is None:  # most notes
            return found
        survivors, coincidences = found
        for match in _SPELLED_RUN.finditer(after):
            word = _name_word(_SPELLING_GAPS.sub("", match.group()))
            if word in row_names or (word in self.name_words and word not in _AMBIGUOUS):
                if match.group() in before:
                    survivors += 1
                else:
                    coincidences += 1
        return survivors, coincidences

    def _surviving_cjk(self, before: str, after: str, row_names: set[str] | frozenset[str]) -> int:
        """The original names inside the Chinese, Japanese and Korean runs of `after` that `before`
        held too ("王伟先生来电" kept): the row's names of any length, the run's of two characters or
        more (one alone, "王", is also a word, "king")."""
        found: set[str] = set()
        for run in _CJK_RUN.findall(after):
            for at in range(len(run)):
                for size in range(1, min(_CJK_NAME_MAX, len(run) - at) + 1):
                    piece = run[at : at + size]
                    if piece in before and (
                        piece in row_names or (size > 1 and piece in self.name_words)
                    ):
                        found.add(piece)
        return len(found)

    def _surviving_words(
        self,
        before: str,
        after: str,
        row_names: set[str] | frozenset[str] = frozenset(),
        joined: set[bytes] | frozenset[bytes] = frozenset(),
    ) -> tuple[int, int]:
        """(survivors, coincidences): original name words of `before` still in `after` in place, or re-made.

        A name is mentioned when written as one (capitalised), or in any case when it is the row's own,
        no ordinary word, or one of the run's full names; a row's name that is also a common word
        ("will", "grace") only capitalised, starting a sentence or beside another of its name words
        (`_held`). A word counts where it was a name: the row's "Van" held in "Van der Berg" does not
        make "the van" a name.
        """
        name_words = self.name_words
        # "%2Elovelace%40": a URL escape parts words (blanked to the same length, places kept).
        if "%" in before or "%" in after:
            before, after = _ESCAPE.sub("   ", before), _ESCAPE.sub("   ", after)
        if "\n" in before and "-" in before:  # "Love-\nlace" in both, read whole
            before = self._line_ends_joined(before, row_names)
            after = self._line_ends_joined(after, row_names)
        if self._share_no_piece(before, after, joined):
            return 0, 0
        if row_names and (not before.isascii() or "'" in before):  # "Петрову", "Yılmaz'a"
            row_names = _with_endings(before, row_names)
        words_after = [_name_word(w) for w in _NAME_WORDS.findall(after)]
        shared = {_name_word(w) for w in _NAME_WORDS.findall(before)}.intersection(words_after)
        plurals = self.plurals
        if (
            name_words.isdisjoint(shared)
            and plurals.keys().isdisjoint(shared)
            and row_names.isdisjoint(shared)
            and not _GLUED_TITLE.search(before)
        ):
            return 0, 0
        matches = list(_NAME_WORDS.finditer(before))
        held_at = self._held(before, matches, row_names)
        held = {_name_word(matches[i].group()) for i in held_at}
        if not held.intersection(words_after):
            return 0, 0
        words_before = [_name_word(m.group()) for m in matches]
        if len(words_before) <= _LONG_TEXT_WORDS:
            blocks = _matching_blocks(words_before, words_after)
        elif pairs := _lines(before, after):
            # A long text (a call transcript) is aligned line by line: difflib's alignment takes time
            # that grows with the square of the length.
            found = [self._surviving_words(b, a, row_names, joined) for b, a in pairs]
            return sum(s for s, _ in found), sum(c for _, c in found)
        else:
            blocks = _anchored_blocks(words_before, words_after)
        kept: dict[int, int] = {}  # a word of `after` left in place → its place in `before`
        for index, (a, b, size) in enumerate(blocks):
            # A word left in place keeps its neighbours: it sits in a run of unchanged words, or its shift
            # agrees with the unchanged text before or after it. A lone equal word at another shift is a
            # replacement that happens to spell an original name ("Hoffman" → "Hayden" next to "Hayden").
            shift = b - a
            before_shift = blocks[index - 1][1] - blocks[index - 1][0] if index else 0
            after_shift = (
                blocks[index + 1][1] - blocks[index + 1][0]
                if index + 1 < len(blocks)
                else len(words_after) - len(words_before)
            )
            if size >= 2 or shift in (before_shift, after_shift):
                kept.update((b + k, a + k) for k in range(size))
        survivors = coincidences = 0
        for index, word in enumerate(words_after):
            if word in held:
                source = kept.get(index)
                if source is None:
                    coincidences += 1
                elif source in held_at:  # not the same word in place where it was no name ("van")
                    survivors += 1
        return survivors, coincidences

    def keeps_no_name(self, before: str, after: str, joined: set[bytes] | frozenset[bytes]) -> bool:
        """Whether `after` plainly keeps none of `before`'s original name words, at a glance: what
        `surviving_names` would settle first, told without the row's names in every form (only
        `joined`, their runs together). False where it cannot tell, and for texts it reads otherwise
        (escapes, what shows nothing, a word hyphenated at a line end)."""
        if "\n" in before and "-" in before:
            return False
        if _may_hide(before) or _may_hide(
            after
        ):  # "%" too: read as shown ("Zo\\u00eb", "Zo%C3%AB")
            return False
        return self._share_no_piece(before, after, joined)

    def _share_no_piece(
        self, before: str, after: str, joined: set[bytes] | frozenset[bytes]
    ) -> bool:
        """Most notes keep no original name word at all: one set intersection says so, in C for ASCII
        text. It compares word pieces, so it never settles a pair that shares a name word; a pair it
        lets through may still share none (the word-by-word test decides). `joined`: the row's names
        run together ("bobmarley"), which are no name word's pieces."""
        if not (before.isascii() and after.isascii()):
            return False
        pieces = _ascii_words(before) & _ascii_words(after)
        return (
            self.name_pieces.isdisjoint(pieces)
            and joined.isdisjoint(pieces)
            and not _GLUED_TITLE.search(before)  # "MsLovelace" is the piece "mslovelace"
        )

    def _line_ends_joined(self, text: str, row_names: set[str] | frozenset[str]) -> str:
        """`text` with each word a line end hyphenates made whole where whole it is an original name
        word ("Love-\nlace" → "Lovelace"); other such words stay as they are ("follow-\nup")."""

        def join(match: re.Match[str]) -> str:
            whole = match.group(1) + match.group(2)
            folded = _name_word(whole)
            return whole if folded in self.name_words or folded in row_names else match.group()

        return _LINE_END_HYPHEN.sub(join, text)

    def _glued(self, word: str, folded: str, row_names: set[str] | frozenset[str]) -> bool:
        """A title glued to an original name word: "MsLovelace" (the name capitalised), or in capitals
        ("MRSMITH") where the whole is no English word ("DRAKE") and a common word is the row's."""
        for title in _GLUED_TITLES:
            size = len(title)
            rest = folded[size:]
            if not folded.startswith(title) or len(rest) < 3:
                continue
            if rest not in self.name_words and rest not in row_names:
                continue
            if word.isupper():
                if (rest not in _AMBIGUOUS or rest in row_names) and not is_ordinary_word(folded):
                    return True
            elif word[size : size + 1].isupper() and word[1:size].islower():
                return True
        return False

    def _full_names_at(
        self, before: str, matches: list[re.Match[str]], held: set[int]
    ) -> list[int]:
        """The places of two or three words side by side that spell one of the run's full names, in
        any case ("grace hopper", though "grace" and "hopper" are ordinary words)."""
        words = [_name_word(m.group()) for m in matches]
        name_words, keys = self.name_words, self.full_names
        places: list[int] = []
        for i in range(len(words) - 1):
            if words[i] not in name_words or words[i + 1] not in name_words:
                continue
            if not _beside(before, matches[i], matches[i + 1]):
                continue
            third = (
                i + 2 < len(words)
                and words[i + 2] in name_words
                and _beside(before, matches[i + 1], matches[i + 2])
            )
            if i in held and i + 1 in held and (not third or i + 2 in held):
                continue  # held already (capitalised, as most names in notes)
            pair = f"{words[i]} {words[i + 1]}"
            if third and has_key(keys, f"{pair} {words[i + 2]}"):
                places += [i, i + 1, i + 2]
            elif has_key(keys, pair):
                places += [i, i + 1]
        return places

    def _held(
        self, before: str, matches: list[re.Match[str]], row_names: set[str] | frozenset[str]
    ) -> set[int]:
        """The places of the words of `before` that are original names as written there.

        A capitalised name counts; so does any name in lower case that is no ordinary English word
        ("lovelace", not "hopper"), and words that spell one of the run's full names ("grace hopper");
        so does the row's own name, unless it is a common word written in lower case inside a sentence
        ("will", "grace") with none of the row's held name words beside it ("bob marley", "mr van der
        berg"); the row's names run together ("bobmarley", "jsmith"); and a capitalised plural of a
        last name ("the Smiths"), a common word's ("Browns") only as the row's."""
        name_words, plurals, lower_names = self.name_words, self.plurals, self.lower_names
        held: set[int] = set()
        weak: list[int] = []  # the row's common-word names in lower case
        for index, match in enumerate(matches):
            word = match.group()
            folded = _name_word(word)
            is_capital = word[0].isupper()
            if folded not in name_words:
                # the row's names run together ("bobmarley"), or a family ("the Smiths")
                stem = plurals.get(folded)
                family = stem and is_capital and (stem not in _AMBIGUOUS or stem in row_names)
                if folded in row_names or family:
                    held.add(index)
                elif (
                    is_capital
                    and folded[:2] in _GLUED_STARTS
                    and self._glued(word, folded, row_names)
                ):
                    held.add(index)  # "MsLovelace"
            elif (
                (is_capital and folded not in _AMBIGUOUS)
                or folded in lower_names  # "spoke to ada lovelace" in another customer's note
                or (
                    folded in row_names
                    and (
                        is_capital
                        or folded not in _AMBIGUOUS
                        or _starts_sentence(before, match.start())
                    )
                )
            ):
                held.add(index)
            elif folded in row_names:
                weak.append(index)
        if len(self.full_names) and len(matches) > 1:
            held.update(self._full_names_at(before, matches, held))
        while weak:
            beside = [
                i
                for i in weak
                if (i - 1 in held and _beside(before, matches[i - 1], matches[i]))
                or (i + 1 in held and _beside(before, matches[i], matches[i + 1]))
            ]
            if not beside:
                break
            held.update(beside)
            weak = [i for i in weak if i not in held]
        return held


def verify(
    tables: list[VerifyTable],
    originals: Originals,
    ranges: SafeRanges,
    *,
    regions: list[str],
    batch_rows: int = BATCH_ROWS,
    workers: int = 1,
    consume: bool = False,
) -> tuple[VerificationReport, dict[tuple[str, str], int]]:
    """Scan every staged output against its input; return the report section and findings per column.

    Outputs are read in pieces of at most VERIFY_BATCH_ROWS rows. With `workers` > 1 and more than one
    piece, pieces are checked in worker processes (the parent reads them) and their results merged in
    order: the same report as a sequential scan. With `consume`, `originals.values` is emptied once the
    search sets are built from it: at a million rows its strings are a few hundred megabytes that the
    reading of the outputs, and the workers forked for it, can have instead.
    """
    checker = _Checker(originals, ranges, regions)
    originals_checked = sum(len(v) for v in originals.values.values())
    if consume:
        originals.values.clear()
    scan = _Scan()
    step = min(batch_rows, VERIFY_BATCH_ROWS)
    pairs = (
        (index, before, after)
        for index, table in enumerate(tables)
        for before, after in _aligned(
            table.source.batches(step),
            read_output(table.output).batches(step),
        )
    )
    first = next(pairs, None)
    second = next(pairs, None)
    queued = [pair for pair in (first, second) if pair is not None]
    if second is not None and parallel.can_fork(workers):
        state = (tables, checker)
        for part in parallel.fork_map(_check_pair, state, chain(queued, pairs), workers):
            scan.merge(part)
    else:
        for index, before, after in chain(queued, pairs):
            _check_batch(tables[index], before, after, checker, scan)
    report = VerificationReport(
        status="passed" if scan.total == 0 else "failed",
        checks=["original-values", "email-domains", "phone-ranges"],
        originals_checked=originals_checked,
        cells_scanned=scan.cells,
        findings_total=scan.total,
        findings=scan.findings,
        coincidences=scan.coincidences,
    )
    return report, dict(scan.per_column)


def _check_pair(state: tuple[list[VerifyTable], _Checker], pair: tuple[int, Batch, Batch]) -> _Scan:
    """One batch pair in a worker process: its own scan, merged by the parent."""
    tables, checker = state
    index, before, after = pair
    part = _Scan()
    _check_batch(tables[index], before, after, checker, part)
    return part


def check_text(
    text: str,
    originals: Originals,
    ranges: SafeRanges,
    *,
    regions: list[str],
    is_allowed: Callable[[str], bool] = lambda _value: False,
) -> list[tuple[Kind, str | None]]:
    """The problems of one document (a flow): originals anywhere, unsafe emails or phones."""
    checker = _Checker(originals, ranges, regions)
    checker.is_allowed = is_allowed
    return checker.content(text, True)


# A full name's words in a document: letters joined by hyphens or apostrophes ("Mary-Jane O'Neill").
_FULL_NAME_WORDS = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def full_names_in(text: str, full_names: set[str]) -> int:
    """How many times a document (a flow, a definition) still spells one of the run's full names:
    `full_names` as the scrub holds them ("first last" case-folded, without accents), compared with
    every run of two or three words of the text, folded here the same way."""
    if not full_names:
        return 0
    words = [
        "".join(
            c
            for c in unicodedata.normalize("NFD", unicodedata.normalize("NFKC", w).casefold())
            if not unicodedata.combining(c)
        )
        for w in _FULL_NAME_WORDS.findall(text)
    ]
    found = 0
    for i in range(len(words) - 1):
        pair = words[i] + " " + words[i + 1]
        if pair in full_names or (i + 2 < len(words) and pair + " " + words[i + 2] in full_names):
            found += 1
    return found


def _within(
    shape: re.Pattern[str],
    apart: re.Pattern[str],
    value: str,
    originals: set[str],
    sizes: list[int],
    *,
    upper: bool = False,
) -> bool:
    """Whether a run of `shape` in `value`, without what `apart` matches, holds one of `originals`
    (whose lengths are `sizes`) anywhere in it (a run may take in the digits or words around it)."""
    for run in shape.findall(value):
        compact = apart.sub("", run)
        compact = compact.upper() if upper else compact
        for size in sizes:
            if any(compact[i : i + size] in originals for i in range(len(compact) - size + 1)):
                return True
    return False


def _blanked(value: str, matches: list[re.Match[str]]) -> str:
    """`value` with each match made one space (`pattern.sub(" ", value)` without a second search)."""
    if not matches:
        return value
    parts, cursor = [], 0
    for match in matches:
        parts.append(value[cursor : match.start()])
        cursor = match.end()
    parts.append(value[cursor:])
    return " ".join(parts)


def _check_batch(
    table: VerifyTable, before: Batch, after: Batch, checker: _Checker, scan: _Scan
) -> None:
    row_names = _RowNames(table, before)
    row_parts = _RowParts(table, before, checker.regions)
    for column in after.paths():
        check = table.columns.get(column, ColumnCheck(None, "keep"))
        out_values, out_rows = after.cells(column)
        present = out_values.notna().to_numpy()
        text = _read_text(out_values[present])
        rows = out_rows[present] + after.start_row
        scan.cells += len(text)
        codes, distinct = pd.factorize(text)
        values = distinct.tolist()
        suspects, decided = checker.suspects(values, check.is_verified)
        for code, kind, decided_entity in decided:
            for index in np.flatnonzero(codes == code):
                scan.add(table.name, column, int(rows[index]), kind, decided_entity)
        for code in suspects:
            problems = checker.content(str(values[code]), check.is_verified)
            if problems:
                for index in np.flatnonzero(codes == code):
                    for kind, entity in problems:
                        scan.add(table.name, column, int(rows[index]), kind, entity or check.entity)
        if check.operator == "keep" and table.name_columns:
            _kept_names(
                table,
                column,
                text,
                rows - after.start_row,
                codes,
                distinct,
                row_names,
                checker,
                scan,
                after,
            )
        if check.is_replaced or check.operator == "text":
            in_values, out_paired, paired_rows = _paired(
                *before.cells(column), out_values, out_rows
            )
            _positional(
                table,
                column,
                check,
                in_values,
                out_paired,
                paired_rows + after.start_row,
                checker,
                scan,
                before.start_row,
                row_names,
            )
            if check.operator == "text" and row_parts.is_wanted:
                _parts_kept(
                    table.name,
                    column,
                    in_values,
                    out_paired,
                    paired_rows + after.start_row,
                    before.start_row,
                    row_parts,
                    scan,
                )


def _paired(
    in_values: pd.Series, in_rows: np.ndarray, out_values: pd.Series, out_rows: np.ndarray
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """The cells of a column in the input and the output that stand in the same place, and their rows.

    A flat table's cells pair one to one. A nested record may lack a key that the output holds as empty:
    JSON records written as Parquet or CSV get a null or empty cell wherever a record had no such key.
    Then the non-empty cells pair by row and by their place among the row's non-empty cells (the
    elements of a list). Output cells without a partner are still searched by the content checks.
    """
    if np.array_equal(in_rows, out_rows):
        return in_values, out_values, out_rows
    in_at, in_places = _filled(in_values, in_rows)
    out_at, out_places = _filled(out_values, out_rows)
    places = 1 + max(in_places.max(initial=0), out_places.max(initial=0))
    _, left, right = np.intersect1d(
        in_rows[in_at] * places + in_places,
        out_rows[out_at] * places + out_places,
        assume_unique=True,
        return_indices=True,
    )
    return (
        in_values.iloc[in_at[left]].reset_index(drop=True),
        out_values.iloc[out_at[right]].reset_index(drop=True),
        out_rows[out_at[right]],
    )


def _filled(values: pd.Series, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the cells that hold something (not null, not empty text) and each one's place
    among its row's filled cells (rows ascend, as `Batch.cells` gives them)."""
    text = values.astype(object)
    at = np.flatnonzero((text.notna() & (text != "")).to_numpy())
    filled_rows = rows[at]
    return at, np.arange(len(at)) - np.searchsorted(filled_rows, filled_rows, side="left")


def _kept_names(
    table: VerifyTable,
    column: str,
    text: pd.Series,
    rows: np.ndarray,
    codes: np.ndarray,
    distinct: pd.Index,
    row_names: _RowNames,
    checker: _Checker,
    scan: _Scan,
    after: Batch,
) -> None:
    """A kept column must not hold a name its own row held in a name column ("Jane called back")."""
    # A value many rows share is a category ("SUMMER" campaign), not something a row said about itself.
    counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
    rare = counts < CATEGORY_ROWS
    if (
        checker.name_words_have_letters
    ):  # a value without a letter holds no name word: skipped in Arrow
        rare &= pc.match_substring_regex(_arrow_text(pd.Series(distinct)), r"\pL").to_numpy(
            zero_copy_only=False
        )
    values = distinct.tolist()
    hits = {
        int(code): words
        for code in np.flatnonzero(rare)
        if (
            words := {_name_word(w) for w in _NAME_WORDS.findall(str(values[code]))}
            & checker.name_words
        )
    }
    if not hits:
        return
    for index in np.flatnonzero(np.isin(codes, list(hits))):
        row = int(rows[index])
        if hits[int(codes[index])] & row_names(row):
            scan.add(table.name, column, row + after.start_row, "original-value", "PERSON")


class _NameCell(NamedTuple):
    """A name cell's value as `_RowNames` reads it (names repeat: read once for all its rows)."""

    forms: list[str]  # its name words in every form (`_name_forms`)
    plain: list[str]  # its name words as run together, particles with their word ("vanderberg")
    titled: list[str]  # `plain` with a title glued before it in lower case ("mrmarley")
    titled_ascii: list[bytes]  # the ASCII ones of `titled`, for the ASCII shortcut


class _RowNames:
    """The name words an input row holds in its name columns (row index within the batch), and the
    words of its email addresses' user parts that name the holder ("wexford" in
    "zq.wexford77@example.com"), worked out for a row when it is asked about. Every row of a free-text
    column is asked for `joined` (the ASCII shortcut); few for the name words in every form."""

    def __init__(self, table: VerifyTable, before: Batch) -> None:
        self._table, self._before = table, before
        self._columns: list[RowCells] | None = None  # made when first asked
        self._emails: list[RowCells] = []
        self._cells: dict[str, _NameCell] = {}

    def __call__(self, row: int) -> set[str]:
        """The row's name words in every form, and run together (`joined`)."""
        cells = self._name_cells(row)
        held = {form for cell in cells for form in cell.forms}
        for cell in cells:
            held.update(cell.titled)
        held.update(self._runs(row, cells))
        return held

    def joined(self, row: int) -> set[bytes]:
        """The ASCII ones of the row's names run together and its handle words, as bytes."""
        cells = self._name_cells(row)
        joined = {run for cell in cells for run in cell.titled_ascii}
        joined.update(run.encode() for run in self._runs(row, cells) if run.isascii())
        return joined

    def _name_cells(self, row: int) -> list[_NameCell]:
        if self._columns is None:
            self._columns = [RowCells(self._before, path) for path in self._table.name_columns]
            self._emails = [RowCells(self._before, path) for path in self._table.email_columns]
        cells = []
        for column in self._columns:
            for value in column[row]:
                if isinstance(value, str):
                    cell = self._cells.get(value)
                    if cell is None:
                        cell = self._cells[value] = _name_cell(value)
                    cells.append(cell)
        return cells

    def _runs(self, row: int, cells: list[_NameCell]) -> set[str]:
        """The row's name words run together as user names and handles write them ("bobmarley",
        "marleybob", "bmarley", "marleyb"), and its user parts' words ("skype: zq.wexford77"), as
        run-together names are: no name words. (With a title glued on: `_NameCell.titled`.)"""
        plain = {word for cell in cells for word in cell.plain}
        runs = {
            run
            for first, second in permutations(plain, 2)
            for run in (first + second, first[0] + second, first + second[0])
            if len(run) >= 5
        }
        for column in self._emails:
            for value in column[row]:
                if isinstance(value, str) and "@" in value:
                    user = value.strip().rpartition("@")[0]
                    words = (
                        [w.decode() for w in ascii_letter_runs(user) if len(w) > 3]
                        if user.isascii()  # most addresses: their letter runs, in C
                        else [_name_word(w) for w in _LETTERS.findall(user)]
                    )
                    runs.update(word for word in words if is_handle_word(word))
        return runs


def _name_cell(value: str) -> _NameCell:
    found = _NAME_WORDS.findall(value)
    words = [w for w in _cell_words(found) if len(w) > 1 or _CJK_RUN.match(w)]
    # particles run together with their word: "janvanderberg", not "janvan"
    plain = [
        _name_word(w).replace("'", "").replace("’", "")
        for w in words
        if w.casefold() not in NAME_PARTICLES
    ]
    titled = [run for word in plain for run in _with_titles(word)]
    return _NameCell(
        forms=[form for w in words for form in _name_forms(w)],
        plain=plain,
        titled=titled,
        titled_ascii=[run.encode() for run in titled if run.isascii()],
    )


# A row's phone written without its area code, and its address's user part written alone ("call her
# on 555-0143", "skype zq1985" in the row of (212) 555-0143 and zq1985@example.org). Read here again on
# purpose (see sanitizer/detect/parts.py, which the scrub reads them by): the same pieces, the same
# borders.
_SUBSCRIBER_MIN = 6
_USER_MIN = 5
_DIGIT_RUN = re.compile(r"\d+")
_NUMBER_GAP = re.compile(r"[ \t\u00a0\-.\u2010-\u2015\u2212]{1,3}")  # between "555" and "0143"
# Before a number's groups, also an area code's bracket: "(212) 555-0143" is one number.
_NUMBER_GAP_BEFORE = re.compile(r"[ \t\u00a0\-.\u2010-\u2015\u2212)]{1,3}")
_NUMBER_GLUE = frozenset("-./()_,:+\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_USER_SPLIT = re.compile(r"[._+-]")


def _subscriber(value: str, regions: list[str]) -> str | None:
    """A phone's digits after its area code when six or more: a North American number's last seven,
    another number's national significant number after its national destination code."""
    text = value.strip()
    digits = _NOT_DIGIT.sub("", text)
    if (regions[0] in {"US", "CA"} and not text.startswith("+")) or text.startswith("+1"):
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if len(digits) == 10 and digits[0] not in "01":
            return digits[3:]
    if len(digits) <= _SUBSCRIBER_MIN:
        return None
    text = text.replace("_", "-")
    order: list[str | None] = [None]
    if not text.startswith("+"):
        order = list(regions if text.lstrip("(").startswith("0") else regions[:1])
    readings = []
    for region in order:
        try:
            readings.append(phonenumbers.parse(text, region))
        except phonenumbers.NumberParseException:
            continue
    valid = any(phonenumbers.is_valid_number(n) for n in readings)
    if not valid and text.isdigit() and len(text) >= 11 and text[0] not in "01":
        with suppress(phonenumbers.NumberParseException):  # E.164 without its "+" (447700900393)
            readings.append(phonenumbers.parse("+" + text, None))
    number = next(
        (n for n in readings if phonenumbers.is_valid_number(n)),
        next((n for n in readings if phonenumbers.is_possible_number(n)), None),
    )
    if number is None:
        return None
    national = phonenumbers.national_significant_number(number)
    cut = phonenumbers.length_of_national_destination_code(number)
    return national[cut:] if cut and len(national) - cut >= _SUBSCRIBER_MIN else None


def _user_pieces(address: str) -> set[str]:
    """An address's user part in lower case when it is five characters or more with a letter and a
    digit or separator, and its pieces between separators of five or more with a letter and a digit."""
    user = address.strip().rpartition("@")[0].lower()
    if len(user) < _USER_MIN or not _LETTERS.search(user):
        return set()
    pieces = _USER_SPLIT.split(user)
    if len(pieces) == 1:
        return {user} if _A_DIGIT.search(user) else set()
    return {user} | {
        p for p in pieces if len(p) >= _USER_MIN and _A_DIGIT.search(p) and _LETTERS.search(p)
    }


class _RowParts:
    """The subscriber digits of an input row's phones and the user parts of its addresses (by row
    within the batch), read in Arrow for the rows asked about: those whose notes hold enough digits,
    or any text. Most rows' notes hold none of them, which a substring test on the note's digits or
    lower-case text settles."""

    def __init__(self, table: VerifyTable, before: Batch, regions: list[str]) -> None:
        self._before, self._regions = before, regions
        self.phone_paths, self.email_paths = table.phone_columns, table.email_columns
        self.is_wanted = bool(self.phone_paths or self.email_paths)
        self.size = before.num_rows
        self._read: dict[str, str | None] = {}  # numbers that are not plain North American ones
        self._nested: dict[str, pa.Array] = {}  # a nested batch's columns, for all rows

    def phones_at(self, at: np.ndarray) -> list[pa.Array]:
        """For each phone column, the subscriber digits of the rows `at` ("" for none; a row's several
        cells joined by newlines)."""
        return [self._at(path, at, self._subscribers) for path in self.phone_paths]

    def users_at(self, at: np.ndarray) -> list[pa.Array]:
        """For each email column, the user parts and pieces (`_user_candidates`) of the rows `at`."""
        return [
            self._at(path, at, lambda values: _user_candidates(_arrow_text(values)))
            for path in self.email_paths
        ]

    def _at(self, path: str, at: np.ndarray, read: Callable[[pd.Series], pa.Array]) -> pa.Array:
        values, rows = self._before.cells(path)
        if len(rows) == self.size and np.array_equal(rows, np.arange(self.size)):
            return read(values.iloc[at])  # a flat batch: read only the rows asked about
        if path not in self._nested:
            per_row = _by_row(rows, read(values).to_pylist(), self.size)
            self._nested[path] = pa.array(per_row, pa.large_string())
        return self._nested[path].take(pa.array(at))

    def _subscribers(self, values: pd.Series) -> pa.Array:
        """`_subscriber` of each cell ("" for none): plain North American numbers in Arrow (ASCII;
        ten digits, or 1 and ten, at home; "+1" and ten anywhere), the others one by one."""
        text = _arrow_text(values)
        digits = ascii_digits(text)
        length = pc.utf8_length(digits).to_numpy(zero_copy_only=False)
        # What RE2 reads as ^[ \t\n\r\f\v]*\+ and ...\+1, without a regex compiled for each call.
        trimmed = pc.utf8_ltrim(text, characters=" \t\n\r\f\v")
        plus = pc.starts_with(trimmed, "+").to_numpy(zero_copy_only=False)
        plus_one = pc.starts_with(trimmed, "+1").to_numpy(zero_copy_only=False)
        one = pc.starts_with(digits, "1").to_numpy(zero_copy_only=False)
        area = pc.utf8_slice_codeunits(digits, -10, -9)  # the area code's first digit
        trunk = pc.is_in(area, pa.array(["0", "1"], pa.large_string())).to_numpy(
            zero_copy_only=False
        )
        home = self._regions[0] in {"US", "CA"}
        plain = (
            pc.string_is_ascii(text).to_numpy(zero_copy_only=False)
            & np.where(plus, plus_one, home)
            & ((length == 10) | ((length == 11) & one))
            & ~trunk
        )
        out = pc.if_else(plain, pc.utf8_slice_codeunits(digits, -7), "")
        other = np.flatnonzero(~plain & (length > _SUBSCRIBER_MIN))
        if len(other):
            spelled = text.take(pa.array(other)).to_pylist()
            for value in spelled:
                if value not in self._read:
                    self._read[value] = _subscriber(value, self._regions)
            found = pa.array([self._read[v] or "" for v in spelled], pa.large_string())
            mask = np.zeros(len(out), dtype=bool)
            mask[other] = True
            out = pc.replace_with_mask(out, pa.array(mask), found)
        return out


def _by_row(rows: np.ndarray, values: list[str], size: int) -> list[str]:
    """Values worked out for a column's cells, one per row of the batch (a nested record's several
    joined by newlines, "" for none)."""
    out = [""] * size
    for row, value in zip(rows.tolist(), values, strict=True):
        if value:
            out[row] = f"{out[row]}\n{value}" if out[row] else value
    return out


# A user part with a piece of five characters or more (between separators) holding a letter and a digit.
_USER_PIECE_LIKE = r"(?:^|[._+-])[^._+-]*(?:\pL[^._+-]*[0-9]|[0-9][^._+-]*\pL)[^._+-]*(?:$|[._+-])"
# The same for a user part in ASCII (lower case): RE2 builds its automaton anew for each call, and
# for \pL that costs more than the match.
_ASCII_PIECE_LIKE = _USER_PIECE_LIKE.replace(r"\pL", "[a-z]")


def _user_candidates(addresses: pa.Array) -> pa.Array:
    """For each address, its user part and pieces that `_user_pieces` gives, joined by newlines ("" for
    none): decided in Arrow, split in Python only where a piece holds a letter and a digit."""
    users = pc.utf8_lower(pc.replace_substring_regex(addresses, r"^\s+|@[^@]*$", ""))
    is_ascii = _flags(pc.string_is_ascii(users))
    letter = _flags(pc.match_substring_regex(users, "[a-z]"))
    piece_like = _flags(pc.match_substring_regex(users, _ASCII_PIECE_LIKE))
    other = np.flatnonzero(~is_ascii & _flags(pc.is_valid(users)))
    if len(other):  # letters of any script
        some = users.take(pa.array(other))
        letter[other] = _flags(pc.match_substring_regex(some, r"\pL"))
        piece_like[other] = _flags(pc.match_substring_regex(some, _USER_PIECE_LIKE))
    whole = pc.and_(
        pc.and_(
            pc.match_substring(addresses, "@"),
            pc.greater_equal(pc.utf8_length(users), _USER_MIN),
        ),
        pc.and_(pa.array(letter), pc.match_substring_regex(users, r"[0-9._+-]")),
    )
    split = pc.and_(whole, pa.array(piece_like))
    out = pc.if_else(whole, users, pa.scalar("", pa.large_string()))
    at = np.flatnonzero(split.to_numpy(zero_copy_only=False))
    if len(at):
        pieces = [
            "\n".join(sorted(_user_pieces(user + "@"), key=len, reverse=True))
            for user in users.take(pa.array(at)).to_pylist()
        ]
        mask = np.zeros(len(out), dtype=bool)
        mask[at] = True
        out = pc.replace_with_mask(out, pa.array(mask), pa.array(pieces, pa.large_string()))
    return out


def _parts_kept(
    table: str,
    column: str,
    before: pd.Series,
    after: pd.Series,
    rows: np.ndarray,
    start_row: int,
    row_parts: _RowParts,
    scan: _Scan,
) -> None:
    """Findings for the free-text cells that still hold their row's phone without its area code or its
    address's user part, written alone, where the input cell held it too (elsewhere it is a
    replacement that happens to spell it: a coincidence, as with names; fiction lines are few).
    Substring tests on the notes' digits and lower-case text pick the few cells worth the exact
    reading; the rows' pieces are read only for notes with six digits or more, or five characters."""
    array = _arrow_text(after.reset_index(drop=True))
    at = rows - start_row  # each cell's row within the batch
    phones: dict[int, set[str]] = defaultdict(set)
    digits = ascii_digits(array)
    many = np.flatnonzero(
        pc.binary_length(digits).to_numpy(zero_copy_only=False) >= _SUBSCRIBER_MIN
    )
    if row_parts.phone_paths and len(many):
        spelled = digits.take(pa.array(many)).to_numpy(zero_copy_only=False)
        for held in row_parts.phones_at(at[many]):
            for index in np.flatnonzero(_holding(spelled, held)).tolist():
                local = held[index].as_py()
                position = int(many[index])
                if "\n" in local:
                    phones[position].update(d for d in local.split("\n") if d in spelled[index])
                else:
                    phones[position].add(local)
    for position, wanted in phones.items():
        text, old = after.iat[position], before.iat[position]
        kept = [d for d in wanted if isinstance(text, str) and _number_pieces(text, {d})]
        if any(isinstance(old, str) and _number_pieces(old, {d}) for d in kept):
            scan.add(table, column, int(rows[position]), "original-value", "PHONE_NUMBER")
        elif kept:
            scan.coincidences += 1
    users: dict[int, list[str]] = defaultdict(list)
    long = np.flatnonzero(pc.binary_length(array).to_numpy(zero_copy_only=False) >= _USER_MIN)
    if row_parts.email_paths and len(long):
        notes = array.take(pa.array(long))
        lowered = pc.utf8_lower(notes).to_numpy(zero_copy_only=False)
        is_ascii = pc.string_is_ascii(notes).to_numpy(zero_copy_only=False)
        for held in row_parts.users_at(at[long]):
            maybe = _holding(lowered, held) | (~is_ascii & _flags(pc.not_equal(held, "")))
            for index in np.flatnonzero(maybe).tolist():
                user = held[index].as_py()
                pieces = user.split("\n") if "\n" in user else [user]
                if not is_ascii[index] or any(piece in lowered[index] for piece in pieces):
                    users[int(long[index])].extend(pieces)
    for position, pieces in users.items():
        text, old = after.iat[position], before.iat[position]
        kept = [p for p in pieces if isinstance(text, str) and _user_token(text, p)]
        if any(isinstance(old, str) and _user_token(old, p) for p in kept):
            scan.add(table, column, int(rows[position]), "original-value", "EMAIL_ADDRESS")
        elif kept:
            scan.coincidences += 1


def _holding(texts: np.ndarray, wanted: pa.Array) -> np.ndarray:
    """Where the text holds its wanted value ("" for none) whole, or the value is several joined by
    newlines (the caller tests each): substring tests in C."""
    values = wanted.to_numpy(zero_copy_only=False)
    inside = np.fromiter(map(operator.contains, texts, values), bool, len(values))
    several = _flags(pc.match_substring(wanted, "\n"))
    held: np.ndarray = (inside | several) & _flags(pc.not_equal(wanted, ""))
    return held


def _flags(mask: pa.Array) -> np.ndarray:
    """A boolean Arrow array as numpy, null as False."""
    flags: np.ndarray = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
    return flags


def _number_pieces(text: str, wanted: set[str]) -> bool:
    """Whether whole digit runs of `text`, apart by a short gap (a space, a hyphen, a dot), spell one
    of the `wanted` digits with no digit bound to them (by such a gap, "/", ":"... or a letter): a
    number of its own, not the end of "+1 317 555 0143"."""
    runs = [m.span() for m in _DIGIT_RUN.finditer(text)]
    longest = max(map(len, wanted))

    def grouped(left: int) -> bool:  # runs `left` and `left + 1` are groups of one number
        return bool(_NUMBER_GAP.fullmatch(text, runs[left][1], runs[left + 1][0]))

    for first, (start, _) in enumerate(runs):
        before = text[start - 1] if start else " "
        if (
            before.isalnum()
            or before == "+"
            or (before in _NUMBER_GLUE and start >= 2 and text[start - 2].isdigit())
            or (first > 0 and _NUMBER_GAP_BEFORE.fullmatch(text, runs[first - 1][1], start))
        ):
            continue
        spelled = ""
        for last in range(first, len(runs)):
            if last > first and not _NUMBER_GAP.fullmatch(text, runs[last - 1][1], runs[last][0]):
                break
            spelled += text[runs[last][0] : runs[last][1]]
            if len(spelled) > longest:
                break
            end = runs[last][1]
            after = text[end] if end < len(text) else " "
            if spelled in wanted and not (
                after.isalnum()
                or (after in _NUMBER_GLUE and end + 1 < len(text) and text[end + 1].isdigit())
                or (last + 1 < len(runs) and grouped(last))
            ):
                return True
    return False


def _user_token(text: str, user: str) -> bool:
    """Whether `user` stands in `text` as a token of its own, in any case ("skype ZQ1985.", not
    "zq1985x", "a.zq1985" or the address "zq1985@...")."""
    for match in re.finditer(re.escape(user), text, re.IGNORECASE):
        start, end = match.span()
        before = text[start - 1] if start else " "
        after = text[end : end + 2] or " "
        if before.isalnum() or before in "_.+%-@":
            continue
        if after[0].isalnum() or after[0] in "_@-" or (after[0] == "." and after[1:2].isalnum()):
            continue
        if after[:2] == "._":
            continue
        return True
    return False


def _number_text(value: object) -> str:
    """A cell as a reader takes the number in it: a float holding a whole number as its digits
    (2125550143.0 in a Parquet column pandas made float is the phone 2125550143), anything else as
    `str()` writes it. Written here again on purpose, like `_phone_key`."""
    if isinstance(value, float) and abs(value) < 1e19 and value.is_integer():
        return str(int(value))
    return str(value)


def _read_text(values: pd.Series) -> pd.Series:
    """Non-null cells as text (`_number_text`): a column of text as it is, numbers and mixed cells
    one by one."""
    if pd.api.types.is_float_dtype(values.dtype) or (
        values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) != "string"
    ):
        return pd.Series(
            [_number_text(v) for v in values.tolist()], index=values.index, dtype=object
        )
    return values.astype(str)


def _arrow_text(values: pd.Series) -> pa.Array:
    """A column as Arrow text, nulls as empty strings, values as `_number_text` writes them (no copy
    when the column is Arrow text already)."""
    try:
        array = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        text = values.astype(object).where(values.notna(), "")
        array = pa.array([_number_text(v) for v in text.tolist()], type=pa.large_string())
    return pc.fill_null(array, "")


def _keys(values: pd.Series, is_phone: bool) -> pa.Array | pa.ChunkedArray:
    """Normalised comparison keys of a column, in Arrow (phones: `_phone_key`, empty when shorter than
    seven digits)."""
    array = _arrow_text(values)
    if not is_phone:
        return pc.utf8_lower(
            pc.utf8_trim_whitespace(pc.replace_substring_regex(array, r"\s+", " "))
        )
    keys = _phone_key_array(array)
    return pc.if_else(pc.less(pc.utf8_length(keys), 7), pa.scalar("", pa.large_string()), keys)


def _positional(
    table: VerifyTable,
    column: str,
    check: ColumnCheck,
    before: pd.Series,
    after: pd.Series,
    rows: np.ndarray,
    checker: _Checker,
    scan: _Scan,
    start_row: int,
    row_names: _RowNames,
) -> None:
    if check.operator == "text":
        everywhere = np.arange(len(before))
        _names_kept(
            table, column, before, after, everywhere, rows, checker, scan, start_row, row_names
        )
        return
    is_phone = check.entity == "PHONE_NUMBER"
    old_keys = _keys(before.reset_index(drop=True), is_phone)
    new_keys = _keys(after.reset_index(drop=True), is_phone)
    same = pc.and_(pc.equal(old_keys, new_keys), pc.not_equal(old_keys, ""))
    for position in np.flatnonzero(same.to_numpy(zero_copy_only=False)):
        scan.add(table.name, column, int(rows[position]), "original-value", check.entity)
    if table.name_columns and check.entity not in NAME_ENTITIES and check.operator != "fake":
        # A value that is more than its entity ("call Alan on 212-555-0188" in a phone column): the
        # operator replaced the number; the row's name beside it must not stay. (A fake is made whole,
        # keeping nothing of the original: a name in it, "55 Kelly Ridge", is another fake.)
        old_text = _arrow_text(before.reset_index(drop=True))
        wordy = pc.and_(
            pc.match_substring_regex(old_text, r"\pL"), pc.match_substring_regex(old_text, r"\s")
        )
        positions = np.flatnonzero(wordy.to_numpy(zero_copy_only=False))
        if len(positions):
            _names_kept(
                table, column, before, after, positions, rows, checker, scan, start_row, row_names
            )


def _names_kept(
    table: VerifyTable,
    column: str,
    before: pd.Series,
    after: pd.Series,
    positions: np.ndarray,
    rows: np.ndarray,
    checker: _Checker,
    scan: _Scan,
    start_row: int,
    row_names: _RowNames,
) -> None:
    """Findings for the cells at `positions` whose output keeps one of the original names in place."""
    olds, news = before.tolist(), after.tolist()
    may_spell = _flags(pc.match_substring_regex(_arrow_text(after), _MAY_SPELL)).tolist()
    for position in positions.tolist():
        old, new = olds[position], news[position]
        if isinstance(old, str) and isinstance(new, str) and old.strip():
            row = int(rows[position]) - start_row
            joined = row_names.joined(row)
            if not may_spell[position] and checker.keeps_no_name(old, new, joined):
                continue  # most notes: told without the row's names in every form
            survivors, coincidences = checker.surviving_names(
                old, new, row_names(row), joined, may_spell=may_spell[position]
            )
            scan.coincidences += coincidences
            if survivors:
                scan.add(table.name, column, int(rows[position]), "original-value", "PERSON")


def _aligned(left: Iterator[Batch], right: Iterator[Batch]) -> Iterator[tuple[Batch, Batch]]:
    """Pairs of batches covering the same rows (files batch differently: their byte sizes differ)."""
    pending_left: Batch | None = None
    pending_right: Batch | None = None
    while True:
        if pending_left is None:
            pending_left = next(left, None)
        if pending_right is None:
            pending_right = next(right, None)
        if pending_left is None or pending_right is None:
            if (pending_left is not None and pending_left.num_rows) or (
                pending_right is not None and pending_right.num_rows
            ):
                raise VerificationError("an output has a different number of rows than its input")
            return
        size = min(pending_left.num_rows, pending_right.num_rows)
        a, pending_left = _split(pending_left, size)
        b, pending_right = _split(pending_right, size)
        yield a, b
        if size == 0:
            return


def _split(batch: Batch, size: int) -> tuple[Batch, Batch | None]:
    if batch.num_rows == size:
        return batch, None
    if isinstance(batch, FrameBatch):
        return batch.split(size)
    assert isinstance(batch, RecordsBatch)
    return RecordsBatch(batch.records[:size], batch.start_row), RecordsBatch(
        batch.records[size:], batch.start_row + size
    )
