"""Vault file names of extracted objects: readable, one per object, the same in every run."""

from __future__ import annotations

import hashlib

import pytest

from sanitizer.extract import file_stems


def _tag(object_id: str) -> str:
    return hashlib.sha256(object_id.encode()).hexdigest()[:8]


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        pytest.param(
            [("a", "Spring Renewal"), ("b", "Collections Q3")],
            {"a": "contact-list-spring-renewal", "b": "contact-list-collections-q3"},
            id="distinct-names-keep-their-plain-slug",  # why: the common case reads as the name
        ),
        pytest.param(
            [("a", "VIP List"), ("b", "VIP-List")],
            {"a": f"contact-list-vip-list-{_tag('a')}", "b": f"contact-list-vip-list-{_tag('b')}"},
            id="alike-names-both-get-their-id-hash",  # why: neither overwrites the other
        ),
        pytest.param(
            [("b", "VIP-List"), ("a", "VIP List")],
            {"a": f"contact-list-vip-list-{_tag('a')}", "b": f"contact-list-vip-list-{_tag('b')}"},
            id="listing-order-does-not-matter",  # why: a re-run names every file the same
        ),
        pytest.param(
            [("a", "VIP List"), ("b", "VIP-List"), ("c", f"VIP List {_tag('a')}")],
            {
                "a": f"contact-list-vip-list-{_tag('a')}",
                "b": f"contact-list-vip-list-{_tag('b')}",
                "c": f"contact-list-vip-list-{_tag('a')}-{_tag('c')}",
            },
            id="a-name-spelling-a-tagged-stem-is-tagged-too",  # why: no third-party collision
        ),
    ],
)
def test_file_stems_alike_names_unique_and_stable(
    objects: list[tuple[str, str]], expected: dict[str, str]
) -> None:
    assert file_stems("contact-list", objects) == expected
