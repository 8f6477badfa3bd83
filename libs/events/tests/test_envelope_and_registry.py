import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fleet.events import (
    AggregateId,
    AggregateRef,
    DomainEvent,
    Envelope,
    EventRegistry,
    InvalidAggregateId,
    UnknownEventType,
    UpcastError,
    aggregate_subject,
    partition_of,
    wrap,
)

pytestmark = pytest.mark.unit
SAMPLES = Path(__file__).parent / "samples"


class DepositMade(DomainEvent):
    """Version 2: ``amount`` became a Decimal string and ``currency`` was added."""

    event_type = "test.deposit_made"
    schema_version = 2
    amount: Decimal
    currency: str


registry = EventRegistry([DepositMade])


@registry.upcaster("test.deposit_made", from_version=1)
def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {"amount": str(data["cents"] / 100), "currency": "USDT"}


ACCOUNT = AggregateRef(type="account", id=AggregateId("a-1"))


def test_wrap_and_decode_round_trip_through_the_wire() -> None:
    envelope = wrap(DepositMade(amount=Decimal("12.50"), currency="USDT"), ACCOUNT)
    stored = Envelope.from_wire(envelope.to_wire(), sequence=7)
    assert stored.sequence == 7
    assert stored.id == envelope.id
    assert registry.decode(stored) == DepositMade(amount=Decimal("12.50"), currency="USDT")


def test_the_streams_sequence_wins_over_one_written_in_the_payload() -> None:
    """A publisher cannot choose where its event claims to sit in the log."""
    envelope = wrap(DepositMade(amount=Decimal(1), currency="USDT"), ACCOUNT)
    forged = envelope.to_wire()[:-1] + b',"sequence":999}\n'
    assert Envelope.from_wire(forged, sequence=7).sequence == 7


def test_event_ids_are_time_ordered_uuid7() -> None:
    first = wrap(DepositMade(amount=Decimal(1), currency="USDT"), ACCOUNT)
    second = wrap(DepositMade(amount=Decimal(1), currency="USDT"), ACCOUNT)
    assert first.id[14] == "7"
    assert first.id < second.id


def test_saved_v1_sample_still_loads_through_the_upcaster() -> None:
    payload = (SAMPLES / "deposit_made_v1.json").read_bytes()
    envelope = Envelope.from_wire(payload, sequence=1)
    assert envelope.schema_version == 1
    assert registry.decode(envelope) == DepositMade(amount=Decimal("10.5"), currency="USDT")


def test_unknown_type_and_future_version_are_errors_not_skips() -> None:
    unknown = Envelope(type="test.nobody_knows", schema_version=1, aggregate=ACCOUNT, data={})
    with pytest.raises(UnknownEventType, match="nobody_knows"):
        registry.decode(unknown)
    future = Envelope(type="test.deposit_made", schema_version=3, aggregate=ACCOUNT, data={})
    with pytest.raises(UnknownEventType):
        registry.decode(future)


def test_missing_upcaster_is_reported() -> None:
    lonely = EventRegistry([DepositMade])
    old = Envelope(type="test.deposit_made", schema_version=1, aggregate=ACCOUNT, data={"cents": 1})
    with pytest.raises(UpcastError, match="no upcaster"):
        lonely.decode(old)


def test_events_are_immutable_and_reject_unknown_fields() -> None:
    event = DepositMade(amount=Decimal(1), currency="USDT")
    with pytest.raises(Exception, match="frozen"):
        event.currency = "BTC"  # type: ignore[misc]
    with pytest.raises(Exception, match="extra"):
        DepositMade.model_validate({"amount": "1", "currency": "USDT", "bonus": 1})


def test_a_type_declared_twice_is_refused() -> None:
    class Impostor(DomainEvent):
        event_type = "test.deposit_made"

    with pytest.raises(ValueError, match="declared twice"):
        EventRegistry([DepositMade, Impostor])


def test_occurred_at_is_normalised_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    envelope = Envelope(
        type="x",
        schema_version=1,
        aggregate=ACCOUNT,
        data={},
        occurred_at=datetime(2026, 1, 1, 13, 0, tzinfo=paris),
    )
    assert envelope.occurred_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert json.loads(envelope.to_wire())["occurred_at"].endswith("Z")


def _by_the_model(payload: bytes, sequence: int) -> Envelope:
    """What pydantic's own validation of the envelope makes of ``payload``."""
    return Envelope.model_validate({**json.loads(payload), "sequence": sequence})


def test_the_fast_read_of_a_stored_envelope_is_the_models_own() -> None:
    """The log is read through msgspec, not the model: field for field the same envelope
    (the occurred_at time in UTC, the aggregate checked), and one of its own."""
    paris = timezone(timedelta(hours=1))
    sent = Envelope(
        type="test.deposit_made",
        schema_version=2,
        aggregate=ACCOUNT,
        data={"amount": "1.5", "currency": "USDT", "nested": [1, 2.5, None, {"k": True}]},
        occurred_at=datetime(2026, 1, 1, 13, 0, tzinfo=paris),
        correlation_id=None,
        actor="admin-1",
    )
    payload = json.dumps({**json.loads(sent.to_wire()), "occurred_at": "2026-01-01T13:00+01:00"})
    read = Envelope.from_wire(payload.encode(), sequence=9)
    assert read == _by_the_model(payload.encode(), 9)
    assert read.occurred_at.tzinfo is UTC and read.occurred_at.hour == 12
    assert read.aggregate == ACCOUNT and hash(read.aggregate) == hash(ACCOUNT)
    moved = read.with_sequence(10)  # a copy changes nothing of the envelope it came from
    assert (moved.sequence, read.sequence) == (10, 9)
    assert read.model_fields_set == set(Envelope.model_fields)


@pytest.mark.parametrize(
    ("member", "value"),
    [("schema_version", '"2"'), ("data", '{"big": 123456789012345678901234567890}')],
)
def test_what_the_fast_read_refuses_and_the_model_accepts_still_loads(
    member: str, value: str
) -> None:
    """msgspec is the stricter: a number in a string, an integer beyond 64 bits. Such an
    event, already stored, still loads (through the model), exactly as before."""
    stored = json.loads(wrap(DepositMade(amount=Decimal(1), currency="USDT"), ACCOUNT).to_wire())
    payload = json.dumps({**stored, member: "@"}).replace('"@"', value).encode()
    assert Envelope.from_wire(payload, sequence=3) == _by_the_model(payload, 3)


@pytest.mark.parametrize(
    "change",
    [
        {"aggregate": {"type": "account", "id": "a.b"}},
        {"aggregate": {"type": "account"}},
        {"schema_version": 0},
        {"type": "t" * 65},
        {"actor": "a" * 129},
        {"occurred_at": "2026-01-01T12:00:00"},  # no time zone
        {"id": None},
        {"data": []},
    ],
)
def test_an_envelope_the_model_refuses_is_refused_by_the_fast_read(change: dict[str, Any]) -> None:
    stored = json.loads(wrap(DepositMade(amount=Decimal(1), currency="USDT"), ACCOUNT).to_wire())
    payload = json.dumps({**stored, **change}).encode()
    with pytest.raises(ValueError):  # pydantic's ValidationError is one
        _by_the_model(payload, 1)
    with pytest.raises(ValueError):
        Envelope.from_wire(payload, sequence=1)


@pytest.mark.parametrize("bad", ["", "a.b", "a b", "*", ">", "x" * 129])
def test_aggregate_ids_must_be_subject_tokens(bad: str) -> None:
    with pytest.raises(ValueError, match="letters, digits"):
        AggregateRef(type="user", id=AggregateId(bad))
    with pytest.raises(InvalidAggregateId):
        aggregate_subject(bad, ACCOUNT)


def test_one_subject_per_aggregate() -> None:
    assert aggregate_subject("ev", ACCOUNT) == "ev.account.a-1"


def test_partition_is_stable_and_in_range() -> None:
    assert partition_of("user-42", 8) == partition_of("user-42", 8)
    assert {partition_of(f"u{i}", 4) for i in range(100)} == {0, 1, 2, 3}
