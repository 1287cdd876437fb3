"""Placeholders in flow text: Archy substitutions `{{name}}` and environment references `${NAME}`.

Archy resolves `{{name}}` by plain text substitution before it parses the YAML, so a file can be
invalid YAML until then (a mapping key written `{{data_table}}:`). To parse it anyway every
placeholder is swapped for a sentinel token (letters and digits only, so it is a valid plain scalar,
key or part of a quoted string), the text is parsed, and the sentinels are swapped back in the
parsed values. Sentinels keep line numbers (they hold no newline); `Sentinels.to_original` maps
offsets back for columns."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Style = Literal["archy", "env"]

_ARCHY = re.compile(r"\{\{([^{}\n]*)\}\}")
_ENV = re.compile(r"\$\{([^{}\n]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPENERS = re.compile(r"\{\{|\$\{")


class LineIndex:
    """Offsets in a text to 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1


@dataclass(frozen=True)
class Placeholder:
    """One placeholder occurrence in the original text."""

    name: str
    style: Style
    start: int
    end: int
    line: int
    column: int

    @property
    def raw(self) -> str:
        return "{{" + self.name + "}}" if self.style == "archy" else "${" + self.name + "}"


@dataclass(frozen=True)
class Malformed:
    """Something that opens a placeholder but does not make a valid one."""

    line: int
    column: int
    reason: str
    offset: int = 0


def scan(text: str) -> tuple[list[Placeholder], list[Malformed]]:
    """Every well-formed placeholder in `text`, in order, and every malformed one."""
    index = LineIndex(text)
    found: list[Placeholder] = []
    bad: list[Malformed] = []
    taken: list[tuple[int, int]] = []
    for pattern, style in ((_ARCHY, "archy"), (_ENV, "env")):
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in taken):
                continue
            name = match.group(1).strip()
            line, column = index.position(match.start())
            if not name:
                bad.append(Malformed(line, column, "an empty placeholder", match.start()))
            elif style == "env" and not _ENV_NAME.fullmatch(name):
                reason = "a ${...} name that is not letters, digits and _"
                bad.append(Malformed(line, column, reason, match.start()))
            else:
                found.append(Placeholder(name, style, match.start(), match.end(), line, column))  # type: ignore[arg-type]
            taken.append((match.start(), match.end()))
    for match in _OPENERS.finditer(text):
        if not any(s <= match.start() < e for s, e in taken):
            line, column = index.position(match.start())
            reason = f"'{match.group()}' without its closing brace on the line"
            bad.append(Malformed(line, column, reason, match.start()))
    found.sort(key=lambda p: p.start)
    bad.sort(key=lambda m: (m.line, m.column))
    return found, bad


class Sentinels:
    """The text with every placeholder swapped for a sentinel, and the way back."""

    def __init__(
        self,
        text: str,
        placeholders: list[Placeholder],
        *,
        quote_bare: Callable[[Placeholder], bool] | None = None,
    ) -> None:
        prefix = "zqph"
        while prefix in text:
            prefix += "q"
        self.prefix = prefix
        self.placeholders = placeholders
        self._token = re.compile(prefix + r"(\d+)z")
        parts: list[str] = []
        # (start in sentinel text, end in sentinel text, start in original, end in original)
        self.spans: list[tuple[int, int, int, int]] = []
        self.bare: set[int] = set()  # placeholders written outside a JSON string, parsed as strings
        position = 0
        length = 0
        for i, ph in enumerate(placeholders):
            parts.append(text[position : ph.start])
            length += ph.start - position
            token = f"{prefix}{i}z"
            if quote_bare is not None and quote_bare(ph):
                token = f'"{token}"'
                self.bare.add(i)
            self.spans.append((length, length + len(token), ph.start, ph.end))
            parts.append(token)
            length += len(token)
            position = ph.end
        parts.append(text[position:])
        self.text = "".join(parts)
        self._starts = [s[0] for s in self.spans]

    def restore(self, value: str) -> str:
        """A parsed string with its sentinels turned back into the placeholders as written."""
        if self.prefix not in value:
            return value
        return self._token.sub(lambda m: self.placeholders[int(m.group(1))].raw, value)

    def names_in(self, value: str) -> list[Placeholder]:
        """The placeholders whose sentinels a parsed string holds."""
        return [self.placeholders[int(m.group(1))] for m in self._token.finditer(value)]

    def from_original(self, offset: int) -> int:
        """An offset in the original text (outside any placeholder) mapped to the sentinel text."""
        shift = 0
        for s_start, s_end, o_start, o_end in self.spans:
            if o_start >= offset:
                break
            shift += (s_end - s_start) - (o_end - o_start)
        return offset + shift

    def to_original(self, offset: int) -> int:
        """An offset in the sentinel text mapped to the original text."""
        i = bisect.bisect_right(self._starts, offset) - 1
        if i < 0:
            return offset
        _s_start, s_end, o_start, o_end = self.spans[i]
        if offset < s_end:
            return o_start
        return o_end + (offset - s_end)
