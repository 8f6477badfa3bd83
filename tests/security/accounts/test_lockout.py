"""Finding 3 and 4: wrong passwords from one source never lock the account, never end
its sessions, and never stop its owner signing in from another source; a flood of
parallel logins is refused cheaply (429 + Retry-After) before argon2."""

import asyncio
import statistics
import time
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration
ATTACKER_IP = "127.0.0.2"
OWNER_IP = "127.0.0.1"
SWARM_IP = "127.0.0.5"


async def _attack(stack: "Stack", username: str, attempts: int, ip: str = ATTACKER_IP) -> list[int]:
    attacker = stack.client(ip)
    statuses = []
    for attempt in range(attempts):
        answer = await attacker.post(
            "/api/auth/login", json={"username": username, "password": f"wrong guess {attempt}"}
        )
        statuses.append(answer.status_code)
    return statuses


@pytest.mark.parametrize("attempts", [10, 50])
async def test_wrong_passwords_from_one_source_neither_lock_nor_end_sessions(
    stack: "Stack", admin: "Session", attempts: int
) -> None:
    victim = await stack.create_user(admin, "trader")
    session = await stack.login(victim, OWNER_IP)
    statuses = await _attack(stack, victim.username, attempts)
    print(f"{attempts} wrong passwords from {ATTACKER_IP}: {statuses}")
    assert 423 not in statuses and set(statuses) <= {401, 429}

    assert (await session.get("/api/auth/me")).status_code == 200  # still signed in
    owner = stack.client(OWNER_IP)
    right = {"username": victim.username, "password": victim.password}
    answer = await owner.post("/api/auth/login", json=right)
    assert answer.status_code == 200, answer.text


async def test_parallel_logins_are_refused_cheaply_and_the_owner_still_gets_in(
    stack: "Stack", admin: "Session"
) -> None:
    victim = await stack.create_user(admin, "trader")
    await stack.login(victim, OWNER_IP)  # the forced password change is made here
    attacker = stack.client(ATTACKER_IP)
    owner = stack.client(OWNER_IP)
    right = {"username": victim.username, "password": victim.password}

    async def flood() -> list[int]:
        answers = await asyncio.gather(
            *(
                attacker.post("/api/auth/login", json={"username": f"x{i}", "password": "p" * 12})
                for i in range(24)
            )
        )
        return [answer.status_code for answer in answers]

    async def owner_logins() -> list[float]:
        took = []
        for _ in range(5):
            started = time.perf_counter()
            answer = await owner.post("/api/auth/login", json=right)
            took.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
        return took

    statuses, took = await asyncio.gather(flood(), owner_logins())
    refused = [s for s in statuses if s == 429]
    print(
        f"24 parallel logins: {len(refused)} refused with 429; owner p50 "
        f"{statistics.median(took) * 1000:.0f} ms, max {max(took) * 1000:.0f} ms"
    )
    assert refused and set(statuses) <= {401, 429}
    retry = await attacker.post("/api/auth/login", json={"username": "x", "password": "p" * 12})
    if retry.status_code == 429:
        assert int(retry.headers["Retry-After"]) >= 1


async def test_sustained_attacks_are_one_audit_entry_per_source_and_an_alert(
    stack: "Stack", admin: "Session"
) -> None:
    victim = await stack.create_user(admin, "trader")
    statuses = await _attack(stack, victim.username, 40, SWARM_IP)
    refused: list[dict[str, Any]] = []
    seen: list[dict[str, Any]] = []
    for _ in range(100):
        audit = await admin.get("/api/admin/audit", params={"limit": 200})
        seen = audit.json()["items"]
        refused = [e for e in seen if e["action"] == "security.logins_refused"]
        counted = sum(int(e["details"]["refused"]) for e in refused if e["ip"] == SWARM_IP)
        if counted >= len(statuses):
            break
        await asyncio.sleep(0.2)
    actions = [entry["action"] for entry in seen]
    print(f"40 refused logins -> {len(refused)} logins_refused entries; actions {set(actions)}")
    per_attempt = [e for e in seen if e["action"] == "auth.login" and e["ip"] == SWARM_IP]
    assert not per_attempt, "refused logins are aggregated, not one entry each"
    assert counted == len(statuses), (counted, statuses)
    assert len([e for e in refused if e["ip"] == SWARM_IP]) < len(statuses)
    alerts = [e for e in seen if e["action"] == "security.attack_suspected"]
    assert alerts and any(int(e["details"]["refused"]) >= 5 for e in alerts)
