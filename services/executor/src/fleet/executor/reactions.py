"""What the owner of a user does when the log says something about them, live:
a bot started (trade for them), stopped or asked to flatten (close their positions), a
credential failed its health check (pause, with the reason) or recovered (resume a bot
that was paused for that reason)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fleet.events import ActorId, AggregateId, DomainEvent, Envelope
from fleet.events.bots import (
    BotPaused,
    BotResumed,
    BotStarted,
    BotStopped,
    FlattenDone,
    FlattenRequested,
)
from fleet.events.credentials import (
    CredentialApiKeyRewrapped,
    CredentialConnected,
    CredentialDisconnected,
    CredentialSigningRestored,
    CredentialSigningUnavailable,
    CredentialVerificationFailed,
    CredentialVerified,
    SignaturesCounted,
)
from fleet.events.directory import UserView
from fleet.events.users import (
    AccessTokenCreated,
    AccessTokenRevoked,
    EmailChanged,
    EmailVerificationRequested,
    EmailVerified,
    LoginFailed,
    LoginSucceeded,
    PasswordResetRequested,
    PasswordSet,
    RecoveryCodeUsed,
    TotpDisabled,
    TotpEnabled,
    TotpEnrolmentStarted,
    TotpRequirementChanged,
    TradingSettingsChanged,
    UserActivated,
    UserCreated,
    UserDeactivated,
    UserDeleted,
    UserLocked,
    UserRoleChanged,
    UserUnlocked,
    ViewerGrantGiven,
    ViewerGrantRevoked,
)
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
        self._flattened: set[str] = set()  # requests this process carried out

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
        """The one reaction :data:`REACTIONS` names for ``event``'s type, if any."""
        reaction = REACTIONS.get(type(event))
        if reaction is not None:
            user_id = envelope.aggregate.id
            await reaction(self, envelope, event, self.ownership.directory.view(user_id))

    async def _started(self, _envelope: Envelope, _event: BotStarted, view: UserView) -> None:
        for trader in await self.ownership.add([view]):
            await self.execution.prepare(trader)

    async def _stopped(
        self, envelope: Envelope, event: BotStopped | FlattenRequested, _view: UserView
    ) -> None:
        await self._flatten_or_drop(envelope.aggregate.id, envelope, event)

    async def _verification_failed(
        self, envelope: Envelope, event: CredentialVerificationFailed, view: UserView
    ) -> None:
        if view.bot == "active":
            reason = f"{CREDENTIAL_PAUSE}: {event.reason}"
            await self._bot(
                envelope.aggregate.id, lambda b: b.pause(reason, "system", automatic=True)
            )

    async def _verified(
        self, envelope: Envelope, _event: CredentialVerified, view: UserView
    ) -> None:
        if _paused_for_credential(view):
            await self._bot(envelope.aggregate.id, lambda b: b.resume("system"))

    async def _connected(
        self, envelope: Envelope, _event: CredentialConnected, view: UserView
    ) -> None:
        owned = self.ownership.traders.get(envelope.aggregate.id)
        if owned is not None and owned.environment != view.environment:
            self.ownership.drop(envelope.aggregate.id)  # a key of the other BingX: rebuilt
            await self.ownership.add([view])  # on its hosts

    async def _flatten_or_drop(
        self, user_id: str, envelope: Envelope, event: BotStopped | FlattenRequested
    ) -> None:
        if isinstance(event, FlattenRequested) or event.flatten:
            symbol = event.symbol if isinstance(event, FlattenRequested) else None
            await self._flatten(user_id, envelope.id, symbol)
        if isinstance(event, BotStopped):
            self.ownership.drop(user_id)

    async def _flatten(self, user_id: str, request_id: str, symbol: str | None) -> None:
        """Carry out one flatten request, then say so in the bot's log (``FlattenDone``):
        until then, whoever owns the user next carries it out (see :meth:`pending`)."""
        if request_id in self._flattened:
            return
        trader = self.ownership.traders.get(user_id)
        if trader is None:
            trader = await self.ownership.factory.load(self.ownership.directory.view(user_id))
        await self.execution.reconcile(trader)  # close what BingX really holds
        closed = await self.execution.flatten(trader, request_id, symbol)
        await self._bot(user_id, lambda b: b.flatten_done(request_id, closed))
        self._flattened.add(request_id)

    async def pending(self, views: list[UserView]) -> None:
        """Carry out the flattens these users asked for that nobody carried out (their
        owner stopped or died first): a taken-over user's first work, before it trades.
        Idempotent: a flatten's orders are named after its request, so one the dead owner
        had already sent is settled, never sent twice."""

        async def one(view: UserView) -> None:
            for request_id, symbol in list(view.pending_flattens.items()):
                try:
                    await self._flatten(view.user_id, request_id, symbol)
                except Exception:
                    count_unexpected("executor.pending_flatten")
                    get_logger().exception(
                        "pending flatten not carried out", user=view.user_id, request=request_id
                    )
            if not view.running:
                self.ownership.drop(view.user_id)

        await asyncio.gather(*(one(view) for view in views))

    async def _bot(self, user_id: str, decide: Callable[[Bot], None]) -> None:
        await self.bots.execute(AggregateId(user_id), decide, actor=ActorId("system"))


Reaction = Callable[[Reactions, Envelope, Any, UserView], Awaitable[None]]

# The owner's reaction to each event type of the user, credential and bot aggregates it
# follows (one lookup by type); every other type of theirs is IGNORED.
REACTIONS: dict[type[DomainEvent], Reaction] = {
    BotStarted: Reactions._started,
    BotStopped: Reactions._stopped,
    FlattenRequested: Reactions._stopped,
    CredentialVerificationFailed: Reactions._verification_failed,
    CredentialVerified: Reactions._verified,
    CredentialConnected: Reactions._connected,
}
IGNORED: frozenset[type[DomainEvent]] = frozenset(
    {
        # the directory folds them; the owner's traders read the directory's view
        TradingSettingsChanged,
        FlattenDone,
        BotPaused,
        BotResumed,
        UserActivated,
        UserDeactivated,
        UserDeleted,
        CredentialDisconnected,
        CredentialApiKeyRewrapped,
        CredentialSigningUnavailable,
        CredentialSigningRestored,
        # what the owner of a bot has no part in
        UserCreated,
        EmailChanged,
        PasswordSet,
        UserRoleChanged,
        UserLocked,
        UserUnlocked,
        LoginFailed,
        LoginSucceeded,
        AccessTokenCreated,
        AccessTokenRevoked,
        ViewerGrantGiven,
        ViewerGrantRevoked,
        SignaturesCounted,
        TotpEnrolmentStarted,
        TotpEnabled,
        TotpDisabled,
        TotpRequirementChanged,
        RecoveryCodeUsed,
        EmailVerificationRequested,
        EmailVerified,
        PasswordResetRequested,
    }
)


def _paused_for_credential(view: UserView) -> bool:
    return (
        view.bot == "paused"
        and view.paused_automatically
        and view.pause_reason.startswith(CREDENTIAL_PAUSE)
    )
