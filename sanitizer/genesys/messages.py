"""Server error messages made safe to print: only words known not to be record values survive.

Genesys puts values into its messages ("Contact John Smith already exists", "Retry the request in
[59] seconds", "Invalid value for field firstName: Margaret"), and no pattern can tell a name from a
word. So this fails closed: a word is kept only when it is in the vocabulary of API error messages
below (lower case anywhere; capitalised only where a sentence starts) or a field name written in
camelCase (`firstName`, `contactListId`); every other word, number, quoted or bracketed text,
address or value after a colon becomes `…`. A message that says less than it could is the price;
the code, status and contextId (always printed) are what support looks a failure up by.
"""

from __future__ import annotations

import re

# Words of API error messages (Genesys' own and HTTP's), lower case. A word missing here is masked,
# never leaked: add words when a real message reads worse than it should.
VOCABULARY = frozenset(
    """
    a about access accepted action active after already an and another any are argument as at
    attribute attributes authentication authorization bad be because before being between body
    both but by call cannot can't changed characters column columns conflict contact contacts
    content could create created data datatable date default definition deleted denied did
    different disabled does doesn't download duplicate during either empty enabled entities entity
    error exceed exceeded exceeds exist exists expected expired export failed field fields file
    flow flows for format found from gateway given has have header id ids if import in include
    internal invalid is it its job key keys large larger least length limit list lists long
    longer malformed many maximum may media member method minimum missing more must name names
    no not null number numbers object of on one only or organization other page parameter
    parameters path per permission permissions please position process property provided publish
    published rate reached received record records request requests required requires resource
    retry row rows schema scope second seconds server service should size so specified state
    status still supported table than that the there this timed time timeout to token too type
    unable unauthorized unavailable unknown unsupported update updated upload uri url use used
    user valid validation value values version was were when which while with within without
    wrong you your
    account address again allowed architect campaign character check complete completed
    configuration configured contain contains currently division divisions edge email equal
    external find forbidden greater identifier identifiers into item items later less locked
    match matches modified modify operation outbound pattern phone queue queues reference
    referenced remove removed replace requested returned skill start started string support
    system target trunk try unique uploaded wait will wrapup
    """.split()
)

# One piece: a word (letters, apostrophes, hyphens, dots, underscores inside), a {placeholder}, or
# anything else that is not space. Brackets and quotes are taken whole, contents and all.
_TOKEN = re.compile(
    r"\[[^\]]*\]|\([^)]*\)|'[^']*'|\"[^\"]*\"|\{[A-Za-z_]\w*\}|[A-Za-z][\w'.\-]*|\S"
)
_CAMEL = re.compile(r"[a-z]+(?:[A-Z][a-z0-9]*)+(?:Id|Ids)?")
_SENTENCE_END = ".!?;"
_SPACE_BEFORE_PUNCTUATION = re.compile(r" ([,.;:!?])")
_MASKED_RUN = re.compile(r"…(?:[ ,]*…)+")
_PUNCTUATION = set(",.;:!?-/")
_LIMIT = 300


def safe_message(message: object) -> str:
    """The server's message with every word that could be a record value masked (see the module);
    empty when no word survives."""
    if not isinstance(message, str):
        return ""
    out: list[str] = []
    sentence_start = True
    after_colon = False
    for match in _TOKEN.finditer(message.strip()):
        piece = match.group()
        if piece in _PUNCTUATION:
            out.append(piece)
            after_colon = after_colon or piece == ":"
            if piece in _SENTENCE_END:
                sentence_start, after_colon = True, False
            continue
        word = piece.rstrip(".")
        kept = not after_colon and (
            (word.islower() and word in VOCABULARY)
            or (
                sentence_start
                and word[:1].isupper()
                and word[1:].islower()
                and word.lower() in VOCABULARY
            )
            or _CAMEL.fullmatch(word) is not None
            or (piece.startswith("{") and piece.endswith("}"))  # a template's placeholder name
        )
        out.append(piece if kept else "…")
        if piece.endswith(".") and len(piece) > 1:
            sentence_start, after_colon = True, False
        else:
            sentence_start = False
    if all(piece == "…" or piece in _PUNCTUATION for piece in out):
        return ""  # nothing left to read: the caller says what it can without it
    text = " ".join(out)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    text = _MASKED_RUN.sub("…", text)
    return text[:_LIMIT]


def readable_message(body: dict[str, object]) -> str:
    """The safest useful text of a Genesys error body: its template (`messageWithParams`, whose
    parameters stay placeholders) when it has one, else its `message`; masked either way."""
    template = body.get("messageWithParams")
    return safe_message(template if isinstance(template, str) and template else body.get("message"))


__all__ = ["VOCABULARY", "readable_message", "safe_message"]
