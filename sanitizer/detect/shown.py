"""A text as a reader sees it: escapes decoded, what shows nothing left out, accents composed.

Notes hold names, phones and addresses written so that the patterns miss them though a reader (or a
program the text reaches) still sees them: a JSON string as Python writes it by default
(`"Zo\\u00eb"`), a URL's UTF-8 escapes (`Zo%C3%AB`), HTML character references (`Zo&euml;`,
`&#235;`, `marisol&#x40;example.org`), characters that show nothing inside a word or a number
(`Sio\\u200cbhan`, `212\\u200b555\\u200b0143`), marks that strike a letter through, and decomposed
accents (`Zoe\\u0308`). The scanner reads such a text through its `View` and maps what it finds back
to the text's own offsets, so the replacement takes the whole written form. Most texts hold none of
these: `view` says so with substring tests (ASCII) or one character-class search.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from typing import NamedTuple

from sanitizer.entities import HIDDEN, OVERLAYS

# The combining marks of the Latin, Greek and Cyrillic scripts' accents (and the marks that overlay).
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# What is decoded: a "\uXXXX" escape (a surrogate pair as one), an HTML character reference, the URL
# escapes of one character beyond ASCII in UTF-8 ("%C3%AB"; "%40", "%2E" and "%20" are read as they
# are: see names.find and the email patterns), a character that shows nothing, a letter with its
# combining marks.
_ENCODED = re.compile(
    r"(?P<json>\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4})"
    r"|(?P<html>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r"|(?P<url>%(?:[cCdD][0-9a-fA-F]|[eE][0-9a-fA-F]%[89abAB][0-9a-fA-F]"
    r"|[fF][0-7](?:%[89abAB][0-9a-fA-F]){2})%[89abAB][0-9a-fA-F])"
    rf"|(?P<hidden>[{HIDDEN}])|[^{_COMBINING}][{_COMBINING}]+"
)
_UNSHOWN = re.compile(f"[{HIDDEN}{OVERLAYS}]")
# Where a text that is not ASCII needs a view: a character that shows nothing, a combining mark.
_MAY_HIDE = re.compile(f"[{HIDDEN}{_COMBINING}]")


def may_hide(text: str) -> bool:
    """Whether `text` may read otherwise than it is written (a cheap test: `view` decides)."""
    if text.isascii():
        return "\\u" in text or "&" in text or "%" in text
    return "\\u" in text or "&" in text or "%" in text or _MAY_HIDE.search(text) is not None


def _decode(match: re.Match[str]) -> str | None:
    """What one `_ENCODED` match shows, or None where it shows itself."""
    piece, kind = match.group(), match.lastgroup
    if kind == "json":
        if len(piece) == 12:  # a surrogate pair
            high, low = int(piece[2:6], 16), int(piece[8:12], 16)
            return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        code = int(piece[2:], 16)
        return None if 0xD800 <= code <= 0xDFFF else chr(code)
    if kind == "html":
        shown = html.unescape(piece)
        return None if shown == piece else shown
    if kind == "url":
        try:
            return bytes.fromhex(piece.replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            return None
    if kind == "hidden":
        return ""  # shows nothing
    shown = unicodedata.normalize("NFC", _UNSHOWN.sub("", piece))
    return None if shown == piece else shown


class View(NamedTuple):
    """A text as shown (`text`), and where its pieces come from: `at[i]` is where in the view piece `i`
    starts, `source[i]` its (start, end) in the original, `literal[i]` whether it is copied as is."""

    text: str
    at: list[int]
    source: list[tuple[int, int]]
    literal: list[bool]

    def start(self, offset: int) -> int:
        """Where in the original a span that starts at `offset` of the view starts."""
        i = bisect_right(self.at, offset) - 1
        start, _ = self.source[i]
        return start + (offset - self.at[i]) if self.literal[i] else start

    def end(self, offset: int) -> int:
        """Where in the original a span that ends at `offset` of the view (exclusive) ends."""
        i = bisect_right(self.at, offset - 1) - 1
        start, end = self.source[i]
        return start + (offset - self.at[i]) if self.literal[i] else end


def view(text: str) -> View | None:
    """`text` as a reader sees it, or None where it reads as written (most texts)."""
    if not may_hide(text):
        return None
    parts: list[str] = []
    at: list[int] = []
    source: list[tuple[int, int]] = []
    literal: list[bool] = []
    cursor = size = 0
    for match in _ENCODED.finditer(text):
        shown = _decode(match)
        if shown is None:
            continue
        start, end = match.span()
        if cursor < start:
            at.append(size)
            source.append((cursor, start))
            literal.append(True)
            parts.append(text[cursor:start])
            size += start - cursor
        if shown:
            at.append(size)
            source.append((start, end))
            literal.append(False)
            parts.append(shown)
            size += len(shown)
        elif at and not literal[-1]:
            source[-1] = (source[-1][0], end)  # what shows nothing goes with the piece before it
        else:
            at.append(size)
            source.append((start, end))
            literal.append(False)
        cursor = end
    if not source:
        return None
    if cursor < len(text):
        at.append(size)
        source.append((cursor, len(text)))
        literal.append(True)
        parts.append(text[cursor:])
    return View("".join(parts), at, source, literal)


def shown(word: str) -> str:
    """A word (or any text) as a reader sees it (`view`)."""
    seen = view(word)
    return word if seen is None else seen.text
