"""``fleet events quarantine``: the messages on event subjects that readers passed over."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from fleet.cli.errors import CliError
from fleet.cli.state import StackState
from fleet.eventstore.errors import NATS_TROUBLE
from fleet.eventstore.quarantine import Quarantined, QuarantineLog
from fleet.eventstore.stream import DEFAULT_STREAM
from fleet.settings import nats_tls_from_env

events = typer.Typer(name="events", help="The event log.", no_args_is_help=True)
CONNECT_TIMEOUT_S = 5.0


class NoPlatform(CliError):
    """Nothing to connect to; the message says why."""

    error_code = "no_platform"


def admin_nats_url(data_dir: Path) -> str:
    """The admin NATS URL of the ``fleet up`` running from ``data_dir``."""
    state = StackState.load(data_dir)
    if state is None or not state.running():
        raise NoPlatform(f"no stack runs from {data_dir} (start one with fleet up)")
    try:
        users = json.loads((data_dir / "nats" / "users.json").read_text())
        port = int(json.loads((data_dir / "nats" / "ports.json").read_text())["port"])
    except (OSError, ValueError, KeyError) as exc:
        raise NoPlatform(f"the stack in {data_dir} has no NATS credentials: {exc}") from exc
    return f"nats://admin:{users['admin']}@127.0.0.1:{port}"


async def _quarantined(url: str, stream: str | None) -> list[Quarantined]:
    import nats

    async def quiet(_error: Exception) -> None:
        """nats-py logs a traceback per failed attempt unless given a callback."""

    try:
        nc = await nats.connect(
            url,
            tls=nats_tls_from_env(),
            connect_timeout=CONNECT_TIMEOUT_S,
            allow_reconnect=False,
            error_cb=quiet,
        )
    except NATS_TROUBLE as exc:
        raise NoPlatform(f"cannot reach NATS: {type(exc).__name__}") from exc
    try:
        return await QuarantineLog(nc.jetstream()).list(stream)
    finally:
        await nc.close()


@events.command("quarantine")
def quarantine(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="The data dir of a running fleet up.")
    ] = Path(".fleet"),
    nats_url: Annotated[
        str | None,
        typer.Option(envvar="FLEET_NATS_URL", help="NATS URL of an admin (default: data dir)."),
    ] = None,
    stream: Annotated[str | None, typer.Option(help="Only this stream.")] = DEFAULT_STREAM,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the messages readers quarantined: not valid Fleet events (sequence, subject, why)."""
    try:
        url = nats_url or admin_nats_url(data_dir.resolve())
        items = asyncio.run(_quarantined(url, stream))
    except NoPlatform as exc:
        typer.echo(f"fleet events quarantine: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        for item in items:
            typer.echo(item.to_json().decode())
        return
    if not items:
        typer.echo("no quarantined message")
    for item in items:
        typer.echo(f"{item.stream} #{item.sequence}\t{item.subject}\t{item.seen_at}\t{item.reason}")
