"""Finding person names in free text without a downloaded NER model.

Three sources of evidence, strongest first:
- the names this row holds in its name columns, wherever and however they are written;
- the names the whole run holds in its name columns, when written as names (capitalised), in any case
  when they are no ordinary English word ("ada lovelace"), and as the run's full names ("grace hopper");
- a gazetteer of first and last names (Faker's name lists for several locales, bundled offline),
  when a title ("Mr", "Dr") or a following surname makes a name likely.
Common English words that are also names ("Will", "May", "Hope") need more evidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import import_module
from itertools import compress, islice, product
from typing import NamedTuple

from sanitizer.detect.shown import may_hide, shown
from sanitizer.entities import (
    AMBIGUOUS_NAME_WORDS,
    APOSTROPHE_LOOKALIKES,
    CJK,
    HIDDEN,
    INFLECTING,
    LATIN_LOOKALIKES,
    NAME_ASCII_SPELLINGS,
    NAME_LETTER_SPELLINGS,
    NAME_PARTICLES,
    OVERLAYS,
    TITLE_WORDS,
    bare,
    inflection_stems,
    is_name_word,
    is_ordinary_word,
    lower_case_names,
    plain_apostrophes,
)

FIRST = 1
LAST = 2
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")

_LOCALES = (
    "en_US",
    "en_GB",
    "en_IE",
    "en_NZ",
    "en_IN",
    "fr_FR",
    "de_DE",
    "es_ES",
    "it_IT",
    "nl_NL",
    "pt_BR",
)
# Letters joined by hyphens and apostrophes ("Mary-Jane", "O'Brien", and with an apostrophe look-alike:
# "O`Brien", "OʼBrien"). A possessive "'s" is not part of the word: "Tom's" and "Tomʼs" are the name Tom
# ("O'Sullivan" and "D'Souza" are one word each). Characters that show nothing and marks that strike
# a letter through do not part a word ("Sio\u200cbhan", "S\u0336iobhan"). The look-alikes that Unicode
# counts as letters ("ʼ") are no letters here.
_APOSTROPHES = "'’" + APOSTROPHE_LOOKALIKES
_LETTER = r"[^\W\d_\u02b9\u02bb\u02bc]"
WORD = re.compile(
    rf"{_LETTER}+(?:-{_LETTER}+|[{_APOSTROPHES}](?![sS](?!{_LETTER})){_LETTER}+"
    rf"|[{HIDDEN}{OVERLAYS}]+{_LETTER}*)*"
)
_ENDING_MAX = 3  # letters: the longest case ending read after a name's stem or an apostrophe
_CJK_RUN = re.compile(CJK.pattern + "+")
_CJK_NAME_MAX = 5  # characters: the longest name piece looked for inside a run


# Titles before a name, in the languages of the gazetteer (a title is itself a name only as the row's).
_TITLES = TITLE_WORDS
# The particles of a surname after a title ("Ms. van der Berg", "Mr Ó Súilleabháin", "Mr ap Rhys"), as
# name words compare (without accents).
_TITLED_PARTICLES = NAME_PARTICLES | {"o", "ni", "nic", "mac", "mc", "ui", "ua", "ap", "ab"}
# Titles a note may glue to a name ("MsLovelace", "MrsLovelace"), longest first; how such words start.
_GLUED_TITLES = ("miss", "mrs", "mr", "ms", "mx", "dr")
_GLUE_STARTS = frozenset(["Mr", "Ms", "Mx", "Dr", "Mi", "MR", "MS", "MX", "DR", "MI"])
_LOWER_GLUE_STARTS = frozenset(title[:2] for title in _GLUED_TITLES)
# Words common in English prose that are also in the name lists: one of these alone is not a name.
_COMMON_WORDS = AMBIGUOUS_NAME_WORDS


@cache
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """Case-folded first and last names from Faker's bundled lists (no network, no model)."""
    firsts: set[str] = set()
    lasts: set[str] = set()
    for locale in _LOCALES:
        provider = import_module(f"faker.providers.person.{locale}").Provider
        for attribute, target in (("first_names", firsts), ("last_names", lasts)):
            for name in getattr(provider, attribute, ()):
                for token in WORD.findall(str(name)):
                    if len(token) > 1:
                        target.add(bare(token.casefold()))
    return frozenset(firsts), frozenset(lasts)


_NON_NAME = re.compile(r"[\s.]")  # what may stand between the words of a name cell


def name_tokens(value: str) -> list[str]:
    """The case-folded word tokens of a name value, without accents ("Mary-Jane O'Neil" → ["mary-jane",
    "o'neil"], "José" → ["jose"]): name words compare as `sanitizer.entities.bare` makes them."""
    return [bare(t.casefold()) for t in WORD.findall(value) if is_name_word(t)]


_SPELLED_OTHERWISE = re.compile(
    "|".join([*NAME_ASCII_SPELLINGS, *(re.escape(c) for c in NAME_LETTER_SPELLINGS if c.isascii())])
)
# Names hold one or two such letters; a word with many keeps its first spellings.
_MAX_SPELLINGS = 32


def spellings(word: str) -> set[str]:
    """A case-folded name word in the ways it is also written, as name words compare (without accents):
    "müller" → {"muller", "mueller"}, "mueller" → {"mueller", "muller"}, "ødegård" → {"ødegard",
    "odegard", "oedegaard", ...} (`entities.NAME_LETTER_SPELLINGS`). Spellings of fewer than three letters
    are left out: "mae" is not "ma"."""
    if word.isascii() and "`" not in word and not _SPELLED_OTHERWISE.search(word):
        return {word}  # most names
    word = unicodedata.normalize("NFC", plain_apostrophes(word))
    pieces: list[tuple[str, ...]] = []
    at = 0
    while at < len(word):
        pair = word[at : at + 2]
        if pair in NAME_ASCII_SPELLINGS:
            pieces.append((pair, *NAME_ASCII_SPELLINGS[pair]))
            at += 2
        else:
            pieces.append((word[at], *NAME_LETTER_SPELLINGS.get(word[at], ())))
            at += 1
    forms = {bare("".join(letters)) for letters in islice(product(*pieces), _MAX_SPELLINGS)}
    return {form for form in forms if len(form) > 2} | {bare(word)}


def particles_joined(words: list[str]) -> list[str]:
    """The case-folded words of a name cell whose particles are run together with the word they belong
    to, as notes also write them: "van der berg" → "vanderberg", "maria de la cruz" → "delacruz"
    (`entities.NAME_PARTICLES`). One more way a name is spelled: each gets its `name_forms` too."""
    joined: list[str] = []
    run = ""
    for word in words:
        if word in NAME_PARTICLES:
            run += word
        elif run:
            joined.append(run + word)
            run = ""
    return joined


_TO_LATIN = str.maketrans(LATIN_LOOKALIKES)
_LOOKALIKE = re.compile("[" + "".join(LATIN_LOOKALIKES) + "]")
_CYRILLIC_GREEK = re.compile("[\u0370-\u03ff\u0400-\u052f]")
_LATIN = re.compile("[a-z]")


def in_latin(word: str) -> str | None:
    """`word` in the Latin letters it shows, when every Cyrillic or Greek letter of it looks like a Latin
    one (`entities.LATIN_LOOKALIKES`: "Lоvelace" with a Cyrillic "о" → "Lovelace"); None when it has no
    such letter, or letters of those scripts that look like none ("Клиент" stays Cyrillic)."""
    if not _LOOKALIKE.search(word):
        return None
    latin = word.translate(_TO_LATIN)
    return None if _CYRILLIC_GREEK.search(latin) else latin


# A word hyphenated at a line end: the hyphen, the line break and any blanks around it ("Love-\nlace").
_LINE_END_HYPHEN = re.compile(r"(?<=[^\W\d_])-[ \t]*\r?\n[ \t]*(?=[^\W\d_])")


def as_read(word: str) -> str:
    """A name word of a note as a reader reads it: as shown (`shown.view`: "Zo\\u00eb", "Zo&euml;" and
    "Zoe\u0308" are Zoë), in Latin letters where its Cyrillic or Greek ones look like them
    (`in_latin`), and whole where a line end hyphenated it ("Love-\nlace" → "Lovelace")."""
    if may_hide(word):
        word = shown(word)
    if word.isascii() and "\n" not in word:
        return word
    word = _LINE_END_HYPHEN.sub("", word)
    return in_latin(word) or word


# A word spelled out letter by letter, as agents write what a caller spelled: "S-M-I-T-H", "S M I T H",
# "S.M.I.T.H", "s. m. i. t. h" (four letters or more, one separator throughout).
SPELLED = re.compile(r"(?<![^\W\d_])[^\W\d_]([-. ]|\. )[^\W\d_](?:\1[^\W\d_]){2,}(?![^\W\d_])")


def spelled_out(value: str) -> tuple[str, str] | None:
    """(letters, separator) of a word spelled out ("S-M-I-T-H" → ("SMITH", "-")); None for another."""
    match = SPELLED.fullmatch(value)
    return None if match is None else (_spelled_letters(match), match.group(1))


def _spelled_letters(match: re.Match[str]) -> str:
    """The letters of a word a `SPELLED` match spells out ("S-M-I-T-H" → "SMITH")."""
    return match.group()[:: len(match.group(1)) + 1]


def spell_out(word: str, separator: str) -> str:
    """`word`'s letters spelled out with `separator` between them ("Wilson", "-" → "W-i-l-s-o-n")."""
    return separator.join(c for c in word if c.isalpha())


def name_forms(word: str) -> set[str]:
    """What a case-folded name word matches in free text: its `spellings`, and for a joined name
    ("mary-jane", "smith-jones") each part's too ("Jane" alone is her name as well)."""
    forms = spellings(word)
    if "-" in word:
        for part in word.split("-"):
            if len(part) > 1:
                forms |= spellings(part)
    return forms


def handles(words: Sequence[str]) -> set[str]:
    """A person's name words run together, as in user names and social handles: "bobmarley",
    "marleybob", "bmarley" and "marleyb" for the words "bob" and "marley", of five letters or more;
    apostrophes left out, joined names in their parts, a name's particles run together with their
    word instead of alone ("janvanderberg" for "jan", "van", "der", "berg"). (A title glued on,
    "mrmarley", is read where a note writes it: `NameFinder._unglue_lower_titles`; a row's set of
    words holding every one would double its size.)"""
    plain: set[str] = set()
    for word in (*words, *particles_joined(list(words))):
        if "'" in word or "’" in word:
            word = word.replace("'", "").replace("’", "")
        plain.update(word.split("-") if "-" in word else (word,))
    plain -= NAME_PARTICLES  # alone, no name ("van", "de")
    plain.discard("")
    joined = {
        run
        for a in plain
        for b in plain
        if a != b
        for run in (a + b, a[0] + b, a + b[0])
        if len(run) >= 5
    }
    return joined


def _handle_cuts(word: str, row_names: frozenset[str]) -> list[tuple[int, int]]:
    """The two name words of the row that `word` (a handle of `handles`, case-folded) runs together,
    as (start, end) within it ("bob|marley"). None found (an initial joined on, "bmarley"): empty."""
    for cut in range(2, len(word) - 1):
        if word[:cut] in row_names and word[cut:] in row_names:
            return [(0, cut), (cut, len(word))]
    return []


def looks_like_person(value: str, words_at_least: int = 1) -> bool:
    """`Ada` or `Ada Lovelace` with no help from the run: a first name of the gazetteer that is not a
    common word (`Bill`), then any words (at most three in all), all capitalised. A surname need not
    be in the lists (`Oluwaseun Adeyemi`); a surname alone is not enough (`Price` or `Company` head
    columns), nor a common word first (`Grace Period`)."""
    words = WORD.findall(value)
    first = bare(words[0].casefold()) if words else ""
    return (
        max(1, words_at_least) <= len(words) <= 3
        and first in gazetteer()[0]
        and first not in _COMMON_WORDS
        and all(w[:1].isupper() for w in words)
        and " ".join(words) == " ".join(value.split())
    )


def row_name_words(value: str) -> set[str]:
    """Every form (`name_forms`) of the words of a name cell, and of its particles run together with
    their word (`particles_joined`): what its row's free text is searched for."""
    words = [w.casefold() for w in WORD.findall(value) if is_name_word(w)]
    return {form for w in (*words, *particles_joined(words)) for form in name_forms(w)}


def name_shaped(value: str) -> bool:
    """Whether a cell is written as a name stands alone in a name column: one to four capitalised words
    of letters (hyphens and apostrophes inside), apart by blanks or periods ("Ada", "Edsger Dijkstra",
    "Mary-Jane O'Neil", "Ada B. Lovelace"). Whether they are names is for the words to say
    (`NameFinder.has_name_word`): "Gold" and "North East" are written this way too."""
    words = WORD.findall(value)
    return (
        1 <= len(words) <= 4
        and all(w[0].isupper() for w in words)
        and _NON_NAME.sub("", value) == "".join(words)
    )


class NameSpan(NamedTuple):
    """A name in a text (a named tuple: a million notes yield millions of them)."""

    start: int
    end: int
    score: float
    # FIRST or LAST per word of the span, for consistent token-wise replacement.
    kinds: tuple[int, ...]
    words: tuple[tuple[int, int], ...]


class NameFinder:
    """Finds person-name spans; knows the run's name-column values once `learn` has seen them."""

    def __init__(self, use_gazetteer: bool = True) -> None:
        self.known: dict[
            str, int
        ] = {}  # case-folded token → FIRST | LAST bits from the run's name columns
        self.first, self.last = gazetteer() if use_gazetteer else (frozenset(), frozenset())
        self._gazetteer = self.first | self.last
        self._learn_calls = 0  # `learn` may change what a known word is: see `mark`
        # The name-column words that are names in lower case too (`entities.lower_case_names`), and
        # the run's full names as the scrub holds them (see `Mapper.full_names`): "spoke to ada
        # lovelace" in another customer's note, "grace hopper" when a customer is Grace Hopper.
        self.lower: set[str] = set()
        self.full_names: set[str] | frozenset[str] = frozenset()

    def learn(self, kind: int | None, values: Iterable[str]) -> None:
        """Remember name-column values in all their forms (`name_forms`); `kind` None means a full name
        (first token first, last token last)."""
        self._learn_calls += 1
        known = self.known
        learned: set[str] = set()
        for value in values:
            words = [w.casefold() for w in WORD.findall(value) if is_name_word(w)]
            for index, word in enumerate(words):
                if kind is not None:
                    bit = kind
                else:
                    bit = LAST if index == len(words) - 1 and len(words) > 1 else FIRST
                for form in name_forms(word):
                    known[form] = known.get(form, 0) | bit
                    learned.add(form)
            for word in particles_joined(words):  # "vanderberg": a surname's, unless `kind` says
                for form in name_forms(word):
                    known[form] = known.get(form, 0) | (LAST if kind is None else kind)
                    learned.add(form)
        self.lower.update(lower_case_names(learned.difference(self.lower)))

    def is_run_name(self, key: str) -> bool:
        """Whether a field name spells a name of the run's name columns that is a name in lower case too
        (`lower`: "Vashchenko", not "Price"), alone or as a handle: with an initial ("lvashchenko",
        "vashchenkol") or run together with another of their words ("leopoldvashchenko"). What is not
        a letter is left out ("l_vashchenko")."""
        word = "".join(c for c in bare(key.casefold()) if c.isalpha())
        lower, known = self.lower, self.known
        if word in lower or (len(word) >= 5 and (word[1:] in lower or word[:-1] in lower)):
            return True
        return any(
            (word[:cut] in lower or word[cut:] in lower)
            and word[:cut] in known
            and word[cut:] in known
            for cut in range(2, len(word) - 1)
        )

    def mark(self) -> tuple[int, int]:
        """The state of what is known now, for `found_since`."""
        return len(self.known), self._learn_calls

    def found_since(self, mark: tuple[int, int]) -> dict[str, int]:
        """The words `learn_found` added since `mark` (with their kinds): with them, a copy of this finder
        made at the mark knows what it knows now. `learn_found` only adds words (and a dict keeps them in
        the order added); `learn` may also change known words, so it must not have run since."""
        size, learn_calls = mark
        if learn_calls != self._learn_calls:
            raise RuntimeError("the name finder learned name columns since the mark")
        return dict(islice(self.known.items(), size, None))

    def is_name_value(self, value: str) -> bool:
        """A whole cell that is a name: one to four capitalised words, each a known or gazetteer name."""
        words = WORD.findall(value)
        if not 1 <= len(words) <= 4 or not all(w[0].isupper() for w in words):
            return False
        if _NON_NAME.sub("", value) != "".join(words):
            return False
        folded = [bare(w.casefold()) for w in words]
        pool = self._gazetteer
        return all(f in pool or f in self.known for f in folded) and not all(
            f in _COMMON_WORDS for f in folded
        )

    def has_name_word(self, value: str) -> bool:
        """Whether a value written as a name (`name_shaped`) holds evidence of one: a listed first name
        followed by another word ("Grace Hopper", though "grace" is also an ordinary word), or any word
        that is a listed or known name and no common word ("Dijkstra", "Priya")."""
        folded = [bare(w.casefold()) for w in WORD.findall(value) if len(w) > 1]
        if len(folded) > 1 and (folded[0] in self.first or self.known.get(folded[0], 0) & FIRST):
            return True
        pool = self._gazetteer
        return any((f in pool or f in self.known) and f not in _COMMON_WORDS for f in folded)

    def learn_found(self, words: Iterable[tuple[str, int]]) -> set[str]:
        """Remember the words of names found in free text, each with its FIRST or LAST kind (so other notes
        that mention them match too); returns the words that were new."""
        new: set[str] = set()
        known = self.known
        for word, kind in words:
            token = bare(as_read(word).casefold())
            if is_name_word(token) and token not in known and token not in _TITLES:
                new.add(token)
                known[token] = known.get(token, 0) | kind
        return new

    def kind_of(self, token: str, position: int, length: int, after_title: bool) -> int:
        """Whether a name word is replaced as a first or a last name."""
        bits = self.known.get(token, 0)
        if bits in (FIRST, LAST):
            return bits
        if length > 1:
            return LAST if position == length - 1 else FIRST
        if after_title:
            return LAST
        if token in self.last and token not in self.first:
            return LAST
        return FIRST

    def find(
        self, text: str, row_names: frozenset[str] = frozenset(), *, may_spell: bool = True
    ) -> list[NameSpan]:
        """Name spans in `text`; adjacent name words form one span. `may_spell` False: the caller
        knows the text spells out no word letter by letter (`SPELLED`)."""
        if "%" in text:  # "ada%2Elovelace%40example.org": an escape parts words, as "." and "@" do
            text = _PERCENT_ESCAPE.sub("   ", text)
        words = [(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]
        if not words:
            return []
        if not text.isascii() and CJK.search(text):
            words = self._cut_cjk(words, row_names)
        if "-" in text:
            words = self._split_joined(words, row_names)
        spelled: dict[int, str] = {}
        if may_spell and (match := SPELLED.search(text)) is not None:  # "S-M-I-T-H"
            words, spelled = self._join_spelled(text, match, words, row_names)
        known, first = self.known, self.first
        if text.isascii():
            folded_words = [w[2].casefold() for w in words]
            if "`" in text:  # "O`Brien" is O'Brien
                folded_words = [plain_apostrophes(f) for f in folded_words]
        else:  # "Jose" in a note is the row's "José"; "𝐋𝐨𝐯𝐞𝐥𝐚𝐜𝐞" (styled letters) its "Lovelace"
            folded_words = [bare(w[2]).casefold() for w in words]
            if _LOOKALIKE.search(text):  # "Lоvelace" with a Cyrillic "о"
                self._read_lookalikes(folded_words, row_names)
        for i, folded in spelled.items():
            folded_words[i] = folded
        if "\n" in text and "-" in text and _LINE_END_HYPHEN.search(text):
            words, folded_words = self._join_line_ends(text, words, folded_words, row_names)
        count = len(words)
        flags = [0.0] * count
        capitals = [w[2][0].isupper() for w in words]
        # Only capitalised words can be flagged by what follows the first loop, and only they and the
        # row's own name words by that loop: most words of a note are lower-case words, nobody's name.
        caps = list(compress(range(count), capitals))
        for i in caps:
            if words[i][2][:2] in _GLUE_STARTS:  # "MsLovelace", "DRHOPPER"
                self._unglue_title(words, folded_words, i, row_names)
        candidates = caps
        own: list[int] = []
        titled: list[int] = []  # the row's name with a title glued on: a name, common word or not
        if row_names:
            if not text.isascii() or "'" in text:  # "Петрову", "Yılmaz'a", "Ahmet'in"
                self._read_endings(words, folded_words, row_names)
            own = [i for i, folded in enumerate(folded_words) if folded in row_names]
            titled = [
                i
                for i, folded in enumerate(folded_words)
                if folded[:2] in _LOWER_GLUE_STARTS and folded not in row_names
            ]
            if titled:
                titled = self._unglue_lower_titles(words, folded_words, titled, row_names)
                own = sorted([*own, *titled])
        lower = self.lower
        in_lower: list[int] = []
        if lower and not lower.isdisjoint(folded_words):
            in_lower = [i for i, f in enumerate(folded_words) if f in lower and not capitals[i]]
        if own or in_lower:
            candidates = sorted(set(caps).union(own, in_lower))
        for i in candidates:
            folded = folded_words[i]
            is_capital = capitals[i]
            if not is_name_word(folded) or (folded in _TITLES and folded not in row_names):
                continue
            is_common = folded in _COMMON_WORDS
            # The row's own name counts in any case; a common word ("grace", "will") only where a
            # sentence starts, or capitalised.
            if folded in row_names and (
                is_capital or not is_common or self._is_initial(text, words, i)
            ):
                flags[i] = 1.0
            elif not is_capital:
                if folded in lower:  # the run's name, no ordinary word ("asked for lovelace")
                    flags[i] = 0.8
                continue
            elif i > 0 and folded_words[i - 1] in _TITLES:
                flags[i] = 0.85
            elif folded in known:
                if not (is_common and self._is_initial(text, words, i)):
                    flags[i] = 0.85
            elif folded in first and not is_common and not self._is_initial(text, words, i):
                flags[i] = 0.6
            elif folded[-1] == "s" and (stem := self._plural_of(folded, row_names)):
                # A family by its name: "the Smiths", "the Joneses' house". The stem alone is replaced,
                # so the family keeps its plural ("the Hansens").
                flags[i] = 0.85
                start, end, word = words[i]
                cut = len(folded) - len(stem)
                words[i] = (start, end - cut, word[:-cut])
                folded_words[i] = stem
        for i in titled:
            flags[i] = 1.0
        if caps and not _TITLES.isdisjoint(folded_words[i] for i in caps):
            self._flag_after_particles(text, words, folded_words, flags, capitals)
        if self.full_names and count > 1:
            self._flag_full_names(text, words, folded_words, flags)
        if own:  # after the full names: a row's "will" beside "grace hopper" joins the name
            _join_own(text, words, flags, own)
        if len(caps) < 2 and not any(flags):
            return []  # what follows joins capitalised words to names, or pairs two of them
        # A capitalised surname right after a recognised name extends it ("Priya Raman"); letters
        # glued to digits are a code ("NINO QQ123456C", "IBAN GB82..."). In a text in capitals, a
        # capital says nothing: an unknown word extends only a first name standing alone ("CALLED
        # JENNIFER WHITFIELD ABOUT IT"), not a surname ("SPOKE TO LOVELACE ABOUT HER SISTER").
        shouting = text.isupper()
        for i in caps:
            if (
                i > 0
                and flags[i] == 0
                and flags[i - 1] > 0
                and _adjacent(text, words[i - 1], words[i])
                and not text[words[i][1] : words[i][1] + 1].isdigit()
            ):
                folded = folded_words[i]
                if (
                    folded in self.last
                    or folded in known
                    or (
                        folded not in _COMMON_WORDS
                        and (
                            not shouting
                            or (folded_words[i - 1] in first and not (i > 1 and flags[i - 2]))
                        )
                    )
                ):
                    flags[i] = min(flags[i - 1], 0.7)
        # A sentence that starts with a gazetteer first name and a capitalised word ("Jennifer Whitfield
        # called") is a name even when nothing else says so (normal prose does not capitalise the verb).
        last = count - 1
        for i in caps:
            if (
                i < last
                and flags[i] == 0
                and flags[i + 1] == 0
                and capitals[i + 1]
                and folded_words[i] in first
                and folded_words[i] not in _COMMON_WORDS
                and folded_words[i + 1] not in _COMMON_WORDS
                and _adjacent(text, words[i], words[i + 1])
                and not text[words[i + 1][1] : words[i + 1][1] + 1].isdigit()
            ):
                flags[i] = flags[i + 1] = 0.6
        # A gazetteer first name that starts a sentence counts when a surname follows it.
        for i in reversed(caps):
            folded = folded_words[i]
            if (
                i < last
                and flags[i] == 0
                and flags[i + 1] > 0
                and folded in first
                and folded not in _COMMON_WORDS
                and _adjacent(text, words[i], words[i + 1])
            ):
                flags[i] = 0.6
        if own:
            words, folded_words, flags = self._split_handles(
                words, folded_words, flags, own, row_names
            )
        flagged = [i for i, flag in enumerate(flags) if flag]
        if not flagged:
            return []
        return self._spans(text, words, folded_words, flags, flagged)

    @staticmethod
    def _read_endings(
        words: list[tuple[int, int, str]], folded: list[str], row_names: frozenset[str]
    ) -> None:
        """The row's names with a case ending, as languages that inflect names write them: after an
        apostrophe ("Yılmaz'a", "Ahmet'in": the name is the part before it, and only it is replaced),
        and in Greek and Cyrillic, on the name's stem ("Петрову", "Смирновой", "Παπαδόπουλου" for
        Петров, Смирнова, Παπαδόπουλος: the word is the row's name, replaced whole)."""
        stems: list[tuple[str, str]] | None = None
        for i, word in enumerate(folded):
            if word in row_names:
                continue
            head, mark, tail = word.replace("’", "'").partition("'")
            if mark and head in row_names and len(tail) <= _ENDING_MAX:
                # the word as written is cut at its apostrophe (folding may change a length: "ß")
                start, _, written = words[i]
                cut = next(k for k, c in enumerate(written) if c in _APOSTROPHES)
                words[i] = (start, start + cut, written[:cut])
                folded[i] = head
                continue
            if not INFLECTING.search(word):
                continue
            if stems is None:
                stems = inflection_stems(row_names)
            for stem, name in stems:
                if word.startswith(stem) and 0 < len(word) - len(stem) <= _ENDING_MAX:
                    folded[i] = name
                    break

    def _cut_cjk(
        self, words: list[tuple[int, int, str]], row_names: frozenset[str]
    ) -> list[tuple[int, int, str]]:
        """Words that run Chinese, Japanese or Korean characters together cut round the names they
        hold ("王伟先生来电": "王", "伟", "先生来电" in the row of 王伟), longest name first: the row's
        names of any length, the run's of two characters or more (one character alone, "王", is also
        a word, "king", in other customers' notes)."""
        known = self.known
        cut: list[tuple[int, int, str]] = []
        for start, end, word in words:
            pieces = [(m.start(), m.end()) for m in _CJK_RUN.finditer(word)]
            done = 0  # the end of the last piece of `word` added to `cut`
            for run_start, run_end in pieces:
                at = run_start
                while at < run_end:
                    size = next(
                        (
                            size
                            for size in range(min(_CJK_NAME_MAX, run_end - at), 0, -1)
                            if (name := word[at : at + size].casefold()) in row_names
                            or (size > 1 and name in known)
                        ),
                        0,
                    )
                    if not size:
                        at += 1
                        continue
                    if done < at:
                        cut.append((start + done, start + at, word[done:at]))
                    cut.append((start + at, start + at + size, word[at : at + size]))
                    at = done = at + size
            if done < len(word):
                cut.append((start + done, end, word[done:]))
        return cut

    @staticmethod
    def _flag_after_particles(
        text: str,
        words: list[tuple[int, int, str]],
        folded: list[str],
        flags: list[float],
        capitals: list[bool],
    ) -> None:
        """A capitalised surname after a title and its particles ("Ms. van der Berg", "Mr Ó
        Súilleabháin", "Dr de la Cruz"): a name, as one right after a title is. The particles stay."""
        last = len(words) - 1
        for i, word in enumerate(folded[:-2]):
            if word not in _TITLES or folded[i + 1] not in _TITLED_PARTICLES:
                continue
            j = i + 1
            while (
                j < last
                and folded[j] in _TITLED_PARTICLES
                and _adjacent(text, words[j], words[j + 1])
            ):
                j += 1
            if folded[j] not in _TITLED_PARTICLES and capitals[j] and not flags[j]:
                flags[j] = 0.85

    def _split_handles(
        self,
        words: list[tuple[int, int, str]],
        folded: list[str],
        flags: list[float],
        own: list[int],
        row_names: frozenset[str],
    ) -> tuple[list[tuple[int, int, str]], list[str], list[float]]:
        """The row's names run together ("bobmarley", "janvanderberg") as the name words they join, so
        each gets its column's replacement ("karinawilson"). A word with an initial ("bmarley",
        "smithj") stays whole and gets a fake name."""
        parts: dict[int, list[tuple[int, int]]] = {}
        for i in own:
            word = folded[i]
            if flags[i] and word not in self.known and len(word) == len(words[i][2]):
                cuts = _handle_cuts(word, row_names)
                if cuts:
                    parts[i] = cuts
        if not parts:
            return words, folded, flags
        new_words, new_folded, new_flags = [], [], []
        for i, (start, end, text) in enumerate(words):
            for a, b in parts.get(i, [(0, end - start)]):
                new_words.append((start + a, start + b, text[a:b]))
                new_folded.append(folded[i][a:b])
                new_flags.append(flags[i])
        return new_words, new_folded, new_flags

    def _flag_full_names(
        self,
        text: str,
        words: list[tuple[int, int, str]],
        folded: list[str],
        flags: list[float],
    ) -> None:
        """Two or three side by side words that spell one of the run's full names, in any case: "grace
        hopper" is Grace Hopper when the run holds her, though either word alone is an ordinary one."""
        known = self.known
        if known.keys().isdisjoint([f for f, flag in zip(folded, flags, strict=True) if not flag]):
            return  # every name word of the note is flagged already (the most common case)
        full_names, last = self.full_names, len(words) - 1
        for i in range(last):
            if folded[i] not in known or folded[i + 1] not in known:
                continue
            if not _adjacent(text, words[i], words[i + 1]):
                continue
            third = (
                i + 2 <= last
                and folded[i + 2] in known
                and _adjacent(text, words[i + 1], words[i + 2])
            )
            if flags[i] and flags[i + 1] and (not third or flags[i + 2]):
                continue  # flagged already (capitalised, as most names in notes)
            pair = f"{folded[i]} {folded[i + 1]}"
            if third and f"{pair} {folded[i + 2]}" in full_names:
                flags[i] = flags[i + 1] = flags[i + 2] = max(*flags[i : i + 3], 0.9)
            elif pair in full_names:
                flags[i] = flags[i + 1] = max(flags[i], flags[i + 1], 0.9)

    def _read_lookalikes(self, folded: list[str], row_names: frozenset[str]) -> None:
        """Words whose Cyrillic or Greek letters all look like Latin ones, read in Latin letters
        (`in_latin`): a word that mixes them with Latin letters always ("lоvelace"), a word wholly of
        them only where it then spells a name of the row or the run (other words keep their script)."""
        for i, word in enumerate(folded):
            latin = None if word.isascii() else in_latin(word)
            if latin is not None and (
                _LATIN.search(word) or latin in self.known or latin in row_names
            ):
                folded[i] = latin

    def _join_line_ends(
        self,
        text: str,
        words: list[tuple[int, int, str]],
        folded: list[str],
        row_names: frozenset[str],
    ) -> tuple[list[tuple[int, int, str]], list[str]]:
        """Two words a line end hyphenates ("Love-\nlace") as one word, where together they spell a name
        of the row or the run (other hyphenated words stay two: "follow-\nup")."""
        ends = {end: i for i, (_, end, _) in enumerate(words)}
        joined: list[int] = []
        for match in _LINE_END_HYPHEN.finditer(text):
            i = ends.get(match.start())
            if i is None or i + 1 == len(words) or words[i + 1][0] != match.end():
                continue
            whole = folded[i] + folded[i + 1]
            if (whole in row_names or whole in self.known) and not (joined and joined[-1] == i - 1):
                joined.append(i)
        if not joined:
            return words, folded
        words, folded = list(words), list(folded)
        for i in reversed(joined):
            start, end = words[i][0], words[i + 1][1]
            words[i : i + 2] = [(start, end, text[start:end])]
            folded[i : i + 2] = [folded[i] + folded[i + 1]]
        return words, folded

    def _unglue_title(
        self,
        words: list[tuple[int, int, str]],
        folded: list[str],
        i: int,
        row_names: frozenset[str],
    ) -> None:
        """A title glued to a name of the row or the run ("MsLovelace", "MrSmith", "DRHOPPER"): the name
        is the word, the title stays. In capitals, not where the whole is an English word ("DRAKE")."""
        start, end, word = words[i]
        for title in _GLUED_TITLES:
            size = len(title)
            rest = folded[i][size:]
            if not folded[i].startswith(title) or len(rest) < 3:
                continue
            if rest not in self.known and rest not in row_names:
                continue
            if word.isupper():
                if (rest in _COMMON_WORDS and rest not in row_names) or is_ordinary_word(folded[i]):
                    continue
            elif not (word[size].isupper() and word[1:size].islower()):
                continue  # "MsLovelace", not "Mslovelace" or "Drake"
            words[i] = (start + size, end, word[size:])
            folded[i] = rest
            return

    def _join_spelled(
        self,
        text: str,
        match: re.Match[str] | None,
        words: list[tuple[int, int, str]],
        row_names: frozenset[str],
    ) -> tuple[list[tuple[int, int, str]], dict[int, str]]:
        """The words of `text` with each name spelled out letter by letter ("R-A-G-H-U", "S M I T H")
        as one word, where its letters spell a name word of the row or of the run (not a common word):
        the words, and for each joined one (by index) its letters as name words compare."""
        runs: list[tuple[int, int, str]] = []
        while match is not None:
            folded = bare(_spelled_letters(match).casefold())
            if folded in row_names or (folded in self.known and folded not in _COMMON_WORDS):
                runs.append((match.start(), match.end(), folded))
            match = SPELLED.search(text, match.end())
        if not runs:
            return words, {}
        out: list[tuple[int, int, str]] = []
        spelled: dict[int, str] = {}
        run = 0
        for word in words:
            while run < len(runs) and runs[run][1] <= word[0]:
                run += 1
            if run < len(runs) and runs[run][0] <= word[0] < runs[run][1]:
                start, end, folded = runs[run]
                if word[0] == start:
                    spelled[len(out)] = folded
                    out.append((start, end, text[start:end]))
                continue  # a letter of the spelled word
            out.append(word)
        return out, spelled

    @staticmethod
    def _unglue_lower_titles(
        words: list[tuple[int, int, str]],
        folded: list[str],
        candidates: list[int],
        row_names: frozenset[str],
    ) -> list[int]:
        """A title glued in lower case to a name word of the row, or to its names run together, as
        handles write it ("mslovelace", "drbobmarley"): the name is the word, the title stays. Only the
        row's own names, and not where the whole is an English word ("mission" for a row's "Ion").
        The words unglued, by index."""
        unglued: list[int] = []
        for i in candidates:
            word = folded[i]
            for title in _GLUED_TITLES:
                rest = word[len(title) :]
                if word.startswith(title) and len(rest) >= 3 and rest in row_names:
                    if not is_ordinary_word(word):
                        start, end, text = words[i]
                        words[i] = (start + len(title), end, text[len(title) :])
                        folded[i] = rest
                        unglued.append(i)
                    break
        return unglued

    def _split_joined(
        self, words: list[tuple[int, int, str]], row_names: frozenset[str]
    ) -> list[tuple[int, int, str]]:
        """Joined words that are not a known name as a whole, as their parts: a profile slug
        ("linkedin.com/in/ada-lovelace") or a new double-barrelled name ("Smith-Jones") holds names.
        After a title, a joined word is one surname ("Mr Pemberton-Hale"), replaced whole."""
        out: list[tuple[int, int, str]] = []
        for start, end, word in words:
            if "-" not in word:
                out.append((start, end, word))
                continue
            folded = bare(word.casefold())
            if folded in row_names or folded in self.known:
                out.append((start, end, word))
                continue
            if out and bare(out[-1][2].casefold()) in _TITLES and word[:1].isupper():
                out.append((start, end, word))
                continue
            at = start
            for part in word.split("-"):
                out.append((at, at + len(part), part))
                at += len(part) + 1
        return out

    def _plural_of(self, folded: str, row_names: frozenset[str]) -> str | None:
        """The last name of which a capitalised word is the plural ("smiths" → "smith"), if any: a
        common word's ("browns") only when it is the row's own name."""
        for cut in (1, 2) if folded.endswith("es") else (1,):
            stem = folded[:-cut]
            if self.known.get(stem, 0) & LAST and (stem in row_names or stem not in _COMMON_WORDS):
                return stem
        return None

    @staticmethod
    def _is_initial(text: str, words: list[tuple[int, int, str]], i: int) -> bool:
        return i == 0 or _sentence_break(text[words[i - 1][1] : words[i][0]])

    def _spans(
        self,
        text: str,
        words: list[tuple[int, int, str]],
        folded: list[str],
        flags: list[float],
        flagged: list[int],
    ) -> list[NameSpan]:
        """The spans of the flagged words (in order): runs of adjacent flagged words."""
        spans: list[NameSpan] = []
        last = len(words) - 1
        end = -1  # the last word of the span before
        for i in flagged:
            if i <= end:
                continue
            end = i
            while end < last and flags[end + 1] and _adjacent(text, words[end], words[end + 1]):
                end += 1
            before = i - 1  # the word before, past a surname's particles ("Ms. van der Berg")
            while before > 0 and folded[before] in _TITLED_PARTICLES:
                before -= 1
            after_title = i > 0 and folded[before] in _TITLES
            start_word = words[i]
            if end == i:  # one word (most names in notes)
                spans.append(
                    NameSpan(
                        start_word[0],
                        start_word[1],
                        flags[i],
                        (self.kind_of(folded[i], 0, 1, after_title),),
                        ((start_word[0], start_word[1]),),
                    )
                )
                continue
            size = end + 1 - i
            spans.append(
                NameSpan(
                    start_word[0],
                    words[end][1],
                    min(flags[i : end + 1]),
                    tuple([self.kind_of(folded[i + k], k, size, after_title) for k in range(size)]),
                    tuple([(w[0], w[1]) for w in words[i : end + 1]]),
                )
            )
        return spans


def _join_own(
    text: str, words: list[tuple[int, int, str]], flags: list[float], own: list[int]
) -> None:
    """The row's own name words that are also common words, in lower case ("bob marley", "mr van der
    berg"), count beside another name word: the row's name written out is the strongest evidence.
    Two of them side by side count together ("callback for rose brown" in Rose Brown's row), unless
    both are particles ("van der")."""
    weak = [i for i in own if not flags[i]]
    last = len(words) - 1
    held = set(weak)
    for i in weak:
        if (
            i < last
            and i + 1 in held
            and (pair := (words[i][2].casefold(), words[i + 1][2].casefold()))[0] != pair[1]
            and not NAME_PARTICLES.issuperset(pair)  # "van der" alone is Dutch, not the name
            and _adjacent(text, words[i], words[i + 1])
        ):
            flags[i] = flags[i + 1] = 1.0
    weak = [i for i in weak if not flags[i]]
    while weak:
        joined = [
            i
            for i in weak
            if (i > 0 and flags[i - 1] and _adjacent(text, words[i - 1], words[i]))
            or (i < last and flags[i + 1] and _adjacent(text, words[i], words[i + 1]))
        ]
        if not joined:
            return
        for i in joined:
            flags[i] = 1.0
        weak = [i for i in weak if not flags[i]]


def _sentence_break(between: str) -> bool:
    return any(c in between for c in ".!?\n:;") or between.strip().startswith(("-", "*", "•"))


def _adjacent(text: str, left: tuple[int, int, str], right: tuple[int, int, str]) -> bool:
    gap = text[left[1] : right[0]]
    return 0 < len(gap) <= 2 and gap.strip() == "" and "\n" not in gap
