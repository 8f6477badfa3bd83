"""System settings of the admin API (``/api/admin/settings``): allowed symbols,
timeframes and egress addresses, kept as events by the auth service (``ev.system``),
audited here, applied at the next use without a restart."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from fleet.events.auth_commands import (
    ChangeSystemSettings,
    GetSystemSettings,
    SystemSettingsState,
)
from fleet.gateway.api.routing import ServicesDep, ask, audited, make_router
from fleet.gateway.deps import Access, authorize
from fleet.gateway.schemas.system_settings import SystemSettingsOut, SystemSettingsUpdate

router = make_router("admin: system")


@router.get(
    "/api/admin/settings",
    summary="The platform's settings (null: the environment default)",
    operation_id="admin_settings_read",
)
async def read_settings(
    access: Annotated[Access, Depends(authorize("admin.settings.read"))], services: ServicesDep
) -> SystemSettingsOut:
    command = GetSystemSettings(actor=access.caller.actor(), correlation_id=access.request_id)
    state = await ask(services, command, SystemSettingsState)
    return SystemSettingsOut(**state.model_dump())


@router.put(
    "/api/admin/settings",
    summary="Change the platform's settings (audited; applied without a restart)",
    operation_id="admin_settings_update",
)
async def update_settings(
    body: SystemSettingsUpdate,
    access: Annotated[Access, Depends(authorize("admin.settings.update"))],
    services: ServicesDep,
) -> SystemSettingsOut:
    command = ChangeSystemSettings(
        allowed_symbols=body.allowed_symbols,
        timeframes=body.timeframes,
        egress_addresses=body.egress_addresses,
        product_name=body.product_name,
        logo_url=body.logo_url,
        accent_colour=body.accent_colour,
        reset=tuple(body.reset),
        actor=access.caller.actor(),
        correlation_id=access.request_id,
    )
    given = body.model_dump(exclude={"reset"}, exclude_none=True)
    details = {
        name: (values if isinstance(values, str) else ",".join(values))[:200]
        for name, values in given.items()
    }
    if body.reset:
        details["reset"] = ",".join(body.reset)
    state = await audited(
        services, access, "admin.settings.update", command, SystemSettingsState, details=details
    )
    return SystemSettingsOut(**state.model_dump())
