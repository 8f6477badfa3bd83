"""Each read-model column follows the event field it holds: a text column is never
narrower than its field's ``max_length`` (so no event the log accepted can stop a
projection with ``value too long``), and an address column is ``inet``.

The users and audit read models (the ones a client's input reaches: names, e-mails,
addresses, reasons) have every text column derived from its field; the others are
checked wherever a column names its source."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, String, Table
from sqlalchemy.dialects.postgresql import INET

from fleet.events.bounds import IP_MAX
from fleet.gateway.read_models.audit.projection import AuditProjection
from fleet.gateway.read_models.bots.projection import BotsProjection
from fleet.gateway.read_models.credentials.projection import CredentialsProjection
from fleet.gateway.read_models.trading.projection import TradingProjection
from fleet.gateway.read_models.users.projection import UsersProjection
from fleet.projections import Projection
from fleet.projections.columns import SOURCE, IpAddress, field_bound

pytestmark = pytest.mark.unit
DERIVED: tuple[type[Projection], ...] = (UsersProjection, AuditProjection)
EVERY: tuple[type[Projection], ...] = (
    *DERIVED,
    BotsProjection,
    CredentialsProjection,
    TradingProjection,
)


def _bounded(column: Column[object]) -> bool:
    # a varchar(n) or an address; text (no n) cannot be too narrow
    kind = column.type
    return isinstance(kind, IpAddress | INET) or (isinstance(kind, String) and bool(kind.length))


def _columns(projection: type[Projection]) -> list[tuple[Table, Column[object]]]:
    return [
        (table, column)
        for table in projection.metadata.sorted_tables
        for column in table.columns
        if _bounded(column)
    ]


@pytest.mark.parametrize("projection", DERIVED, ids=lambda p: p.name)
def test_every_text_column_of_user_input_follows_an_event_field(
    projection: type[Projection],
) -> None:
    unsourced = [f"{t.name}.{c.name}" for t, c in _columns(projection) if SOURCE not in c.info]
    assert not unsourced, f"columns without an event field: {unsourced}"


@pytest.mark.parametrize("projection", EVERY, ids=lambda p: p.name)
def test_no_column_is_narrower_than_its_event_field(projection: type[Projection]) -> None:
    checked = 0
    for table, column in _columns(projection):
        if SOURCE not in column.info:
            continue
        model, field = column.info[SOURCE]
        bound = field_bound(model, field)
        if isinstance(column.type, IpAddress):
            assert bound <= IP_MAX, f"{table.name}.{column.name}: {model.__name__}.{field}"
        else:
            assert isinstance(column.type, String) and column.type.length is not None
            assert column.type.length >= bound, f"{table.name}.{column.name} < {bound}"
        checked += 1
    if projection in DERIVED:
        assert checked == len(_columns(projection))


def test_a_column_from_an_unbounded_field_is_refused() -> None:
    from pydantic import BaseModel

    from fleet.projections.columns import text_column

    class Unbounded(BaseModel):
        note: str

    with pytest.raises(ValueError, match="no maximum length"):
        text_column("note", Unbounded, "note")
