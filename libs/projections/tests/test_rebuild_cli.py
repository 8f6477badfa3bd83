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
