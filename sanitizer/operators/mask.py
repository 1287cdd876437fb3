"""`mask`: characters are overwritten with a mask character, optionally keeping some at each end."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from sanitizer.operators.base import Operator, OperatorContext, OperatorParams


class MaskParams(OperatorParams):
    """`char` masks; `keep_first`/`keep_last` count maskable characters; `digits_only`."""

    char: str = "*"
    keep_first: int = Field(default=0, ge=0)
    keep_last: int = Field(default=0, ge=0)
    digits_only: bool = False

    @field_validator("char")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("char must be exactly one character")
        return value


class MaskOperator(Operator):
    """Masks each value in place: `digits_only` keeps separators, so "555-0123" → "***-**23"."""

    name: ClassVar[str] = "mask"
    Params: ClassVar[type[OperatorParams]] = MaskParams

    def replace(self, values: list[str], ctx: OperatorContext) -> list[str]:
        """One masked string per value, each as long as its input."""
        params = ctx.params
        if not isinstance(params, MaskParams):
            params = MaskParams.model_validate(params.model_dump())
        return [mask(value, params) for value in values]


def mask(value: str, params: MaskParams) -> str:
    """`value` with its maskable characters (all, or digits only) masked except the kept ends."""
    if not params.digits_only:
        keep_last = min(params.keep_last, max(len(value) - params.keep_first, 0))
        middle = len(value) - params.keep_first - keep_last
        if middle <= 0:
            return value
        return value[: params.keep_first] + params.char * middle + value[len(value) - keep_last :]
    positions = [i for i, ch in enumerate(value) if ch.isdigit()]
    masked = set(positions[params.keep_first : max(len(positions) - params.keep_last, 0)])
    return "".join(params.char if i in masked else ch for i, ch in enumerate(value))


OPERATOR = MaskOperator
