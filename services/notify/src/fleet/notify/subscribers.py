"""The service's commands (request-reply): ``cmd.notify.set_preferences`` and
``cmd.notify.mark_read`` (the service is the one writer of both aggregates)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.nats import NatsBroker

from fleet.bus.commands import decode, route
from fleet.events import AggregateId, AggregateRef, InvalidAggregateId, wrap
from fleet.events.commands import CommandReply, Reply
from fleet.events.notifications import (
    NOTIFICATION_AGGREGATE,
    PREFERENCES_AGGREGATE,
    MarkNotificationsRead,
    NotificationPreferencesSet,
    NotificationsMarked,
    NotificationsRead,
    PreferencesStored,
    SetNotificationPreferences,
)
from fleet.events.registry import DomainEvent
from fleet.eventstore import EventStore
from fleet.notify.errors import DeliveryFailed


class NotifyCommands:
    """The handlers; the store exists once the worker started."""

    def __init__(
        self, store: Callable[[], EventStore], check_url: Callable[[str], Awaitable[None]]
    ) -> None:
        self._store = store
        self._check_url = check_url

    async def set_preferences(self, body: bytes) -> CommandReply:
        """A webhook URL is refused at once when the SSRF guard refuses it (and checked
        again at delivery)."""
        command = decode(SetNotificationPreferences, body)
        if isinstance(command, CommandReply):
            return command
        if (
            command.actor.role not in ("admin", "system")
            and command.actor.user_id != command.user_id
        ):
            return CommandReply.failure("forbidden", "only the user himself or an admin")
        if command.webhook_url is not None:
            try:
                await self._check_url(command.webhook_url)
            except DeliveryFailed as exc:
                return CommandReply.failure("invalid", exc.reason, field="webhook_url")
        event = NotificationPreferencesSet(
            kinds=command.kinds, default=command.default, webhook_url=command.webhook_url
        )
        sequence = await self._append(PREFERENCES_AGGREGATE, command.user_id, event)
        if sequence is None:
            return _not_a_user()
        return Reply[PreferencesStored].accepted(PreferencesStored(sequence=sequence)).wire()

    async def mark_read(self, body: bytes) -> CommandReply:
        """Only the recipient himself marks his notifications read."""
        command = decode(MarkNotificationsRead, body)
        if isinstance(command, CommandReply):
            return command
        if command.actor.role != "system" and command.actor.user_id != command.user_id:
            return CommandReply.failure("forbidden", "only the user himself")
        if not command.notification_ids and command.all_until is None:
            return CommandReply.failure(
                "invalid", "name the notifications, or mark all", field="notification_ids"
            )
        event = NotificationsRead(
            notification_ids=command.notification_ids, all_until=command.all_until
        )
        sequence = await self._append(NOTIFICATION_AGGREGATE, command.user_id, event)
        if sequence is None:
            return _not_a_user()
        return Reply[NotificationsMarked].accepted(NotificationsMarked(sequence=sequence)).wire()

    async def _append(self, aggregate_type: str, user_id: str, event: DomainEvent) -> int | None:
        """Append ``event`` to the user's aggregate; ``None`` when ``user_id`` is no id."""
        try:
            aggregate = AggregateRef(type=aggregate_type, id=AggregateId(user_id))
        except (InvalidAggregateId, ValueError):
            return None
        stored = await self._store().append(aggregate, [wrap(event, aggregate)], None)
        return stored[0].sequence


def register(
    broker: NatsBroker,
    store: Callable[[], EventStore],
    check_url: Callable[[str], Awaitable[None]],
) -> None:
    """Answer the notify commands on ``broker``."""
    commands = NotifyCommands(store, check_url)
    route(broker, SetNotificationPreferences, commands.set_preferences, queue="notify")
    route(broker, MarkNotificationsRead, commands.mark_read, queue="notify")


def _not_a_user() -> CommandReply:
    return CommandReply.failure("invalid", "user_id: not a user id", field="user_id")
