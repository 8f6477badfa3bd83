"""Rate limits and digests, decided by each event's own time (``occurred_at``), so a
replay after a restart decides exactly as the first run did.

* identical notifications (same recipient, kind, title, body) within ``merge_window`` of
  the first one sent: merged — one digest at the window's end says how many more came;
* at most ``max_per_hour`` of one kind per recipient per clock hour: the rest go into one
  digest at the end of the hour.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleet.notify.domain.drafts import Draft, derived_id

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Digest:
    """Notifications folded into one, sent when its window ends."""

    digest_id: str
    draft: Draft
    count: int
    due: datetime


@dataclass
class _Pending:
    last: Draft
    count: int
    since: datetime
    due: datetime


class Throttle:
    """Decides, per draft, send now or fold into a digest; hands out digests when due."""

    def __init__(self, max_per_hour: int, merge_window: timedelta) -> None:
        self.max_per_hour = max_per_hour
        self.merge_window = merge_window
        self._sent: dict[tuple[str, str, datetime], int] = defaultdict(int)
        self._merging: dict[str, datetime] = {}
        self._pending: dict[str, _Pending] = {}

    def admit(self, draft: Draft, at: datetime) -> bool:
        """True: send it now; False: it was folded into a digest."""
        first = self._merging.get(draft.fingerprint)
        if first is not None and at < first + self.merge_window:
            self._fold(
                f"merge|{draft.fingerprint}|{first.isoformat()}",
                draft,
                at,
                first + self.merge_window,
            )
            return False
        hour = at.replace(minute=0, second=0, microsecond=0)
        key = (draft.recipient_id, draft.kind, hour)
        if self._sent[key] >= self.max_per_hour:
            rate_key = f"rate|{draft.recipient_id}|{draft.kind}|{hour.isoformat()}"
            self._fold(rate_key, draft, at, hour + HOUR)
            return False
        self._sent[key] += 1
        self._merging[draft.fingerprint] = at
        return True

    def _fold(self, key: str, draft: Draft, at: datetime, due: datetime) -> None:
        pending = self._pending.get(key)
        if pending is None:
            self._pending[key] = _Pending(draft, 1, at, due)
        else:
            pending.last, pending.count = draft, pending.count + 1

    def due(self, now: datetime) -> list[Digest]:
        """Digests whose window ended by ``now`` (each handed out once), oldest first."""
        ready = sorted((p.due, k) for k, p in self._pending.items() if p.due <= now)
        digests = [self._digest(key, self._pending.pop(key)) for _, key in ready]
        self._forget_before(now)
        return digests

    def _digest(self, key: str, pending: _Pending) -> Digest:
        last = pending.last
        title = f"{pending.count} more: {last.title}"[:200]
        body = (
            f"{pending.count} more notifications like this one came between "
            f"{pending.since:%H:%M:%S} and {pending.due:%H:%M:%S} UTC. The last: {last.body}"
        )[:4000]
        draft = Draft(last.recipient_id, last.kind, title, body)
        return Digest(derived_id("digest", key), draft, pending.count, pending.due)

    def _forget_before(self, now: datetime) -> None:
        old_hour = now - 2 * HOUR
        for key in [k for k in self._sent if k[2] < old_hour]:
            del self._sent[key]
        for fp in [f for f, t in self._merging.items() if t + self.merge_window < old_hour]:
            del self._merging[fp]
