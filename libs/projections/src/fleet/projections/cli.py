"""``fleet projections list|rebuild``: replay the log into fresh read-model tables."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fleet.projections.catalog import ProjectionSpec, UnknownProjection, select_projections

app = typer.Typer(help="Read-model projections in PostgreSQL.", no_args_is_help=True)

DatabaseUrl = Annotated[
    str,
    typer.Option(envvar="FLEET_DATABASE_URL", help="SQLAlchemy URL of the read-model database."),
]
NatsUrl = Annotated[str, typer.Option(envvar="FLEET_NATS_URL", help="NATS URL (admin user).")]
StreamName = Annotated[str, typer.Option(envvar="FLEET_STREAM_NAME", help="Event stream.")]
Prefix = Annotated[str, typer.Option(envvar="FLEET_SUBJECT_PREFIX", help="Subject prefix.")]
Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs", "-j", min=1, help="Rebuilds at once, one process each (default: cores)."
    ),
]


@app.command("list")
def list_projections() -> None:
    """List the installed projections."""
    try:
        specs = select_projections([])
    except UnknownProjection as exc:  # pragma: no cover - no names given
        raise typer.BadParameter(str(exc)) from None
    if not specs:
        typer.echo("no projections installed")
    for spec in specs:
        typer.echo(f"{spec.projection.name}\tversion {spec.projection.version}")


@app.command()
def rebuild(
    names: Annotated[list[str] | None, typer.Argument(help="Projections (default: all).")] = None,
    database_url: DatabaseUrl = "postgresql+psycopg://postgres@127.0.0.1:5432/fleet",
    nats_url: NatsUrl = "nats://127.0.0.1:4222",
    stream: StreamName = "FLEET_EVENTS",
    prefix: Prefix = "ev",
    jobs: Jobs = None,
) -> None:
    """Replay the event log from sequence 1 into fresh tables and swap them in, several
    projections in parallel; the others (and their live runners) go on meanwhile."""
    try:
        specs = select_projections(list(names or []))
    except UnknownProjection as exc:
        typer.echo(f"fleet projections rebuild: {exc}", err=True)
        raise typer.Exit(2) from None
    from fleet.obs import settle_collector
    from fleet.projections.rebuild import Target, default_jobs, rebuild_all

    settle_collector()  # a long replay allocates like a service: collected like one
    target = Target(database_url, nats_url, stream, prefix)
    asyncio.run(rebuild_all(specs, target, jobs or default_jobs()))


__all__ = ["ProjectionSpec", "app"]
