"""How full the domain stream is, so operators hear of its byte limit long before it
bites: a ratio for a gauge, and whether a warning is due (at ``warn_ratio``, 80 % by
default, then at every further ``step`` and at least every ``repeat``).

At the limit the stream refuses new events (``DiscardPolicy.NEW``): nothing stored is
ever dropped, but every writer — orders included — is refused, hence the early warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from nats.js import JetStreamContext


@dataclass(frozen=True)
class StreamUsage:
    """Bytes stored and the limit (``None``: unlimited)."""

    used_bytes: int
    max_bytes: int | None

    @property
    def ratio(self) -> float:
        """Used / limit (0 when unlimited)."""
        return self.used_bytes / self.max_bytes if self.max_bytes else 0.0


async def stream_usage(js: JetStreamContext, stream: str) -> StreamUsage:
    """What the server says of ``stream`` now."""
    info = await js.stream_info(stream)
    limit = info.config.max_bytes
    return StreamUsage(info.state.bytes, limit if limit and limit > 0 else None)


@dataclass
class UsageAlarm:
    """Decides when a usage warning is due (pure; the caller writes and logs it)."""

    warn_ratio: float = 0.8
    step: float = 0.05
    repeat: timedelta = timedelta(hours=1)
    _last_ratio: float = 0.0
    _last_at: datetime | None = None

    def due(self, usage: StreamUsage, now: datetime) -> bool:
        """Whether to warn about ``usage`` now."""
        if usage.ratio < self.warn_ratio:
            self._last_ratio, self._last_at = 0.0, None
            return False
        stale = self._last_at is None or now - self._last_at >= self.repeat
        if stale or usage.ratio >= self._last_ratio + self.step:
            self._last_ratio, self._last_at = usage.ratio, now
            return True
        return False
