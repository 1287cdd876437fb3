"""Text operations on whole Arrow arrays that Arrow's compute functions do slowly, in numpy.

Generic primitives with no policy in them, shared by the transform path and the verifier; each is held
to the Arrow (RE2) expression it replaces by a property test on any text.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NO_BYTES = np.zeros(0, dtype=np.uint8)


def ascii_digits(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Each value's ASCII digits, in order (`[^0-9]+` removed), read off the UTF-8 bytes with numpy.

    Exact for any text: a UTF-8 sequence of a character beyond ASCII holds only bytes from 0x80 up, so
    the bytes 0-9 are exactly the characters 0-9. About five times faster than RE2's replace.
    """
    if isinstance(array, pa.ChunkedArray):
        return pa.chunked_array([ascii_digits(c) for c in array.chunks], type=pa.large_string())
    array = array.cast(pa.large_string())
    _validity, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        array.offset : array.offset + len(array) + 1
    ]
    start, end = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(data_buffer, dtype=np.uint8)[start:end] if end > start else _NO_BYTES
    is_digit = (data >= ord("0")) & (data <= ord("9"))
    kept_before = np.zeros(len(data) + 1, dtype=np.int64)  # the digits before each byte
    np.cumsum(is_digit.view(np.uint8), dtype=np.int64, out=kept_before[1:])
    validity = pc.is_valid(array).buffers()[1] if array.null_count else None
    return pa.Array.from_buffers(
        pa.large_string(),
        len(array),
        [validity, pa.py_buffer(kept_before[offsets - start]), pa.py_buffer(data[is_digit])],
        null_count=array.null_count,
    )
