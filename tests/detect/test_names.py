"""Person names without an NER model: the row's names, the run's names, a gazetteer with titles."""

from __future__ import annotations

import pytest

from sanitizer.detect.names import (
    FIRST,
    LAST,
    NameFinder,
    gazetteer,
    handles,
    name_forms,
    name_tokens,
    particles_joined,
    row_name_words,
    spellings,
)


@pytest.fixture(scope="module")
def finder() -> NameFinder:
    found = NameFinder()
    found.learn(FIRST, ["Ada", "Zoë", "Grace"])
    found.learn(LAST, ["Lovelace", "Hopper"])
    found.learn(None, ["Brendan Okafor"])  # a full-name column: first token first, last token last
    return found


def _names(finder: NameFinder, text: str, row: set[str] | None = None) -> list[str]:
    return [text[s.start : s.end] for s in finder.find(text, frozenset(row or ()))]


@pytest.mark.parametrize(
    ("text", "row", "expected", "why"),
    [
        ("Spoke with Ada Lovelace today", None, ["Ada Lovelace"], "the run's names, capitalised"),
        ("LOVELACE called", None, ["LOVELACE"], "upper case is written as a name"),
        ("Met Zoë at the branch", None, ["Zoë"], "non-ASCII names"),
        ("Brendan Okafor rang twice", None, ["Brendan Okafor"], "a learned full name"),
        ("ada lovelace called", {"ada", "lovelace"}, ["ada lovelace"], "the row's own, any case"),
        (
            "ada lovelace called",
            None,
            ["ada lovelace"],
            "the run's names in lower case: no English word",
        ),
        ("asked for lovelace", None, ["lovelace"], "a run's surname alone, in lower case"),
        ("the hopper was full, grace period", None, [], "the run's names that are English words"),
        ("Dr Smith called", None, ["Smith"], "a title before a gazetteer surname"),
        ("Dear Ms. Patel, thanks", None, ["Patel"], "a title with a full stop"),
        (
            "Spoke to Jennifer Smith.",
            None,
            ["Jennifer Smith"],
            "gazetteer first name, surname follows",
        ),
        (
            "Customer Jennifer Whitfield called",
            None,
            ["Jennifer Whitfield"],
            "a capitalised word after a name extends it",
        ),
        ("Called Jennifer back", None, ["Jennifer"], "a gazetteer first name mid-sentence"),
    ],
)
def test_find_names(
    finder: NameFinder, text: str, row: set[str] | None, expected: list[str], why: str
) -> None:
    assert _names(finder, text, row) == expected, why


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Will you call me back?", "a common word that is also a name, sentence start"),
        ("May we call on Monday", "a month / modal verb"),
        ("Mark the account as closed", "a verb"),
        ("Hope all is well", "a common word"),
        ("The King said no", "a common word after 'The'"),
        ("no answer, retry tomorrow", "prose without capitals"),
        ("Mr. and Mrs.", "titles alone"),
        ("NINO QQ123456C checked", "a label and a code: letters glued to digits are no surname"),
        ("IBAN GB82-WEST-1234-5698-7654-32 on file", "Iban is a first name somewhere, and a word"),
        ("Job Title: Engineer", "Job is a first name somewhere, and a word"),
    ],
)
def test_find_ignores_common_words(finder: NameFinder, text: str, why: str) -> None:
    assert _names(finder, text) == [], why


def test_find_names_behind_url_escapes(finder: NameFinder) -> None:
    text = "mailto:ada%2Elovelace%40example%2Ecom, ?n=Ada%20Lovelace"
    spans = finder.find(text, frozenset({"ada", "lovelace"}))
    assert [text[s.start : s.end] for s in spans] == ["ada", "lovelace", "Ada", "Lovelace"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("skype mslovelace", ["lovelace"]),  # the title stays, the name is replaced
        ("ask Mrslovelace or drada", ["lovelace", "ada"]),
        ("dm mrbobmarley", ["bob", "marley"]),  # a title before a handle
        ("the mission failed", []),  # an English word, though the row's "Ion" is in it
        ("msgrace", []),  # not the row's name
        ("mrsmith and drsmith, smith said", ["smith", "smith"]),  # a common word, after a title
    ],
)
def test_find_reads_a_title_glued_to_the_rows_name_in_lower_case(
    finder: NameFinder, text: str, expected: list[str]
) -> None:
    row = {"ada", "lovelace", "ion", "bob", "marley", "smith"} | handles(["bob", "marley"])
    spans = finder.find(text, frozenset(row))
    assert [text[a:b] for s in spans for a, b in s.words] == expected


def test_find_splits_the_rows_names_run_together_into_its_name_words(finder: NameFinder) -> None:
    # Each name word of a handle gets its column's replacement ("karinawilson", "mswilson"); the
    # title stays; a handle with an initial ("alovelace") stays whole; a name-column word made of two
    # others (a "Marybeth" column value) is one word.
    row = {"ada", "lovelace"} | handles(["ada", "lovelace"])
    text = "dm @AdaLovelace, LOVELACEADA, mslovelace, drada or alovelace"
    spans = finder.find(text, frozenset(row))
    assert [[text[a:b] for a, b in s.words] for s in spans] == [
        ["Ada"],
        ["Lovelace"],
        ["LOVELACE"],
        ["ADA"],
        ["lovelace"],
        ["ada"],
        ["alovelace"],
    ]
    assert [s.kinds for s in spans][:4] == [(FIRST,), (LAST,), (LAST,), (FIRST,)]
    marybeth = NameFinder()
    marybeth.learn(FIRST, ["Marybeth", "Mary", "Beth"])
    row = {"marybeth", "mary", "beth"} | handles(["mary", "beth"])  # "marybeth" is a handle too
    assert _names(marybeth, "marybeth rang", row) == ["marybeth"]


@pytest.mark.parametrize(
    ("text", "row", "expected"),
    [
        ("spelled L-O-V-E-L-A-C-E", None, ["L-O-V-E-L-A-C-E"]),  # the run's name
        ("surname h o p p e r", {"hopper"}, ["h o p p e r"]),  # the row's, in lower case
        ("first A.D.A.A. and O. K. A. F. O. R", None, ["O. K. A. F. O. R"]),  # "adaa" is none
        ("said G-R-A-C-E", None, []),  # a common word, not the row's
        ("said G-R-A-C-E", {"grace"}, ["G-R-A-C-E"]),
        ("the U-S-A and S-M-I-T-Hson", {"smith"}, []),  # three letters; a longer word
    ],
)
def test_find_names_spelled_out_letter_by_letter(
    finder: NameFinder, text: str, row: set[str] | None, expected: list[str]
) -> None:
    assert _names(finder, text, row) == expected


def test_spelled_out_words_are_read_and_respelled() -> None:
    from sanitizer.detect.names import spell_out, spelled_out

    assert spelled_out("S-M-I-T-H") == ("SMITH", "-")
    assert spelled_out("s. m. i. t. h") == ("smith", ". ")
    assert spelled_out("Smith") is None
    assert spelled_out("S-M I-T-H") is None  # one separator throughout
    assert spell_out("Pratt jackson", ". ") == "P. r. a. t. t. j. a. c. k. s. o. n"


def test_find_row_name_that_is_a_common_word_needs_a_capital(finder: NameFinder) -> None:
    # "grace" written in lower case could be the word, so only "Grace" counts, even for the row.
    assert _names(finder, "Grace asked for a callback", {"grace"}) == ["Grace"]
    assert _names(finder, "said grace before the call", {"grace"}) == []


@pytest.mark.parametrize(
    "text",
    [
        "Jennifer Whitfield called about her bill.",
        "Called back. Jennifer Whitfield wants a refund.",
    ],
)
def test_find_full_name_at_sentence_start(text: str) -> None:
    assert "Jennifer Whitfield" in _names(NameFinder(), text)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Spoke with Ada Lovelace", [FIRST, LAST]),  # learned kinds
        ("Dr Smith called", [LAST]),  # a lone word after a title is a surname
        ("Brendan Okafor rang", [FIRST, LAST]),
        ("Called Jennifer back", [FIRST]),
    ],
)
def test_find_spans_say_first_or_last(finder: NameFinder, text: str, kinds: list[int]) -> None:
    (span,) = finder.find(text)
    assert list(span.kinds) == kinds
    assert len(span.words) == len(kinds)


@pytest.mark.parametrize(
    ("text", "row", "expected"),
    [
        ("Tom's wife called", {"tom"}, ["Tom"]),
        ("TOM'S NOTE", {"tom"}, ["TOM"]),
        ("Mrs Hopper’s son", None, ["Hopper"]),
        ("Ada Lovelace's account", None, ["Ada Lovelace"]),
        ("O'Brien's daughter", {"o'brien"}, ["O'Brien"]),
        ("Lovelaces' house", None, ["Lovelace"]),  # the family: its name without the plural
        ("Left O'Sullivan a note", {"o'sullivan"}, ["O'Sullivan"]),
        ("D'Souza called", {"d'souza"}, ["D'Souza"]),
    ],
)
def test_find_possessive_is_the_name_without_its_s(
    finder: NameFinder, text: str, row: set[str] | None, expected: list[str]
) -> None:
    # "Tom's" was one word, "tom's", which no name list holds: every possessive name in a note survived.
    assert _names(finder, text, row) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("O`Brien rang", ["O`Brien"]),  # a backtick
        ("O\u00b4Brien rang", ["O\u00b4Brien"]),  # an acute accent
        ("O\u02bcBrien rang", ["O\u02bcBrien"]),  # the modifier letter apostrophe
        ("O\u2032Brien rang", ["O\u2032Brien"]),  # a prime
        ("O\uff07Brien rang", ["O\uff07Brien"]),  # a full-width apostrophe
        ("O\u02bbbrien rang", ["O\u02bbbrien"]),  # the ʻokina
        ("O\u2018Brien rang", ["O\u2018Brien"]),  # a left single quote
        ("Siobhan\u02bcs file", ["Siobhan"]),  # a possessive
        ("Okonkwo\u02bcs account", ["Okonkwo"]),
    ],
)
def test_find_names_with_an_apostrophe_look_alike(text: str, expected: list[str]) -> None:
    # Published unchanged before: the look-alike parted "O" from "Brien", or "ʼ" (a letter to
    # Unicode) made "Siobhanʼs" one word.
    found = NameFinder()
    found.learn(FIRST, ["Siobhan"])
    found.learn(LAST, ["O'Brien", "Okonkwo"])
    row = row_name_words("Siobhan") | row_name_words("O'Brien") | row_name_words("Okonkwo")
    assert _names(found, text, row) == expected
    assert _names(found, text) == expected  # the run's names, not only the row's


def test_a_name_cell_with_an_apostrophe_look_alike_is_the_name_with_an_apostrophe() -> None:
    assert {"o'brien", "o’brien", "obrien"} <= row_name_words("O`Brien")
    assert {"o'brien", "o’brien", "obrien"} <= row_name_words("O\u02bcBrien")
    assert name_tokens("O\u00b4Brien") == ["o'brien"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Herr Schmidt rief an", ["Schmidt"]),
        ("Frau Schneider wartet", ["Schneider"]),
        ("Señora Gutiérrez llamó", ["Gutiérrez"]),
        ("Mme Lefebvre a appelé", ["Lefebvre"]),
        ("Called Monsieur Girard", ["Girard"]),
        ("Sig. Bianchi", ["Bianchi"]),
    ],
)
def test_find_a_surname_after_a_title_of_the_gazetteers_languages(
    finder: NameFinder, text: str, expected: list[str]
) -> None:
    assert _names(finder, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a joined surname after a title is one name (it was replaced in part: "Mr Stewart-Hale")
        ("Mr Pemberton-Hale called", ["Pemberton-Hale"]),
        ("Dr. Nkemelu-Adeyemi called", ["Nkemelu-Adeyemi"]),
        # a surname after a title and its particles (it survived whole)
        ("Ms. van der Berg called", ["Berg"]),
        ("Mr \u00d3 S\u00failleabh\u00e1in called", ["S\u00failleabh\u00e1in"]),
        ("Dr de la Quintana rang", ["Quintana"]),
        # no title, no name
        ("the van der Berg bakery", []),
        ("a follow-up with Smith-Jones Ltd", []),
    ],
)
def test_find_a_surname_after_a_title_whole_and_past_its_particles(
    text: str, expected: list[str]
) -> None:
    found = NameFinder()
    assert _names(found, text) == expected
    assert all(s.kinds == (LAST,) for s in found.find(text))  # replaced as a surname


def test_find_a_title_is_a_name_only_as_the_rows(finder: NameFinder) -> None:
    assert _names(finder, "Herr rang") == []
    assert _names(finder, "Herr rang", {"herr"}) == ["Herr"]  # Anna Herr


def test_find_adjacent_words_only_join_on_one_line(finder: NameFinder) -> None:
    assert _names(finder, "Ada\nLovelace") == ["Ada", "Lovelace"]
    assert _names(finder, "Ada, Lovelace") == ["Ada", "Lovelace"]


def test_learn_records_kind_bits(finder: NameFinder) -> None:
    assert finder.known["ada"] == FIRST
    assert finder.known["lovelace"] == LAST
    assert finder.known["brendan"] == FIRST and finder.known["okafor"] == LAST


def test_kind_of_learned_both_ways_falls_back_to_position() -> None:
    finder = NameFinder(use_gazetteer=False)
    finder.learn(FIRST, ["Morgan"])
    finder.learn(LAST, ["Morgan"])
    assert finder.kind_of("morgan", 0, 2, after_title=False) == FIRST
    assert finder.kind_of("morgan", 1, 2, after_title=False) == LAST


def test_gazetteer_is_bundled_and_large() -> None:
    firsts, lasts = gazetteer()
    assert len(firsts) > 1000 and len(lasts) > 1000
    assert {"jennifer", "priya"} <= firsts | lasts
    assert all(name == name.casefold() for name in list(firsts)[:100])


def test_name_finder_without_gazetteer_knows_only_learned_names() -> None:
    finder = NameFinder(use_gazetteer=False)
    assert _names(finder, "Dr Smith called") == ["Smith"]  # the title alone is enough
    assert _names(finder, "Called Jennifer back") == []


def test_name_tokens_splits_words_and_drops_initials() -> None:
    assert name_tokens("  Ada   LOVELACE ") == ["ada", "lovelace"]
    assert name_tokens("J. R. Tolkien") == ["tolkien"]


def test_names_without_their_accents_are_the_same_names() -> None:
    # Agents type "Jose" for the row's "José": the row's own name in any case, the run's capitalised.
    finder = NameFinder()
    finder.learn(FIRST, ["Zoë", "José"])
    finder.learn(LAST, ["Brontë"])
    assert name_tokens("José García") == ["jose", "garcia"]
    assert _names(finder, "so jose asked twice", {"jose", "garcia"}) == ["jose"]
    assert _names(finder, "then Zoe Bronte wrote") == ["Zoe Bronte"]
    assert _names(finder, "then Zoë Brontë wrote") == ["Zoë Brontë"]
    assert finder.learn_found([("Renée", FIRST)]) == {"renee"}
    assert finder.is_name_value("Renee")


def test_name_tokens_keeps_hyphenated_and_apostrophe_names_whole() -> None:
    assert name_tokens("Mary-Jane O'Neil") == ["mary-jane", "o'neil"]


def test_found_since_a_mark_brings_a_copy_made_then_up_to_date() -> None:
    finder = NameFinder()
    finder.learn(FIRST, ["Ada"])
    mark = finder.mark()
    copy = dict(finder.known)  # what workers forked at the mark hold
    finder.learn_found([("Quillfeather", LAST), ("Ada", LAST), ("Mr", FIRST), ("Bo", FIRST)])
    found = finder.found_since(mark)
    assert found == {"quillfeather": LAST, "bo": FIRST}  # "ada" was known, "mr" is a title
    copy.update(found)
    assert copy == finder.known
    finder.learn(LAST, ["Ada"])  # a column may change what a known word is: no delta says so
    with pytest.raises(RuntimeError):
        finder.found_since(mark)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("smith", {"smith"}),
        ("müller", {"muller", "mueller"}),
        ("mueller", {"mueller", "muller"}),
        ("ødegård", {"ødegard", "odegard", "oedegard", "odegaard", "oedegaard", "ødegaard"}),
        ("łukasiewicz", {"łukasiewicz", "lukasiewicz"}),
        ("josé", {"jose"}),  # an accent alone: bare() already compares without it
        ("mae", {"mae"}),  # "ma" is too short to be read as her name
    ],
)
def test_spellings_are_the_ways_a_name_word_is_also_written(word: str, expected: set[str]) -> None:
    assert spellings(word) == expected


def test_handles_run_a_persons_name_words_together() -> None:
    # "mbob" and "bobm" are short; a title glued on ("mrmarley") the name finder reads where written
    assert handles(["bob", "marley"]) == {"bobmarley", "marleybob", "bmarley", "marleyb"}
    assert handles(["ada"]) == set()
    # a surname's particles are no name alone: run together with their word
    jan = handles(["jan", "van", "der", "berg"])
    assert {"janvanderberg", "jvanderberg", "vanderbergj", "bergjan"} <= jan
    assert not {"janvan", "vanjan", "derberg"} & jan
    assert handles(["zoe", "smith-jones"]) >= {"smithjones", "zoesmith", "zsmith", "jonessmith"}
    assert handles(["chris", "o'neill"]) >= {"chrisoneill", "coneill"}


def test_name_forms_add_the_parts_of_a_joined_name() -> None:
    assert name_forms("mary-jane") == {"mary-jane", "mary", "jane"}
    assert row_name_words("Mary-Jane Müller") == {"mary-jane", "mary", "jane", "muller", "mueller"}


@pytest.fixture(scope="module")
def spelled() -> NameFinder:
    found = NameFinder()
    found.learn(FIRST, ["Søren", "Ada", "Mary-Jane"])
    found.learn(LAST, ["Müller", "Ødegård", "Lovelace", "Smith", "Jones"])
    return found


@pytest.mark.parametrize(
    ("text", "row", "expected"),
    [
        ("Mr Mueller rang", None, ["Mueller"]),
        ("MULLER rang", None, ["MULLER"]),
        ("Soren Oedegaard called", None, ["Soren Oedegaard"]),
        ("called mueller back", {"müller"}, ["mueller"]),  # the row's, in another spelling
        ("see linkedin.com/in/ada-lovelace", {"ada", "lovelace"}, ["ada", "lovelace"]),
        ("Jane came", None, ["Jane"]),  # part of a learned joined name
        ("Mary-Jane came", None, ["Mary-Jane"]),  # the joined name itself stays one word
        ("a follow-up call", {"ada", "lovelace"}, []),
        ("the Lovelaces moved", None, ["Lovelace"]),  # a family: the stem, the plural stays
        ("the Joneses' house", None, ["Jones"]),
        ("Smiths were here", None, []),  # "smith" is also a word: only as the row's name
        ("Smiths were here", {"smith"}, ["Smith"]),
        ("the Adas", None, []),  # a first name's plural is not a family
        # a row's common-word name in lower case counts beside its other name words
        ("callback for bob marley", {"bob", "marley"}, ["bob marley"]),
        ("Mr van der Berg rang", {"jan", "van", "der", "berg"}, ["van der Berg"]),
        ("the van arrived", {"jan", "van", "der", "berg"}, []),
        # two of the row's common-word names side by side: its name written out
        ("callback for rose brown", {"rose", "brown"}, ["rose brown"]),
        ("spoke to grace baker today", {"grace", "baker"}, ["grace baker"]),
        ("a brown envelope", {"rose", "brown"}, []),
        ("the brown brown bag", {"brown"}, []),  # one word twice is no name
        # letters in another width or style, and invisible characters inside, are the name
        (
            "Called \uff2c\uff4f\uff56\uff45\uff4c\uff41\uff43\uff45",
            {"lovelace"},
            ["\uff2c\uff4f\uff56\uff45\uff4c\uff41\uff43\uff45"],
        ),
        (
            "Called Love\u00adlace and Love\u200blace",
            {"lovelace"},
            ["Love\u00adlace", "Love\u200blace"],
        ),
        # titles beyond Mr and Mrs
        ("Rev. Quaintrell and Lady Quaintrell called", None, ["Quaintrell", "Quaintrell"]),
        ("Capt. Quaintrell, Dame Quaintrell, Lord Quaintrell", None, ["Quaintrell"] * 3),
        # in a text in capitals only names are names, not every word after one
        ("SPOKE TO LOVELACE ABOUT HER SISTER", {"ada", "lovelace"}, ["LOVELACE"]),
        ("CALLED MRS LOVELACE ABOUT INVOICE", {"ada", "lovelace"}, ["LOVELACE"]),
        ("CALLED JENNIFER WHITFIELD ABOUT IT", None, ["JENNIFER WHITFIELD"]),
        ("ONEILL and Oneill", {"o'neill"}, ["ONEILL", "Oneill"]),  # without its apostrophe
    ],
)
def test_find_other_spellings_joined_words_and_families(
    spelled: NameFinder, text: str, row: set[str] | None, expected: list[str]
) -> None:
    forms = {form for word in row or () for form in name_forms(word)}
    assert _names(spelled, text, forms) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("will call grace hopper tomorrow", ["grace hopper"]),
        ("GRACE HOPPER phoned", ["GRACE HOPPER"]),
        ("grace  hopper", ["grace  hopper"]),  # two blanks still join a name's words
        ("the grace period of the hopper", []),  # both words, not side by side
        ("hopper grace", []),  # not the full name's order
        ("mary ann smith called", ["mary ann smith"]),  # three words
        ("grace,\nhopper", []),  # not on one line
    ],
)
def test_lower_case_words_spelling_a_run_full_name_are_a_name(
    text: str, expected: list[str]
) -> None:
    # Either word alone is ordinary English; side by side they are a customer the run holds.
    finder = NameFinder()
    finder.learn(FIRST, ["Grace", "Mary Ann"])
    finder.learn(LAST, ["Hopper", "Smith"])
    finder.full_names = {"grace hopper", "mary ann smith"}
    assert _names(finder, text) == expected


@pytest.mark.parametrize(
    ("text", "row", "expected", "why"),
    [
        (
            "Spoke to L\u043evelace today",
            None,
            ["L\u043evelace"],
            "a Cyrillic o inside a Latin name",
        ),
        ("\u0410da called", None, ["\u0410da"], "a Cyrillic capital A"),
        ("L\u039fVELACE called", None, ["L\u039fVELACE"], "a Greek capital omicron"),
        ("asked for l\u043evelace", None, ["l\u043evelace"], "in lower case, as the Latin word"),
        (
            "\u0410\u0434\u0430 \u0437\u0432\u043e\u043d\u0438\u043b\u0430",
            None,
            [],
            "Russian text keeps its script",
        ),
        (
            "\u0421\u043e\u0441\u043e \u0438 \u0410\u0441\u0435",
            None,
            [],
            "look-alikes only, no name",
        ),
        ("Called MsLovelace back", None, ["Lovelace"], "a title glued to the run's name"),
        ("MrsLovelace and DrHopper rang", None, ["Lovelace", "Hopper"], "Mrs and Dr"),
        ("MISSLOVELACE RANG", None, ["LOVELACE"], "in capitals"),
        ("MrSmith called", {"smith"}, ["Smith"], "the row's common-word name"),
        ("Drake dropped the call; Mrs Hopper rang", None, ["Hopper"], "no title glued to a name"),
        ("Spoke to Love-\nlace today", None, ["Love-\nlace"], "hyphenated at a line end"),
        ("Spoke to Love-\r\nlace today", None, ["Love-\r\nlace"], "a Windows line end"),
        ("Spoke to Love- \n lace today", None, ["Love- \n lace"], "blanks around the line end"),
        ("please follow-\nup tomorrow", None, [], "joined, no name"),
        ("Ada-Lovelace called", None, ["Ada", "Lovelace"], "a joined name still in its parts"),
    ],
)
def test_find_names_spelled_otherwise(
    finder: NameFinder, text: str, row: set[str] | None, expected: list[str], why: str
) -> None:
    assert _names(finder, text, row) == expected, why


@pytest.mark.parametrize(
    ("text", "expected", "why"),
    [
        ("Spoke to vanderberg", ["vanderberg"], "particles run together, lower case"),
        ("VanDerBerg called", ["VanDerBerg"], "run together, each capitalised"),
        ("Vanderberg rang", ["Vanderberg"], "run together, capitalised"),
        ("delacruz called", ["delacruz"], "de la Cruz"),
        ("de auto van der buren is rood", [], "Dutch words, no name"),
    ],
)
def test_find_a_surname_with_its_particles_run_together(
    text: str, expected: list[str], why: str
) -> None:
    finder = NameFinder()
    finder.learn(LAST, ["van der Berg", "de la Cruz"])
    assert _names(finder, text) == expected, why
    row = row_name_words("van der Berg")
    assert _names(finder, text, row) == expected, f"{why}, in van der Berg's row"


def test_particles_joined_runs_a_surnames_particles_into_its_word() -> None:
    assert particles_joined(["pieter", "van", "der", "berg"]) == ["vanderberg"]
    assert particles_joined(["maria", "de", "la", "cruz", "lopez"]) == ["delacruz"]
    assert particles_joined(["ada", "lovelace"]) == []
    assert {"van", "der", "berg", "vanderberg"} <= row_name_words("van der Berg")


@pytest.mark.parametrize(
    ("key", "is_name"),
    [
        ("Vashchenko", True),  # a surname of the run, no English word
        ("VASHCHENKO", True),
        ("lvashchenko", True),  # a handle: an initial before
        ("vashchenko_l", True),  # or after, with what is no letter left out
        ("leopoldvashchenko", True),  # two of the run's words run together
        ("Price", False),  # a surname that is an English word heads a column
        ("willprice", False),  # two names that are ordinary or common words: no handle told
        ("priceleopold", True),
        ("FirstName", False),
        ("notes", False),
        ("Campaign", False),
        ("Leopold", True),
    ],
)
def test_is_run_name_is_a_run_name_word_or_a_handle_of_one(key: str, is_name: bool) -> None:
    finder = NameFinder()
    finder.learn(FIRST, ["Leopold", "Will"])
    finder.learn(LAST, ["Vashchenko", "Price"])
    assert finder.is_run_name(key) is is_name


@pytest.mark.parametrize(
    ("note", "name"),
    [("Yılmaz'a yazdık", "Yılmaz"), ("Yılmaz’a yazdık", "Yılmaz"), ("Straße'a gitti", "Straße")],
)
def test_find_the_rows_name_before_an_apostrophe_ending_as_written(note: str, name: str) -> None:
    # Only the name is replaced, cut where it is written ("ß" folds to two letters).
    (span,) = NameFinder().find(note, frozenset({"yılmaz", "strasse"}))
    assert note[span.start : span.end] == name
