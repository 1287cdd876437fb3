"""The mask operator: characters overwritten in place, ends kept on request."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sanitizer.operators import get_operator
from sanitizer.operators.mask import MaskParams

operator = get_operator("mask")


@pytest.mark.parametrize(
    ("value", "params", "expected", "why"),
    [
        ("secret", {}, "******", "everything masked by default"),
        ("secret", {"char": "#"}, "######", "another mask character"),
        ("4111111111111111", {"keep_last": 4}, "************1111", "keep the last four"),
        (
            "4111111111111111",
            {"keep_first": 6, "keep_last": 4},
            "411111******1111",
            "BIN and last 4",
        ),
        (
            "4111 1111 1111 1111",
            {"keep_last": 4, "digits_only": True},
            "**** **** **** 1111",
            "separators stay",
        ),
        (
            "(212) 555-0123",
            {"digits_only": True, "keep_first": 3},
            "(212) ***-****",
            "area code kept",
        ),
        ("abc", {"keep_first": 2, "keep_last": 2}, "abc", "kept ends cover everything"),
        ("ab", {"keep_last": 5}, "ab", "keep_last longer than the value"),
        ("no digits", {"digits_only": True}, "no digits", "nothing maskable"),
        ("", {}, "", "empty stays empty"),
    ],
)
def test_mask_table(make_ctx, value, params, expected, why):
    assert operator.replace([value], make_ctx("mask", "IDENTIFIER", **params)) == [expected], why


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"char": "**"}, "one character"),
        ({"char": ""}, "one character"),
        ({"keep_first": -1}, "not negative"),
        ({"keep_last": -2}, "not negative"),
        ({"mask_all": True}, "unknown parameter"),
    ],
)
def test_mask_params_invalid_are_rejected(params, why):
    with pytest.raises(ValidationError):
        MaskParams.model_validate(params)


def test_mask_output_keeps_length(make_ctx):
    values = ["a", "four", "a longer value with spaces"]
    outs = operator.replace(values, make_ctx("mask", "IDENTIFIER", keep_first=1))
    assert [len(o) for o in outs] == [len(v) for v in values]
