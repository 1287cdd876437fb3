"""What an operator is: a named, parameterised, deterministic replacement for the unique values of a column."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from sanitizer.keyring import Keyring
    from sanitizer.ranges import SafeRanges


class OperatorParams(BaseModel):
    """Parameters an operator accepts in a rule's `params:`; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class OperatorContext:
    """Everything an operator may use besides the values: the key, the entity, its params, the policy."""

    keyring: Keyring
    entity: str
    params: OperatorParams
    ranges: SafeRanges
    locale: str = "en_US"
    regions: tuple[str, ...] = ("US", "GB")
    default_region: str = "US"
    # Normalised original values of this entity in the whole run: an output must never equal one.
    avoid: AbstractSet[str] = field(default_factory=frozenset)
    # For the `text` operator: find PII spans in texts, and replace values of an entity consistently
    # with the rest of the run (both supplied by the scrub engine).
    find_spans: Callable[[Sequence[str]], list[list[Any]]] | None = None  # list of spans per text
    substitute: Callable[[str, list[str]], list[str]] | None = None
    # ... and pieces of a row's own values written alone ((piece, whole): "555-0143" of its phone
    # "(212) 555-0143"), each as the matching piece of the whole's replacement.
    substitute_part: Callable[[str, list[tuple[str, str]]], list[str]] | None = None
    # Keeps fake name words from spelling an original full name (original words, fake words) -> words.
    apart: Callable[[list[str], list[str]], list[str]] | None = None
    # Replacements of values through the run's map of this context's channel (the scrub engine's): the
    # phone operator maps the numbers of a cell that holds several as if each stood alone.
    replace_own: Callable[[list[str]], list[str]] | None = None


class Operator(ABC):
    """Replaces unique original values with deterministic, keyed, safe values.

    `replace` receives the distinct non-empty raw values of a column (the engine deduplicates, so an
    operator never sees a value twice per call) and returns one replacement per value, in order.
    The output depends only on (key, entity namespace, normalised value, params): the same value gets
    the same replacement in every column, table, file and run with the same key.
    """

    name: ClassVar[str]
    Params: ClassVar[type[OperatorParams]] = OperatorParams
    is_identity: ClassVar[bool] = False  # `keep`: the value passes through unchanged
    is_dropping: ClassVar[bool] = False  # `drop`: the column is removed from the output

    @abstractmethod
    def replace(self, values: list[str], ctx: OperatorContext) -> list[str]:
        """One replacement per value, in the same order."""

    def is_independent(self, params: OperatorParams) -> bool:
        """Whether each value's replacement depends on that value alone, not on the other values of
        the call (no uniqueness across them), so that a call may be split across processes."""
        return False

    def respell(self, value: str, replacement: str, ctx: OperatorContext) -> str:
        """`replacement` (chosen for another spelling of the same value) in `value`'s own layout."""
        return replacement

    def respell_part(self, piece: str, whole: str, replacement: str, ctx: OperatorContext) -> str:
        """What stands for `piece` of the value `whole` (written alone in free text) when `whole` is
        replaced by `replacement`: by default the replacement itself."""
        return replacement

    def parts(self, values: list[str], ctx: OperatorContext) -> list[str]:
        """Values inside these values that `replace` maps on their own through `ctx.replace_own` (the
        numbers of a phone cell that holds several); the run maps them first, in its own process."""
        return []
