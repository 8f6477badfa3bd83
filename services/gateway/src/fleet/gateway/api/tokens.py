"""Personal access tokens of the caller (``/api/tokens``): created and revoked by their
owner, hashed at rest by the auth service, shown once; each expires (90 days at most by
default) and dies when its owner's password, role or activation changes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends

from fleet.events.auth_commands import (
    AccountChanged,
    CreateAccessToken,
    RevokeAccessToken,
    TokenIssued,
)
from fleet.gateway import policy
from fleet.gateway.api.routing import ServicesDep, ask, make_router, settle
from fleet.gateway.deps import Access, authorize
from fleet.gateway.errors import GatewayError
from fleet.gateway.read_models.users.queries import tokens_of
from fleet.gateway.schemas.auth import TokenCreate, TokenCreated, TokenOut
from fleet.gateway.schemas.base import Done, IdPath

router = make_router("tokens")


@router.get("/api/tokens", summary="My access tokens", operation_id="tokens_list")
async def list_tokens(
    access: Annotated[Access, Depends(authorize("tokens.list"))], services: ServicesDep
) -> list[TokenOut]:
    return await services.db.read(tokens_of, access.caller.user_id)


@router.post(
    "/api/tokens",
    status_code=201,
    summary="Create an access token (the token is in this answer only)",
    operation_id="tokens_create",
)
async def create_token(
    request: TokenCreate,
    access: Annotated[Access, Depends(authorize("tokens.create"))],
    services: ServicesDep,
) -> TokenCreated:
    caller = access.caller
    decision = policy.may_create_token(caller.role, request.scope)
    if not decision.allowed:
        raise GatewayError(decision.status, decision.code, decision.message)
    command = CreateAccessToken(
        user_id=caller.user_id,
        token_name=request.name,
        scope=request.scope,
        expires_in_days=request.expires_in_days,
        actor=caller.actor(),
    )
    issued = await ask(services, command, TokenIssued)
    await settle(services, "users")  # usable at once
    return TokenCreated(
        token_id=issued.token_id,
        token=issued.token,
        name=request.name,
        scope=request.scope,
        expires_at=datetime.fromisoformat(issued.expires_at),
    )


@router.delete(
    "/api/tokens/{token_id}", summary="Revoke one of my tokens", operation_id="tokens_revoke"
)
async def revoke_token(
    token_id: IdPath,
    access: Annotated[Access, Depends(authorize("tokens.revoke"))],
    services: ServicesDep,
) -> Done:
    caller = access.caller
    command = RevokeAccessToken(user_id=caller.user_id, token_id=token_id, actor=caller.actor())
    await ask(services, command, AccountChanged)
    await settle(services, "users")
    return Done(status="revoked", message=f"token {token_id} revoked")
