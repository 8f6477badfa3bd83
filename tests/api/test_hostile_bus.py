"""One bad message never stops the platform (the bus trusts no one).

Tried as an attacker would: with a service's NATS credentials (auth's, the one user the
permission table lets write user events: anyone who stole them), a message that is no
event is published on a user's subject; then, as a buggy
writer with valid credentials (auth's), an envelope whose data fails its schema. Both are
stored by JetStream (the stream cannot delete them). After them: every read model goes on,
a new user appears in the admin's list, a deactivation takes effect, a signal is still
traded, the quarantine lists both messages and the gateway's health names the last one.
"""

from typing import TYPE_CHECKING, Any

import httpx
import nats
import pytest

from fleet.events import AggregateId, AggregateRef, Envelope
from fleet.eventstore.quarantine import QuarantineLog
from fleet.stack import free_port
from fleet.testing.waiting import until
from tests.api.test_signal_flow import _signal, connected_trader, decision

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def extra_services() -> tuple[str, ...]:
    return ("vault", "executor")


@pytest.fixture(scope="module")
def internal_port() -> int:
    """The gateway's internal port (detailed health), loopback only."""
    return free_port()


@pytest.fixture(scope="module")
def gateway_env(internal_port: int) -> dict[str, str]:
    return {"FLEET_GATEWAY_INTERNAL_PORT": str(internal_port)}


async def _publish_as(options: dict[str, str], subject: str, payload: bytes) -> int:
    nc = await nats.connect(**options)
    try:
        return int((await nc.jetstream().publish(subject, payload)).seq)
    finally:
        await nc.close()


async def test_a_forged_and_a_malformed_event_are_quarantined_and_the_platform_goes_on(
    stack: "Stack", admin: "Session", bingx_sim: Any, nats_server: Any, internal_port: int
) -> None:
    trader, _ = await connected_trader(stack, admin, bingx_sim, risk_per_trade="1")
    victim = await stack.new_session(admin, "trader")
    prefix = stack.store.spec.prefix
    forged = await _publish_as(
        nats_server.connect_options("auth"), f"{prefix}.user.{victim.user_id}", b'{"forged": true}'
    )
    newcomer = AggregateRef(type="user", id=AggregateId("u" + "0" * 31))
    malformed = Envelope(
        type="user.created", schema_version=1, aggregate=newcomer, data={"role": "admin"}
    )
    buggy = await _publish_as(
        nats_server.connect_options("auth"), f"{prefix}.user.{newcomer.id}", malformed.to_wire()
    )

    later = await stack.create_user(admin, "viewer", "after-the-forgery")
    listed = (await admin.get("/api/admin/users", params={"q": "after-the-forgery"})).json()
    assert [user["id"] for user in listed["items"]] == [later.user_id]
    off = await admin.put(f"/api/admin/users/{victim.user_id}/active", json={"active": False})
    assert off.status_code == 200, off.text
    assert (await victim.get("/api/status")).status_code == 401

    signal_id = await _signal(stack, bingx_sim)
    traded = await until(lambda: decision(trader, signal_id))
    assert traded["decision"] == "entry", traded

    quarantined = await QuarantineLog(stack.nc.jetstream()).list(stack.store.spec.name)
    assert [item.sequence for item in quarantined] == [forged, buggy]
    assert "not a Fleet envelope" in quarantined[0].reason
    assert "user.created" in quarantined[1].reason
    async with httpx.AsyncClient() as http:
        health = (await http.get(f"http://127.0.0.1:{internal_port}/healthz")).json()
    assert health["status"] == "ok", health
    assert health["quarantine"]["messages"] == 2
    assert health["quarantine"]["last"]["sequence"] == buggy
