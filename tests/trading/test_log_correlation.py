"""One signal's correlation id followed through the logs: the strategy appends a signal
from the simulator's market data, the executor decides and places an order, vault signs
it; every line the three services write is a JSON object, and the signal's id is on the
strategy's line that appended it, on the executor's lines (the signal received, the
exchange calls of its order) and on vault's line that signed for it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from fleet.events.trading import OrderAccepted, SignalEvaluated
from fleet.stack import OpenBaoServer
from fleet.testing.services import ServiceProcess

from .conftest import Trading, eventually, fresh_platform, running_path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

SYMBOLS = ("BTC-USDT", "ETH-USDT", "XRP-USDT", "SOL-USDT", "DOGE-USDT")


@pytest.fixture(scope="module")
async def traced(
    nats_server: Any, openbao_server: OpenBaoServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Trading]:
    """Strategy, executor and vault logging JSON at debug level; 1 m candles close every
    half second (the simulator's clock runs 120 times real time)."""
    log_dir = tmp_path_factory.mktemp("traced")
    nc, spec, sim, platform = await fresh_platform(nats_server, log_dir, speed=120.0)
    base = platform | {"FLEET_LOG_LEVEL": "debug"}
    # the simulator's candles run ahead of the wall clock: no signal is ever too old here
    executor_extra = {"FLEET_MAX_SIGNAL_AGE_S": "86400"}
    async with running_path(
        nc, spec, sim, openbao_server, log_dir, base, executor_extra=executor_extra
    ) as handle:
        yield handle


def json_lines(process: ServiceProcess) -> list[dict[str, Any]]:
    """Every line the process wrote, each parsed as one JSON object (fails on any other)."""
    records = []
    for number, line in enumerate(process.log().splitlines(), 1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"{process.name} line {number} is not JSON: {line!r}") from None
        assert isinstance(record, dict), f"{process.name} line {number}: {line!r}"
        records.append(record)
    return records


async def test_one_signals_correlation_id_runs_through_strategy_executor_and_vault(
    traced: Trading,
) -> None:
    traders = [
        await traced.trader(
            symbols=SYMBOLS,
            timeframe="1m",
            adx_threshold=Decimal(5),
            min_confidence=Decimal(0),
            risk_per_trade=Decimal(1),
        )
        for _ in range(2)
    ]
    strategy = ServiceProcess("strategy", traced.executor_env, traced.log_dir)
    traced.started.append(strategy)
    strategy.start()

    async def a_traded_signal() -> str | None:
        for keys in traders:
            events = await traced.events("account", keys.user_id)
            accepted = {e.client_order_id for e in events if isinstance(e, OrderAccepted)}
            for event in events:
                if isinstance(event, SignalEvaluated) and any(
                    i.client_order_id in accepted for i in event.intents
                ):
                    return event.signal_id
        return None

    signal_id = await eventually(a_traded_signal, timeout=120, every=1)

    def carrying(process: ServiceProcess) -> list[str]:
        lines = json_lines(process)
        assert lines, f"{process.name} wrote nothing"
        return [str(r["event"]) for r in lines if r.get("correlation_id") == signal_id]

    assert "signal appended" in carrying(strategy)
    on_executor = carrying(traced.executor)
    assert "signal received" in on_executor
    assert "bingx request" in on_executor  # the order's exchange call
    assert "command answered" in carrying(traced.vault)  # the signature for that order
