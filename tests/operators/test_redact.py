"""The redact operator: one fixed marker for every value."""

from __future__ import annotations

import pytest

from sanitizer.operators import get_operator

operator = get_operator("redact")


@pytest.mark.parametrize(
    ("params", "expected", "why"),
    [
        ({}, "[REDACTED]", "the default marker"),
        ({"replacement": "<removed>"}, "<removed>", "a custom marker"),
        ({"replacement": ""}, "", "an empty marker blanks the cell"),
    ],
)
def test_redact_table(make_ctx, params, expected, why):
    values = ["Jane Roe", "jane.roe@corp.test", "(212) 555-0123"]
    assert operator.replace(values, make_ctx("redact", "FREE_TEXT", **params)) == [expected] * 3, (
        why
    )
