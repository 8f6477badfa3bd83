"""Finding 10 (in part): connect attempts are rate limited per user (and per platform)
before they reach BingX, and a wrong key and a wrong secret get the same answer."""

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from fleet.events import AggregateId, AggregateRef
from fleet.events.credentials import CREDENTIAL_AGGREGATE

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def extra_services() -> tuple[str, ...]:
    return ("vault",)


async def _sim_keys(bingx_sim: Any) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        answer = await http.post(
            "/sim/accounts", json={"balance": "2500", "permissions": ["read", "trade"]}
        )
        return dict(answer.json())


async def test_a_wrong_key_and_a_wrong_secret_get_one_answer(
    stack: "Stack", admin: "Session", bingx_sim: Any
) -> None:
    trader = await stack.new_session(admin, "trader")
    keys = await _sim_keys(bingx_sim)
    stack.secrets.add(keys["secretKey"])
    api_key, secret = keys["apiKey"], keys["secretKey"]
    wrong_key = await trader.post(
        "/api/bingx/connect", json={"api_key": "Wrong" + api_key[5:], "api_secret": secret}
    )
    wrong_secret = await trader.post(
        "/api/bingx/connect", json={"api_key": api_key, "api_secret": "Wrong" + secret[5:]}
    )
    print(wrong_key.text, wrong_secret.text)
    assert wrong_key.status_code == wrong_secret.status_code == 400
    assert wrong_key.json() == wrong_secret.json()


async def test_connect_attempts_are_rate_limited_before_bingx(
    stack: "Stack", admin: "Session", bingx_sim: Any
) -> None:
    trader = await stack.new_session(admin, "trader")
    keys = await _sim_keys(bingx_sim)
    stack.secrets.add(keys["secretKey"])
    statuses = []
    for attempt in range(12):
        answer = await trader.post(
            "/api/bingx/connect",
            json={
                "api_key": keys["apiKey"],
                "api_secret": f"Wrong{attempt:03}" + keys["secretKey"][8:],
            },
        )
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["Retry-After"]) >= 1
    print(f"12 bad connects in a row: {statuses}")
    assert statuses[0] == 400 and 429 in statuses
    assert statuses.count(400) <= 5  # the user's burst: the rest never reached BingX


async def test_one_api_key_belongs_to_one_fleet_user(
    stack: "Stack", admin: "Session", bingx_sim: Any
) -> None:
    first = await stack.new_session(admin, "trader")
    second = await stack.new_session(admin, "trader")
    keys = await _sim_keys(bingx_sim)
    stack.secrets.add(keys["secretKey"])
    pair = {"api_key": keys["apiKey"], "api_secret": keys["secretKey"]}
    assert (await first.post("/api/bingx/connect", json=pair)).status_code == 200
    again = await first.post("/api/bingx/connect", json=pair)  # his own key: an update
    assert again.status_code == 200, again.text
    taken = await second.post("/api/bingx/connect", json=pair)
    print(taken.text)
    assert taken.status_code == 409, taken.text
    assert first.user_id not in taken.text and first.account.username not in taken.text
    assert (await first.post("/api/bingx/disconnect")).status_code == 200
    freed = await second.post("/api/bingx/connect", json=pair)  # the first let it go
    assert freed.status_code == 200, freed.text
    for user in (first, second):
        ref = AggregateRef(type=CREDENTIAL_AGGREGATE, id=AggregateId(user.user_id))
        stored = [e.model_dump_json() for e in await stack.store.load(ref)]
        assert stored and all(keys["apiKey"] not in event for event in stored)
