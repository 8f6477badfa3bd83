"""nats-py's header parser, made cheaper where every read of the log pays for it.

Every event stored in JetStream carries two headers (its id, for de-duplication, and the
expected sequence it was appended after), and nats-py parses the header block of every
message it receives before any reader sees it. Its ``Client._parse_header_lines`` tests
each name for whitespace with a generator over its characters: 2.7 µs of a replay's 19 µs
per event, most of it on ``Nats-Expected-Last-Subject-Sequence``'s 35 characters.

:func:`parse_header_lines` is the same parser with that test done by one compiled
pattern (``\\s`` matches exactly what ``str.isspace`` accepts): 1.2 µs. :func:`install`
puts it in nats-py's place, once per process, when fleet.eventstore is imported; a test
holds it to nats-py's own parser on generated header blocks (malformed ones among them),
so an upgrade of nats-py that changes the rules fails there, not in production. If
nats-py no longer has the method, nothing is replaced. Worth offering upstream.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nats.aio.client import Client

CRLF = b"\r\n"
_WHITESPACE = re.compile(r"\s")  # for a str pattern: Py_UNICODE_ISSPACE, as str.isspace

HeaderParser = Callable[[bytes], dict[str, str]]

ORIGINAL: HeaderParser | None = getattr(Client, "_parse_header_lines", None)


def parse_header_lines(raw: bytes) -> dict[str, str]:
    """``Name: Value`` lines of a NATS header block, as nats-py reads them: lines without
    a colon or with a non-ASCII name or a name holding whitespace are skipped; the value
    is stripped and decoded as UTF-8 with replacement; a repeated name keeps its last."""
    out: dict[str, str] = {}
    for line in raw.split(CRLF):
        if not line:
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        try:
            key = name.strip().decode("ascii")
        except UnicodeDecodeError:
            continue
        if _WHITESPACE.search(key):
            continue
        out[key] = value.strip().decode("utf-8", "replace")
    return out


def install() -> bool:
    """Use :func:`parse_header_lines` in nats-py (idempotent). False when nats-py has no
    such method any more (its parser is then left as it is)."""
    if ORIGINAL is None:
        return False
    Client._parse_header_lines = staticmethod(parse_header_lines)  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    """nats-py's own parser again (the benchmark's raw baseline reads with it)."""
    if ORIGINAL is not None:
        Client._parse_header_lines = staticmethod(ORIGINAL)  # type: ignore[method-assign,assignment]
