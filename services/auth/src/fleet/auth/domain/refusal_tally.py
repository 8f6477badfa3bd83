"""Refused logins counted per source and window, drained into one
``security.logins_refused`` event per source (and one ``security.attack_suspected`` when
the window's refusals reach the alert threshold) instead of one event per attempt."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from fleet.auth.domain.identity import is_valid_username
from fleet.events.security import MAX_NAMES, AttackSuspected, LoginsRefused

Outcome = Literal["unauthenticated", "throttled", "busy"]
OTHER_SOURCES = "other"  # where refusals go once a window has max_sources sources


@dataclass
class _SourceCount:
    unauthenticated: int = 0
    throttled: int = 0
    busy: int = 0
    names: set[str] = field(default_factory=set)
    accounts: int = 0

    @property
    def refused(self) -> int:
        return self.unauthenticated + self.throttled + self.busy


@dataclass
class RefusalTally:
    """The current window's refusals, bounded in sources and names kept."""

    alert_threshold: int = 100
    max_sources: int = 10_000
    max_names_per_source: int = 1_000
    window_start: datetime | None = None
    _sources: dict[str, _SourceCount] = field(default_factory=dict)

    def note(self, source: str, outcome: Outcome, username: str, now: datetime) -> None:
        """Count one refusal of ``username`` from ``source``."""
        if self.window_start is None:
            self.window_start = now
        if source not in self._sources and len(self._sources) >= self.max_sources:
            source = OTHER_SOURCES
        count = self._sources.setdefault(source, _SourceCount())
        setattr(count, outcome, getattr(count, outcome) + 1)
        if username not in count.names and len(count.names) < self.max_names_per_source:
            count.names.add(username)
            count.accounts += 1

    def drain(self, now: datetime) -> list[LoginsRefused | AttackSuspected]:
        """The window's events (empty when nothing was refused); starts a new window."""
        start, sources = self.window_start, self._sources
        self.window_start, self._sources = None, {}
        if start is None or not sources:
            return []
        events: list[LoginsRefused | AttackSuspected] = [
            _refused(source, count, start, now) for source, count in sorted(sources.items())
        ]
        total = sum(count.refused for count in sources.values())
        if total >= self.alert_threshold:
            top, top_count = max(sources.items(), key=lambda item: item[1].refused)
            events.append(
                AttackSuspected(
                    window_start=start,
                    window_end=now,
                    refused=total,
                    sources=len(sources),
                    top_source_ip=top,
                    top_source_refused=top_count.refused,
                )
            )
        return events


def _refused(source: str, count: _SourceCount, start: datetime, end: datetime) -> LoginsRefused:
    named = sorted(name for name in count.names if is_valid_username(name))[:MAX_NAMES]
    return LoginsRefused(
        source_ip=source[:64],
        window_start=start,
        window_end=end,
        refused=count.refused,
        unauthenticated=count.unauthenticated,
        throttled=count.throttled,
        busy=count.busy,
        accounts=count.accounts,
        usernames=tuple(named),
    )
