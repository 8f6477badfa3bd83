"""Rows of the API as CSV text: one header of the model's fields, then each row's values
as the JSON API gives them (decimals and times as the same text, ``null`` as an empty
cell, booleans ``true``/``false``, objects as JSON)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any

from pydantic import BaseModel

# One page of rows and where the next begins (None: the end).
PageFetch = Callable[[Any], Awaitable[tuple[Sequence[BaseModel], Any]]]


def cell(value: Any) -> str:
    """The CSV text of one JSON value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def lines(fields: Sequence[str], rows: Iterable[BaseModel], *, header: bool) -> str:
    """The CSV text of ``rows`` (with the header line first when ``header``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(fields)
    for row in rows:
        values = row.model_dump(mode="json")
        writer.writerow([cell(values.get(name)) for name in fields])
    return out.getvalue()


async def stream(fields: Sequence[str], fetch: PageFetch) -> AsyncIterator[str]:
    """The header, then every page ``fetch`` returns until it says there is no next."""
    yield lines(fields, (), header=True)
    position: Any = None
    while True:
        rows, position = await fetch(position)
        if rows:
            yield lines(fields, rows, header=False)
        if position is None:
            return
