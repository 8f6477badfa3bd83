"""What the owner of a user does when the log says something about them, live:
a bot started (trade for them), stopped or asked to flatten (close their positions), a
credential failed its health check (pause, with the reason) or recovered (resume a bot
that was paused for that reason)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fleet.events import ActorId, AggregateId, DomainEvent, Envelope
from fleet.events.bots import BotPaused, BotResumed, BotStarted, BotStopped, FlattenRequested
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
        flatten = isinstance(event, FlattenRequested) or event.flatten
        trader = self.ownership.traders.get(user_id)
        if flatten:
            if trader is None:
                view = self.ownership.directory.view(user_id)
                trader = await self.ownership.factory.load(view)
            await self.execution.reconcile(trader)  # close what BingX really holds
            symbol = event.symbol if isinstance(event, FlattenRequested) else None
            await self.execution.flatten(trader, envelope.id, symbol)
        if isinstance(event, BotStopped):
            self.ownership.drop(user_id)

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
