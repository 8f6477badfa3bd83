"""Password-reset timing class: how long ``request_password_reset`` takes to answer for a
verified address of an account (known) and for an address nobody holds (unknown).

The answer is sent before the address is looked up (the look-up and, for a known address,
the new link follow in the background), so both classes should show the same reply
times; the baseline is the work the answer no longer waits on (look-up, sealing, append),
which differs by class and is what a caller could time before. Each request comes from its
own source address (the per-source throttle stays out of the figures), known and unknown
are shuffled, and the work of one request ends (and settles) before the next is sent.

Usage: ``.venv/bin/python bench/password_reset.py [--requests N]`` (default 300 per class).
It starts its own nats-server on a free 127.0.0.1 port, calls the auth handler in process
(the NATS hop of a request is the same for both classes and is left out) with cheap
argon2 parameters (no password is hashed on this path) and an in-memory data-key store
(PostgreSQL in the service: one more round trip, in the background work only).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import tempfile
import time
from pathlib import Path

import nats

from fleet.auth.accounts import AuthDeps
from fleet.auth.adapters.personal_keys import InMemoryPersonalData
from fleet.auth.main import build_deps
from fleet.auth.settings import AuthSettings
from fleet.auth.subscribers import HANDLERS, answer
from fleet.events import AggregateId, AggregateRef, auth_commands
from fleet.events.catalog import domain_registry
from fleet.events.commands import Actor, CommandReply
from fleet.events.users import EmailVerificationRequested
from fleet.eventstore import EventStore, StreamSpec, ensure_stream
from fleet.stack import NatsServer

ADDRESS = "known@example.com"
SETTLE_S = 0.02
CHEAP_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 8192, "argon2_parallelism": 1}


async def send(deps: AuthDeps, command: auth_commands.AuthCommand) -> CommandReply:
    body = command.model_dump_json().encode()
    return await answer(type(command), HANDLERS[type(command)], body, lambda: deps)


async def known_account(deps: AuthDeps, store: EventStore) -> None:
    """A user whose address is verified (the only kind a reset link is made for)."""
    admin = Actor(user_id="bench-admin", role="admin", ip="192.0.2.1")
    created = await send(
        deps,
        auth_commands.CreateUser(
            username="known",
            password="a long bench passphrase",
            email=ADDRESS,
            role="trader",
            actor=admin,
        ),
    )
    user_id = str(created.data["user_id"])
    ref = AggregateRef(type="user", id=AggregateId(user_id))
    events = [domain_registry().decode(e) for e in await store.load(ref)]
    [link] = [e for e in events if isinstance(e, EmailVerificationRequested)]
    token = await deps.personal.reveal(link.sealed_token)
    verified = await send(deps, auth_commands.VerifyEmail(token=token))
    assert verified.ok, verified


def source(i: int) -> str:
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


async def measure(deps: AuthDeps, requests: int) -> dict[str, tuple[list[float], list[float]]]:
    """Reply and background-work seconds of each request, by class."""
    figures: dict[str, tuple[list[float], list[float]]] = {"known": ([], []), "unknown": ([], [])}
    kinds = ["known", "unknown"] * requests
    random.Random(20).shuffle(kinds)  # neither class always follows the other
    for i, kind in enumerate(kinds):
        email = ADDRESS if kind == "known" else f"nobody-{i}@example.com"
        command = auth_commands.RequestPasswordReset(email=email, actor=Actor(ip=source(i + 2)))
        start = time.perf_counter()
        reply = await send(deps, command)
        replied = time.perf_counter()
        await deps.background.idle()
        worked = time.perf_counter()
        await asyncio.sleep(SETTLE_S)  # the last work's loose ends (consumers closing)
        gc.collect()  # and its garbage: a collection would land in a random next reply
        assert reply.ok, reply
        figures[kind][0].append(replied - start)
        figures[kind][1].append(worked - replied)
    return figures


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


async def main(requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = NatsServer(Path(tmp) / "nats")
        server.start()
        try:
            nc = await nats.connect(server.admin_url)
            spec = StreamSpec(name="BENCH_RESET", prefix="bench")
            await ensure_stream(nc.jetstream(), spec)
            settings = AuthSettings.model_validate(
                {"stream_name": spec.name, "subject_prefix": spec.prefix} | CHEAP_ARGON2
            )
            deps = build_deps(settings, nc, InMemoryPersonalData())
            await known_account(deps, EventStore(nc, spec))
            await measure(deps, 20)  # warm-up
            figures = await measure(deps, requests)
            await nc.close()
        finally:
            server.stop()
    print(f"password reset requests, {requests} per class (ms):")
    print(f"  {'':34} {'known p50':>10} {'p99':>8} {'unknown p50':>12} {'p99':>8}")
    for index, label in (
        (0, "reply (what a caller can time)"),
        (1, "baseline: work after the reply"),
    ):
        k50, k99 = percentiles(figures["known"][index])
        u50, u99 = percentiles(figures["unknown"][index])
        print(f"  {label:34} {k50:10.2f} {k99:8.2f} {u50:12.2f} {u99:8.2f}")
    print("  the baseline is what the answer waited on before it was sent first")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    asyncio.run(main(parser.parse_args().requests))
