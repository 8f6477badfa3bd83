"""The ``fleet`` typer application and plugin loading."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import typer

from fleet.cli import stack_commands
from fleet.cli.events_commands import events
from fleet.cli.legacy.command import imports
from fleet.cli.nats_commands import nats

app = typer.Typer(
    name="fleet",
    help="Fleet: multi-user trading platform for BingX perpetual futures.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("up")(stack_commands.up)
app.command("status")(stack_commands.status)
app.command("down")(stack_commands.down)
app.add_typer(events, name="events")
app.add_typer(nats, name="nats")
app.add_typer(imports, name="import")


def _load_plugins(target: typer.Typer) -> None:
    """Add every ``fleet.commands`` entry point; a broken one costs one warning line."""
    for entry in entry_points(group="fleet.commands"):
        try:
            command = entry.load()
        except Exception as exc:  # a plugin must never break the other commands
            print(f"fleet: warning: command {entry.name!r} unavailable: {exc}", file=sys.stderr)
            continue
        if isinstance(command, typer.Typer):
            target.add_typer(command, name=entry.name)
        else:
            target.command(entry.name)(command)


_load_plugins(app)
