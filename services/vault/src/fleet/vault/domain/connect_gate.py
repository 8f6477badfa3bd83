"""How often connect attempts may reach BingX: a token bucket per Fleet user and one for
the whole platform (every attempt leaves from the shared egress address, and BingX may
ban that address for everyone after a burst of bad signatures). An attempt over either
is refused before any request to BingX (pure; the clock is passed in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fleet.ratelimit import TokenBucket


@dataclass
class ConnectGate:
    """Per-user and platform-wide connect budgets (in memory, per vault instance)."""

    user_per_minute: float = 3
    user_burst: int = 5
    platform_per_minute: float = 30
    platform_burst: int = 10
    max_users: int = 100_000
    _platform: TokenBucket = field(init=False)
    _users: dict[str, TokenBucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._platform = TokenBucket(self.platform_per_minute / 60, self.platform_burst)

    def admit(self, user_id: str, now: datetime) -> float:
        """0 and one token taken from each bucket, or the seconds to wait (nothing taken)."""
        user = self._users.pop(user_id, None) or TokenBucket(
            self.user_per_minute / 60, self.user_burst
        )
        self._users[user_id] = user  # re-inserted last: the dict is by last attempt
        while len(self._users) > self.max_users:
            del self._users[next(iter(self._users))]
        at = now.timestamp()
        wait = max(user.wait(at), self._platform.wait(at))
        if wait == 0:
            user.take(at)
            self._platform.take(at)
        return round(wait, 3)
