"""The vault service never holds a BingX secret, and after connect returns it holds no full
API key: a full connect -> sign -> health check -> disconnect cycle (and connects refused
for a wrong secret and for a key that can withdraw) with the vault worker **in this
process**, the secrets wrapped for Vault as the gateway wraps them; then every event, every
reply, every log line and every object reachable from the service (its view, keeper,
counters, HTTP and NATS clients with their buffers) is searched for each secret and full
API key, in clear, in base64 and in hex. No pending transit key is left behind."""

import base64
import gc
import json
import time
from collections.abc import AsyncIterator, Iterable
from types import FrameType, FunctionType, ModuleType
from typing import Any

import hvac
import pytest
from faststream.asgi import AsgiFastStream
from nats.aio.client import Client

from fleet.events.vault_commands import (
    DisconnectCredential,
    SignPayload,
    VerifyCredential,
)
from fleet.eventstore import EventStore
from fleet.obs import configure_logging
from fleet.stack import OpenBaoServer
from fleet.testing.vault import wrapped_connect, wrapping_key_of
from fleet.vault.main import create_app
from fleet.vault.settings import VaultSettings
from fleet.vault.worker import VaultWorker

from .conftest import all_events, ask, sim_account

pytestmark = pytest.mark.integration
# Not the service's state: code, interpreter machinery, and this test's own frames.
OPAQUE = (ModuleType, type, FrameType)


def reachable_text(roots: Iterable[object]) -> Iterable[str | bytes]:
    """Every str/bytes reachable from ``roots`` through containers and instances."""
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, OPAQUE) or _is_loop_or_task(obj):
            continue
        seen.add(id(obj))
        if isinstance(obj, str | bytes):
            yield obj
        elif isinstance(obj, bytearray | memoryview):
            yield bytes(obj)
        elif isinstance(obj, FunctionType):  # what a closure captured, not its module
            todo.extend([*(c.cell_contents for c in obj.__closure__ or ()), obj.__defaults__])
        else:
            todo.extend(gc.get_referents(obj))


def task_locals(worker: VaultWorker) -> list[object]:
    """The locals of the worker's own long-running tasks (view follower, health checks...)."""
    frames = [task.get_coro().cr_frame for task in worker._tasks]  # type: ignore[union-attr]
    return [frame.f_locals for frame in frames if frame is not None]


def _is_loop_or_task(obj: object) -> bool:
    name = type(obj).__name__
    return name in ("Loop", "_UnixSelectorEventLoop", "Task", "Future", "coroutine", "Context")


def variants(text: str) -> list[bytes]:
    raw = text.encode()
    return [raw, base64.b64encode(raw), raw.hex().encode(), raw.hex().upper().encode()]


def holders(haystack: Iterable[str | bytes], needles: list[bytes]) -> list[str]:
    found = []
    for item in haystack:
        data = item.encode(errors="ignore") if isinstance(item, str) else item
        # says where, never what (a failure message must not print the secret either)
        found += [f"{type(item).__name__} of {len(data)}" for needle in needles if needle in data]
    return found


@pytest.fixture
def settings(
    nats_url: str, namespace: str, openbao_server: OpenBaoServer, bingx_sim: Any
) -> VaultSettings:
    return VaultSettings(
        nats_url=nats_url,
        stream_name=f"EV_{namespace}",
        subject_prefix=namespace,
        vault_addr=openbao_server.addr,
        vault_token=openbao_server.vault_service_token(),
        bingx_base_url=bingx_sim.url,
    )


@pytest.fixture
async def in_process(
    settings: VaultSettings, capfd: pytest.CaptureFixture[str]
) -> AsyncIterator[tuple[AsgiFastStream, VaultWorker]]:
    worker = VaultWorker(settings)
    app = create_app(settings, worker)
    await app.start()
    yield app, worker
    await app.stop()


async def test_no_state_holds_the_secret_or_the_api_key(
    in_process: tuple[AsgiFastStream, VaultWorker],
    store: EventStore,
    nc: Client,
    bingx_sim: Any,
    vault_client: hvac.Client,
    capfd: pytest.CaptureFixture[str],
) -> None:
    app, worker = in_process
    configure_logging("vault", "debug", "json")  # onto this test's captured stderr
    keys = await sim_account(bingx_sim, ["read", "trade"])
    kept = await sim_account(bingx_sim, ["read", "trade"])  # bea stays connected
    withdraw = await sim_account(bingx_sim, ["read", "trade", "withdraw"])
    wrapping = await wrapping_key_of(nc)
    wrong_secret = "Wrong" + keys["secretKey"][5:]
    refused = [
        await ask(nc, wrapped_connect(wrapping, user, pair["apiKey"], secret))
        for user, pair, secret in (
            ("cid", keys, wrong_secret),
            ("dan", withdraw, withdraw["secretKey"]),
        )
    ]
    replies = [
        await ask(nc, wrapped_connect(wrapping, user, pair["apiKey"], pair["secretKey"]))
        for user, pair in (("ann", keys), ("bea", kept))
    ]
    payload = f"symbol=XRP-USDT&timestamp={int(time.time() * 1000)}"
    signed = [
        await ask(nc, SignPayload(user_id="ann", payload=payload)),
    ]
    await worker.health.check_all()
    replies += [
        await ask(nc, VerifyCredential(user_id="ann")),
        await ask(nc, DisconnectCredential(user_id="ann")),
        await ask(nc, SignPayload(user_id="ann", payload=payload)),
    ]
    await worker.flush_signature_counts(force=True)
    assert all(reply["ok"] for reply in replies[:4] + signed) and not replies[-1]["ok"], replies
    assert not any(reply["ok"] for reply in refused), refused
    for reply in signed:  # by contract the X-BX-APIKEY value goes to the executor, only there
        assert reply["data"].pop("api_key") == keys["apiKey"]
    pairs = (keys, kept, withdraw)
    needles = [v for pair in pairs for k in pair.values() if k != pair["uid"] for v in variants(k)]
    needles += variants(wrong_secret)
    events = [e.model_dump_json() for e in await all_events(store)]
    assert len(events) == 5  # 2 connected, verified (asked), disconnected, signatures counted
    logged = capfd.readouterr()
    assert "credential connected" in logged.err
    texts = [json.dumps(refused + replies + signed), *events, logged.out, logged.err]
    assert holders(texts, needles) == []
    gc.collect()
    state = list(reachable_text([worker, app, app.broker, *task_locals(worker)]))
    # the search does reach the caches: the view's copy of bea's API-key ciphertext is there
    connected = [json.loads(e) for e in events if '"credential.connected"' in e]
    ciphertext = next(e for e in connected if e["aggregate"]["id"] == "bea")["data"][
        "api_key_ciphertext"
    ]
    assert holders(state, [ciphertext.encode()]) != []
    assert holders(state, needles) == []
    names = vault_client.adapter.list("/v1/transit/keys")["data"]["keys"]
    left = [
        n for n in names for u in ("ann", "bea", "cid", "dan") if n.startswith(f"fleet-sign-{u}")
    ]
    assert left == ["fleet-sign-bea"]  # pending keys deleted; refused pairs left nothing
