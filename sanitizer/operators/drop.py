"""`drop`: the column is removed from the output altogether."""

from __future__ import annotations

from typing import ClassVar

from sanitizer.operators.base import Operator, OperatorContext


class DropOperator(Operator):
    """Marks a column for removal; the engine drops it instead of calling `replace`."""

    name: ClassVar[str] = "drop"
    is_dropping: ClassVar[bool] = True

    def replace(self, values: list[str], ctx: OperatorContext) -> list[str]:
        """Empty strings, so that a caller that replaces anyway still leaks nothing."""
        return [""] * len(values)


OPERATOR = DropOperator
