"""`keep` passes values through on purpose; `drop` removes the column (and leaks nothing if called)."""

from __future__ import annotations

import pytest

from sanitizer.operators import OPERATOR_NAMES, get_operator

VALUES = ["Jane Roe", "jane.roe@corp.test"]


def test_keep_returns_values_unchanged_and_is_identity(make_ctx):
    keep = get_operator("keep")
    assert keep.is_identity and not keep.is_dropping
    assert keep.replace(VALUES, make_ctx("keep", "IDENTIFIER")) == VALUES


def test_drop_is_dropping_and_replace_leaks_nothing(make_ctx):
    drop = get_operator("drop")
    assert drop.is_dropping and not drop.is_identity
    assert drop.replace(VALUES, make_ctx("drop", "IDENTIFIER")) == ["", ""]


@pytest.mark.parametrize("name", [n for n in OPERATOR_NAMES if n != "text"])
def test_operator_registry_name_matches_module_and_class(name):
    operator = get_operator(name)
    assert operator.name == name
    assert type(operator).__module__ == f"sanitizer.operators.{name}"
