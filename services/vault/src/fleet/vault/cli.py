"""``fleet vault rotate [USER]``: rotate the key that seals API keys and rewrap the stored
ciphertext, for one user or every connected one (registered through ``fleet.commands``).

It reads the log to know who is connected and sends ``RotateCredential`` over NATS to the
running vault workers: the CLI itself never talks to Vault and holds no Vault token.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="BingX credentials in Vault transit.", no_args_is_help=True)

NatsUrl = Annotated[
    str | None,
    typer.Option(
        envvar="FLEET_NATS_URL", help="NATS URL (admin user); default: the fleet up stack."
    ),
]
DataDir = Annotated[
    Path, typer.Option("--data-dir", envvar="FLEET_DATA_DIR", help="The fleet up data dir.")
]
StreamName = Annotated[str, typer.Option(envvar="FLEET_STREAM_NAME", help="Event stream.")]
Prefix = Annotated[str, typer.Option(envvar="FLEET_SUBJECT_PREFIX", help="Subject prefix.")]


@app.command()
def rotate(
    user: Annotated[
        str | None, typer.Argument(help="User id (default: every connected user).")
    ] = None,
    nats_url: NatsUrl = None,
    data_dir: DataDir = Path(".fleet"),
    stream: StreamName = "FLEET_EVENTS",
    prefix: Prefix = "ev",
    timeout: Annotated[float, typer.Option(min=1, max=120, help="Seconds per user.")] = 15.0,
) -> None:
    """Rotate the API-key sealing key and rewrap, with progress and a summary."""
    from fleet.vault.rotation import BadInput, Unreachable, rotate_all

    try:
        url = nats_url or admin_url(data_dir)
        outcome = asyncio.run(rotate_all(url, stream, prefix, user, timeout))
    except BadInput as exc:
        typer.echo(f"fleet vault rotate: {exc}", err=True)
        raise typer.Exit(2) from None
    except Unreachable as exc:
        typer.echo(f"fleet vault rotate: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"rotated {len(outcome.rotated)} of {len(outcome.rotated) + len(outcome.failed)}")
    for failed_user, reason in sorted(outcome.failed.items()):
        typer.echo(f"  {failed_user}: {reason}", err=True)
    if outcome.failed:
        raise typer.Exit(1)


def admin_url(data_dir: Path) -> str:
    """The admin NATS URL of the ``fleet up`` stack in ``data_dir`` (read, never written)."""
    nats_dir = data_dir / "nats"
    try:
        users = json.loads((nats_dir / "users.json").read_text())
        port = json.loads((nats_dir / "ports.json").read_text())["port"]
    except (OSError, ValueError, KeyError):
        from fleet.vault.rotation import BadInput

        raise BadInput(f"no --nats-url and no fleet up stack in {data_dir.resolve()}") from None
    return f"nats://admin:{users['admin']}@127.0.0.1:{port}"
