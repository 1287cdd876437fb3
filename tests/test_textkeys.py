"""textkeys: compact string sets and ASCII letter runs, held to the plain Python they replace."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from sanitizer.textkeys import ascii_letter_runs, has_key, keys_contain, string_keys


@given(st.text())
def test_ascii_letter_runs_are_the_lower_case_runs_of_ascii_letters(text: str) -> None:
    expected = [m.group().lower().encode() for m in re.finditer(r"[A-Za-z]+", text)]
    assert ascii_letter_runs(text) == expected


@given(st.sets(st.text(max_size=12), max_size=30), st.lists(st.text(max_size=12), max_size=30))
def test_string_keys_answer_as_a_set_would(members: set[str], probes: list[str]) -> None:
    keys = string_keys(members)
    assert len(keys) == len(members)
    for probe in [*probes, *members]:
        assert has_key(keys, probe) == (probe in members)
    assert keys_contain(keys, probes) == [p in members for p in probes]


def test_empty_keys_hold_nothing() -> None:
    keys = string_keys(())
    assert not has_key(keys, "") and keys_contain(keys, ["a"]) == [False]
