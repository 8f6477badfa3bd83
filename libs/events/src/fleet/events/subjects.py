"""Subjects are built here and only here."""

from __future__ import annotations

from functools import lru_cache

from fleet.events.envelope import AggregateRef, check_token

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def aggregate_subject(prefix: str, aggregate: AggregateRef) -> str:
    """``<prefix>.<aggregate type>.<aggregate id>``: one subject per aggregate instance."""
    return _subject(prefix, aggregate.type, aggregate.id)


@lru_cache(maxsize=65536)
def _subject(prefix: str, aggregate_type: str, aggregate_id: str) -> str:
    # type and id were validated by AggregateRef; the prefix comes from configuration.
    return f"{check_token(prefix, 'subject prefix')}.{aggregate_type}.{aggregate_id}"


def all_events_subject(prefix: str) -> str:
    """The wildcard that matches every event subject under ``prefix``."""
    return f"{check_token(prefix, 'subject prefix')}.>"


def all_telemetry_subject(prefix: str) -> str:
    """The wildcard of a telemetry stream (``tm.>``). Its messages are envelopes on their
    aggregate's subject under the telemetry prefix (``tm.account.<user id>``), so every
    reader of the log (screening, projections) reads them unchanged."""
    return all_events_subject(prefix)


def aggregate_type_subject(prefix: str, aggregate_type: str) -> str:
    """Every instance of one aggregate type: ``<prefix>.<type>.*``."""
    return f"{check_token(prefix, 'subject prefix')}.{check_token(aggregate_type, 'type')}.*"


def fnv1a_32(data: bytes) -> int:
    """32-bit FNV-1a, the hash NATS's ``partition()`` subject-mapping function uses."""
    value = _FNV_OFFSET
    for byte in data:
        value ^= byte
        value = (value * _FNV_PRIME) & 0xFFFFFFFF
    return value


@lru_cache(maxsize=1 << 16)
def partition_of(aggregate_id: str, partitions: int) -> int:
    """The partition (0..partitions-1) NATS's ``{{partition(n, k)}}`` gives the id token.
    Cached: an executor asks for each of its traders' at every write (the fence)."""
    if partitions < 1:
        raise ValueError("partitions must be >= 1")
    return fnv1a_32(aggregate_id.encode()) % partitions
