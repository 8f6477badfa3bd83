"""What ``fleet vault rotate`` does: find the users, ask the vault workers, report."""

from __future__ import annotations

from dataclasses import dataclass, field

import nats
from nats.aio.client import Client
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from fleet.events import AggregateId, InvalidAggregateId
from fleet.events.catalog import domain_registry
from fleet.events.commands import Reply, command_subject
from fleet.events.envelope import check_token
from fleet.events.vault_commands import ApiKeyRewrapped, RotateCredential
from fleet.eventstore import EventStore, StreamSpec
from fleet.settings import nats_tls_from_env
from fleet.vault.credential_view import CredentialView
from fleet.vault.errors import VaultError


class BadInput(VaultError):
    """What the operator typed cannot work (exit code 2)."""

    error_code = "rotation_bad_input"


class Unreachable(VaultError):
    """NATS could not be reached (exit code 1)."""

    error_code = "rotation_unreachable"


@dataclass
class Outcome:
    """Who was rotated, who was not and why."""

    rotated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


async def rotate_all(
    nats_url: str, stream: str, prefix: str, user: str | None, timeout: float
) -> Outcome:
    """Rotate ``user`` (or every connected user) through the running vault workers."""
    if user is not None:
        try:
            check_token(user, "USER")
        except InvalidAggregateId as exc:
            raise BadInput(str(exc)) from None
    try:
        nc = await nats.connect(
            nats_url, connect_timeout=5, max_reconnect_attempts=1, tls=nats_tls_from_env()
        )
    except (OSError, nats.errors.Error) as exc:
        raise Unreachable(f"NATS unreachable: {type(exc).__name__}") from None
    try:
        users = await _connected(nc, StreamSpec(name=stream, prefix=prefix), user)
        return await _rotate(nc, users, timeout)
    finally:
        await nc.close()


async def _connected(nc: Client, spec: StreamSpec, user: str | None) -> list[str]:
    view = CredentialView(EventStore(nc, spec), domain_registry(), nc.jetstream())
    if user is None:
        await view.catch_up()
        return view.connected_users()
    if not (await view.get(AggregateId(user))).connected:
        raise BadInput(f"user {user!r} has no connected BingX credential")
    return [user]


async def _rotate(nc: Client, users: list[str], timeout: float) -> Outcome:
    outcome = Outcome()
    columns = (
        TextColumn("rotating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[user]}"),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("rotate", total=len(users), user="")
        for user in users:
            bar.update(task, user=user)
            reason = await _ask(nc, RotateCredential(user_id=user), timeout)
            if reason is None:
                outcome.rotated.append(user)
            else:
                outcome.failed[user] = reason
            bar.advance(task)
    return outcome


async def _ask(nc: Client, command: RotateCredential, timeout: float) -> str | None:
    """``None`` when rotated, else why not."""
    try:
        answer = await nc.request(
            command_subject(command), command.model_dump_json().encode(), timeout=timeout
        )
    except (TimeoutError, nats.errors.NoRespondersError):
        return "no vault worker answered"
    reply = Reply[ApiKeyRewrapped].model_validate_json(answer.data)
    if reply.error is not None:
        return reply.error.message
    return None if reply.ok else "refused"
