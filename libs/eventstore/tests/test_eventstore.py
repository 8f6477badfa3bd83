"""The event store against a real nats-server (JetStream, file storage)."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import nats
import nats.errors
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.errors import APIError, NotFoundError

from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, EventRegistry, wrap
from fleet.eventstore import (
    Aggregate,
    ConcurrencyError,
    EventStore,
    Repository,
    StreamMisconfigured,
    StreamSpec,
    ensure_stream,
)
from fleet.eventstore import pull as pull_module
from fleet.eventstore.errors import MessagesLost
from fleet.eventstore.publish import acked, headers_for
from fleet.eventstore.pull import RawPull
from fleet.eventstore.replies import replies_of
from fleet.eventstore.snapshots import KvSnapshots, Snapshot, ensure_snapshot_bucket
from fleet.eventstore.store import NotRead, PassedOver, StoredEvent, position_of
from fleet.testing.deposits import Deposited, registry

pytestmark = pytest.mark.integration


@pytest.fixture
def event_registry() -> EventRegistry:
    """This module's own event types."""
    return registry


class Account(Aggregate):
    aggregate_type = "account"

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.balance = 0

    def deposit(self, amount: int) -> None:
        self.record(Deposited(amount=amount))

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, Deposited):
            self.balance += event.amount


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    yield client
    await client.close()


def ref(name: str = "a1") -> AggregateRef:
    return AggregateRef(type="account", id=AggregateId(name))


def deposit(amount: int, aggregate: AggregateRef | None = None) -> Envelope:
    return wrap(Deposited(amount=amount), aggregate or ref())


async def test_append_then_load_in_order(event_store: EventStore) -> None:
    stored = await event_store.append(ref(), [deposit(1)], expected_version=0)
    more = await event_store.append(
        ref(), [deposit(2), deposit(3)], expected_version=stored[-1].sequence
    )
    loaded = await event_store.load(ref())
    assert [registry.decode(e) for e in loaded] == [Deposited(amount=n) for n in (1, 2, 3)]
    assert [e.sequence for e in loaded] == [stored[0].sequence] + [e.sequence for e in more]
    assert await event_store.version(ref()) == loaded[-1].sequence


async def test_two_writers_same_expected_version_exactly_one_wins(event_store: EventStore) -> None:
    base = await event_store.append(ref(), [deposit(1)], expected_version=0)
    version = base[-1].sequence
    results = await asyncio.gather(
        event_store.append(ref(), [deposit(10)], expected_version=version),
        event_store.append(ref(), [deposit(20)], expected_version=version),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1
    assert isinstance(failures[0], ConcurrencyError)
    assert failures[0].actual is not None and failures[0].actual > (version or 0)
    # the loser re-reads and retries: it succeeds
    retried = await event_store.append(
        ref(), [deposit(20)], expected_version=await event_store.version(ref())
    )
    assert retried
    assert len(await event_store.load(ref())) == 3


async def test_same_event_twice_is_stored_once(event_store: EventStore) -> None:
    event = deposit(5)
    first = await event_store.append(ref(), [event], expected_version=0)
    again = await event_store.append(ref(), [event], expected_version=0)  # the retry trap
    unchecked = await event_store.append(ref(), [event], expected_version=None)
    assert first[0].sequence == again[0].sequence == unchecked[0].sequence
    assert len(await event_store.load(ref())) == 1


async def test_retried_atomic_batch_is_stored_once(event_store: EventStore) -> None:
    batch = [deposit(1), deposit(2), deposit(3)]
    first = await event_store.append(ref(), batch, expected_version=0)
    again = await event_store.append(ref(), batch, expected_version=0)
    assert [e.sequence for e in first] == [e.sequence for e in again]
    assert len(await event_store.load(ref())) == 3


async def test_conflicting_batch_stores_nothing(event_store: EventStore) -> None:
    await event_store.append(ref(), [deposit(1)], expected_version=0)
    with pytest.raises(ConcurrencyError):
        await event_store.append(ref(), [deposit(2), deposit(3)], expected_version=0)
    assert len(await event_store.load(ref())) == 1


async def test_a_retried_save_whose_first_events_were_stored_appends_the_rest(
    event_store: EventStore,
) -> None:
    """A save whose answer was lost (a timeout, a NATS restart) stored its events; the
    retry carries them and what was recorded since: the rest is appended after them, not
    refused as a conflict (which made the executor drop the newer events from memory)."""
    first, second = deposit(1), deposit(2)
    [landed] = await event_store.append(ref(), [first], expected_version=0)  # answer lost
    stored = await event_store.append(ref(), [first, second], expected_version=0)
    assert [(e.id, e.sequence) for e in stored] == [
        (first.id, landed.sequence),
        (second.id, (landed.sequence or 0) + 1),
    ]
    assert [e.id for e in await event_store.load(ref())] == [first.id, second.id]
    # someone else's event after the expected version is a conflict, as before
    await event_store.append(ref(), [deposit(3)], expected_version=stored[-1].sequence)
    with pytest.raises(ConcurrencyError):
        await event_store.append(
            ref(), [deposit(4), deposit(5)], expected_version=stored[-1].sequence
        )
    assert len(await event_store.load(ref())) == 3


async def test_aggregates_are_isolated_by_subject(event_store: EventStore) -> None:
    await event_store.append(ref("a"), [deposit(1, ref("a"))], expected_version=0)
    await event_store.append(ref("b"), [deposit(2, ref("b"))], expected_version=0)
    assert [e.data["amount"] for e in await event_store.load(ref("b"))] == [2]


async def test_subscribe_from_a_position_then_live(event_store: EventStore) -> None:
    for amount in range(1, 6):
        await event_store.append(ref(), [deposit(amount)], expected_version=None)
    seen: list[Any] = []

    async def consume() -> None:
        async for stored in event_store.subscribe(from_sequence=3):
            seen.append(stored.envelope.data["amount"])
            if len(seen) == 4:
                return

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    await event_store.append(ref(), [deposit(6)], expected_version=None)
    await asyncio.wait_for(task, 5)
    assert seen == [3, 4, 5, 6]


async def test_repository_retries_a_conflict_by_rereading(event_store: EventStore) -> None:
    repo = Repository(event_store, registry, Account)
    stale = await repo.load(AggregateId("a1"))
    await repo.execute(AggregateId("a1"), lambda acc: acc.deposit(7))
    stale.deposit(1)
    with pytest.raises(ConcurrencyError):
        await repo.save(stale)
    await repo.execute(AggregateId("a1"), lambda acc: acc.deposit(1))
    assert (await repo.load(AggregateId("a1"))).balance == 8


async def test_stream_forbids_delete_and_purge(event_store: EventStore, nc: Client) -> None:
    await event_store.append(ref(), [deposit(1)], expected_version=0)
    js = nc.jetstream()
    with pytest.raises(APIError):
        await js.delete_msg(event_store.spec.name, 1)
    with pytest.raises(APIError):
        await js.purge_stream(event_store.spec.name)
    assert len(await event_store.load(ref())) == 1


async def test_a_stream_that_allows_purge_is_refused(nc: Client, namespace: str) -> None:
    from nats.js.api import StreamConfig

    spec = StreamSpec(name=f"BAD_{namespace}", prefix=f"{namespace}b")
    await nc.jetstream().add_stream(StreamConfig(name=spec.name, subjects=[f"{spec.prefix}.>"]))
    with pytest.raises(StreamMisconfigured, match="deny_purge"):
        await ensure_stream(nc.jetstream(), spec)


async def test_an_event_message_carries_its_id_and_expected_sequence_only(
    event_store: EventStore, nc: Client
) -> None:
    """The id (de-duplication) and the expected sequence are the headers JetStream needs;
    the type and version travel in the envelope (stored headers are parsed by every
    reader of every message)."""
    event = deposit(1)
    assert headers_for(event, 0) == {
        "Nats-Msg-Id": event.id,
        "Nats-Expected-Last-Subject-Sequence": "0",
    }
    await event_store.append(ref(), [event], expected_version=0)
    msg = await nc.jetstream().get_last_msg(event_store.spec.name, event_store.subject(ref()))
    assert msg.headers is not None and msg.headers["Nats-Msg-Id"] == event.id
    assert not [name for name in msg.headers if name.startswith("Fleet-")]
    assert json.loads(msg.data or b"{}")["type"] == "test.deposited"


async def test_following_by_batch_covers_every_position_once_a_forged_one_passed_over(
    event_store: EventStore, nc: Client
) -> None:
    """What rebuilds read: batches as pulled (never empty), every stream position once and
    in order, a message that is no valid event passed over (and quarantined), the types
    the reader does not use not decoded."""
    first, other = ref("f1"), ref("f2")
    for n in range(1, 6):
        await event_store.append(first, [wrap(Deposited(amount=n), first)], None)
    forged = (await nc.jetstream().publish(event_store.subject(first), b"not json")).seq
    for n in range(6, 9):
        await event_store.append(other, [wrap(Deposited(amount=n), other)], None)
    last = await event_store.last_sequence()
    subject = f"{event_store.spec.prefix}.account.>"
    seen: list[StoredEvent | PassedOver | NotRead] = []
    read = event_store.follow_batches(subject=subject, types={"test.deposited"})
    async with contextlib.aclosing(read):
        async for batch in read:
            assert batch
            seen.extend(batch)
            if position_of(batch[-1]) >= last:
                break
    positions = [position_of(item) for item in seen]
    assert positions == sorted(set(positions)) and positions[-1] == last
    assert [type(item).__name__ for item in seen].count("PassedOver") == 1
    assert [position_of(i) for i in seen if isinstance(i, PassedOver)] == [forged]
    stored = [item for item in seen if isinstance(item, StoredEvent)]
    assert [getattr(item.event, "amount") for item in stored] == list(range(1, 9))  # noqa: B009
    listed = await event_store.quarantine.list(event_store.spec.name)
    assert [q.sequence for q in listed] == [forged]


async def test_subscribe_to_several_subjects_or_from_a_time(event_store: EventStore) -> None:
    from datetime import UTC, datetime

    kinds = ("account", "user", "bot")
    for n, kind in enumerate(kinds * 2):
        aggregate = AggregateRef(type=kind, id=AggregateId(f"x{n}"))
        await event_store.append(aggregate, [wrap(Deposited(amount=n), aggregate)], None)
    middle = datetime.now(UTC)
    await asyncio.sleep(0.05)
    late = AggregateRef(type="user", id=AggregateId("late"))
    await event_store.append(late, [wrap(Deposited(amount=99), late)], None)

    async def first(count: int, **options: Any) -> list[Envelope]:
        seen: list[Envelope] = []
        async for stored in event_store.subscribe(**options):
            seen.append(stored.envelope)
            if len(seen) == count:
                return seen
        return seen

    prefix = event_store.spec.prefix
    picked = await first(5, subjects=[f"{prefix}.user.*", f"{prefix}.bot.*"])
    assert [e.aggregate.type for e in picked] == ["user", "bot", "user", "bot", "user"]
    assert [e.sequence for e in picked] == sorted(e.sequence or 0 for e in picked)
    assert [e.data["amount"] for e in await first(1, from_time=middle)] == [99]


async def test_an_append_and_a_load_wait_out_a_stream_that_is_not_there_yet(
    nc: Client, namespace: str
) -> None:
    """JetStream answers "unavailable" while a cluster elects a stream's leader; the same
    answer comes before a stream exists. Asked during that time, an append and a load
    succeed once the stream answers (here: created 0.6 s later) and store the event once."""
    spec = StreamSpec(name=f"LATE_{namespace}", prefix=f"{namespace}late")
    store = EventStore(nc, spec, registry=registry)
    late = asyncio.create_task(_created_after(nc, spec, 0.6))
    stored = await store.append(ref(), [deposit(5)], expected_version=0)
    await late
    assert [e.id for e in await store.load(ref())] == [stored[0].id]
    assert (await nc.jetstream().stream_info(spec.name)).state.messages == 1


async def _created_after(nc: Client, spec: StreamSpec, seconds: float) -> None:
    await asyncio.sleep(seconds)
    await ensure_stream(nc.jetstream(), spec)


class _Bus:
    """What a RawPull asks of its connection: an inbox, and publishing pull requests."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []

    def new_inbox(self) -> str:
        return "_INBOX.test"

    async def publish(self, subject: str, payload: bytes, reply: str) -> None:
        self.requests.append(payload)


def _message(bus: Any, data: bytes = b"", status: str = "", why: str = "", seq: int = 1) -> Msg:
    headers = {"Status": status, "Description": why} if status else None
    reply = "" if status else f"$JS.ACK.S.c.1.{seq}.{seq}.1.0"  # stream and consumer seq
    return Msg(bus, subject="ev.x.1", reply=reply, data=data, headers=headers)


async def test_a_raw_pull_keeps_two_requests_out_and_ends_with_its_consumer() -> None:
    bus = _Bus()
    pull = RawPull(bus, None, "S", "c", batch=2, wait_s=5)  # type: ignore[arg-type]
    reader = pull.batches()
    waiting = asyncio.ensure_future(anext(reader))
    await asyncio.sleep(0)
    assert len(bus.requests) == 2  # the next batch is on its way while this one is read
    first, second = _message(bus, b"1", seq=1), _message(bus, b"2", seq=2)
    await pull._on_message(first)
    await pull._on_message(_message(bus, status="100", why="Idle Heartbeat"))
    await pull._on_message(second)
    assert await waiting == [first, second]
    assert len(bus.requests) == 3  # the first request was served whole: one more asked
    await pull._on_message(_message(bus, status="408", why="Request Timeout"))
    await pull._on_message(_message(bus, status="409", why="Consumer Deleted"))
    with pytest.raises(NotFoundError):
        await anext(reader)


async def test_a_raw_pull_hands_out_nothing_after_a_message_lost_on_the_way() -> None:
    """Without acks JetStream counts a message lost in a reconnect as delivered: the
    consumer sequence jumps, and the reader stops before the gap to read again."""
    bus = _Bus()
    pull = RawPull(bus, None, "S", "c", batch=10, wait_s=5)  # type: ignore[arg-type]
    reader = pull.batches()
    waiting = asyncio.ensure_future(anext(reader))
    await asyncio.sleep(0)
    one, two, four = (_message(bus, b"x", seq=n) for n in (1, 2, 4))
    for msg in (one, two, four):
        await pull._on_message(msg)
    assert await waiting == [one, two]  # three never arrived: four is not handed out
    with pytest.raises(MessagesLost):
        await anext(reader)


class _GoneConsumer:
    """A JetStream context whose consumer no longer exists."""

    def __init__(self) -> None:
        self.asked = 0

    async def consumer_info(self, stream: str, consumer: str) -> None:
        self.asked += 1
        raise NotFoundError


async def test_a_raw_pull_that_finds_no_responder_again_and_again_asks_for_its_consumer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A consumer a restarted server no longer has answers nothing: its requests find no
    responder (503), which a consumer being placed also answers for a moment. After a
    few in a row the reader asks, and a consumer that is gone ends it (made anew)."""
    monkeypatch.setattr(pull_module, "UNAVAILABLE_PAUSE_S", 0.0)
    bus, js = _Bus(), _GoneConsumer()
    pull = RawPull(bus, js, "S", "c", batch=2, wait_s=5)  # type: ignore[arg-type]
    reader = pull.batches()
    waiting = asyncio.ensure_future(anext(reader))
    for _ in range(pull_module.UNAVAILABLE_CHECK_AFTER - 1):
        await asyncio.sleep(0.01)  # the reader waits for an answer again
        await pull._on_message(_message(bus, status="503", why="No Responders"))
    await asyncio.sleep(0.01)
    assert js.asked == 0 and not waiting.done()  # a consumer being placed gets its time
    await pull._on_message(_message(bus, status="503", why="No Responders"))
    with pytest.raises(NotFoundError):
        await asyncio.wait_for(waiting, 5)
    assert js.asked == 1


class _Reconnecting:
    """A JetStream context whose questions time out (a reconnect under way)."""

    def __init__(self) -> None:
        self.asked = 0

    async def consumer_info(self, stream: str, consumer: str) -> None:
        self.asked += 1
        raise TimeoutError


async def test_a_raw_pull_whose_question_times_out_hands_over_to_a_new_consumer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Requests lost in a reconnect, and the question whether the consumer still exists
    times out too (or its node is down: it would for ever). The reader does not raise the
    timeout (a follower would end) nor ask the same consumer for ever (it stalled when a
    cluster node died): it ends with ``NotFoundError``, and the store makes a new one from
    the first message not yielded."""
    monkeypatch.setattr(pull_module, "GRACE_S", 0.0)
    bus, js = _Bus(), _Reconnecting()
    pull = RawPull(bus, js, "S", "c", batch=2, wait_s=0.05)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        await asyncio.wait_for(anext(pull.batches()), 5)
    assert js.asked == 1


class SnapshottedAccount(Account):
    snapshot_schema = 1

    def snapshot_state(self) -> Any:
        return {"balance": self.balance}

    def restore_state(self, state: Any) -> None:
        self.balance = int(state["balance"])


async def test_a_repository_keeps_snapshots_in_the_kv_bucket_and_loads_the_tail_after_one(
    event_store: EventStore, nc: Client, namespace: str
) -> None:
    await ensure_snapshot_bucket(nc.jetstream())
    snapshots = KvSnapshots(nc.jetstream())
    repo = Repository(
        event_store, registry, SnapshottedAccount, snapshots=snapshots, snapshot_every=3
    )
    account_id = AggregateId(namespace)
    for amount in (1, 2, 3, 4):
        await repo.execute(account_id, lambda acc, n=amount: acc.deposit(n))  # type: ignore[misc]
    stored = await snapshots.get(AggregateRef(type="account", id=account_id))
    snapshot = Snapshot.from_bytes(stored or b"")
    assert snapshot is not None and snapshot.state == {"balance": 6}
    loaded = await repo.load(account_id)
    assert loaded.balance == 10 and loaded.unsnapshotted == 1
    assert loaded.version == await event_store.version(loaded.ref) > snapshot.version


async def test_concurrent_appends_get_their_own_pubacks_from_one_inbox(
    event_store: EventStore,
) -> None:
    """Every PubAck comes back to one subscription of the connection, told apart by a
    counter: 40 appends at once each get the sequence their event was stored at."""
    nc = event_store.nc
    before = len(nc._subs)
    aggregates = [ref(f"inbox{i}") for i in range(40)]
    stored = await asyncio.gather(
        *(
            event_store.append(a, [deposit(i, a)], expected_version=0)
            for i, a in enumerate(aggregates)
        )
    )
    for aggregate, (envelope,) in zip(aggregates, stored, strict=True):
        (loaded,) = await event_store.load(aggregate)
        assert (loaded.id, loaded.sequence) == (envelope.id, envelope.sequence)
    assert len({e.sequence for (e,) in stored}) == 40
    assert len(nc._subs) - before <= 1  # the inbox (if this test made the first append)
    assert replies_of(nc) is replies_of(nc)


async def test_a_publish_no_stream_listens_to_is_answered_503(nc: Client, namespace: str) -> None:
    outcome = await acked(nc, f"{namespace}.nobody", b"{}", {}, 2.0)
    assert (outcome.last_sequence, outcome.error_code) == (None, 503)
