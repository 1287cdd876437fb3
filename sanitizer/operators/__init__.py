"""Operators, one per module; the registry name is the YAML name is the module name."""

from __future__ import annotations

import importlib

from sanitizer.errors import RulesError
from sanitizer.operators.base import Operator, OperatorContext, OperatorParams

OPERATOR_NAMES: tuple[str, ...] = (
    "hmac",
    "fake",
    "phone",
    "email",
    "mask",
    "redact",
    "drop",
    "keep",
    "text",
)

_loaded: dict[str, Operator] = {}


def get_operator(name: str) -> Operator:
    """The operator registered under `name`; an unknown name is a rules error listing the known ones."""
    if name not in OPERATOR_NAMES:
        raise RulesError(f"unknown operator {name!r}; expected one of: {', '.join(OPERATOR_NAMES)}")
    if name not in _loaded:
        module = importlib.import_module(f"sanitizer.operators.{name}")
        operator_class: type[Operator] = module.OPERATOR
        _loaded[name] = operator_class()
    return _loaded[name]


__all__ = ["OPERATOR_NAMES", "Operator", "OperatorContext", "OperatorParams", "get_operator"]
