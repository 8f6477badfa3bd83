"""Vault signing benchmark, from an executor's point of view: ``SignPayload`` requests over
NATS to ``cmd.vault.sign`` (executor NATS user), answered by 1 and by 4 vault worker
processes, beside plain local HMAC on the same strings and the transit API called
directly (Vault's own ceiling on this box), in one run.

Usage: ``.venv/bin/python bench/vault.py [--seconds S] [--in-flight N] [--users U]``.
Starts nats-server, OpenBao (dev mode), the BingX simulator and the workers on free
127.0.0.1 ports, connects U simulator accounts, and stops everything afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
import nats
import psutil
import uvloop
from nats.aio.client import Client

from fleet.events.vault_commands import SignPayload
from fleet.eventstore import StreamSpec
from fleet.eventstore.stream import ensure_platform
from fleet.stack import ManagedProcess, NatsServer, OpenBaoServer, SimulatorServer, free_port
from fleet.testing.vault import connect_command

SUBJECT = "cmd.vault.sign"
Request = Callable[[int], Awaitable[bool]]
Runner = Callable[[str, Request], Awaitable[None]]


@dataclass
class Stack:
    nats: NatsServer
    openbao: OpenBaoServer
    simulator: SimulatorServer
    root: Path
    workers: list[ManagedProcess] = field(default_factory=list)

    def worker_env(self) -> dict[str, str]:
        return os.environ | {
            **self.nats.env_for("vault"),
            "FLEET_VAULT_ADDR": self.openbao.addr,
            "FLEET_VAULT_TOKEN": self.openbao.vault_service_token(),
            "FLEET_BINGX_BASE_URL": self.simulator.url,
            "FLEET_LOG_LEVEL": "warning",
            # the bench connects its users at once: beyond the platform's connect budget
            # (10 at once, then a few a minute), which refused the 11th
            "FLEET_CONNECT_PLATFORM_PER_MINUTE": "600000",
            "FLEET_CONNECT_PLATFORM_BURST": "100000",
        }

    def scale_to(self, count: int) -> None:
        while len(self.workers) < count:
            n = len(self.workers)
            env = self.worker_env() | {"FLEET_HTTP_PORT": str(free_port())}
            argv = [sys.executable, "-m", "fleet.vault"]
            worker = ManagedProcess(f"vault-{n}", argv, self.root / f"vault-{n}.log", env=env)
            worker.start()
            self.workers.append(worker)

    def processes(self) -> dict[str, psutil.Process]:
        found = {
            "bench client": psutil.Process(),
            "openbao": psutil.Process(self.openbao.process.pid),
        }
        found["nats-server"] = psutil.Process(self.nats.process.pid)
        for n, worker in enumerate(self.workers):
            found[f"vault worker {n}"] = psutil.Process(worker.pid)
        return found


def cpu_seconds(processes: dict[str, psutil.Process]) -> dict[str, float]:
    return {name: sum(p.cpu_times()[:2]) for name, p in processes.items()}


@dataclass
class Figures:
    label: str
    latencies: list[float]
    seconds: float
    errors: int
    cpu: dict[str, float] = field(default_factory=dict)

    def row(self) -> str:
        lat = sorted(self.latencies)
        rate = len(lat) / self.seconds
        p50, p99 = lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99)] * 1e3
        errors = f"  ({self.errors} errors)" if self.errors else ""
        text = f"  {self.label:<52} {rate:>9,.0f} /s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms{errors}"
        if self.cpu:
            signatures = len(lat)
            parts = [
                f"{name} {seconds / signatures * 1e6:,.0f}" for name, seconds in self.cpu.items()
            ]
            text += "\n      CPU us per signature: " + ", ".join(parts)
        return text


async def closed_loop(
    label: str,
    request: Request,
    in_flight: int,
    seconds: float,
    processes: dict[str, psutil.Process] | None = None,
) -> Figures:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def client() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            if await request(next(counter)):
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    before = cpu_seconds(processes or {})
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(in_flight)))
    elapsed = time.perf_counter() - started
    after = cpu_seconds(processes or {})
    cpu = {name: after[name] - before[name] for name in after}
    return Figures(label, latencies, elapsed, errors, cpu)


def payload(i: int) -> str:
    return f"quantity=10&side=BUY&symbol=XRP-USDT&timestamp={1_700_000_000_000 + i}&type=MARKET"


async def connect_users(stack: Stack, count: int) -> list[tuple[str, str]]:
    gateway = await nats.connect(**stack.nats.connect_options("gateway"))
    users = []
    async with httpx.AsyncClient(base_url=stack.simulator.url) as sim:
        for n in range(count):
            keys = (await sim.post("/sim/accounts", json={"balance": "1000"})).json()
            command = await connect_command(gateway, f"bench{n}", keys["apiKey"], keys["secretKey"])
            answer = await gateway.request(
                "cmd.vault.connect", command.model_dump_json().encode(), timeout=30
            )
            assert json.loads(answer.data)["ok"], answer.data
            users.append((command.user_id, keys["secretKey"]))
    await gateway.close()
    return users


async def wait_for_workers(executor: Client, count: int) -> None:
    """Until every worker has answered (the queue group picks one at random each time)."""
    probe = SignPayload(user_id="bench0", payload="x").model_dump_json().encode()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answers = 0
        for _ in range(count * 8):
            try:
                await executor.request(SUBJECT, probe, timeout=2)
                answers += 1
            except Exception:
                await asyncio.sleep(0.2)
        if answers == count * 8:
            return
    raise SystemExit("vault workers did not become ready")


def nats_signer(executor: Client, users: list[tuple[str, str]], *, api_key: bool = True) -> Request:
    async def request(i: int) -> bool:
        user_id = users[i % len(users)][0]
        command = SignPayload(user_id=user_id, payload=payload(i), with_api_key=api_key)
        try:
            answer = await executor.request(SUBJECT, command.model_dump_json().encode(), timeout=5)
        except Exception:
            return False
        return bool(json.loads(answer.data)["ok"])

    return request


def transit_direct(
    http: aiohttp.ClientSession, addr: str, ciphertexts: dict[str, str], *, decrypt: bool
) -> Request:
    """What one signature costs Vault itself: transit/hmac (and transit/decrypt)."""
    users = sorted(ciphertexts)

    async def call(path: str, body: dict[str, object]) -> bool:
        async with http.post(f"{addr}/v1/transit/{path}", json=body) as answer:
            await answer.read()
            return answer.status == 200

    async def request(i: int) -> bool:
        user_id = users[i % len(users)]
        context = base64.b64encode(user_id.encode()).decode()
        text = base64.b64encode(payload(i).encode()).decode()
        calls = [call(f"hmac/fleet-sign-{user_id}/sha2-256", {"input": text, "key_version": 1})]
        if decrypt:
            body: dict[str, object] = {"ciphertext": ciphertexts[user_id], "context": context}
            calls.append(call(f"decrypt/fleet-apikey-{user_id}", body))
        return all(await asyncio.gather(*calls))

    return request


def local_hmac(users: list[tuple[str, str]], count: int) -> tuple[float, float]:
    secrets = [secret.encode() for _, secret in users]
    strings = [payload(i).encode() for i in range(count)]
    started = time.perf_counter()
    for i, text in enumerate(strings):
        hmac.new(secrets[i % len(secrets)], text, hashlib.sha256).hexdigest()
    elapsed = time.perf_counter() - started
    return count / elapsed, elapsed / count * 1e6


async def ciphertexts_of(stack: Stack, users: list[tuple[str, str]]) -> dict[str, str]:
    from fleet.events import AggregateId, AggregateRef
    from fleet.eventstore import EventStore

    admin = await nats.connect(stack.nats.admin_url)
    store = EventStore(admin, StreamSpec())
    found = {}
    for user_id, _ in users:
        events = await store.load(AggregateRef(type="cred", id=AggregateId(user_id)))
        found[user_id] = str(events[0].data["api_key_ciphertext"])
    await admin.close()
    return found


async def baselines(stack: Stack, users: list[tuple[str, str]], run: Runner) -> None:
    rate, micros = local_hmac(users, 200_000)
    label = "plain local HMAC-SHA256, same strings (baseline)"
    print(f"  {label:<52} {rate:>9,.0f} /s  {micros:.1f} us each", flush=True)
    headers = {"X-Vault-Token": stack.openbao.vault_service_token()}
    async with aiohttp.ClientSession(headers=headers) as http:
        ciphertexts = await ciphertexts_of(stack, users)
        for decrypt, label in ((False, "transit/hmac"), (True, "transit/hmac + transit/decrypt")):
            direct = transit_direct(http, stack.openbao.addr, ciphertexts, decrypt=decrypt)
            await run(f"{label} called directly", direct)


async def measure(stack: Stack, seconds: float, in_flight: int, user_count: int) -> None:
    stack.scale_to(1)
    executor = await nats.connect(**stack.nats.connect_options("executor"))
    await wait_for_workers(executor, 1)
    users = await connect_users(stack, user_count)

    async def run(label: str, request: Request, flight: int = in_flight) -> None:
        figures = await closed_loop(label, request, flight, seconds, stack.processes())
        print(figures.row(), flush=True)

    print(f"\n{user_count} users, {in_flight} in flight unless said, {seconds:.0f} s a line")
    await baselines(stack, users, run)
    signer = nats_signer(executor, users)
    await run("cmd.vault.sign, 1 worker, 1 in flight", signer, 1)
    await run("cmd.vault.sign, 1 worker", signer)
    bare = nats_signer(executor, users, api_key=False)
    await run("cmd.vault.sign, 1 worker, with_api_key=false", bare)
    stack.scale_to(4)
    await wait_for_workers(executor, 4)
    await run("cmd.vault.sign, 4 workers", signer)
    await run(f"cmd.vault.sign, 4 workers, {in_flight * 4} in flight", signer, in_flight * 4)
    await executor.close()


async def main(seconds: float, in_flight: int, users: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        stack = Stack(
            NatsServer(root / "nats"),
            OpenBaoServer(root / "openbao", dev=True),
            SimulatorServer(root, extra=["--no-rate-limits"]),
            root,
        )
        for server in (stack.nats, stack.openbao, stack.simulator):
            server.start()
        try:
            admin = await nats.connect(stack.nats.admin_url)
            await ensure_platform(admin.jetstream(), StreamSpec())
            await admin.close()
            await measure(stack, seconds, in_flight, users)
        finally:
            for worker in stack.workers:
                worker.stop()
            for server in (stack.simulator, stack.openbao, stack.nats):
                server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    uvloop.run(main(args.seconds, args.in_flight, args.users))
