"""Projection tables as they are read: in the live schema ``rm_<name>``.

A projection declares its tables in the placeholder schema the runner translates while it
writes (live or shadow); readers use these copies bound to the live schema, so one query
can join tables of several read models.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table


def live(table: Table, projection: str) -> Table:
    """``table`` in the live schema of ``projection``."""
    return table.to_metadata(_metadata(projection), schema=f"rm_{projection}")


_METADATA: dict[str, MetaData] = {}


def _metadata(projection: str) -> MetaData:
    return _METADATA.setdefault(projection, MetaData())
