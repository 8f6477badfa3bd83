"""BingX's request limits (API.md §7), counted in sliding windows by UID and by the source
address the simulator sees (tests use 127.0.0.2, 127.0.0.3... as distinct egress IPs)."""

from __future__ import annotations

from collections import deque

from fleet.bingx_sim.domain.accounts import SimError
from fleet.bingx_sim.domain.errors import SimulatorError

# (per-UID per second) for the endpoints Fleet uses; the rest get the default.
UID_PER_SECOND = {"/openApi/swap/v2/trade/marginType": 2, "/openApi/swap/v1/positionSide/dual": 2}
DEFAULT_UID_PER_SECOND = 5
IP_PER_ENDPOINT_10S = 300
IP_PER_GROUP_10S = 2000
MARKET_PER_10S = 500
GROUP3 = (
    "/trade/order",
    "/trade/batchOrders",
    "/trade/openOrders",
    "/trade/allOrders",
    "/user/balance",
    "/user/positions",
)


# Strict: an address that keeps going past its refusals gets bare HTTP answers (API.md
# §3.2, §7: 429, then 418 "IP banned" if it continues).
ABUSE_429_AFTER = 20  # refusals within 10 s, then each refusal is a bare 429
ABUSE_418_AFTER = 100  # refusals within 10 s, then the address is banned
BAN_MS = 60_000


class EdgeRefusal(SimulatorError):
    """An HTTP status with a plain-text body, as BingX's edge answers 429 / 418 / 403."""

    error_code = "sim_edge_refusal"

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Window:
    """Events in the last ``span_ms``."""

    def __init__(self, span_ms: int, limit: int) -> None:
        self.span_ms, self.limit = span_ms, limit
        self.times: deque[int] = deque()

    def admit(self, now_ms: int) -> bool:
        while self.times and self.times[0] <= now_ms - self.span_ms:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return False
        self.times.append(now_ms)
        return True


class RateLimits:
    """Refuses with 100410 what BingX would refuse; ``enabled=False`` for benchmarks."""

    def __init__(self, enabled: bool = True, *, escalate: bool = False) -> None:
        self.enabled = enabled
        self.escalate = escalate  # strict mode: 429 then 418 for an address that insists
        self._windows: dict[str, Window] = {}
        self._refusals: dict[str, Window] = {}  # ip -> its refusals in the last 10 s
        self.banned_until: dict[str, int] = {}  # ip -> epoch ms
        self.refused = 0
        self.sources: dict[str, str] = {}  # uid -> the address its last request came from
        self.refused_by: dict[str, int] = {}  # "ip:POST /path" -> refusals, per kind

    def reset(self, *, enabled: bool) -> None:
        """Forget every window and the refusal count; enforce from now on or not."""
        self.enabled = enabled
        self._windows.clear()
        self._refusals.clear()
        self.banned_until.clear()
        self.refused = 0
        self.sources.clear()
        self.refused_by.clear()

    def _window(self, key: str, span_ms: int, limit: int) -> Window:
        if key not in self._windows:
            self._windows[key] = Window(span_ms, limit)
        return self._windows[key]

    def check(self, path: str, method: str, ip: str, uid: str | None, now_ms: int) -> None:
        """Raise :class:`SimError` 100410 when any applicable window is full."""
        if not self.enabled:
            return
        if self.banned_until.get(ip, 0) > now_ms:
            raise EdgeRefusal(418)
        endpoint = f"{method} {path}"
        if uid is None:
            windows = [("ip:market", self._window(f"ip:{ip}:market", 10_000, MARKET_PER_10S))]
        else:
            self.sources[uid] = ip
            per_second = UID_PER_SECOND.get(path, DEFAULT_UID_PER_SECOND)
            group = "g3" if path.endswith(GROUP3) else "g2"
            windows = [
                (f"uid:{endpoint}", self._window(f"uid:{uid}:{endpoint}", 1_000, per_second)),
                (
                    f"ip:{endpoint}",
                    self._window(f"ip:{ip}:{endpoint}", 10_000, IP_PER_ENDPOINT_10S),
                ),
                (f"ip:{group}", self._window(f"ip:{ip}:{group}", 10_000, IP_PER_GROUP_10S)),
            ]
        for kind, window in windows:
            if not window.admit(now_ms):
                self.refused += 1
                self.refused_by[kind] = self.refused_by.get(kind, 0) + 1
                self._escalate(ip, now_ms)
                raise SimError(100410, "rate limit exceeded, please try again later")

    def _escalate(self, ip: str, now_ms: int) -> None:
        if not self.escalate:
            return
        refusals = self._refusals.setdefault(ip, Window(10_000, 1_000_000))
        refusals.admit(now_ms)
        if len(refusals.times) >= ABUSE_418_AFTER:
            self.banned_until[ip] = now_ms + BAN_MS
            raise EdgeRefusal(418)
        if len(refusals.times) >= ABUSE_429_AFTER:
            raise EdgeRefusal(429)
