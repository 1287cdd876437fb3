"""The entity catalogue: what each PII entity is, how its values are normalised, and its keyed namespace.

Normalisation decides which raw spellings are "the same value" (and so get the same replacement
everywhere): phones by E.164, emails lower-cased, names case-folded with whitespace collapsed.
"""

from __future__ import annotations

import html
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from importlib.resources import files

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from sanitizer.arrowtext import ascii_digits
from sanitizer.textkeys import has_key, keys_contain, string_keys

PERSON = "PERSON"
FIRST_NAME = "FIRST_NAME"
LAST_NAME = "LAST_NAME"
EMAIL_ADDRESS = "EMAIL_ADDRESS"
PHONE_NUMBER = "PHONE_NUMBER"
CREDIT_CARD = "CREDIT_CARD"
IBAN_CODE = "IBAN_CODE"
IP_ADDRESS = "IP_ADDRESS"
URL = "URL"
LOCATION = "LOCATION"
ADDRESS = "ADDRESS"
FREE_TEXT = "FREE_TEXT"
IDENTIFIER = "IDENTIFIER"

NAME_ENTITIES = frozenset({PERSON, FIRST_NAME, LAST_NAME})
# Entities whose values are specific enough that finding one anywhere in the output is a leak.
# A single first or last name is not (the fake pool and real names overlap); see verify.py.
SPECIFIC_ENTITIES = frozenset({EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, IBAN_CODE, IP_ADDRESS})

# Words of ordinary English (and of place names) that are also people's names: alone, such a word is a
# name only with more evidence ("Will" at a sentence start, "West" in "West Lake"). Both the free-text
# scanner and the verifier read names by this one list.
AMBIGUOUS_NAME_WORDS = frozenset(
    """
    al amber angel april art august autumn baby baker banks bay bear bell ben best bill bishop
    black bob bond brook brown buck bush call carter case chase christian church cliff colt cook
    cooper court crystal da dale dawn day de del di don drew du duke earl east ed eve fair faith
    field fields ford fox frank gene glen golden good grace gray green grey guy hall hardy heath
    hill hills holly hope hunt hunter iban ivy jack jade jean job joe joy june justice ken king knight la
    lake lane law le lee little long lord lot love lucky major mark marsh mason max may miller mills
    misty moon moss mount new north page park parker pat pearl penny port power price prince queen
    rain ray reed rice rich river road rock roman rose ruby rusty sam sandy sharp sky smith south
    star sterling stone storm street sue summer sunny taylor tom valley van view von west white
    will wise wolf wood young
    """.split()
)
# The particles of surnames ("van der Berg", "de la Cruz", "bin Rashid"): alone, no name; notes also run
# them together with the word they belong to ("vanderberg", "DelaCruz"), as the scanner and the verifier
# each read a name cell's words.
NAME_PARTICLES = frozenset(
    "van von der den de del della da das dos do du di la le ten ter zu af av al el bin ibn ben".split()
)
AMBIGUOUS_NAME_WORDS |= NAME_PARTICLES

# How a name's letters are also written: agents type "Mueller" or "Muller" for "Müller", "Odegaard" for
# "Ødegård", "Lukasiewicz" for "Łukasiewicz", "ONeill" for "O'Neill" (the accents `bare` drops need no
# entry). Read back too: a "Mueller" in a name column may be "Müller" in a note. The scanner and the
# verifier each expand a name word into these spellings in their own code (detect.names, verify).
NAME_LETTER_SPELLINGS = {
    "ä": ("a", "ae"),
    "ö": ("o", "oe"),
    "ü": ("u", "ue"),
    "å": ("a", "aa"),
    "ø": ("o", "oe"),
    "æ": ("ae", "a"),
    "œ": ("oe", "o"),
    "ł": ("l",),
    "đ": ("d",),
    "ð": ("d",),
    "þ": ("th",),
    "ı": ("i",),
    "'": ("’", ""),  # O'Neill, O’Neill, ONeill
    "’": ("'", ""),
}
NAME_ASCII_SPELLINGS = {"ae": ("a",), "oe": ("o",), "ue": ("u",), "aa": ("a",)}
# Cyrillic and Greek letters that look like one Latin letter (their prototype in Unicode's confusables,
# UTS #39): "Lоvelace" with a Cyrillic "о" reads as Lovelace. A word is read in Latin letters only when
# these are all it holds besides Latin ones (a Russian word keeps its other letters, and its script).
LATIN_LOOKALIKES = {
    # Cyrillic
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ү": "Y", "Һ": "H", "Ӏ": "I",
    "Ԛ": "Q", "Ԝ": "W", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x",
    "ѕ": "s", "і": "i", "ј": "j", "ү": "y", "һ": "h", "ӏ": "l", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C", "Ϳ": "J", "α": "a", "ι": "i",
    "ν": "v", "ο": "o", "ρ": "p", "ϲ": "c", "ϳ": "j",
}  # fmt: skip

_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D+")


def namespace(entity: str) -> str:
    """The keyed-hash namespace of an entity: the same value in two entities maps independently."""
    return entity.lower()


# Characters that show nothing: Unicode's Default_Ignorable_Code_Point set (soft hyphen, zero-width space
# and joiners, word joiner, BOM, invisible operators, bidirectional controls, the grapheme joiner,
# variation selectors, Hangul fillers, tags), as a character-class body. A reader sees the letters and
# digits around them as one word or number ("Sio\u200cbhan", "212\u200b555\u200b0143"). Shared policy:
# the free-text scanner and the verifier each read text by it in their own code.
HIDDEN = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
# Combining marks that strike through, underline or overlay a letter ("S\u0336i\u0336o\u0336"): the
# letter shows through them, as a character-class body.
OVERLAYS = "\u0305\u0332-\u0338\u033f\u20d2\u20d3\u20d8-\u20da\u20e5\u20e6\u20ea\u20eb"
# Written for an apostrophe in names: "O`Brien", "O´Brien", "OʼBrien", "Oʻbrien", "O′Brien",
# "O＇Brien", "O‘Brien", "Oʹbrien". Name words read each as "'" (the typographic "’" is a spelling of
# its own: NAME_LETTER_SPELLINGS); "Siobhanʼs" is the name Siobhan, as "Siobhan's" is.
APOSTROPHE_LOOKALIKES = "`\u00b4\u02b9\u02bb\u02bc\u2018\u2032\uff07"
_PLAIN_APOSTROPHES = str.maketrans(dict.fromkeys(APOSTROPHE_LOOKALIKES, "'"))
_INVISIBLE = re.compile(f"[{HIDDEN}]")
# The combining diacritical marks (the accents of the Latin, Greek and Cyrillic scripts).
_ACCENTS = re.compile(f"[\u0300-\u036f{OVERLAYS}]")


def plain_apostrophes(text: str) -> str:
    """`text` with each apostrophe look-alike (`APOSTROPHE_LOOKALIKES`) written "'"."""
    return text.translate(_PLAIN_APOSTROPHES)


def bare(text: str) -> str:
    """`text` without accents ("José" → "Jose", "Zoë" → "Zoe"): an agent typing a customer's name in a
    note often leaves them out. A letter of its own (ø, ł, ß) stays; so do other scripts' marks.
    Characters that show nothing go too ("Love\u00adlace", with a soft hyphen, is Lovelace), letters
    in another width or style are the letters they show ("Ｌｏｖｅｌａｃｅ" is Lovelace), and an
    apostrophe look-alike is an apostrophe ("O`Brien", "OʼBrien" are O'Brien)."""
    if text.isascii():
        return text.replace("`", "'") if "`" in text else text
    text = unicodedata.normalize("NFKD", _INVISIBLE.sub("", plain_apostrophes(text)))
    return unicodedata.normalize("NFC", _ACCENTS.sub("", text))


# Chinese, Japanese and Korean characters: one of them can be a whole name (王), and their texts run
# names into the words around them ("王伟先生来电", "김민준 고객님").
CJK = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    "\uf900-\ufaff\U00020000-\U0002ebef]"
)


def is_name_word(token: str) -> bool:
    """A word that can be a name on its own: two letters or more (one is an initial), or one Chinese,
    Japanese or Korean character (王)."""
    return len(token) > 1 or CJK.match(token) is not None


# Greek and Cyrillic letters: their languages give names case endings ("Петрову" for Петров).
INFLECTING = re.compile("[\u0370-\u03ff\u0400-\u052f]")
# What a case ending replaces at a name's end: its final vowels (and Greek's final sigma, folded).
_NAME_ENDING = re.compile("[аеёиоуыэюяйьъαάεέηήιίοόυύωώσς]{1,2}$")


def inflection_stems(names: Iterable[str]) -> list[tuple[str, str]]:
    """(stem, name) of the Greek and Cyrillic names of four letters or more (case-folded): the name
    without its final vowels ("смирнов" for "смирнова", "παπαδοπουλ" for "παπαδοπουλοσ"), three
    letters at least; a word that is the stem and an ending of at most three letters is that name."""
    stems = []
    for name in names:
        if len(name) >= 4 and INFLECTING.search(name):
            stem = _NAME_ENDING.sub("", name)
            if len(stem) >= 3:
                stems.append((stem, name))
    return stems


# Titles before a name, in the languages of the name lists: never a name in lower case.
TITLE_WORDS = frozenset(
    """
    mr mrs ms miss mx dr sir madam prof mister missus rev revd fr capt lady lord dame
    herr frau señor senor señora senora señorita senorita sra srta
    monsieur madame mme mlle signor signora signorina sig dott mevrouw meneer dhr mevr
    """.split()
)


@cache
def _ordinary_keys() -> np.ndarray:
    """The ordinary words as `string_keys`: half a megabyte where a set of the 65,576 strings takes
    six, in a process whose peak at a million rows is close to 1.5 GB."""
    text = files("sanitizer.data").joinpath("ordinary_words.txt").read_text(encoding="utf-8")
    return string_keys(text.split())


def is_ordinary_word(word: str) -> bool:
    """Whether a case-folded word is a lower-case English word, American or British (SCOWL's lower-case
    entries, frozen in sanitizer/data by build_ordinary_words). The run's name words that are not are
    names however a note writes them ("spoke to ada lovelace"); the others ("hopper", "cash") only as
    names are written (capitalised), as the row's own or as one of the run's full names. (A word
    whose hash equals an ordinary word's, odds of one in 2^48, counts as ordinary.)"""
    return has_key(_ordinary_keys(), word)


def lower_case_names(words: Iterable[str]) -> set[str]:
    """The name words (case-folded) that count in lower case too: no ordinary word, no common-word
    name ("will", "grace"), no title, and three letters at least ("al", "ed" and "jo" are not), or
    two Chinese, Japanese or Korean characters (scripts without case: "山田")."""
    candidates = [
        w
        for w in words
        if (len(w) > 2 or (len(w) == 2 and CJK.match(w)))
        and w not in AMBIGUOUS_NAME_WORDS
        and w not in TITLE_WORDS
    ]
    ordinary = keys_contain(_ordinary_keys(), candidates)
    return {w for w, is_ordinary in zip(candidates, ordinary, strict=True) if not is_ordinary}


@lru_cache(maxsize=1 << 16)
def is_handle_word(word: str) -> bool:
    """Whether a run of letters of an email's user part (case-folded: "wexford" in "zq.wexford77")
    names its holder in the row's notes ("skype: zq.wexford77"): four letters or more, no ordinary
    word ("info", "sales"), no common-word name, no title."""
    return (
        len(word) > 3
        and word not in AMBIGUOUS_NAME_WORDS
        and word not in TITLE_WORDS
        and not is_ordinary_word(word)
    )


def normalize_name(value: str) -> str:
    """Names compare case-folded, NFKC, without accents, with inner whitespace collapsed ("José
    García" and "jose garcia" are one name, with one pseudonym; "O´Brien" and "O'Brien" too)."""
    if not value.isascii():  # before NFKC, which makes "´" a space and an accent
        value = plain_apostrophes(value)
    return bare(_SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip().casefold())


# An address written so that mail programs miss it ("ada (at) example (dot) org", "ada%40example.org",
# "ada＠example.org"): its "@" and its dots in every spelling the free-text scanner finds.
_DISGUISED_EMAIL = re.compile(
    r"([^\W_][\w.+-]*?)\s*(?:@|[＠﹫]|&\#64;|%40|[(\[{]\s*at\s*[)\]}]|(?<=\s)at(?=\s))\s*"
    r"([^\W_][\w-]*(?:(?:\s*[(\[{]\s*dot\s*[)\]}]\s*|\s+dot\s+|\.)[^\W_][\w-]*)+)",
    re.IGNORECASE,
)
_SPELLED_DOT = re.compile(r"\s*[(\[{]\s*dot\s*[)\]}]\s*|\s+dot\s+", re.IGNORECASE)


def normalize_email(value: str) -> str:
    """Emails compare stripped and lower-cased (local parts are case-insensitive in practice). A
    disguised address is the address it spells: "ZQ1985 at example dot org", "zq1985%40example.org",
    "zq1985&#x40;example.org" (any HTML character reference),
    "zq1985＠example．org", '"zq1985"@example.org' and one with a zero-width space inside are all
    zq1985@example.org."""
    text = value.strip().lower()
    if (
        "@" in text
        and text.isascii()
        and '"' not in text
        and "%" not in text
        and _SPACES.search(text) is None
    ):
        return text
    if "%" in text:
        text = urllib.parse.unquote(text)
    if "&" in text:  # "ada&#x40;example.org", "ada&commat;example.org"
        text = html.unescape(text)
    if not text.isascii():
        text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = text.replace('"', "")
    if "@" in text and _SPACES.search(text) is None:
        return text
    disguised = _DISGUISED_EMAIL.fullmatch(text)
    if disguised is None:
        return text
    return disguised.group(1) + "@" + _SPELLED_DOT.sub(".", disguised.group(2))


@lru_cache(maxsize=262_144)
def read_phone(
    value: str, default_region: str = "US", regions: tuple[str, ...] = ()
) -> phonenumbers.PhoneNumber | None:
    """The number a value holds, as phonenumbers reads it, or None when it is no phone number.

    With an explicit country code (+44...) that country. Otherwise the first of the default region and
    `regions` where the number is valid, or lies in a regulator's fiction range (the UK's 07700 900xxx
    is deliberately "invalid" to phonenumbers, yet it is a UK mobile, not a German one); failing that,
    the default region if the number is possible there, else the first region where it is possible.
    """
    from sanitizer.ranges import default_safe_ranges  # late: ranges reads the shipped rules

    text = value.strip().replace("_", "-")  # "212_555_0144": phonenumbers reads no underscore
    order: list[str | None]
    if text.startswith("+"):
        order = [None]
    elif text.lstrip("(").startswith("0"):
        # National formats of other countries start with their trunk prefix 0 (GB, AU, FR, DE, IE...).
        order = [default_region, *(r for r in regions if r != default_region)]
    else:
        order = [default_region]
    possible: list[phonenumbers.PhoneNumber] = []
    for region in order:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(number) or default_safe_ranges().is_safe_phone(e164):
            return number
        if phonenumbers.is_possible_number(number):
            possible.append(number)
    if text.isdigit() and len(text) >= 11 and text[0] not in "01":
        # E.164 written without its "+" (an ANI or data-table key: 447700900393): read it so.
        international = read_phone("+" + text, default_region, regions)
        if international is not None:
            number = international
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if phonenumbers.is_valid_number(number) or default_safe_ranges().is_safe_phone(e164):
                return number
    return possible[0] if possible else None


@lru_cache(maxsize=262_144)
def normalize_phone(value: str, default_region: str = "US", regions: tuple[str, ...] = ()) -> str:
    """Phones compare in E.164 (see `read_phone`); a value that is no phone number compares by its digits."""
    stripped = value.strip()
    if (default_region in {"US", "CA"} and not stripped.startswith("+")) or stripped.startswith(
        "+1"
    ):
        # North American numbers in any common format: +1 and the ten digits (what phonenumbers gives).
        digits = _NON_DIGITS.sub("", stripped)
        if (len(digits) == 10 and digits[0] not in "01") or (
            len(digits) == 11 and digits[0] == "1" and digits[1] not in "01"
        ):
            return "+1" + digits[-10:]
    number = read_phone(value, default_region, regions)
    if number is None:
        return (
            "+" + _NON_DIGITS.sub("", value)
            if stripped.startswith("+")
            else _NON_DIGITS.sub("", value)
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_COUNTRY_CODES = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def digits_of(value: str) -> str:
    """The digits of a value, as they are."""
    return _NON_DIGITS.sub("", value)


def phone_key(value: str) -> str:
    """The national significant digits of a phone, without a parse: the same for every format of it.

    "+1 212 555 0185", "(212) 555-0185" and "1-212-555-0185" give 2125550185; "+61 491 570 156" and
    "0491 570 156" give 491570156 (country code, or the national trunk prefix 0, removed).
    """
    stripped = value.strip()
    digits = _NON_DIGITS.sub("", stripped)
    if stripped.startswith("+") or digits.startswith("00"):
        digits = digits[2:] if digits.startswith("00") else digits
        for size in (1, 2, 3):
            if digits[:size] in _COUNTRY_CODES:
                return digits[size:]
        return digits
    if len(digits) == 11 and digits[0] == "1":
        return digits[1:]
    if len(digits) >= 12 and digits[0] not in "01":  # E.164 without its "+" (an ANI key)
        for size in (1, 2, 3):
            if digits[:size] in _COUNTRY_CODES:
                return digits[size:]
    return digits[1:] if digits.startswith("0") else digits


def _north_american(values: list[str]) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """For many values at once (Arrow, RE2): which are North American numbers written plainly (ASCII;
    "+1" then ten digits, or no "+" and ten digits or 1 and ten; the ten not starting with 0 or 1),
    which carry "+1", and the last ten
    digits of each (meaningful where the first mask is set). The rest take the one-by-one path."""
    array = pa.array(values, type=pa.large_string())
    digits = ascii_digits(array)
    length = pc.utf8_length(digits).to_numpy(zero_copy_only=False)
    first = pc.utf8_slice_codeunits(digits, 0, 1)
    second = pc.utf8_slice_codeunits(digits, 1, 2)
    plus_one = pc.match_substring_regex(array, r"^[ \t]*\+1").to_numpy(zero_copy_only=False)
    no_plus = pc.invert(pc.match_substring(array, "+")).to_numpy(zero_copy_only=False)
    ten = (length == 10) & ~pc.is_in(first, pa.array(["0", "1"])).to_numpy(zero_copy_only=False)
    # After the 1, an area code, which never starts with 0 or 1 ("11000000000" is no such number).
    eleven = (
        (length == 11)
        & pc.equal(first, "1").to_numpy(zero_copy_only=False)
        & ~pc.is_in(second, pa.array(["0", "1"])).to_numpy(zero_copy_only=False)
    )
    ascii_only = pc.string_is_ascii(array).to_numpy(zero_copy_only=False)
    plain = ascii_only & (plus_one | no_plus) & (ten | eleven)
    return plain, plus_one, pc.utf8_slice_codeunits(digits, -10)


def _patched(
    vectorised: pa.Array, done: np.ndarray, values: list[str], one: Callable[[str], str]
) -> list[str]:
    """The vectorised results where `done` is set, `one(value)` elsewhere."""
    out: list[str] = vectorised.to_pylist()
    for i in np.flatnonzero(~done).tolist():
        out[i] = one(values[i])
    return out


def phone_keys(values: list[str]) -> list[str]:
    """`phone_key` of many values: North American numbers vectorised, the others one by one."""
    if len(values) < 1000:
        return [phone_key(v) for v in values]
    plain, _plus_one, last_ten = _north_american(values)
    return _patched(last_ten, plain, values, phone_key)


def normalize_many(
    entity: str, values: list[str], default_region: str = "US", regions: tuple[str, ...] = ()
) -> list[str]:
    """`normalize` of many values (phones: North American numbers vectorised)."""
    if entity != PHONE_NUMBER or len(values) < 1000:
        return [normalize(entity, v, default_region, regions) for v in values]
    plain, plus_one, last_ten = _north_american(values)
    if default_region not in {"US", "CA"}:
        plain &= plus_one  # without "+1" the default region decides, which is not North America
    text = pa.large_string()
    e164 = pc.binary_join_element_wise(pa.scalar("+1", text), last_ten, pa.scalar("", text))
    return _patched(e164, plain, values, lambda v: normalize_phone(v, default_region, regions))


def normalize(
    entity: str, value: str, default_region: str = "US", regions: tuple[str, ...] = ()
) -> str:
    """The form of `value` under which equal values of `entity` are recognised as the same."""
    if entity == PHONE_NUMBER:
        return normalize_phone(value, default_region, regions)
    if entity == EMAIL_ADDRESS:
        return normalize_email(value)
    if entity in NAME_ENTITIES:
        return normalize_name(value)
    return _SPACES.sub(" ", value).strip()
