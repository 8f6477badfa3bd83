"""Reading a WebSocket frame: zlib in one call, with gzip's own reading where zlib stops."""

import gzip
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleet.bingx.ws import inflate

pytestmark = pytest.mark.unit


@given(st.binary(max_size=2048), st.integers(min_value=0, max_value=9))
def test_a_gzip_member_reads_as_gzip_reads_it(content: bytes, level: int) -> None:
    frame = gzip.compress(content, compresslevel=level)
    assert inflate(frame) == gzip.decompress(frame) == content


def test_several_members_are_all_read_and_text_frames_are_kept() -> None:
    frame = gzip.compress(b'{"a":') + gzip.compress(b"1}")
    assert inflate(frame) == b'{"a":1}'  # zlib alone stops after the first member
    assert inflate("Ping") == "Ping"
    assert inflate(gzip.compress("Ping ✓".encode())) == "Ping ✓".encode()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (b"not gzip at all", gzip.BadGzipFile),
        (gzip.compress(b'{"e":"x"}' * 20, mtime=0)[:-12], EOFError),
        (gzip.compress(b"{}", mtime=0)[:10] + b"\xff" * 12, zlib.error),
    ],
    # Named ids: pytest-xdist's workers must collect the same test names, and a frame's
    # bytes would carry gzip's time stamp into them otherwise.
    ids=["not gzip", "truncated", "damaged body"],
)
def test_a_damaged_frame_fails_as_gzip_says(frame: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        gzip.decompress(frame)
    with pytest.raises(error):
        inflate(frame)
