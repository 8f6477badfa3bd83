"""Every user's credential as the log says, in memory, for the signing hot path.

Built by following ``<prefix>.cred.*`` from the start of the log; a user it has not seen
yet (an event this worker has not received) is loaded from the log once, so a signature
right after a connect handled by another worker never fails. Events are applied in
stream order and an older event than what is held is ignored, so a load and the follower
can race harmlessly.

What it holds per user is the aggregate's state: status, signing-key version, the API key
as transit ciphertext and its last 4 characters. Never the secret (it never leaves Vault)
and never the API key in clear (decrypted inside Vault per request; see the README).
"""

from __future__ import annotations

import asyncio

from nats.js import JetStreamContext

from fleet.events import AggregateId, AggregateRef, Envelope, EventRegistry
from fleet.events.credentials import CREDENTIAL_AGGREGATE
from fleet.events.subjects import aggregate_type_subject
from fleet.eventstore import EventStore, Repository, StoredEvent
from fleet.eventstore.reading import event_read_by
from fleet.vault.domain.credential import Credential


class CredentialView:
    """``user id -> Credential``, current to within the follower's latency (milliseconds)."""

    def __init__(self, store: EventStore, registry: EventRegistry, js: JetStreamContext) -> None:
        self._store = store
        self._js = js
        self._registry = registry
        self._repository = Repository(store, registry, Credential)
        self._credentials: dict[str, Credential] = {}
        self._loading: dict[str, asyncio.Future[Credential]] = {}
        self.caught_up = asyncio.Event()

    def __repr__(self) -> str:
        return f"CredentialView({len(self._credentials)} users)"

    @property
    def subject_filter(self) -> str:
        return aggregate_type_subject(self._store.spec.prefix, CREDENTIAL_AGGREGATE)

    def apply_all(self, envelopes: list[Envelope]) -> None:
        """What a handler of this worker just appended: visible here at once."""
        for envelope in envelopes:
            credential = self._behind(envelope)
            if credential is not None:
                credential.apply(self._registry.decode(envelope))
                credential.version = envelope.sequence or 0

    def _apply_read(self, stored: StoredEvent) -> None:
        """Apply one credential event read from the log (decoded by the store's screen)."""
        credential = self._behind(stored.envelope)
        if credential is not None:
            credential.apply(event_read_by(self._registry, self._store, stored))
            credential.version = stored.envelope.sequence or 0

    def _behind(self, envelope: Envelope) -> Credential | None:
        """The user's credential when ``envelope`` is newer than it (else ``None``: an older
        event than what is held is ignored)."""
        user = str(envelope.aggregate.id)
        credential = self._credentials.get(user)
        if credential is None:
            credential = self._credentials[user] = Credential(AggregateId(user))
        return credential if (envelope.sequence or 0) > credential.version else None

    async def get(self, user_id: str) -> Credential:
        """The user's credential (loaded from the log the first time it is unknown)."""
        known = self._credentials.get(user_id)
        if known is not None:
            return known
        pending = self._loading.get(user_id)
        if pending is None:  # one load per user, however many requests wait for it
            pending = self._loading[user_id] = asyncio.ensure_future(self._load(user_id))
        return await asyncio.shield(pending)

    async def refresh(self, user_id: str) -> Credential:
        """Re-read the user when the log has newer events than held (one direct get): a
        sign right after a connect that another worker handled finds the credential."""
        held = await self.get(user_id)
        ref = AggregateRef(type=CREDENTIAL_AGGREGATE, id=AggregateId(user_id))
        if await self._store.version(ref) <= held.version:
            return held
        self._credentials.pop(user_id, None)
        return await self.get(user_id)

    async def _load(self, user_id: str) -> Credential:
        try:
            loaded = await self._repository.load(AggregateId(user_id))
            held = self._credentials.get(user_id)
            if held is None or held.version < loaded.version:
                self._credentials[user_id] = held = loaded
            return held
        finally:
            del self._loading[user_id]

    def holder_of(self, digest: str) -> str | None:
        """The connected user whose API key has this digest, as far as the view knows (a
        worker still catching up at its start may not know every holder yet)."""
        for user, credential in self._credentials.items():
            if credential.connected and credential.state.api_key_digest == digest:
                return user
        return None

    def connected_users(self) -> list[str]:
        """Users whose key pair is stored (verified or failing), sorted."""
        return sorted(user for user, c in self._credentials.items() if c.connected)

    async def follow(self) -> None:
        """Forever: apply every credential event from the start of the log."""
        if await self._matching_events() == 0:
            self.caught_up.set()
        async for stored in self._store.subscribe(subject=self.subject_filter):
            self._apply_read(stored)
            if stored.pending == 0:
                self.caught_up.set()

    async def catch_up(self) -> None:
        """Read the log up to its current end, then stop following (one-off tools)."""
        follower = asyncio.ensure_future(self.follow())
        waiter = asyncio.ensure_future(self.caught_up.wait())
        await asyncio.wait({follower, waiter}, return_when=asyncio.FIRST_COMPLETED)
        for task in (follower, waiter):
            task.cancel()
        if follower.done() and not follower.cancelled() and follower.exception():
            raise follower.exception()  # type: ignore[misc]

    async def _matching_events(self) -> int:
        name = self._store.spec.name
        info = await self._js.stream_info(name, subjects_filter=self.subject_filter)
        return sum((info.state.subjects or {}).values())
