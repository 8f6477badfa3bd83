"""The admin overview reads the kill switch from the last event of ``halt.platform`` alone
(each event sets every field of the state): one direct get per poll, never a replay of
the aggregate (a fake store that refuses to replay; no NATS)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, wrap
from fleet.events.catalog import domain_registry
from fleet.events.halt import HALT_AGGREGATE, HALT_ID, HaltState, TradingHalted, TradingResumed
from fleet.gateway.api.admin_ops import halt_state
from fleet.gateway.deps import Services

HALT = AggregateRef(type=HALT_AGGREGATE, id=AggregateId(HALT_ID))


class LastOnly:
    """An event store whose halt aggregate ends with ``event``; it refuses replays."""

    def __init__(self, event: DomainEvent | None) -> None:
        self.envelope = wrap(event, HALT) if event is not None else None
        self.registry = domain_registry()

    async def last(self, aggregate: AggregateRef) -> Envelope | None:
        assert aggregate == HALT
        return self.envelope

    async def load_stored(self, aggregate: AggregateRef, *, after: int = 0) -> Any:
        raise AssertionError("the whole aggregate replayed")


def _state(last: DomainEvent | None) -> HaltState:
    services = SimpleNamespace(read_models=SimpleNamespace(store=LastOnly(last)))
    return asyncio.run(halt_state(cast(Services, services)))


def test_the_halt_is_read_from_its_last_event_alone() -> None:
    halted = _state(TradingHalted(reason="drill", by="adm"))
    assert (halted.halted, halted.reason, halted.by) == (True, "drill", "adm")
    lifted = _state(TradingResumed(by="adm2"))
    assert (lifted.halted, lifted.reason, lifted.by) == (False, "", "adm2")
    never = _state(None)
    assert (never.halted, never.reason) == (False, "")
