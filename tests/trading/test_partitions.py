"""Two executors share the partitions; killing one moves its partitions (and its traders)
to the other within seconds, and they keep trading."""

import time

import pytest

from fleet.testing.services import ServiceProcess

from .conftest import TraderKeys, Trading, eventually, metric

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def executor_overrides() -> dict[str, str]:
    return {"FLEET_PARTITIONS": "8", "FLEET_INSTANCE_ID": "executor-a"}


async def owned(process: ServiceProcess) -> int:
    return int(await metric(process, "executor_owned_partitions"))


async def decided(trading: Trading, keys: TraderKeys, signal_id: str) -> bool:
    # no cross: a routine skip, in telemetry
    return any(e.signal_id == signal_id for e in await trading.decisions(keys.user_id))


async def test_killing_an_executor_moves_its_partitions(trading: Trading) -> None:
    second = trading.new_executor(trading.executor_env | {"FLEET_INSTANCE_ID": "executor-b"})
    try:
        await eventually(lambda: _split(trading.executor, second), timeout=15)
        traders = [await trading.trader() for _ in range(12)]
        first_signal = await trading.signal("BTC-USDT", "none")
        await eventually(lambda: _all_decided(trading, traders, first_signal))

        trading.executor.kill()
        killed_at = time.monotonic()
        await eventually(lambda: _owns_all(second), timeout=15, every=0.1)
        moved_in = time.monotonic() - killed_at
        assert moved_in < 10, f"partitions took {moved_in:.1f} s to move"

        after = await trading.signal("BTC-USDT", "none")
        # every trader, whichever partition he was in, still decided
        await eventually(lambda: _all_decided(trading, traders, after))
    finally:
        second.stop()


async def _all_decided(trading: Trading, traders: list[TraderKeys], signal_id: str) -> bool:
    return all([await decided(trading, keys, signal_id) for keys in traders])


async def _split(first: ServiceProcess, second: ServiceProcess) -> bool:
    a, b = await owned(first), await owned(second)
    return a + b == 8 and a > 0 and b > 0


async def _owns_all(process: ServiceProcess) -> bool:
    return await owned(process) == 8
