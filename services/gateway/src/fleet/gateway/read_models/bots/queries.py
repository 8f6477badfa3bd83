"""Reads of the bots read model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from fleet.gateway.read_models.bots import projection as p
from fleet.gateway.read_models.live import live
from fleet.gateway.schemas.trading import BotOut

bots = live(p.bots, "bots")
NEVER_STARTED = BotOut(status="never_started")


def bot_of(connection: Connection, user_id: str) -> BotOut:
    """The user's bot (``never_started`` until its first start)."""
    row = connection.execute(select(bots).where(bots.c.user_id == user_id)).mappings().first()
    return bot_from(row) if row else NEVER_STARTED


def bot_from(row: Mapping[Any, Any]) -> BotOut:
    """A bot from a row holding the bots table's columns."""
    return BotOut(
        status=row["status"],
        session_id=row["session_id"],
        pause_reason=row["pause_reason"],
        paused_automatically=row["paused_automatically"],
        started_at=row["started_at"],
        stopped_at=row["stopped_at"],
        changed_by=row["changed_by"],
    )


def bot_statuses(connection: Connection, user_ids: Sequence[str]) -> dict[str, str]:
    """Bot status by user id (users without a bot are absent)."""
    if not user_ids:
        return {}
    query = select(bots.c.user_id, bots.c.status).where(bots.c.user_id.in_(list(user_ids)))
    return {row.user_id: row.status for row in connection.execute(query)}


def paused_by_an_admin(connection: Connection) -> list[str]:
    """The traders whose bot an admin paused (the kill switch, a bulk pause): paused, not
    by a risk limit, and not by the trader himself."""
    query = (
        select(bots.c.user_id)
        .where(
            bots.c.status == "paused",
            bots.c.paused_automatically.is_(False),
            bots.c.changed_by != bots.c.user_id,
        )
        .order_by(bots.c.user_id)
    )
    return list(connection.execute(query).scalars())
