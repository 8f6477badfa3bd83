"""``fleet admin create USERNAME``: registered through the ``fleet.commands`` entry point.

The password comes from ``FLEET_ADMIN_PASSWORD`` or is prompted twice (never echoed,
never printed). NATS is ``--nats-url`` / ``FLEET_NATS_URL``, or the one a running
``fleet up`` keeps in its data dir. Bad input, a taken name or nothing running: one line
on stderr, exit code 2.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Annotated

import typer

from fleet.auth.domain.identity import check_email, check_username
from fleet.auth.domain.password_policy import check_password
from fleet.auth.errors import AuthError, InvalidInput
from fleet.eventstore.errors import NATS_TROUBLE
from fleet.settings import nats_tls_from_env

admin = typer.Typer(name="admin", help="Manage Fleet admins.", no_args_is_help=True)
REQUEST_TIMEOUT_S = 30.0  # argon2 hashing on a busy machine; a dead service fails at once
CONNECT_TIMEOUT_S = 10.0


class CannotAsk(AuthError):
    """NATS or the auth service cannot be reached."""

    error_code = "auth_cannot_ask"


def nats_url_from(data_dir: Path) -> str:
    """The admin NATS URL of the ``fleet up`` running from ``data_dir``."""
    try:
        state = json.loads((data_dir / "stack.json").read_text())
        users = json.loads((data_dir / "nats" / "users.json").read_text())
        port = int(json.loads((data_dir / "nats" / "ports.json").read_text())["port"])
    except (OSError, ValueError, KeyError) as exc:
        raise CannotAsk(f"no stack runs from {data_dir} (start one with fleet up)") from exc
    if not _alive(int(state["supervisor_pid"])):
        raise CannotAsk(f"no stack runs from {data_dir} (its fleet up has stopped)")
    return f"nats://admin:{users['admin']}@127.0.0.1:{port}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _quiet(_error: Exception) -> None:
    """nats-py logs a traceback per failed attempt unless given an error callback."""


async def _ask(url: str, subject: str, body: bytes) -> bytes:
    import nats

    try:  # one attempt (nats-py retries 0 = forever), bounded in time either way
        nc = await asyncio.wait_for(
            nats.connect(
                url,
                connect_timeout=3,
                max_reconnect_attempts=1,
                error_cb=_quiet,
                tls=nats_tls_from_env(),
            ),
            timeout=CONNECT_TIMEOUT_S,
        )
    except NATS_TROUBLE as exc:  # nats-py raises several kinds; all mean "not reachable"
        raise CannotAsk("NATS does not answer (is fleet up running?)") from exc
    try:
        answer = await nc.request(subject, body, timeout=REQUEST_TIMEOUT_S)
    except (TimeoutError, nats.errors.Error) as exc:
        raise CannotAsk("the auth service does not answer") from exc
    finally:
        await nc.close()
    data: bytes = answer.data
    return data


def _fail(message: str) -> typer.Exit:
    typer.echo(f"fleet admin create: {message}", err=True)
    return typer.Exit(2)


def _password(username: str) -> str:
    password = os.environ.get("FLEET_ADMIN_PASSWORD")
    if not password:
        try:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        except typer.Abort:
            raise _fail("no password given") from None
    check_password(str(password), username)
    return str(password)


@admin.command("create")
def create(
    username: Annotated[str, typer.Argument(help="3-32 of a-z 0-9 _ . - (any case).")],
    email: Annotated[str, typer.Option(help="The admin's e-mail address.")] = "",
    nats_url: Annotated[
        str | None, typer.Option(envvar="FLEET_NATS_URL", help="NATS URL (with a user).")
    ] = None,
    data_dir: Annotated[
        Path, typer.Option(envvar="FLEET_DATA_DIR", help="Data dir of a running fleet up.")
    ] = Path(".fleet"),
) -> None:
    """Create an admin (prompts for the password, or reads FLEET_ADMIN_PASSWORD)."""
    from fleet.events.auth_commands import CreateUser, UserRegistered
    from fleet.events.commands import Reply, command_subject

    try:
        display, address = check_username(username), check_email(email)
        url = nats_url or nats_url_from(data_dir.resolve())
        password = _password(display)
        command = CreateUser(username=display, password=password, email=address, role="admin")
        answer = asyncio.run(
            _ask(url, command_subject(command), command.model_dump_json().encode())
        )
    except InvalidInput as exc:
        raise _fail(f"{exc.field}: {exc}") from None
    except CannotAsk as exc:
        raise _fail(str(exc)) from None
    reply = Reply[UserRegistered].model_validate_json(answer)
    if reply.data is None:
        raise _fail(reply.error.message if reply.error else "refused")
    typer.echo(f"admin {display} created (user id {reply.data.user_id})")
