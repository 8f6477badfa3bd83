"""The live hub of one gateway process: ONE subscription to the log, each batch fanned
out to the process's sockets once the read models have applied it, a ring of recent
frames for reconnects (``?after=``), and a check that closes sockets whose session or
token ended. A second subscription, to the telemetry stream, sends a decision frame for
each routine skip once the ``telemetry`` read model has it (not kept in the ring: a
reconnect reloads the view)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import Engine

from fleet.bus.loops import supervise
from fleet.events.ids import UserId
from fleet.eventstore import EventStore, StoredEvent
from fleet.eventstore.store import PassedOver, position_of
from fleet.gateway.errors import GatewayError
from fleet.gateway.live.frames import (
    AUDIENCE_EVENTS,
    READ_MODELS,
    TELEMETRY_READ_MODEL,
    Frame,
    frame_of,
)
from fleet.gateway.live.revocation import live_sessions, live_tokens
from fleet.gateway.live.subscriber import CLOSE_GOING_AWAY, CLOSE_REVOKED, Subscriber
from fleet.gateway.read_models.runners import ReadModels
from fleet.gateway.read_models.users.queries import grants_of
from fleet.obs import get_logger

BATCH_MAX = 100  # also the largest burst one socket gets at once
CAUGHT_UP_WAIT_S = 5.0  # past this the batch goes out anyway (a stopped read model)


@dataclass(frozen=True)
class LiveLimits:
    """Bounds of the live updates of one process."""

    sockets: int = 2000
    sockets_per_user: int = 8
    queue_frames: int = 1024
    recent_frames: int = 10_000
    catch_up_events: int = 100_000
    check_s: float = 0.5
    session_idle: timedelta = timedelta(minutes=30)


class TooMany(GatewayError):
    """A socket limit (per process or per user) is reached."""

    error_code = "live_too_many"

    def __init__(self, message: str) -> None:
        super().__init__(429, "throttled", message)


class LiveHub:
    """Fans the log out to the sockets of this process."""

    def __init__(
        self,
        store: EventStore,
        read_models: ReadModels,
        engine: Engine,
        limits: LiveLimits,
        telemetry: EventStore | None = None,
    ) -> None:
        self.store = store
        self.telemetry = telemetry
        self._telemetry_position = 0
        self.read_models = read_models
        self.engine = engine
        self.limits = limits
        self.position = 0  # the last stream sequence fanned out
        self._covered_from = 1  # every frame from this sequence on is in the ring
        self._recent: deque[Frame] = deque()
        self._subscribers: set[Subscriber] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._log = get_logger("fleet.gateway.live")

    async def start(self) -> None:
        """Follow the log from its end now, and check sessions."""
        self.position = await self.store.last_sequence()
        self._covered_from = self.position + 1
        self._tasks = [
            supervise("gateway live feed", self._follow_once),
            supervise("gateway live session check", self._check_forever),
        ]
        if self.telemetry is not None:
            self._telemetry_position = await self.telemetry.last_sequence()
            self._tasks.append(supervise("gateway live telemetry", self._follow_telemetry_once))

    async def stop(self) -> None:
        """Stop following; every socket is told the gateway goes away."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for subscriber in list(self._subscribers):
            subscriber.close(CLOSE_GOING_AWAY)

    # -- sockets ---------------------------------------------------------------------------

    def admit(self, user_id: UserId) -> None:
        """Refuse a socket over the limits (per process, per user)."""
        if len(self._subscribers) >= self.limits.sockets:
            raise TooMany("too many live sockets on this gateway")
        mine = sum(1 for sub in self._subscribers if sub.user_id == user_id)
        if mine >= self.limits.sockets_per_user:
            raise TooMany("too many live sockets for this user")

    async def attach(self, subscriber: Subscriber, after: int | None) -> list[Frame] | None:
        """Register ``subscriber``; returns the frames after ``after`` it missed (sent
        before any queued frame), or ``None`` if ``after`` is too far back."""
        if after is None or after >= self.position:
            subscriber.after = max(after or 0, 0)
            self._subscribers.add(subscriber)
            return []
        if self.position - after > self.limits.catch_up_events:
            return None
        upto = self.position
        subscriber.after = upto  # live frames after the catch-up only
        self._subscribers.add(subscriber)
        if after + 1 >= self._covered_from:  # no await above: the ring and queue meet exactly
            missed = [frame for frame in self._recent if after < frame.seq <= upto]
        else:
            missed = await self._replay(after, upto)
        return [frame for frame in missed if subscriber.sees(frame)]

    def detach(self, subscriber: Subscriber) -> None:
        """Forget a closed socket."""
        self._subscribers.discard(subscriber)

    async def _replay(self, after: int, upto: int) -> list[Frame]:
        # a reconnect from before this process's start: read that stretch once
        frames: list[Frame] = []
        async with contextlib.aclosing(self.store.follow(from_sequence=after + 1)) as read:
            async for item in read:
                if isinstance(item, StoredEvent):
                    frame = frame_of(item.envelope)
                    if frame is not None:
                        frames.append(frame)
                if position_of(item) >= upto:
                    break
        return [frame for frame in frames if after < frame.seq <= upto]

    async def audience_of(self, user_id: UserId, role: str) -> frozenset[str] | None:
        """Whose frames a user may receive: his own, his granted traders', everyone's."""
        if role == "admin":
            return None
        if role == "viewer":
            grants = await asyncio.to_thread(self._grants, user_id)
            return frozenset(grants)
        return frozenset({user_id})

    def _grants(self, viewer_id: str) -> list[str]:
        with self.engine.connect() as connection:
            return [grant.trader_id for grant in grants_of(connection, viewer_id)]

    # -- the log ---------------------------------------------------------------------------

    async def _follow_once(self) -> None:
        """Fan the log out from the last sequence fanned out (supervised: a failure is
        restarted with back-off and resumes there)."""
        await _in_batches(self.store, self.position + 1, self._publish)

    async def _publish(self, batch: list[StoredEvent | PassedOver]) -> None:
        last = position_of(batch[-1])
        stored = [item.envelope for item in batch if isinstance(item, StoredEvent)]
        frames = [frame for frame in map(frame_of, stored) if frame is not None]
        changed = {env.aggregate.id for env in stored if env.type in AUDIENCE_EVENTS}
        if frames or changed:
            # a client that reloads on this frame must read the state it announces: the
            # read models that apply these events have applied them (the others hold
            # nothing they announce, and need not be waited for)
            types = {env.type for env in stored if env.type in AUDIENCE_EVENTS}
            types |= {frame.data["event"] for frame in frames}
            wanted = self.read_models.using(READ_MODELS, types)
            ready = await self.read_models.caught_up(wanted, last, timeout=CAUGHT_UP_WAIT_S)
            if not ready:
                self._log.warning("live frames sent before the read models caught up", seq=last)
        await self._refresh_audiences(changed)
        for frame in frames:
            self._remember(frame)
            for subscriber in list(self._subscribers):
                subscriber.offer(frame)
        self.position = last

    async def _follow_telemetry_once(self) -> None:
        """Routine decisions, fanned out like the log's but never remembered: their
        sequence is the telemetry stream's, so each frame carries the log's position."""
        if self.telemetry is not None:
            start = self._telemetry_position + 1
            await _in_batches(self.telemetry, start, self._publish_telemetry)

    async def _publish_telemetry(self, batch: list[StoredEvent | PassedOver]) -> None:
        last = position_of(batch[-1])
        stored = [item.envelope for item in batch if isinstance(item, StoredEvent)]
        frames = [frame for frame in map(frame_of, stored) if frame is not None]
        if frames and not await self.read_models.caught_up(
            (TELEMETRY_READ_MODEL,), last, timeout=CAUGHT_UP_WAIT_S
        ):
            self._log.warning("live frames sent before telemetry caught up", seq=last)
        for frame in frames:
            transient = replace(frame, seq=self.position, transient=True)
            for subscriber in list(self._subscribers):
                subscriber.offer(transient)
        self._telemetry_position = last

    def _remember(self, frame: Frame) -> None:
        self._recent.append(frame)
        while len(self._recent) > self.limits.recent_frames:
            self._covered_from = self._recent.popleft().seq + 1

    async def _refresh_audiences(self, users: Iterable[str]) -> None:
        for user_id in users:
            for subscriber in [sub for sub in self._subscribers if sub.user_id == user_id]:
                subscriber.audience = await self.audience_of(subscriber.user_id, subscriber.role)

    # -- revocation ------------------------------------------------------------------------

    async def _check_forever(self) -> None:
        """Check sessions every round (supervised: a failing round is restarted with
        back-off, the next round checks again)."""
        while True:
            await asyncio.sleep(self.limits.check_s)
            await self._check()

    async def _check(self) -> None:
        subscribers = list(self._subscribers)
        sessions = {s.credential.session_hash for s in subscribers} - {None}
        tokens = {s.credential.token_sha256 for s in subscribers} - {None}
        if not subscribers:
            return
        alive = await asyncio.to_thread(self._alive, sessions, tokens)  # type: ignore[arg-type]
        for subscriber in subscribers:
            key = subscriber.credential.session_hash or subscriber.credential.token_sha256
            if alive.get(key or "") != subscriber.role:
                subscriber.close(CLOSE_REVOKED)

    def _alive(self, sessions: set[str], tokens: set[str]) -> dict[str, str]:
        with self.engine.connect() as connection:
            found = live_sessions(connection, sessions, self.limits.session_idle)
            return found | live_tokens(connection, tokens)


async def _in_batches(
    store: EventStore,
    start: int,
    publish: Callable[[list[StoredEvent | PassedOver]], Awaitable[None]],
) -> None:
    """Follow ``store`` from ``start``, handing ``publish`` what has arrived (at most
    ``BATCH_MAX`` at once)."""
    batch: list[StoredEvent | PassedOver] = []
    async with contextlib.aclosing(store.follow(from_sequence=start)) as read:
        async for item in read:
            batch.append(item)
            if item.pending == 0 or len(batch) >= BATCH_MAX:
                await publish(batch)
                batch = []
