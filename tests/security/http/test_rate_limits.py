"""Finding 6 (the event log budget): a user's state-changing requests are rate limited
per user (429 with Retry-After), so one account cannot fill the log; reads are not."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gateway_env(internal_port: int) -> dict[str, str]:
    return {
        "FLEET_GATEWAY_INTERNAL_PORT": str(internal_port),
        # one token every 30 s: a slow CI machine cannot refill the bucket mid-test
        # (at 60 a minute, a 9th write more than a second later was let through)
        "FLEET_USER_WRITES_PER_MINUTE": "2",
        "FLEET_USER_WRITES_BURST": "5",
    }


async def test_state_changes_are_limited_per_user(stack: Stack, admin: Session) -> None:
    # signing in changes the admin-chosen password first: one write of the burst of 5
    trader = await stack.new_session(admin, "trader")
    other = await stack.new_session(admin, "trader")
    statuses = [
        (await trader.put("/api/settings", json={"leverage": 2 + i % 3})).status_code
        for i in range(8)
    ]
    assert statuses[:4] == [200] * 4 and 429 in statuses[4:], statuses
    refused = await trader.put("/api/settings", json={"leverage": 4})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"]["code"] == "throttled"
    assert (await trader.get("/api/settings")).status_code == 200  # reads are not limited
    assert (await other.put("/api/settings", json={"leverage": 4})).status_code == 200
