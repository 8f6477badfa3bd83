"""The telemetry stream beside the log: its limits (age, size, oldest dropped first), the
settings that move them, and decisions published there once, read like the log's."""

from datetime import UTC, datetime, timedelta

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType

from fleet.events import AggregateId, AggregateRef
from fleet.events.trading import SignalEvaluated
from fleet.eventstore import EventStore, StreamSpec
from fleet.eventstore.stream import (
    DUPLICATE_WINDOW_S,
    TelemetrySpec,
    ensure_platform,
    ensure_telemetry_stream,
)
from fleet.eventstore.telemetry import TelemetryPublisher, decisions_since

DAY_S = 24 * 3600.0


def test_the_deployed_log_has_fleet_telemetry_and_a_test_log_its_own() -> None:
    deployed = TelemetrySpec.beside(StreamSpec(replicas=3))
    assert (deployed.name, deployed.prefix, deployed.replicas) == ("FLEET_TELEMETRY", "tm", 3)
    assert (deployed.max_age_days, deployed.max_bytes) == (30.0, 4 * 1024**3)
    config = deployed.config()
    assert (config.max_age, config.max_bytes) == (30 * DAY_S, 4 * 1024**3)
    assert (config.retention, config.discard) == (RetentionPolicy.LIMITS, DiscardPolicy.OLD)
    mine = TelemetrySpec.beside(StreamSpec(name="EV_t1", prefix="t1"))
    assert (mine.name, mine.prefix, mine.max_bytes) == ("TM_EV_t1", "tmt1", -1)


async def test_the_platform_makes_it_with_its_limits_and_an_operator_moves_them(
    event_store: EventStore,
) -> None:
    js = event_store.nc.jetstream()
    await ensure_platform(js, event_store.spec)
    spec = TelemetrySpec.beside(event_store.spec)
    config = (await js.stream_info(spec.name)).config
    assert config.subjects == [f"{spec.prefix}.>"]
    assert (config.retention, config.discard, config.storage) == (
        RetentionPolicy.LIMITS,
        DiscardPolicy.OLD,  # the oldest go first: telemetry is not the truth
        StorageType.FILE,
    )
    assert (config.max_age, config.max_bytes) == (30 * DAY_S, -1)  # a test's: no size cap
    assert config.duplicate_window == DUPLICATE_WINDOW_S
    shorter = TelemetrySpec.beside(event_store.spec, max_age_days=2, max_bytes=1024**2)
    config = (await ensure_telemetry_stream(js, shorter)).config
    assert (config.max_age, config.max_bytes) == (2 * DAY_S, 1024**2)


async def test_a_decision_published_twice_is_stored_once_and_read_like_the_logs(
    event_store: EventStore,
) -> None:
    spec = TelemetrySpec.beside(event_store.spec)
    publisher = TelemetryPublisher(event_store.nc, spec)
    skip = SignalEvaluated(
        signal_id="sig-1",
        symbol="BTC-USDT",
        decision="skip",
        code="no_cross",
        reason="no order: no DI cross on this candle",
        numbers={"adx": "21.0000"},
    )
    first = await publisher.publish_decision("u1", skip)
    second = await publisher.publish_decision("u1", skip)
    assert first.last_sequence == second.last_sequence and second.duplicate
    reader = EventStore(event_store.nc, spec.as_log())
    [stored] = await reader.load(AggregateRef(type="account", id=AggregateId("u1")))
    assert stored.type == "trading.signal_evaluated" and stored.data["code"] == "no_cross"
    assert await event_store.last_sequence() == 0  # nothing in the log


def _skip(signal_id: str) -> SignalEvaluated:
    return SignalEvaluated(
        signal_id=signal_id,
        symbol="BTC-USDT",
        decision="skip",
        code="holding",
        reason="no order: holding a long BTC-USDT position",
        numbers={},
    )


async def test_the_decisions_since_a_time_are_read_back_by_user(event_store: EventStore) -> None:
    spec = TelemetrySpec.beside(event_store.spec)
    await ensure_telemetry_stream(event_store.nc.jetstream(), spec)
    started = datetime.now(UTC) - timedelta(seconds=1)
    assert await decisions_since(event_store.nc, spec, started) == {}  # nothing stored
    publisher = TelemetryPublisher(event_store.nc, spec)
    for user, signal in (("u1", "a"), ("u1", "b"), ("u2", "c")):
        await publisher.publish_decision(user, _skip(signal))
    assert await decisions_since(event_store.nc, spec, started) == {"u1": {"a", "b"}, "u2": {"c"}}
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert await decisions_since(event_store.nc, spec, later) == {}  # at once, no waiting
