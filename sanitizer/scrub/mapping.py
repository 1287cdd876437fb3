"""The run's replacement registry: one consistent original → replacement map per operator channel.

A channel is (operator, params, entity). Every column and every free-text span that uses the same
channel shares one map, so the same phone gets the same replacement in a contact list, an external
contact and a data-table key. Maps live in memory only (they hold originals) and die with the run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sanitizer import entities, parallel
from sanitizer.detect.names import WORD, as_read, spell_out, spelled_out, spellings
from sanitizer.operators import get_operator
from sanitizer.operators.base import Operator, OperatorContext, OperatorParams
from sanitizer.operators.fake import name_pool, same_case
from sanitizer.rules import RuleSet

if TYPE_CHECKING:
    from sanitizer.keyring import Keyring
    from sanitizer.ranges import SafeRanges


PARALLEL_MIN_VALUES = 20_000  # fewer distinct values are replaced faster than workers start
_APART_MEMO = 500_000  # re-draws remembered at most (about 150 bytes each)


def _replace_chunk(task: tuple[Operator, OperatorContext], values: list[str]) -> list[str]:
    operator, context = task
    return operator.replace(values, context)


def _folded(word: str) -> str:
    """A name word as names compare (`normalize_name`), quickly for ASCII words."""
    if word.isascii() and "`" not in word:
        return word.casefold()
    return entities.normalize_name(word)


@dataclass(frozen=True)
class Channel:
    operator: str
    params_json: str
    entity: str


class Mapper:
    """Computes replacements per channel on distinct values, once, and remembers them for the run."""

    def __init__(
        self, keyring: Keyring, rules: RuleSet, ranges: SafeRanges, *, workers: int = 1
    ) -> None:
        self.keyring = keyring
        self.rules = rules
        self.ranges = ranges
        self.workers = workers  # processes for large independent replacements (parallel.fork_map)
        self._maps: dict[Channel, dict[str, str]] = defaultdict(dict)
        self._pending: dict[Channel, set[str]] = defaultdict(set)
        self._params: dict[Channel, OperatorParams] = {}
        # Raw originals per entity (replaced or detected): what verification searches the output for.
        self.originals: dict[str, set[str]] = defaultdict(set)
        self._avoid: dict[str, set[str]] = defaultdict(set)
        # "first last" (case-folded) of every original full name in the run's name columns: a fake full
        # name must never spell one (a staging contact must not carry another customer's name).
        self.full_names: set[str] = set()
        self._full_names_array: pa.Array | None = None
        # Re-draws `apart` made, by (original words, fake words): a person's rows repeat across batches.
        self._apart: dict[
            str, tuple[str, ...]
        ] = {}  # "\x1f"-joined original and fake words → re-drawn
        self._overrides: dict[Channel, dict[str, str]] = {}
        # Other spellings of the name columns' words → the word as a column spells it (see `substitute`),
        # with the count of name originals it was made from.
        self._spelled: tuple[int, dict[str, str]] = (0, {})
        # The numbers read so far and their national digits → E.164 form (see `_national_phones`).
        self._national: tuple[set[str], dict[str, str]] = (set(), {})
        self.find_spans: Callable[[Sequence[str]], list[list[Any]]] | None = None

    def channel(self, operator: str, params: OperatorParams, entity: str | None) -> Channel:
        key = Channel(operator, params.model_dump_json(), entity or "")
        self._params.setdefault(key, params)
        return key

    def entity_channel(self, entity: str) -> Channel:
        """The channel of an entity's default operator (used for spans in free text)."""
        default = self.rules.operator_for(entity)
        params = get_operator(default.operator).Params.model_validate(default.params)
        return self.channel(default.operator, params, entity)

    def collect(self, channel: Channel, values: Iterable[str]) -> None:
        """Register originals seen in pass 1; `settle` computes their replacements together."""
        known = self._maps[channel]
        fresh = [v for v in values if v not in known] if known else list(values)
        self._pending[channel].update(fresh)
        self._remember(channel.entity, fresh)

    def remember(self, entity: str, values: Iterable[str]) -> None:
        """Note originals that replacements must avoid (and verification must search for)."""
        self._remember(entity, values)

    def _remember(self, entity: str, values: Iterable[str]) -> None:
        if not entity or entity == entities.FREE_TEXT:
            return
        region = self.rules.policy.default_region
        regions = tuple(self.rules.policy.regions)
        originals = self.originals[entity]
        # Sets from here on: the order of the values does not matter.
        fresh = set(values).difference(originals)
        originals.update(fresh)
        self._avoid[entity].update(entities.normalize_many(entity, list(fresh), region, regions))

    def settle(self) -> None:
        """Compute replacements for everything collected, channel by channel (vectorised per channel)."""
        for channel in list(self._pending):
            pending = self._pending.pop(channel)
            if not pending:
                continue
            # An independent operator's outputs do not depend on the order of the values: the sort (a
            # second or more of this process at a million rows) is only needed for the others.
            independent = get_operator(channel.operator).is_independent(self._params[channel])
            self._compute(channel, list(pending) if independent else sorted(pending))

    def context(self, channel: Channel) -> OperatorContext:
        policy = self.rules.policy
        return OperatorContext(
            keyring=self.keyring,
            entity=channel.entity,
            params=self._params[channel],
            ranges=self.ranges,
            locale=policy.locale,
            regions=tuple(policy.regions),
            default_region=policy.default_region,
            avoid=self._avoid[channel.entity],
            find_spans=self.find_spans,
            substitute=self.substitute,
            substitute_part=self.substitute_part,
            apart=self.apart,
            replace_own=lambda values: self.replace(channel, values),
        )

    def _compute(self, channel: Channel, values: list[str]) -> None:
        operator = get_operator(channel.operator)
        context = self.context(channel)
        if (
            len(values) >= PARALLEL_MIN_VALUES
            and operator.is_independent(context.params)
            and parallel.can_fork(self.workers)
        ):
            inner = operator.parts(values, context)
            if inner:  # mapped (and remembered for the verifier) here: a worker's map dies with it
                self.replace(channel, inner)
            size = -(-len(values) // (self.workers * 4))
            chunks = [values[i : i + size] for i in range(0, len(values), size)]
            parts = parallel.fork_map(
                _replace_chunk, (operator, context), chunks, self.workers, window=len(chunks)
            )
            outputs = [output for part in parts for output in part]
        else:
            outputs = operator.replace(values, context)
        self._maps[channel].update(zip(values, outputs, strict=True))

    def replace(
        self, channel: Channel, values: Sequence[str], *, remember: bool = True
    ) -> list[str]:
        """Replacements for distinct values, computing (and remembering) the ones not seen before."""
        known = self._maps[channel]
        found = list(map(known.get, values))  # one lookup each: these maps hold millions
        if None not in found:
            return found  # type: ignore[return-value]
        missing = [v for v, new in zip(values, found, strict=True) if new is None]
        if remember:
            self._remember(channel.entity, missing)
        overrides = self._overrides.get(channel)
        if overrides:
            region = self.rules.policy.default_region
            decided = {
                v: overrides.get(entities.normalize(channel.entity, v, region)) for v in missing
            }
            operator, context = get_operator(channel.operator), self.context(channel)
            known.update(
                {v: operator.respell(v, o, context) for v, o in decided.items() if o is not None}
            )
            missing = [v for v, o in decided.items() if o is None]
        if missing:
            self._compute(channel, missing)
        return [known[v] for v in values]

    def make_unique(self, channel: Channel, values: Sequence[str]) -> int:
        """Make the run-wide replacements of `values` (a key column) distinct; how many were re-drawn.

        Each value keeps its replacement unless another value's is the same; then, in keyed order, the
        later one gets a new pick, distinct in the column and never an original, and that pick becomes
        its replacement everywhere in the run (so the key still matches the same value in other tables).
        """
        outputs = self.replace(channel, values)
        entity, region = channel.entity, self.rules.policy.default_region
        order = sorted(
            range(len(values)),
            key=lambda i: self.keyring.digest(
                "unique-order", entities.normalize(entity, values[i], region)
            ),
        )
        owners: dict[str, str] = {}
        colliders: list[int] = []
        for i in order:
            source = entities.normalize(entity, values[i], region)
            taken = entities.normalize(entity, outputs[i], region)
            if owners.setdefault(taken, source) != source:
                colliders.append(i)
        if not colliders:
            return 0
        params = self._params[channel].model_copy(update={"unique": True})
        context = replace(
            self.context(channel), params=params, avoid=set(self._avoid[entity]) | set(owners)
        )
        redrawn = get_operator(channel.operator).replace([values[i] for i in colliders], context)
        self.override(channel, {values[i]: new for i, new in zip(colliders, redrawn, strict=True)})
        return len(colliders)

    def learn_full_names(self, names: Iterable[str], *, folded: bool = False) -> None:
        """Remember original full names (`folded`: already as `full_names` holds them)."""
        self._apart.clear()  # a re-draw made before may spell one of these
        self._full_names_array = None
        if folded:
            self.full_names.update(names)
        else:
            self.full_names.update(entities.normalize_name(n) for n in names if len(n.split()) >= 2)

    def full_names_array(self) -> pa.Array:
        """`full_names` in Arrow, built once after the last name is learned (pass 2 reads it per batch)."""
        if self._full_names_array is None:
            self._full_names_array = pa.array(list(self.full_names), type=pa.large_string())
        return self._full_names_array

    def apart(self, originals: list[str], fakes: list[str]) -> list[str]:
        """Fake name words that neither spell an original full name nor repeat a word of the person's own
        name ("Kirk Johnson" never becomes "Ray Kirk": in a note, the fake would stand where the real
        name stood). Else the clashing words are re-drawn, keyed by the original name, so the same
        person gets the same re-draw every run."""
        if len(fakes) < 2:
            return fakes
        own = {_folded(o) for o in originals}
        # Names compare as `normalize_name` makes them: a fake "Jose Garcia" would stand for the
        # customer "José García".
        if not any(_folded(f) in own for f in fakes) and (
            _folded(" ".join(fakes)) not in self.full_names
        ):
            return fakes
        memo = "\x1f".join((str(len(originals)), *originals, *fakes))
        redrawn = self._apart.get(memo)
        if redrawn is None:
            if len(self._apart) >= _APART_MEMO:
                self._apart.clear()
            redrawn = self._apart[memo] = tuple(self._redraw_apart(originals, fakes, own))
        return list(redrawn)

    def _redraw_apart(self, originals: list[str], fakes: list[str], own: set[str]) -> list[str]:
        locale = self.rules.policy.locale
        seed = " ".join(w.casefold() for w in originals)
        words = list(fakes)
        # A first or middle word that is one of the person's own names becomes another first name.
        firsts = name_pool(locale, "first")
        for index in range(len(words) - 1):
            for attempt in range(1, 64):
                if _folded(words[index]) not in own:
                    break
                number = self.keyring.number("full-name-apart-first", f"{seed}\x1f{index}", attempt)
                words[index] = same_case(fakes[index], firsts[number % len(firsts)])
        if _folded(words[-1]) not in own and (
            entities.normalize_name(" ".join(words)) not in self.full_names
        ):
            return words
        lasts = name_pool(locale, "last")
        for attempt in range(1, 64):
            word = lasts[self.keyring.number("full-name-apart", seed, attempt) % len(lasts)]
            candidate = [*words[:-1], same_case(fakes[-1], word)]
            spelled = entities.normalize_name(" ".join(candidate))
            if spelled not in self.full_names and _folded(candidate[-1]) not in own:
                return candidate
        return words

    def substitute(self, entity: str, values: list[str]) -> list[str]:
        """Replacements for values of `entity` found in free text, through the entity's default channel.

        Name words found only in free text are replaced but kept apart from the originals the verifier
        searches every cell for: whether a capitalised word is a name depends on its context ("West
        Markberg" may be a person in one note and a town in the next).
        """
        channel = self.entity_channel(entity)
        if entity in entities.NAME_ENTITIES:
            # "R-A-G-H-U" gets Raghu's replacement, spelled out: "P-A-U-L".
            letter_by_letter = [spelled_out(v) for v in values]
            if any(letter_by_letter):
                letters = [
                    v if s is None else s[0] for v, s in zip(values, letter_by_letter, strict=True)
                ]
                fakes = self.substitute(entity, letters)
                return [
                    f if s is None else spell_out(f, s[1])
                    for f, s in zip(fakes, letter_by_letter, strict=True)
                ]
            # "Lоvelace" (a Cyrillic "о") and "Love-\nlace" in a note get Lovelace's replacement.
            values = [as_read(v) for v in values]
            # "Mueller" in a note, where the column says "Müller", gets Müller's replacement.
            spelled = self._spelled_as_in_columns()
            if spelled:
                values = [
                    v if (word := spelled.get(_folded(v))) is None else same_case(v, word)
                    for v in values
                ]
            return self.replace(channel, values, remember=False)
        if entity == entities.PHONE_NUMBER:
            self._phones_as_in_columns(channel, values)
        return self.replace(channel, values)

    def substitute_part(self, entity: str, pairs: list[tuple[str, str]]) -> list[str]:
        """Replacements for pieces of a row's own values written alone in its free text ((piece,
        whole): "555-0143" of its phone "(212) 555-0143", "zq1985" of its address
        "zq1985@example.org"): the matching piece of what the whole gets in free text ("555-0177"
        of "(212) 555-0177"), so a note and its row's columns still agree."""
        wholes = sorted({whole for _, whole in pairs})
        replaced = dict(zip(wholes, self.substitute(entity, wholes), strict=True))
        channel = self.entity_channel(entity)
        operator, context = get_operator(channel.operator), self.context(channel)
        return [operator.respell_part(piece, w, replaced[w], context) for piece, w in pairs]

    def _phones_as_in_columns(self, channel: Channel, values: list[str]) -> None:
        """A run's own number written in a note in a way no reading of it gives back (the column's
        "+55 11 91234-5678" as "(11) 91234-5678" with no BR among the regions: read as North American)
        gets the column's replacement, respelled. The scanner found it by the same national digits."""
        known = self._maps[channel]
        region, regions = self.rules.policy.default_region, tuple(self.rules.policy.regions)
        avoid = self._avoid[entities.PHONE_NUMBER]
        odd = [
            v
            for v in values
            if v not in known and entities.normalize_phone(v, region, regions) not in avoid
        ]
        if not odd:
            return  # every number reads as itself (all but hand-written ones)
        national = self._national_phones()
        pairs = {}
        for value in odd:
            number = national.get(entities.phone_key(value)) or national.get(
                entities.digits_of(value)
            )
            if number is not None:
                pairs[value] = number
        if not pairs:
            return
        # An original's E.164 form has the original's key, so it gets the original's replacement.
        numbers = sorted(set(pairs.values()))
        replaced = dict(zip(numbers, self.replace(channel, numbers), strict=True))
        operator, context = get_operator(channel.operator), self.context(channel)
        self._remember(entities.PHONE_NUMBER, list(pairs))
        known.update({v: operator.respell(v, replaced[n], context) for v, n in pairs.items()})

    def _national_phones(self) -> dict[str, str]:
        """The national digits (`entities.phone_key`) of the run's original numbers → their E.164 form
        (the least, where numbers of two countries share them), brought up to date with the numbers
        added since the last call (a set difference, not a phone key for every number again)."""
        numbers = self._avoid[entities.PHONE_NUMBER]  # the originals, normalised
        seen, table = self._national
        if len(seen) == len(numbers):
            return table
        for number in numbers - seen:
            if number.startswith("+"):  # a number, not digits that read as none
                key = entities.phone_key(number)
                held = table.get(key)
                if held is None or number < held:
                    table[key] = number
        self._national = (set(numbers), table)
        return table

    def _spelled_as_in_columns(self) -> dict[str, str]:
        """The other spellings of the name columns' words (`detect.names.spellings`: "mueller" and
        "muller" for "Müller", "odegaard" for "Ødegård") → the word as the column spells it, except the
        spellings that are a column's word themselves (a "Mueller" in a column is Mueller)."""
        originals = [self.originals[entity] for entity in sorted(entities.NAME_ENTITIES)]
        count = sum(map(len, originals))
        if count == self._spelled[0]:
            return self._spelled[1]
        words = sorted({w for group in originals for v in group for w in WORD.findall(v)})
        own = {_folded(w) for w in words}
        spelled: dict[str, str] = {}
        for word in words:
            for form in spellings(word.casefold()):
                if form not in own:
                    spelled.setdefault(form, word)
        self._spelled = (count, spelled)
        return spelled

    def override(self, channel: Channel, pairs: dict[str, str]) -> None:
        """Set replacements decided elsewhere (persona emails) for these values and every spelling of them
        (`ADA@EXAMPLE.COM` is `ada@example.com`), now and for later lookups."""
        region = self.rules.policy.default_region
        by_key = {entities.normalize(channel.entity, v, region): new for v, new in pairs.items()}
        self._overrides.setdefault(channel, {}).update(by_key)
        known = self._maps[channel]
        operator, context = get_operator(channel.operator), self.context(channel)
        for value in list(known):
            key = entities.normalize(channel.entity, value, region)
            if key in by_key:
                known[value] = operator.respell(value, by_key[key], context)
        known.update(pairs)

    def release(self) -> None:
        """Forget the replacement maps and comparison forms; keep `originals` (the verifier needs them).

        A standalone scrub calls this before verification, whose search sets then take their place in
        memory; a refresh keeps the maps to scrub its flows with them.
        """
        self._maps.clear()
        self._pending.clear()
        self._avoid.clear()
        self._overrides.clear()
        self.full_names = set()
        self._full_names_array = None
        self._apart.clear()
        self._spelled = (0, {})
        self._national = (set(), {})

    def lookup(self, channel: Channel) -> dict[str, str]:
        """The current map of a channel (read-only use)."""
        return self._maps[channel]
