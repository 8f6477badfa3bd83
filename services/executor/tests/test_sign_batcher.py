"""The signature requests of one event loop pass go to vault as one message, and each
caller gets its own request's answer (or its own refusal); an older vault that signs one
at a time is still served; a vault that does not answer fails every caller."""

import asyncio
import gc
import json
import uuid
import weakref
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from fleet.events.vault_commands import SIGN_BATCH_MAX
from fleet.executor.adapters import vault_signer
from fleet.executor.adapters.vault_signer import VaultSigner
from fleet.executor.errors import SigningUnavailable

pytestmark = pytest.mark.integration


@pytest.fixture
async def nc(nats_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Client]:
    """A connection, with the signing subjects of this test alone."""
    prefix = "t" + uuid.uuid4().hex[:10]
    monkeypatch.setattr(vault_signer, "SIGN_SUBJECT", f"{prefix}.sign")
    monkeypatch.setattr(vault_signer, "SIGN_BATCH_SUBJECT", f"{prefix}.sign_batch")
    connection = await nats.connect(nats_url)
    yield connection
    await connection.close()


def signed(request: dict[str, Any]) -> dict[str, Any]:
    if request["user_id"] == "stranger":
        error = {"code": "not_found", "message": "no connected BingX credential", "details": {}}
        return {"ok": False, "data": {}, "error": error}
    return {"ok": True, "data": {"signature": f"sig:{request['payload']}", "api_key": "KEY"}}


class FakeVault:
    """Answers like the vault service; records each message's requests."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.batches: list[list[str]] = []
        self.singles: list[str] = []

    async def serve_batches(self) -> None:
        async def answer(msg: Msg) -> None:
            requests = json.loads(msg.data)["requests"]
            self.batches.append([r["user_id"] for r in requests])
            replies = [signed(r) for r in requests]
            await msg.respond(json.dumps({"ok": True, "data": {"replies": replies}}).encode())

        await self.nc.subscribe(vault_signer.SIGN_BATCH_SUBJECT, cb=answer)

    async def serve_singles(self) -> None:
        async def answer(msg: Msg) -> None:
            request = json.loads(msg.data)
            self.singles.append(request["user_id"])
            await msg.respond(json.dumps(signed(request)).encode())

        await self.nc.subscribe(vault_signer.SIGN_SUBJECT, cb=answer)


async def sign_all(nc: Client, users: list[str], timeout_s: float = 5.0) -> list[Any]:
    signers = [VaultSigner(nc, user, timeout_s=timeout_s) for user in users]
    return await asyncio.gather(
        *(s.sign(f"n={i}") for i, s in enumerate(signers)), return_exceptions=True
    )


async def test_one_loop_pass_is_one_message_and_each_caller_gets_its_own(nc: Client) -> None:
    vault = FakeVault(nc)
    await vault.serve_batches()
    users = [f"u{i}" for i in range(5)]
    answers = await sign_all(nc, users)
    assert vault.batches == [users]
    assert [(a.signature, a.api_key) for a in answers] == [(f"sig:n={i}", "KEY") for i in range(5)]


async def test_a_large_pass_is_split_at_the_batch_maximum(nc: Client) -> None:
    vault = FakeVault(nc)
    await vault.serve_batches()
    count = 2 * SIGN_BATCH_MAX + 2
    answers = await sign_all(nc, [f"u{i}" for i in range(count)])
    assert [len(batch) for batch in vault.batches] == [SIGN_BATCH_MAX, SIGN_BATCH_MAX, 2]
    assert [a.signature for a in answers] == [f"sig:n={i}" for i in range(count)]


async def test_a_refusal_is_its_own_callers_alone(nc: Client) -> None:
    vault = FakeVault(nc)
    await vault.serve_batches()
    first, refused, last = await sign_all(nc, ["u1", "stranger", "u2"])
    assert isinstance(refused, SigningUnavailable)
    assert "no connected BingX credential" in str(refused)
    assert (first.signature, last.signature) == ("sig:n=0", "sig:n=2")


async def test_an_older_vault_signs_them_one_by_one(nc: Client) -> None:
    vault = FakeVault(nc)
    await vault.serve_singles()  # no one serves the batch subject
    answers = await sign_all(nc, ["u1", "u2", "u3"])
    assert sorted(vault.singles) == ["u1", "u2", "u3"] and vault.batches == []
    assert [a.signature for a in answers] == ["sig:n=0", "sig:n=1", "sig:n=2"]


async def test_a_vault_that_does_not_answer_fails_every_caller(nc: Client) -> None:
    async def silent(_msg: Msg) -> None:
        return None

    await nc.subscribe(vault_signer.SIGN_BATCH_SUBJECT, cb=silent)
    answers = await sign_all(nc, ["u1", "u2"], timeout_s=0.3)
    assert all(isinstance(a, SigningUnavailable) for a in answers)
    assert "did not answer" in str(answers[0])


async def test_a_caller_that_gives_up_leaves_the_others_served(nc: Client) -> None:
    release = asyncio.Event()

    async def slow(msg: Msg) -> None:
        await release.wait()
        replies = [signed(r) for r in json.loads(msg.data)["requests"]]
        await msg.respond(json.dumps({"ok": True, "data": {"replies": replies}}).encode())

    await nc.subscribe(vault_signer.SIGN_BATCH_SUBJECT, cb=slow)
    gone = asyncio.create_task(VaultSigner(nc, "u1").sign("n=0"))
    kept = asyncio.create_task(VaultSigner(nc, "u2").sign("n=1"))
    await asyncio.sleep(0.05)
    gone.cancel()
    release.set()
    assert (await kept).signature == "sig:n=1"
    assert gone.cancelled()


def test_a_connections_batchers_do_not_keep_it_alive() -> None:
    connection = Client()
    first = vault_signer.batcher_of(connection, 5.0)
    assert vault_signer.batcher_of(connection, 5.0) is first
    assert vault_signer.batcher_of(connection, 0.3) is not first  # its own wait, its own
    gone = weakref.ref(connection)
    del connection, first
    gc.collect()
    assert gone() is None
