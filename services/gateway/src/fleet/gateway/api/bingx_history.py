"""A trader's BingX history import (``/api/bingx/history-import``): the last 90 days of
fills and income of his connected account, read by the executor in the background (signed
inside Vault) and shown as imported history (``imported_from: "bingx"``).

Starting is audited; it is a write, so the per-caller write limit applies, and the
executor runs one import per trader at a time (asking again while one runs answers that
one). Importing again adds only what is new: trades and income rows have stable ids.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from fleet.events.history import BingxImportState, GetBingxImport, ImportBingxHistory
from fleet.gateway.api.routing import ServicesDep, ask, audited, make_router
from fleet.gateway.deps import Access, authorize

router = make_router("bingx")


@router.post(
    "/api/bingx/history-import",
    summary="Import my BingX fills and income of the last 90 days (in the background)",
    operation_id="bingx_history_import",
    status_code=202,
)
async def start_import(
    access: Annotated[Access, Depends(authorize("bingx.history_import"))], services: ServicesDep
) -> BingxImportState:
    caller = access.caller
    command = ImportBingxHistory(
        user_id=caller.user_id, actor=caller.actor(), correlation_id=access.request_id
    )
    return await audited(
        services, access, "bingx.history_import", command, BingxImportState, target=caller.user_id
    )


@router.get(
    "/api/bingx/history-import",
    summary="How my latest BingX history import went (progress while it runs)",
    operation_id="bingx_history_import_status",
)
async def import_status(
    access: Annotated[Access, Depends(authorize("bingx.history_status"))], services: ServicesDep
) -> BingxImportState:
    caller = access.caller
    command = GetBingxImport(
        user_id=caller.user_id, actor=caller.actor(), correlation_id=access.request_id
    )
    return await ask(services, command, BingxImportState)
