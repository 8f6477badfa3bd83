"""The in-memory credential view against real NATS: it follows the log, loads a user it
has not seen yet, and never lets an older event undo a newer state."""

import asyncio
import uuid
from decimal import Decimal

import pytest
from nats.aio.client import Client

from fleet.events import AggregateId
from fleet.events.catalog import domain_registry
from fleet.eventstore import EventStore, Repository
from fleet.vault.credential_view import CredentialView
from fleet.vault.domain.credential import Credential
from fleet.vault.domain.policy import AccountSnapshot

pytestmark = pytest.mark.integration
SNAPSHOT = AccountSnapshot(Decimal(1), "USDT-M perpetual", (2, 3), ())


def user() -> str:
    return "v" + uuid.uuid4().hex[:10]


async def connect(repository: Repository[Credential], user_id: str, version: int = 1) -> None:
    await repository.execute(
        AggregateId(user_id), lambda c: c.connect(SNAPSHOT, f"vault:v1:{version}", "WXYZ", version)
    )


async def test_follows_the_log_and_loads_what_it_has_not_seen(
    store: EventStore, nc: Client
) -> None:
    registry = domain_registry()
    elsewhere = Repository(store, registry, Credential)  # another worker's writes
    early, late = user(), user()
    await connect(elsewhere, early)
    view = CredentialView(store, registry, nc.jetstream())
    follower = asyncio.create_task(view.follow())
    await asyncio.wait_for(view.caught_up.wait(), 10)
    assert view.connected_users() == [early]
    await connect(elsewhere, late)  # asked at once: loaded if the follower lags
    assert (await view.get(late)).connected
    await elsewhere.execute(AggregateId(late), lambda c: c.disconnect("gone"))
    assert not (await view.refresh(late)).connected  # the log is newer than the view
    await connect(elsewhere, early, version=2)
    for _ in range(100):  # the follower brings the update
        if (await view.get(early)).state.signing_key_version == 2:
            break
        await asyncio.sleep(0.05)
    assert (await view.get(early)).state.signing_key_version == 2
    follower.cancel()


async def test_an_older_event_never_undoes_a_newer_state(store: EventStore, nc: Client) -> None:
    registry = domain_registry()
    repository = Repository(store, registry, Credential)
    user_id = user()
    await connect(repository, user_id, 1)
    first = await store.load((await repository.load(AggregateId(user_id))).ref)
    await connect(repository, user_id, 2)
    view = CredentialView(store, registry, nc.jetstream())
    assert (await view.get(user_id)).state.signing_key_version == 2  # loaded: both events
    view.apply_all(first)  # the follower, late, delivers the first one again
    assert (await view.get(user_id)).state.signing_key_version == 2
