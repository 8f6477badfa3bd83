"""Notifications (``/api/notifications*``): my list with the unread count, marking read,
my preferences per kind and channel, and delivery failures in aggregate for admins.

Reads come from the ``notifications`` read model; both writes are commands to the notify
service, the one writer of the ``notification`` and ``notify_prefs`` aggregates (it also
owns the SSRF guard that checks a webhook URL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query

from fleet.events.notifications import (
    ChannelChoice,
    MarkNotificationsRead,
    NotificationsMarked,
    PreferencesStored,
    SetNotificationPreferences,
)
from fleet.gateway.api.routing import ServicesDep, make_router, send, settle
from fleet.gateway.deps import Access, authorize
from fleet.gateway.errors import GatewayError, check
from fleet.gateway.read_models.notifications.queries import (
    failures_since,
    notifications_page,
    preferences_of,
    unread_count,
)
from fleet.gateway.schemas.notifications import (
    FailuresOut,
    MarkRead,
    NotificationPage,
    NotificationsQuery,
    PreferencesIn,
    PreferencesOut,
    UnreadOut,
)

router = make_router("notifications")
READ_MODEL = "notifications"


@router.get(
    "/api/notifications",
    summary="My notifications, newest first, with my unread count",
    operation_id="notifications_list",
)
async def list_notifications(
    access: Annotated[Access, Depends(authorize("notifications.list"))],
    services: ServicesDep,
    query: Annotated[NotificationsQuery, Query()],
) -> NotificationPage:
    return await services.db.read(notifications_page, access.caller.user_id, query)


@router.post(
    "/api/notifications/read",
    summary="Mark my notifications read (the ones named, or all)",
    operation_id="notifications_read",
)
async def mark_read(
    marked: MarkRead,
    access: Annotated[Access, Depends(authorize("notifications.read"))],
    services: ServicesDep,
) -> UnreadOut:
    caller = access.caller
    command = MarkNotificationsRead(
        user_id=caller.user_id,
        notification_ids=marked.ids,
        all_until=datetime.now(UTC) if marked.all else None,
        actor=caller.actor(),
        correlation_id=access.request_id,
    )
    stored = check(await send(services, command), NotificationsMarked)
    await settle(services, READ_MODEL, sequence=stored.sequence)
    return UnreadOut(unread=await services.db.read(unread_count, caller.user_id))


@router.get(
    "/api/notifications/preferences",
    summary="My notification channels per kind and my webhook URL",
    operation_id="notifications_preferences_read",
)
async def get_preferences(
    access: Annotated[Access, Depends(authorize("notifications.preferences.read"))],
    services: ServicesDep,
) -> PreferencesOut:
    return await services.db.read(preferences_of, access.caller.user_id)


@router.put(
    "/api/notifications/preferences",
    summary="Replace my notification channels per kind and my webhook URL",
    operation_id="notifications_preferences_update",
    responses={422: {"description": "A webhook URL that is not http(s) or is private"}},
)
async def put_preferences(
    wanted: PreferencesIn,
    access: Annotated[Access, Depends(authorize("notifications.preferences.update"))],
    services: ServicesDep,
) -> PreferencesOut:
    caller = access.caller
    command = SetNotificationPreferences(
        user_id=caller.user_id,
        default=ChannelChoice(**wanted.default.model_dump()),
        kinds={kind: ChannelChoice(**choice.model_dump()) for kind, choice in wanted.kinds.items()},
        webhook_url=wanted.webhook_url,
        actor=caller.actor(),
        correlation_id=access.request_id,
    )
    reply = await send(services, command)
    if reply.error is not None and reply.error.code == "invalid":
        # the notify service's SSRF guard refused the URL: bad input like the schema's
        raise GatewayError(422, "invalid", reply.error.message, dict(reply.error.details))
    stored = check(reply, PreferencesStored)
    await settle(services, READ_MODEL, sequence=stored.sequence)
    return await services.db.read(preferences_of, caller.user_id)


@router.get(
    "/api/admin/notifications/failures",
    summary="Failed notification deliveries, grouped by channel and error",
    operation_id="admin_notification_failures",
)
async def failures(
    _access: Annotated[Access, Depends(authorize("admin.notifications.failures"))],
    services: ServicesDep,
    hours: Annotated[int, Query(ge=1, le=24 * 90, description="How far back.")] = 24,
) -> FailuresOut:
    since = datetime.now(UTC) - timedelta(hours=hours)
    return await services.db.read(failures_since, since)
