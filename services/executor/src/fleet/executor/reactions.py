"""What the owner of a user does when the log says something about them, live:
a bot started (trade for them), stopped or asked to flatten (close their positions), a
credential failed its health check (pause, with the reason) or recovered (resume a bot
that was paused for that reason)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fleet.events import ActorId, AggregateId, DomainEvent, Envelope
from fleet.events.bots import BotStarted, BotStopped, FlattenRequested
from fleet.events.credentials import (
    CredentialConnected,
    CredentialVerificationFailed,
    CredentialVerified,
)
from fleet.events.directory import UserView
from fleet.eventstore import Repository
from fleet.executor.domain.bot import Bot
from fleet.executor.execution import Execution
from fleet.executor.ownership import Ownership
from fleet.obs import count_unexpected, get_logger

CREDENTIAL_PAUSE = "BingX credential check failed"


class Reactions:
    """Reactions run in the background so the log follower never waits for BingX; one
    user's reactions run one after another, in log order, different users' in parallel."""

    def __init__(self, ownership: Ownership, execution: Execution, bots: Repository[Bot]) -> None:
        self.ownership = ownership
        self.execution = execution
        self.bots = bots
        self._queues: dict[str, asyncio.Task[None]] = {}

    def on_event(self, envelope: Envelope, event: DomainEvent) -> None:
        """Queue the owner's reaction to ``event`` (nothing when another process owns it)."""
        user_id = envelope.aggregate.id
        if not self.ownership.owns(user_id):
            return
        previous = self._queues.get(user_id)
        task = asyncio.create_task(self._after(previous, envelope, event))
        self._queues[user_id] = task
        task.add_done_callback(lambda done: self._forget(user_id, done))

    def _forget(self, user_id: str, done: asyncio.Task[None]) -> None:
        if self._queues.get(user_id) is done:
            del self._queues[user_id]

    async def _after(
        self, previous: asyncio.Task[None] | None, envelope: Envelope, event: DomainEvent
    ) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        try:
            await self.react(envelope, event)
        except Exception:
            count_unexpected("executor.reaction")
            get_logger().exception(
                "reaction failed", user=envelope.aggregate.id, event=envelope.type
            )

    async def react(self, envelope: Envelope, event: DomainEvent) -> None:
        user_id = envelope.aggregate.id
        view = self.ownership.directory.view(user_id)
        if isinstance(event, BotStarted):
            for trader in await self.ownership.add([view]):
                await self.execution.prepare(trader)
        elif isinstance(event, BotStopped | FlattenRequested):
            await self._flatten_or_drop(user_id, envelope, event)
        elif isinstance(event, CredentialVerificationFailed) and view.bot == "active":
            reason = f"{CREDENTIAL_PAUSE}: {event.reason}"
            await self._bot(user_id, lambda b: b.pause(reason, "system", automatic=True))
        elif isinstance(event, CredentialVerified) and _paused_for_credential(view):
            await self._bot(user_id, lambda b: b.resume("system"))
        elif isinstance(event, CredentialConnected):
            owned = self.ownership.traders.get(user_id)
            if owned is not None and owned.environment != view.environment:
                self.ownership.drop(user_id)  # a key of the other BingX: rebuilt on its hosts
                await self.ownership.add([view])

    async def _flatten_or_drop(
        self, user_id: str, envelope: Envelope, event: BotStopped | FlattenRequested
    ) -> None:
        flatten = isinstance(event, FlattenRequested) or event.flatten
        trader = self.ownership.traders.get(user_id)
        if flatten:
            if trader is None:
                view = self.ownership.directory.view(user_id)
                trader = await self.ownership.factory.load(view)
            await self.execution.reconcile(trader)  # close what BingX really holds
            await self.execution.flatten(trader, envelope.id)
        if isinstance(event, BotStopped):
            self.ownership.drop(user_id)

    async def _bot(self, user_id: str, decide: Callable[[Bot], None]) -> None:
        await self.bots.execute(AggregateId(user_id), decide, actor=ActorId("system"))


def _paused_for_credential(view: UserView) -> bool:
    return (
        view.bot == "paused"
        and view.paused_automatically
        and view.pause_reason.startswith(CREDENTIAL_PAUSE)
    )
