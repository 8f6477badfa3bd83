"""Security events of the auth service (aggregate ``security``, id ``logins``): refused
logins counted per source and window (one event per source per window, never one per
attempt, so an attack cannot inflate the permanent log), and an alert for admins when
the refusals of one window pass a threshold.

Every string is bounded: a source is an IP address, usernames are the valid ones tried.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from fleet.events.personal import sealed_max
from fleet.events.registry import DomainEvent

SECURITY_AGGREGATE = "security"
LOGINS_ID = "logins"
EVENT_LOG_ID = "event_log"
MAX_NAMES = 10  # usernames named in one event (the count of distinct ones is separate)

# the source address, sealed with the day's key (``personal.day_subject``): destroyed after
# the retention period, as it belongs to no known user
SourceIp = Annotated[str, StringConstraints(max_length=sealed_max(64))]
TriedName = Annotated[str, StringConstraints(max_length=32)]


class LoginsRefused(DomainEvent):
    """Logins refused from ``source_ip`` between ``window_start`` and ``window_end``."""

    event_type = "security.logins_refused"
    source_ip: SourceIp
    window_start: datetime
    window_end: datetime
    refused: int = Field(ge=1)
    unauthenticated: int = Field(default=0, ge=0)  # wrong username or password
    throttled: int = Field(default=0, ge=0)  # back-off or the source's budget (429)
    busy: int = Field(default=0, ge=0)  # every verification slot taken (429)
    accounts: int = Field(default=0, ge=0)  # distinct usernames tried
    usernames: tuple[TriedName, ...] = Field(default=(), max_length=MAX_NAMES)


class AttackSuspected(DomainEvent):
    """An alert for admins: ``refused`` logins in one window (``sources`` addresses),
    at least the configured threshold. At most one per window and auth instance."""

    event_type = "security.attack_suspected"
    window_start: datetime
    window_end: datetime
    refused: int = Field(ge=1)
    sources: int = Field(ge=1)
    top_source_ip: SourceIp
    top_source_refused: int = Field(ge=1)


class EventLogNearlyFull(DomainEvent):
    """On ``ev.security.event_log``: the domain stream holds ``used_bytes`` of its
    ``max_bytes`` limit; at the limit every append is refused (nothing is dropped)."""

    event_type = "security.event_log_nearly_full"
    stream: Annotated[str, StringConstraints(max_length=64)]
    used_bytes: int = Field(ge=0)
    max_bytes: int = Field(ge=1)
    used_percent: float = Field(ge=0, le=100)


SECURITY_EVENTS: tuple[type[DomainEvent], ...] = (
    LoginsRefused,
    AttackSuspected,
    EventLogNearlyFull,
)
