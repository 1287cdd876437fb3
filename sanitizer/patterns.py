"""The regexes of custom recognizers: compiled as Presidio compiles them, and bounded in time.

Presidio runs a recognizer's patterns with the `regex` module and its `global_regex_flags` (`.` matches
newlines, `^`/`$` per line, case-insensitive), so sanitizer does too: a pattern finds the same spans in
the column classifier (Presidio) and in the free-text scanner. Python's regex engines backtrack, and
a pattern such as `(a|aa)+b` takes hours on a note of a few hundred characters; `regex` can give up
after a time budget (`policy.regex_timeout`), and then the run stops (`PatternTimeoutError`, exit 3).

Asking for a budget costs about 2.5 µs a call (the module reads a clock), as much as the match itself
on a short note, so a pattern whose work is bounded runs without one on a text short enough: with no
unbounded repeat (`+`, `*`, `{2,}`), the ways a match can try from one position are finite (`cost`), so
the time per text is at most its length times that cost. Company identifiers (`\\bPOL-\\d{8}\\b`) are
all of that kind. Any other pattern, or a long text, gets the budget.

`rules check` (and every run, when it reads the rules) times each pattern that is not bounded on
strings built from its own repeated parts (`catastrophic_input`): a pattern that exceeds the budget
on a thousand characters would stop the nightly job on the first such note, so it is refused early.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import regex

from sanitizer.errors import PatternTimeoutError

# Presidio's PatternRecognizer.global_regex_flags.
PRESIDIO_FLAGS = regex.DOTALL | regex.MULTILINE | regex.IGNORECASE
DEFAULT_TIMEOUT = 1.0
# Work (text length times `cost`) a bounded pattern may do without a clock: each unit is a step of the
# regex engine, tens of nanoseconds, so this is a few milliseconds for each second of budget.
UNTIMED_WORK_PER_SECOND = 1_000_000
# How long an adversarial probe is: a note of a thousand characters is ordinary.
PROBE_LENGTH = 1000
_BOUNDED_COST_LIMIT = 1_000_000


def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """A recognizer's regex as Presidio compiles it (raises `regex.error`)."""
    return regex.compile(pattern, PRESIDIO_FLAGS)


def _parse(pattern: str) -> Any:
    """Python's parse tree of a pattern, or None for syntax only `regex` knows (`\\p{L}`, fuzzy)."""
    from re import _parser  # type: ignore[attr-defined]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "possible nested set" and the like: `regex` decides
        try:
            return _parser.parse(pattern, PRESIDIO_FLAGS)
        except (re.error, RecursionError, OverflowError):
            return None


def cost(pattern: str) -> float:
    """Steps a match may take from one position of a text at most (ways to try it, times its longest
    match), or infinity when a repeat is unbounded or the pattern is not Python syntax."""
    tree = _parse(pattern)
    if tree is None:
        return math.inf
    longest = tree.getwidth()[1]
    paths = _paths(list(tree))
    if longest >= _BOUNDED_COST_LIMIT or paths >= _BOUNDED_COST_LIMIT:
        return math.inf
    return float(paths * (longest + 1))


def _paths(items: list[Any]) -> float:
    """How many ways a sequence of parsed items can be tried (a product over its items)."""
    total = 1.0
    for op, arg in items:
        total *= _item_paths(str(op), arg)
        if total >= _BOUNDED_COST_LIMIT:
            return math.inf
    return total


def _item_paths(op: str, arg: Any) -> float:
    from re import _constants  # type: ignore[attr-defined]

    if op in {"LITERAL", "NOT_LITERAL", "ANY", "IN", "AT", "CATEGORY", "GROUPREF"}:
        return 1.0
    if op == "SUBPATTERN":
        return _paths(list(arg[3]))
    if op == "ATOMIC_GROUP":
        return _paths(list(arg))
    if op in {"ASSERT", "ASSERT_NOT"}:
        return _paths(list(arg[1]))
    if op == "BRANCH":
        return sum(_paths(list(branch)) for branch in arg[1])
    if op == "GROUPREF_EXISTS":
        return _paths(list(arg[1])) + (_paths(list(arg[2])) if arg[2] is not None else 1.0)
    if op in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
        low, high, body = arg
        if high == _constants.MAXREPEAT or high >= _BOUNDED_COST_LIMIT:
            return math.inf
        inner = _paths(list(body))
        if inner == math.inf:
            return math.inf
        if inner <= 1:
            return float(high - low + 1)
        return sum(inner**count for count in range(low, high + 1))
    return math.inf  # an item this module does not know: assume the worst


@dataclass(frozen=True)
class BoundedPattern:
    """A recognizer's pattern, searched within `timeout` seconds per text (else `PatternTimeoutError`)."""

    compiled: regex.Pattern[str]
    source: str  # "rules/acme.yaml:9: recognizers[0].patterns[0]"
    recognizer: str
    name: str
    timeout: float
    cost: float

    @classmethod
    def of(
        cls, pattern: str, source: str, recognizer: str, name: str, timeout: float
    ) -> BoundedPattern:
        return cls(compile_pattern(pattern), source, recognizer, name, timeout, cost(pattern))

    def finditer(self, text: str) -> Iterable[regex.Match[str]]:
        """The matches in `text`, as `regex.Pattern.finditer` finds them, within the budget."""
        if len(text) * self.cost <= self.timeout * UNTIMED_WORK_PER_SECOND:
            return self.compiled.finditer(text)  # bounded work: no clock needed (see the module)
        try:
            return list(self.compiled.finditer(text, timeout=self.timeout))  # a list: raises here
        except TimeoutError:
            raise self.timed_out() from None

    def timed_out(self) -> PatternTimeoutError:
        return PatternTimeoutError(self.source, self.recognizer, self.name, self.timeout)


def catastrophic_input(pattern: str, timeout: float) -> str | None:
    """How a pattern takes longer than `timeout` on a text of about `PROBE_LENGTH` characters built
    from its own repeated parts, in words ("'a' repeated 1000 times"), or None when it does not (or is
    bounded). Timings differ between machines, but a pattern that backtracks catastrophically takes
    many times the budget while an ordinary one takes microseconds."""
    if cost(pattern) < math.inf:
        return None
    compiled = compile_pattern(pattern)
    for described, text in _probes(pattern):
        try:
            for _match in compiled.finditer(text, timeout=timeout):
                pass
        except TimeoutError:
            return described
    return None


def _probes(pattern: str) -> Iterator[tuple[str, str]]:
    """(description, text): each repeated part of the pattern, pumped after what leads to it and
    followed by a character that ends no match; then plain runs of letters, digits and words."""
    seen: set[str] = set()
    tree = _parse(pattern)
    candidates = list(_pumps(list(tree), "")) if tree is not None else []
    candidates += [("", "a"), ("", "1"), ("", "a "), ("", "a1")]
    for lead, unit in candidates:
        count = max(1, PROBE_LENGTH // len(unit))
        for end in ("!", "\n"):
            text = lead + unit * count + end
            if text not in seen:
                seen.add(text)
                shown = f"{lead!r} then " if lead else ""
                yield f"{shown}{unit!r} repeated {count} times, then {end!r}", text


def _pumps(items: list[Any], lead: str) -> Iterator[tuple[str, str]]:
    """(what leads to it, one pass of it) for every repeat inside `items`."""
    for index, (op, arg) in enumerate(items):
        before = lead + _example(items[:index])
        name = str(op)
        if name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
            body = list(arg[2])
            if unit := _example(body):
                yield before, unit
            yield from _pumps(body, before)
        elif name == "SUBPATTERN":
            yield from _pumps(list(arg[3]), before)
        elif name == "ATOMIC_GROUP":
            yield from _pumps(list(arg), before)
        elif name == "BRANCH":
            for branch in arg[1]:
                yield from _pumps(list(branch), before)


_CATEGORY_EXAMPLES = {
    "CATEGORY_DIGIT": "1",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": " ",
}


def _example(items: list[Any]) -> str:
    """A short text the parsed items match (a good guess: the probes need not be exact)."""
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name in {"NOT_LITERAL", "ANY"}:
            out.append("b" if name == "NOT_LITERAL" and chr(arg).lower() == "a" else "a")
        elif name == "CATEGORY":
            out.append(_CATEGORY_EXAMPLES.get(str(arg), "a"))
        elif name == "IN":
            out.append(_class_example(list(arg)))
        elif name == "SUBPATTERN":
            out.append(_example(list(arg[3])))
        elif name == "ATOMIC_GROUP":
            out.append(_example(list(arg)))
        elif name == "BRANCH":
            out.append(_example(list(arg[1][0])))
        elif name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
            out.append(_example(list(arg[2])) * max(arg[0], 1))
    return "".join(out)


def _class_example(members: list[Any]) -> str:
    if members and str(members[0][0]) == "NEGATE":
        return "a" if not any(_class_example([m]) == "a" for m in members[1:]) else "!"
    for op, arg in members:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return _CATEGORY_EXAMPLES.get(str(arg), "a")
    return "a"


__all__ = [
    "DEFAULT_TIMEOUT",
    "PRESIDIO_FLAGS",
    "BoundedPattern",
    "catastrophic_input",
    "compile_pattern",
    "cost",
]
