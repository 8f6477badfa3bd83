"""The service's one command: ``cmd.notify.set_preferences`` (request-reply)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.nats import NatsBroker

from fleet.bus.commands import decode, route
from fleet.events import AggregateId, AggregateRef, InvalidAggregateId, wrap
from fleet.events.commands import CommandReply, Reply
from fleet.events.notifications import (
    PREFERENCES_AGGREGATE,
    NotificationPreferencesSet,
    PreferencesStored,
    SetNotificationPreferences,
)
from fleet.eventstore import EventStore
from fleet.notify.errors import DeliveryFailed


def register(
    broker: NatsBroker,
    store: Callable[[], EventStore],
    check_url: Callable[[str], Awaitable[None]],
) -> None:
    """Answer the notify commands on ``broker`` (the store exists once started); a webhook
    URL is refused at once when ``check_url`` refuses it (and checked again at delivery)."""

    async def set_preferences(body: bytes) -> CommandReply:
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
                await check_url(command.webhook_url)
            except DeliveryFailed as exc:
                return CommandReply.failure("invalid", exc.reason, field="webhook_url")
        event = NotificationPreferencesSet(
            kinds=command.kinds, default=command.default, webhook_url=command.webhook_url
        )
        try:
            aggregate = AggregateRef(type=PREFERENCES_AGGREGATE, id=AggregateId(command.user_id))
        except (InvalidAggregateId, ValueError):
            return CommandReply.failure("invalid", "user_id: not a user id", field="user_id")
        stored = await store().append(aggregate, [wrap(event, aggregate)], None)
        return (
            Reply[PreferencesStored].accepted(PreferencesStored(sequence=stored[0].sequence)).wire()
        )

    route(broker, SetNotificationPreferences, set_preferences, queue="notify")
