"""The numpy text primitives are the Arrow (RE2) expressions they replace, on any text."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sanitizer.arrowtext import ascii_digits

# Text as phone columns hold it, and any text: digits of other scripts, spaces RE2 and Python disagree on.
_PHONE_LIKE = st.text(alphabet="+()-. 0123456789٣９\u00a0\x1c\tx", max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.none() | st.text() | _PHONE_LIKE, max_size=20),
    cut=st.integers(0, 5),
    chunks=st.integers(1, 2),
)
@example(values=["+1 (212) 555-0185", "٣٣9", "９", "", None, "é0"], cut=0, chunks=1)
def test_ascii_digits_are_re2s_removal_of_everything_else(
    values: list[str | None], cut: int, chunks: int
) -> None:
    """Each value's ASCII digits, read off the UTF-8 bytes: RE2's `[^0-9]+` removal, for any text,
    nulls, an array that is a slice of another (its offset), and chunked arrays."""
    array = pa.array(values, type=pa.string()).slice(min(cut, len(values)))
    expected = pc.replace_substring_regex(array, r"[^0-9]+", "").cast(pa.large_string())
    assert ascii_digits(array).equals(expected)
    chunked = pa.chunked_array([array] * chunks)
    assert ascii_digits(chunked).equals(pa.chunked_array([expected] * chunks))


def test_ascii_digits_of_nothing() -> None:
    assert ascii_digits(pa.array([], pa.large_string())).to_pylist() == []
    assert ascii_digits(pa.array([None, ""], pa.large_string())).to_pylist() == [None, ""]
