"""Fake names come from the frozen name lists shipped with sanitizer, not from the installed Faker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sanitizer.operators import fake

NAMES = Path(fake.__file__).resolve().parents[1] / "data" / "names.json"


@pytest.mark.parametrize(
    ("locale", "kind"), [("en_US", "first"), ("en_US", "last"), ("de_DE", "last")]
)
def test_name_pool_comes_from_the_frozen_lists(locale: str, kind: fake.NameKind) -> None:
    frozen = json.loads(NAMES.read_text(encoding="utf-8"))
    assert fake.name_pool(locale, kind) == tuple(frozen[locale][kind])


def test_name_pool_frozen_lists_are_large_and_distinct() -> None:
    # Small pools would make fake names collide; duplicates would bias the keyed choice.
    frozen = json.loads(NAMES.read_text(encoding="utf-8"))
    for locale, pools in frozen.items():
        for kind, names in pools.items():
            assert len(names) >= 50, (locale, kind)
            assert len(set(names)) == len(names), (locale, kind)


def test_name_pool_frozen_lists_survive_a_faker_change(monkeypatch: pytest.MonkeyPatch) -> None:
    # Faker's own lists are not consulted for a frozen locale: replacing them changes nothing.
    fake.name_pool.cache_clear()
    before = fake.name_pool("en_US", "first")
    monkeypatch.setattr(fake, "_faker", lambda locale: pytest.fail("Faker consulted"))
    fake.name_pool.cache_clear()
    assert fake.name_pool("en_US", "first") == before
    fake.name_pool.cache_clear()
