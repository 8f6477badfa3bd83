"""Health checks against real OpenBao and NATS (BingX is the signature-checking fake): a
refusal is one CredentialVerificationFailed, a recovery one CredentialVerified with
recovered=True, and rounds where nothing changes record nothing."""

import uuid

import pytest
from nats.aio.client import Client

from fleet.bus.lease import LeaseLost
from fleet.events import AggregateId, AggregateRef
from fleet.eventstore import EventStore
from fleet.testing.vault import wrapped_connect
from fleet.vault.adapters.transit import TransitKeeper
from fleet.vault.connecting import connect
from fleet.vault.health_checks import HealthChecks

from .conftest import FakeBingx, credential_events, wire

pytestmark = pytest.mark.integration
KEY, SECRET = "HealthKey0123456789ab", "HealthSecret0123456789ab"


async def connected(
    store: EventStore, nc: Client, keeper: TransitKeeper
) -> tuple[FakeBingx, str, HealthChecks]:
    """A user whose key is connected (and fine on BingX), and health checks over them."""
    bingx = FakeBingx()
    bingx.accounts[KEY] = (SECRET, (2, 3))
    deps = wire(store, nc, keeper, bingx)
    user_id = "h" + uuid.uuid4().hex[:12]
    command = wrapped_connect(await keeper.wrapping_key(), user_id, KEY, SECRET)
    assert (await connect(command, deps)).ok
    return bingx, user_id, HealthChecks(lambda: deps, every_s=3600, concurrency=2)


async def test_checks_record_changes_only(
    store: EventStore, nc: Client, keeper: TransitKeeper
) -> None:
    bingx, user_id, checks = await connected(store, nc, keeper)

    async def round_and_events() -> list[str]:
        await checks.check_all()
        return (await credential_events(store, user_id))[1:]

    assert await round_and_events() == []  # verified and still fine: nothing to say
    assert await round_and_events() == []
    revoked = bingx.accounts.pop(KEY)  # the user deleted the key on BingX
    assert await round_and_events() == ["credential.verification_failed"]
    assert await round_and_events() == ["credential.verification_failed"]
    bingx.accounts[KEY] = revoked
    recovered = ["credential.verification_failed", "credential.verified"]
    assert await round_and_events() == recovered
    assert await round_and_events() == recovered
    bingx.accounts[KEY] = (SECRET, (2, 3, 5))  # withdrawal enabled afterwards: refused
    assert (await round_and_events())[-1] == "credential.verification_failed"
    events = await store.load(AggregateRef(type="cred", id=AggregateId(user_id)))
    assert events[-2].data["recovered"] is True
    assert "withdraw" in events[-1].data["reason"]
    assert checks.rounds == 7


async def test_a_worker_that_lost_the_health_lease_records_nothing(
    store: EventStore, nc: Client, keeper: TransitKeeper
) -> None:
    """Fencing: a worker paused past its vault-health lease resumes mid-round; its checks
    are refused before they verify (and append), the key's refusal is left to the holder."""
    bingx, user_id, checks = await connected(store, nc, keeper)

    async def lost() -> int:
        raise LeaseLost("vault-health.x", "not renewed in time")

    checks.fence = lost
    bingx.accounts.pop(KEY)  # a change the holder would record
    await checks.check_all()
    assert (await credential_events(store, user_id))[1:] == []
