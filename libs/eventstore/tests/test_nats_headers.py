"""The header parser Fleet puts in nats-py's place reads every block as nats-py's does."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st
from nats.aio.client import Client

import fleet.eventstore  # noqa: F401 - installs the parser
from fleet.eventstore import nats_headers

# the bytes the rules turn on: separators, every kind of whitespace (ASCII and not),
# non-ASCII and invalid UTF-8, and ordinary name characters
PIECES = [
    b":", b": ", b" ", b"\t", b"\r\n", b"\r", b"\n", b"\x0b", b"\x0c", b"\x1c", b"\x1f",
    b"\x85", b"\xc2\x85", b"\xc3\xa9", b"\xff", b"Nats-Msg-Id", b"a", b"Z", b"-", b"7",
]  # fmt: skip
BLOCKS = st.lists(st.sampled_from(PIECES), max_size=40).map(b"".join)


def test_the_parser_is_in_place_and_nats_py_had_one() -> None:
    assert nats_headers.ORIGINAL is not None
    assert Client._parse_header_lines is nats_headers.parse_header_lines


@settings(max_examples=3000, deadline=None)
@given(BLOCKS)
def test_every_block_reads_as_nats_py_reads_it(raw: bytes) -> None:
    assert nats_headers.ORIGINAL is not None
    assert nats_headers.parse_header_lines(raw) == nats_headers.ORIGINAL(raw)


def test_whitespace_in_a_name_is_what_str_isspace_says_for_every_character() -> None:
    assert nats_headers.ORIGINAL is not None
    for code in range(0x110000):
        char = chr(code)
        if char.isspace() != bool(nats_headers._WHITESPACE.search(char)):
            raise AssertionError(f"U+{code:04X}: isspace {char.isspace()}")


def test_a_stored_events_headers_and_a_status_read_through_the_client() -> None:
    client = Client()
    block = b"NATS/1.0\r\nNats-Msg-Id: 01a2-x\r\nNats-Expected-Last-Subject-Sequence: 2\r\n\r\n"
    status = b"NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 3\r\n\r\n"
    assert asyncio.run(client._process_headers(block)) == {
        "Nats-Msg-Id": "01a2-x",
        "Nats-Expected-Last-Subject-Sequence": "2",
    }
    assert asyncio.run(client._process_headers(status)) == {
        "Status": "408",
        "Description": "Request Timeout",
        "Nats-Pending-Messages": "3",
    }
