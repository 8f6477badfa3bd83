"""Issue 14: the BingX secret never crosses the bus in clear. A NATS subscriber on ``>``
with the admin's credentials listens while traders connect through the API (a wrong
secret, a key that can withdraw, a good pair): no message carries any part of a secret,
in clear, hex or base64 at any alignment. The refused pairs leave nothing behind: no
event, no transit key (a pending one included)."""

import asyncio
import base64
from typing import TYPE_CHECKING, Any

import httpx
import hvac
import nats
import pytest
from nats.aio.msg import Msg

from fleet.events import AggregateId, AggregateRef
from fleet.events.credentials import CREDENTIAL_AGGREGATE

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration
WINDOW = 12  # any 12 characters of a secret in a row count as "a part of it"


@pytest.fixture(scope="module")
def extra_services() -> tuple[str, ...]:
    return ("vault",)


async def _sim_keys(bingx_sim: Any, permissions: list[str]) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        answer = await http.post(
            "/sim/accounts", json={"balance": "2500", "permissions": permissions}
        )
        return dict(answer.json())


def forms(secret: str) -> list[bytes]:
    """Every form a secret (or part of it) would take in a message: raw windows, hex, and
    base64 (standard and URL-safe) at each of the three byte alignments."""
    raw = secret.encode()
    found = [raw[i : i + WINDOW] for i in range(len(raw) - WINDOW + 1)]
    found += [raw.hex().encode(), raw.hex().upper().encode()]
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            found.append(encode(raw[offset:])[:-4])  # the tail depends on what follows
    return found


def carriers(messages: list[tuple[str, bytes]], secrets: list[str]) -> list[str]:
    """The subjects of messages holding a form of a secret (never the secret itself)."""
    needles = [form for secret in secrets for form in forms(secret)]
    return sorted({subject for subject, data in messages if any(n in data for n in needles)})


async def test_no_part_of_the_secret_is_on_the_bus(
    stack: "Stack", admin: "Session", bingx_sim: Any, vault_client: hvac.Client
) -> None:
    refused_trader = await stack.new_session(admin, "trader")
    trader = await stack.new_session(admin, "trader")
    good = await _sim_keys(bingx_sim, ["read", "trade"])
    withdraw = await _sim_keys(bingx_sim, ["read", "trade", "withdraw"])
    wrong_secret = "Wrong" + good["secretKey"][5:]
    secrets = [good["secretKey"], withdraw["secretKey"], wrong_secret]
    stack.secrets.update(secrets)

    messages: list[tuple[str, bytes]] = []

    async def overheard(msg: Msg) -> None:
        headers = "".join(f"{k}:{v}" for k, v in (msg.headers or {}).items())
        messages.append((msg.subject, msg.data + headers.encode()))

    listener = await nats.connect(stack.nats_admin_url)
    await listener.subscribe(">", cb=overheard)
    await listener.flush()
    try:
        wrong = await refused_trader.post(
            "/api/bingx/connect", json={"api_key": good["apiKey"], "api_secret": wrong_secret}
        )
        can_withdraw = await refused_trader.post(
            "/api/bingx/connect",
            json={"api_key": withdraw["apiKey"], "api_secret": withdraw["secretKey"]},
        )
        connected = await trader.post(
            "/api/bingx/connect", json={"api_key": good["apiKey"], "api_secret": good["secretKey"]}
        )
        await listener.flush()
        await asyncio.sleep(0.5)  # the last replies and events reach the listener
    finally:
        await listener.close()

    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid", wrong.text
    assert can_withdraw.status_code == 400 and "withdraw" in can_withdraw.text
    assert connected.status_code == 200, connected.text
    connects = [data for subject, data in messages if subject == "cmd.vault.connect"]
    assert len(connects) == 3 and all(b'"wrapped_secret"' in data for data in connects)
    print(f"{len(messages)} messages overheard on {len({s for s, _ in messages})} subjects")
    assert carriers(messages, secrets) == []
    # the search finds what is there: the API key does cross the bus (it is not secret),
    # and a secret hidden in base64 at any alignment would be seen
    assert carriers(messages, [good["apiKey"]]) != []
    for prefix in (b"", b"a", b"ab"):
        hidden = base64.b64encode(prefix + good["secretKey"].encode() + b"}")
        assert carriers([("x", b'{"v":"' + hidden + b'"}')], secrets) == ["x"]

    ref = AggregateRef(type=CREDENTIAL_AGGREGATE, id=AggregateId(refused_trader.user_id))
    assert await stack.store.load(ref) == []
    keys = vault_client.adapter.list("/v1/transit/keys")["data"]["keys"]
    assert [k for k in keys if k.startswith(f"fleet-sign-{refused_trader.user_id}")] == []
    assert [k for k in keys if k.startswith(f"fleet-sign-{trader.user_id}")] == [
        f"fleet-sign-{trader.user_id}"  # the pending key it was verified with is gone
    ]
