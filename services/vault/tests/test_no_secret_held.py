"""After connect returns, no Fleet state holds the BingX secret: a full connect -> sign ->
health check -> disconnect cycle with the vault worker **in this process**, then every
event, every reply, every log line and every object reachable from the service (its view,
keeper, counters, HTTP and NATS clients with their buffers) is searched for the secret
and the full API key, in clear and in base64."""

import base64
import gc
import json
import time
from collections.abc import AsyncIterator, Iterable
from types import FrameType, FunctionType, ModuleType
from typing import Any

import pytest
from faststream.asgi import AsgiFastStream
from nats.aio.client import Client

from fleet.events.vault_commands import (
    ConnectCredential,
    DisconnectCredential,
    SignPayload,
    SignPayloads,
    VerifyCredential,
)
from fleet.eventstore import EventStore
from fleet.obs import configure_logging
from fleet.stack import OpenBaoServer
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
    return [text.encode(), base64.b64encode(text.encode())]


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
    capfd: pytest.CaptureFixture[str],
) -> None:
    app, worker = in_process
    configure_logging("vault", "debug", "json")  # onto this test's captured stderr
    keys = await sim_account(bingx_sim, ["read", "trade"])
    kept = await sim_account(bingx_sim, ["read", "trade"])  # bea stays connected
    replies = [
        await ask(
            nc,
            ConnectCredential(user_id=user, api_key=pair["apiKey"], api_secret=pair["secretKey"]),
        )
        for user, pair in (("ann", keys), ("bea", kept))
    ]
    payload = f"symbol=XRP-USDT&timestamp={int(time.time() * 1000)}"
    signed = [
        await ask(nc, SignPayload(user_id="ann", payload=payload)),
        await ask(nc, SignPayloads(user_id="ann", payloads=[payload, payload + "&x=1"])),
    ]
    await worker.health.check_all()
    replies += [
        await ask(nc, VerifyCredential(user_id="ann")),
        await ask(nc, DisconnectCredential(user_id="ann")),
        await ask(nc, SignPayload(user_id="ann", payload=payload)),
    ]
    await worker.flush_signature_counts(force=True)
    assert all(reply["ok"] for reply in replies[:4] + signed) and not replies[-1]["ok"], replies
    for reply in signed:  # by contract the X-BX-APIKEY value goes to the executor, only there
        assert reply["data"].pop("api_key") == keys["apiKey"]
    needles = [
        v for pair in (keys, kept) for k in pair.values() if k != pair["uid"] for v in variants(k)
    ]
    events = [e.model_dump_json() for e in await all_events(store)]
    assert len(events) == 5  # 2 connected, verified (asked), disconnected, signatures counted
    logged = capfd.readouterr()
    assert "credential connected" in logged.err
    texts = [json.dumps(replies + signed), *events, logged.out, logged.err]
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
