"""``fleet projections rebuild`` finds projections through entry points and rebuilds them
into tables identical, row by row, to the ones built live."""

import asyncio
import sys
import textwrap
from pathlib import Path
from typing import Any

import nats
import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from fleet.events import AggregateId, AggregateRef, wrap
from fleet.eventstore import EventStore, StreamSpec, ensure_stream
from fleet.projections import ProjectionRunner
from fleet.projections.cli import app

pytestmark = pytest.mark.integration

PLUGIN = """
from typing import ClassVar
from sqlalchemy import BigInteger, Column, MetaData, String, Table
from sqlalchemy.dialects.postgresql import insert
from fleet.events import DomainEvent, EventRegistry
from fleet.projections import PROJECTION_SCHEMA, Projection
from fleet.projections.catalog import ProjectionSpec

class Noted(DomainEvent):
    event_type = "plugin.noted"
    note: str

REGISTRY = EventRegistry([Noted])
METADATA = MetaData(schema=PROJECTION_SCHEMA)
NOTES = Table("notes", METADATA, Column("sequence", BigInteger, primary_key=True),
              Column("author", String), Column("note", String))

class Notes(Projection):
    name = "plugin_notes"
    metadata: ClassVar[MetaData] = METADATA

    def apply(self, tx, event, envelope):
        tx.insert(NOTES, {"sequence": envelope.sequence, "author": envelope.aggregate.id,
                          "note": event.note})

def spec() -> ProjectionSpec:
    return ProjectionSpec(Notes(), REGISTRY)

AUTHOR_METADATA = MetaData(schema=PROJECTION_SCHEMA)
AUTHORS = Table("authors", AUTHOR_METADATA, Column("author", String, primary_key=True),
                Column("notes", BigInteger))

class Authors(Projection):
    name = "plugin_authors"
    metadata: ClassVar[MetaData] = AUTHOR_METADATA

    def apply(self, tx, event, envelope):
        row = {"author": envelope.aggregate.id, "notes": 1}
        tx.execute(insert(AUTHORS).values(row).on_conflict_do_update(
            index_elements=["author"], set_={"notes": AUTHORS.c.notes + 1}))

def authors() -> ProjectionSpec:
    return ProjectionSpec(Authors(), REGISTRY)
"""


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    (tmp_path / "fleet_plugin_notes.py").write_text(textwrap.dedent(PLUGIN))
    info = tmp_path / "fleet_plugin_notes-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fleet-plugin-notes\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        "[fleet.projections]\nplugin_notes = fleet_plugin_notes:spec\n"
        "plugin_authors = fleet_plugin_notes:authors\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import fleet_plugin_notes  # type: ignore[import-not-found]

    yield fleet_plugin_notes
    sys.modules.pop("fleet_plugin_notes", None)


def rows(database_url: str) -> list[Any]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        result = list(conn.execute(text("SELECT * FROM rm_plugin_notes.notes ORDER BY 1")))
    engine.dispose()
    return result


async def build_live(plugin: Any, nats_url: str, database_url: str, spec: StreamSpec) -> None:
    nc = await nats.connect(nats_url)
    await ensure_stream(nc.jetstream(), spec)
    store = EventStore(nc, spec, registry=plugin.REGISTRY)
    last = 0
    for n in range(250):
        author = AggregateRef(type="author", id=AggregateId(f"a{n % 5}"))
        stored = await store.append(author, [wrap(plugin.Noted(note=f"n{n}"), author)], None)
        last = stored[-1].sequence or last
    engine = create_engine(database_url)
    await ProjectionRunner(engine, store, plugin.REGISTRY, plugin.Notes()).run(until=last)
    engine.dispose()
    await nc.close()


def test_rebuild_command_reproduces_live_tables(
    plugin: Any, nats_url: str, database_url: str, namespace: str
) -> None:
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    asyncio.run(build_live(plugin, nats_url, database_url, spec))
    live = rows(database_url)
    assert len(live) == 250
    args = ["rebuild", "plugin_notes", "--database-url", database_url, "--nats-url", nats_url]
    args += ["--stream", spec.name, "--prefix", spec.prefix]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "plugin_notes: rebuilt from 250 events" in result.output
    assert rows(database_url) == live


def test_unknown_projection_is_a_clear_usage_error(plugin: Any) -> None:
    result = CliRunner().invoke(app, ["rebuild", "nope"])
    assert result.exit_code == 2
    assert "unknown projection(s): nope" in result.output
    assert "plugin_notes" in result.output


def test_rebuilds_are_recorded_by_the_migrated_meta_schema(
    plugin: Any, nats_url: str, database_url: str, namespace: str
) -> None:
    from fleet.projections.meta import migrate

    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    asyncio.run(build_live(plugin, nats_url, database_url, spec))
    engine = create_engine(database_url)
    migrate(engine)
    migrate(engine)  # idempotent
    # named: the services' installed projections do not know this test's event type
    args = ["rebuild", "plugin_notes", "--database-url", database_url, "--nats-url", nats_url]
    result = CliRunner().invoke(app, [*args, "--stream", spec.name, "--prefix", spec.prefix])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        history = list(
            conn.execute(text("SELECT projection, events FROM fleet_meta.projection_rebuilds"))
        )
        revision = conn.execute(text("SELECT version_num FROM fleet_meta.alembic_version")).scalar()
    engine.dispose()
    assert history == [("plugin_notes", 250)]
    assert revision == "0002"  # 0002: the personal-data keys


def authors(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT author, notes FROM rm_plugin_authors.authors")).all()
    engine.dispose()
    return {str(author): int(notes) for author, notes in found}


def test_projections_rebuild_in_parallel_processes(
    plugin: Any, nats_url: str, database_url: str, namespace: str
) -> None:
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    asyncio.run(build_live(plugin, nats_url, database_url, spec))
    args = ["rebuild", "--database-url", database_url, "--nats-url", nats_url, "--jobs", "2"]
    args += ["--stream", spec.name, "--prefix", spec.prefix, "plugin_notes", "plugin_authors"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "plugin_notes: rebuilt from 250 events" in result.output
    assert "plugin_authors: rebuilt from 250 events" in result.output
    assert len(rows(database_url)) == 250
    assert authors(database_url) == {f"a{n}": 50 for n in range(5)}


async def test_one_projection_rebuilds_while_the_others_go_on(
    plugin: Any, nats_url: str, database_url: str, namespace: str
) -> None:
    """Both followed live; ``fleet projections rebuild plugin_notes`` runs while events
    keep coming: the authors' runner never stops, the notes' runner goes on on the
    swapped-in tables, and both end with every event exactly once."""
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    await build_live(plugin, nats_url, database_url, spec)
    nc = await nats.connect(nats_url)
    store = EventStore(nc, spec, registry=plugin.REGISTRY)
    engine = create_engine(database_url)
    live = [
        asyncio.create_task(ProjectionRunner(engine, store, plugin.REGISTRY, p).run())
        for p in (plugin.Notes(), plugin.Authors())
    ]
    args = ["rebuild", "plugin_notes", "--database-url", database_url, "--nats-url", nats_url]
    args += ["--stream", spec.name, "--prefix", spec.prefix]
    rebuilding = asyncio.create_task(asyncio.to_thread(CliRunner().invoke, app, args))
    author = AggregateRef(type="author", id=AggregateId("a0"))
    while not rebuilding.done():  # writes during the rebuild
        await store.append(author, [wrap(plugin.Noted(note="more"), author)], None)
        await asyncio.sleep(0.02)
    assert (await rebuilding).exit_code == 0
    for _ in range(3):  # and after it
        await store.append(author, [wrap(plugin.Noted(note="after"), author)], None)
    total = await store.last_sequence()
    try:
        while (
            authors(database_url).get("a0") != 50 + total - 250 or len(rows(database_url)) < total
        ):
            assert not any(task.done() for task in live), [t.exception() for t in live if t.done()]
            await asyncio.sleep(0.1)
    finally:
        for task in live:
            task.cancel()
        await asyncio.gather(*live, return_exceptions=True)
        engine.dispose()
        await nc.close()
    assert [row[0] for row in rows(database_url)] == list(range(1, total + 1))
