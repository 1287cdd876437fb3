"""`keep`: the value is safe on purpose (a rule says why) and passes through unchanged."""

from __future__ import annotations

from typing import ClassVar

from sanitizer.operators.base import Operator, OperatorContext


class KeepOperator(Operator):
    """Returns every value unchanged; the engine may skip calling it at all."""

    name: ClassVar[str] = "keep"
    is_identity: ClassVar[bool] = True

    def replace(self, values: list[str], ctx: OperatorContext) -> list[str]:
        """The values themselves."""
        return list(values)


OPERATOR = KeepOperator
