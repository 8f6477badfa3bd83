"""Live updates over ``GET /api/ws`` against the real auth service and gateway processes:
who receives which frame, refusals, revocation, reconnect with ``?after=``, slow sockets."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from fleet.events.credentials import CredentialConnected
from fleet.events.notifications import NotificationCreated
from fleet.events.signals import SignalGenerated, signal_stream_id
from fleet.events.trading import AccountValued

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration
QUEUE_FRAMES = 256
PER_USER = 3


@pytest.fixture(scope="module")
def gateway_env() -> dict[str, str]:
    return {
        "FLEET_LIVE_QUEUE_FRAMES": str(QUEUE_FRAMES),
        "FLEET_LIVE_MAX_SOCKETS_PER_USER": str(PER_USER),
        # the slow socket reads nothing (pongs neither) while 200 batches are appended,
        # which takes longer than a ping's 20 s on a busy machine: it must be dropped as
        # slow (4008), not as silent
        "FLEET_LIVE_PING_S": "300",
    }


def ws_url(stack: Stack, after: int | None = None) -> str:
    base = stack.base_url.replace("http://", "ws://")
    return f"{base}/api/ws" + (f"?after={after}" if after is not None else "")


def origin(stack: Stack) -> str:
    parts = urlsplit(stack.base_url)
    return f"{parts.scheme}://{parts.netloc}"


def live(stack: Stack, session: Session, *, after: int | None = None, **kwargs: Any) -> Any:
    """A browser-like socket: the session cookie and the page's Origin."""
    cookie = f"fleet_session={session.http.cookies.get('fleet_session')}"
    return connect(
        ws_url(stack, after),
        additional_headers={"Cookie": cookie},
        origin=Origin(origin(stack)),
        **kwargs,
    )


async def valued(stack: Stack, user_id: str) -> int:
    return await stack.append(
        "account",
        user_id,
        AccountValued(
            balance=Decimal(1000),
            equity=Decimal(1000),
            available_margin=Decimal(900),
            unrealised_pnl=Decimal(0),
            valued_at=datetime.now(UTC),
        ),
    )


async def frames_until(ws: ClientConnection, seq: int, timeout: float = 15) -> list[dict[str, Any]]:
    """Frames received up to the one of ``seq`` (included)."""
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while not found or found[-1]["seq"] < seq:
            found.append(json.loads(await ws.recv()))
    return found


async def test_each_socket_gets_only_whose_frames_it_may_see(stack: Stack, admin: Session) -> None:
    trader_a = await stack.new_session(admin, "trader")
    trader_b = await stack.new_session(admin, "trader")
    viewer = await stack.new_session(admin, "viewer")
    granted = await admin.put(f"/api/admin/users/{viewer.user_id}/grants/{trader_a.user_id}")
    assert granted.status_code == 200, granted.text
    a_id, b_id = trader_a.user_id, trader_b.user_id
    audited_before = await live_views(admin)
    async with (
        live(stack, trader_a) as ws_a,
        live(stack, trader_b) as ws_b,
        live(stack, viewer) as ws_v,
        live(stack, admin) as ws_admin,
    ):
        a1 = await valued(stack, a_id)
        b1 = await valued(stack, b_id)
        a2 = await valued(stack, a_id)
        b2 = await valued(stack, b_id)
        got_a = await frames_until(ws_a, a2)
        got_v = await frames_until(ws_v, a2)
        got_b = await frames_until(ws_b, b2)
        got_admin = await frames_until(ws_admin, b2)
    assert [(f["seq"], f["user_id"], f["type"]) for f in got_a] == [
        (a1, a_id, "account"),
        (a2, a_id, "account"),
    ]
    assert [f["seq"] for f in got_v] == [a1, a2]
    assert [(f["seq"], f["user_id"]) for f in got_b] == [(b1, b_id), (b2, b_id)]
    mine = [f["seq"] for f in got_admin if f["user_id"] in {a_id, b_id}]
    assert mine == [a1, b1, a2, b2]
    assert got_a[0]["data"]["equity"] == "1000" and got_a[0]["data"]["event"] == (
        "trading.account_valued"
    )
    # one audit entry for the admin's socket, not one per frame it received
    for _ in range(100):  # the audit read model follows the log: up to 10 s
        audited = await live_views(admin)
        if audited > audited_before:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    assert await live_views(admin) == audited == audited_before + 1


async def live_views(admin: Session) -> int:
    answer = await admin.get("/api/admin/audit", params={"action": "admin.live.view"})
    assert answer.status_code == 200, answer.text
    return int(answer.json()["total"])


async def test_a_credential_frame_carries_no_ciphertext(stack: Stack, admin: Session) -> None:
    trader = await stack.new_session(admin, "trader")
    ciphertext = "vault:v1:" + secrets.token_hex(24)
    async with live(stack, trader) as ws:
        seq = await stack.append(
            "cred",
            trader.user_id,
            CredentialConnected(
                api_key_ciphertext=ciphertext,
                api_key_last4="WXYZ",
                signing_key_version=1,
                account_type="perpetual",
                permissions=(1, 2),
                ip_addresses=(),
                balance=Decimal("250.5"),
            ),
        )
        (frame,) = await frames_until(ws, seq)
    assert frame["type"] == "credential" and frame["user_id"] == trader.user_id
    assert frame["data"] == {
        "event": "credential.connected",
        "api_key_last4": "WXYZ",
        "account_type": "perpetual",
        "balance": "250.5",
    }
    assert ciphertext not in json.dumps(frame)


async def test_a_grant_given_while_open_widens_the_viewers_socket(
    stack: Stack, admin: Session
) -> None:
    trader = await stack.new_session(admin, "trader")
    viewer = await stack.new_session(admin, "viewer")
    async with live(stack, viewer) as ws:
        before = await valued(stack, trader.user_id)
        given = await admin.put(f"/api/admin/users/{viewer.user_id}/grants/{trader.user_id}")
        assert given.status_code == 200, given.text
        after = await valued(stack, trader.user_id)
        got = await frames_until(ws, after)
    assert [f["seq"] for f in got] == [after] and before < after


async def signal(stack: Stack) -> int:
    """A signal: market data, for every socket (here, a marker that frames before it came)."""
    return await stack.append(
        "signal",
        signal_stream_id("BTC-USDT", "5m"),
        SignalGenerated(
            strategy="adx",
            strategy_version=1,
            symbol="BTC-USDT",
            timeframe="5m",
            candle_open_ms=int(time.time() * 1000),
            close=Decimal(50000),
            adx=30.0,
            plus_di=25.0,
            minus_di=15.0,
            atr=100.0,
            cross="none",
            direction="none",
            stop_distance=Decimal(200),
            confidence=0.5,
        ),
    )


async def test_a_grant_revoked_while_open_narrows_the_viewers_socket(
    stack: Stack, admin: Session
) -> None:
    trader = await stack.new_session(admin, "trader")
    viewer = await stack.new_session(admin, "viewer")
    grant = f"/api/admin/users/{viewer.user_id}/grants/{trader.user_id}"
    assert (await admin.put(grant)).status_code == 200
    async with live(stack, viewer) as ws:
        seen = await valued(stack, trader.user_id)
        assert [f["seq"] for f in await frames_until(ws, seen)] == [seen]
        revoked = await admin.delete(grant)
        assert revoked.status_code in {200, 204}, revoked.text
        await valued(stack, trader.user_id)  # no longer his to see
        marker = await signal(stack)
        got = await frames_until(ws, marker)
    assert [(f["seq"], f["type"], f["user_id"]) for f in got] == [(marker, "signal", None)]


async def test_refused_without_a_session_from_another_origin_or_with_a_bad_token(
    stack: Stack, admin: Session
) -> None:
    trader = await stack.new_session(admin, "trader")
    cookie = {"Cookie": f"fleet_session={trader.http.cookies.get('fleet_session')}"}
    attempts: list[dict[str, Any]] = [
        {},  # anonymous
        {"additional_headers": cookie, "origin": Origin("http://evil.example")},
        {"additional_headers": cookie},  # a cookie without an Origin
        {"additional_headers": {"Authorization": "Bearer flt_not-a-token"}},
    ]
    for attempt in attempts:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(ws_url(stack), **attempt):
                pass
        assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        async with live(stack, trader, after=-5):
            pass


async def test_a_user_has_a_bounded_number_of_sockets(stack: Stack, admin: Session) -> None:
    trader = await stack.new_session(admin, "trader")
    async with live(stack, trader), live(stack, trader), live(stack, trader) as third:
        with pytest.raises(InvalidStatus) as refused:
            async with live(stack, trader):
                pass
        assert refused.value.response.status_code == 403
        seq = await valued(stack, trader.user_id)
        assert [f["seq"] for f in await frames_until(third, seq)] == [seq]


async def test_a_read_token_subscribes_like_its_owner(stack: Stack, admin: Session) -> None:
    trader = await stack.new_session(admin, "trader")
    created = await trader.post("/api/tokens", json={"name": "live", "scope": "read"})
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    stack.secrets.add(token)
    headers = {"Authorization": f"Bearer {token}"}
    async with connect(ws_url(stack), additional_headers=headers) as ws:
        seq = await valued(stack, trader.user_id)
        got = await frames_until(ws, seq)
        assert [f["seq"] for f in got] == [seq]
        revoked = await trader.delete(f"/api/tokens/{created.json()['token_id']}")
        assert revoked.status_code in {200, 204}, revoked.text
        await closed_within(ws, "token revoked")
    assert ws.close_code == 4001


async def closed_within(ws: ClientConnection, what: str) -> float:
    """Read until the server closes; print how long that took."""
    start = time.monotonic()
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(10):
            while True:
                await ws.recv()
    delay = time.monotonic() - start
    print(f"\n{what}: socket closed {delay * 1000:.0f} ms after the revocation answered")
    return delay


async def test_a_revoked_session_closes_its_socket(stack: Stack, admin: Session) -> None:
    trader = await stack.new_session(admin, "trader")
    other_tab = await stack.login(trader.account)
    deactivated = await stack.new_session(admin, "trader")
    async with (
        live(stack, trader) as ws_logout,
        live(stack, other_tab) as ws_kept,
        live(stack, deactivated) as ws_off,
    ):
        assert (await trader.post("/api/auth/logout")).status_code in {200, 204}
        await closed_within(ws_logout, "logout")
        answer = await admin.put(
            f"/api/admin/users/{deactivated.user_id}/active", json={"active": False}
        )
        assert answer.status_code == 200, answer.text
        await closed_within(ws_off, "deactivation")
        seq = await valued(stack, other_tab.user_id)
        assert [f["seq"] for f in await frames_until(ws_kept, seq)] == [seq]
    assert ws_logout.close_code == 4001 and ws_off.close_code == 4001


async def test_reconnect_after_a_sequence_has_no_gap_and_no_duplicate(
    stack: Stack, admin: Session
) -> None:
    trader = await stack.new_session(admin, "trader")
    async with live(stack, trader) as ws:
        first = [await valued(stack, trader.user_id) for _ in range(3)]
        seen = await frames_until(ws, first[-1])
    missed = [await valued(stack, trader.user_id) for _ in range(3)]
    async with live(stack, trader, after=seen[-1]["seq"]) as ws:
        live_one = await valued(stack, trader.user_id)
        again = await frames_until(ws, live_one)
    assert [f["seq"] for f in seen] == first
    assert [f["seq"] for f in again] == [*missed, live_one]
    # from the start of the log (the ring of recent frames or, before this process
    # started, the log itself): the same frames, his only
    async with live(stack, trader, after=0) as ws:
        replayed = await frames_until(ws, live_one)
    mine = [f["seq"] for f in replayed if f["user_id"] == trader.user_id]
    assert mine == [*first, *missed, live_one]
    assert {f["type"] for f in replayed if f["user_id"] != trader.user_id} <= {"signal"}


async def read_frames(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    async with asyncio.timeout(60):
        return [json.loads(await ws.recv()) for _ in range(count)]


async def test_a_slow_socket_is_dropped_and_the_others_keep_receiving(
    stack: Stack, admin: Session
) -> None:
    trader = await stack.new_session(admin, "trader")
    tiny = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tiny.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    parts = urlsplit(stack.base_url)
    tiny.connect((parts.hostname or "", parts.port or 0))
    tiny.setblocking(False)
    async with (
        live(stack, trader, sock=tiny, max_queue=1, compression=None) as slow,
        live(stack, trader) as fast,
    ):
        reading = asyncio.create_task(read_frames(fast, 200 * 10))
        last = 0
        for batch in range(200):
            events = [
                NotificationCreated(
                    notification_id=f"n-{batch}-{i}",
                    recipient_id=trader.user_id,
                    kind="test",
                    title="slow socket",
                    body=secrets.token_hex(2000),  # incompressible
                    source_event_id=f"s-{batch}-{i}",
                )
                for i in range(10)
            ]
            last = await stack.append("notification", trader.user_id, *events)
        received = await reading
        assert received[-1]["seq"] == last
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(30):
                while True:
                    await slow.recv()
    print(f"\nslow socket closed with {slow.close_code}; the other got {len(received)} frames")
    assert slow.close_code == 4008
