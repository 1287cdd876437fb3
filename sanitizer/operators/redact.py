"""`redact`: every value becomes one fixed marker such as "[REDACTED]"."""

from __future__ import annotations

from typing import ClassVar

from sanitizer.operators.base import Operator, OperatorContext, OperatorParams


class RedactParams(OperatorParams):
    """`replacement`: the text that stands in for every value."""

    replacement: str = "[REDACTED]"


class RedactOperator(Operator):
    """Replaces every value with the same marker (joins on the column stop working, on purpose)."""

    name: ClassVar[str] = "redact"
    Params: ClassVar[type[OperatorParams]] = RedactParams

    def replace(self, values: list[str], ctx: OperatorContext) -> list[str]:
        """The marker, once per value."""
        params = ctx.params
        if not isinstance(params, RedactParams):
            params = RedactParams.model_validate(params.model_dump())
        return [params.replacement] * len(values)


OPERATOR = RedactOperator
