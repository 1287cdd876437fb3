"""The public API of the client and the emulator is what their `__all__` says, and all of it exists."""

from __future__ import annotations

import pytest

import sanitizer.emulator
import sanitizer.genesys


@pytest.mark.parametrize("module", [sanitizer.genesys, sanitizer.emulator])
def test_all_names_exist_and_public_names_are_listed(module: object) -> None:
    exported = set(module.__all__)  # type: ignore[attr-defined]
    assert all(hasattr(module, name) for name in exported)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith(module.__name__)  # type: ignore[attr-defined]
    }
    assert public <= exported
