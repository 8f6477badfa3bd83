"""The hot path, signal -> N orders, measured end to end on this machine.

Real parts: nats-server, OpenBao (transit), the vault service (signs every order; the
BingX secret never leaves Vault), the executor and the BingX simulator, each its own
process. Users are set up the way the log knows them, credentials through vault, bots
through the executor's command.

Part 1 (simulator limits off): for each N, ``--signals`` signals alternating entry and
exit for every user; signal -> last order accepted (p50/p99), orders/s, signal -> last
fill recorded (BingX's answer is not a fill: fills come by the user stream, or by query
for traders beyond the 54 streams one egress identity may hold; ``--fills``), and where
the time goes (the executor's own histograms). Baseline in the same run: the same number of
orders sent straight to the simulator with local HMAC (no vault, no log, no risk engine).

Part 2 (simulator limits on, BingX's table): with 1 and 4 egress identities
(127.0.0.2...) and ``--limited-users`` users per identity, orders/s as a fraction of the
per-IP cap (300 per 10 s per identity) from the signal to the last order and from the first
order to the last, with the refusal count; then the spread of each user's mean delay over
``--spread-signals`` (and the same by egress identity).

    .venv/bin/python -m bench.fanout                       # 100, 1,000, 10,000 users
    .venv/bin/python -m bench.fanout --users 100 --signals 4 --spread-signals 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from bench._trading_stack import TradingStack, baseline_orders_per_s
from fleet.executor.settings import ExecutorSettings

IP_CAP_PER_S = 30.0  # BingX: 300 place-order requests per 10 s per source IP
# issue 22's hot-path goals (limits off): Fleet's own CPU per order (the simulator, the
# bench and nats-server excluded) and 1,000 users' signal -> last order p99
FLEET_ROLES = ("executor", "vault workers", "OpenBao")
GOAL_CPU_MS = 2.0
GOAL_P99_S = 1.5
IDLE_WINDOW_S = 10.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def unlimited(
    users: int, signals: int, workdir: Path, vault_workers: int, fills: str
) -> None:
    """``fills`` "stream": every trader on a user stream (as with one egress address per
    54 traders); "query": BingX's 54 streams on the one identity, the rest by query."""
    print(f"  fills by {fills}:")
    async with TradingStack(
        workdir / f"free-{users}-{fills}",
        sim_limits=False,
        vault_workers=vault_workers,
        streams_per_egress=users if fills == "stream" else None,
    ) as stack:
        await stack.populate(users)
        per_egress = ExecutorSettings.model_fields["user_streams_per_egress"].default
        streams = users if fills == "stream" else min(users, per_egress)
        waited = await stack.streams_open(streams)
        print(f"        ({streams} user streams open {waited:.0f} s later)", flush=True)
        await idle_cost(stack, streams)
        before, cpu_before = await stack.executor_metrics(), stack.cpu_seconds()
        lasts: list[float] = []
        for index in range(signals):
            delays = await stack.signal_round("up" if index % 2 == 0 else "down")
            lasts.append(max(delays.values()))
        after, cpu_after = await stack.executor_metrics(), stack.cpu_seconds()
        orders = users * signals
        p50, p99 = percentile(lasts, 0.5), percentile(lasts, 0.99)
        print(
            f"{users:>6} users: signal -> last order accepted p50 {p50:.2f} s, p99 {p99:.2f} s; "
            f"{users / statistics.mean(lasts):,.0f} orders/s"
        )
        print(f"        each signal's last order: {' '.join(f'{s:.2f}' for s in lasts)} s")
        last_fills = stack.last_fills
        paths = ", ".join(f"{n} by {path}" for path, n in sorted(stack.fill_paths.items()))
        print(
            f"        signal -> last fill recorded p50 {percentile(last_fills, 0.5):.2f} s, "
            f"p99 {percentile(last_fills, 0.99):.2f} s (fills: {paths})"
        )
        print("        where the CPU goes (2 cores shared by every part), per order:")
        per_order = {}
        for role, seconds in cpu_after.items():
            per_order[role] = used = 1000 * (seconds - cpu_before[role]) / orders
            print(f"          {role:<36} {used:8.3f} ms CPU")
        fleet = sum(per_order.get(role, 0.0) for role in FLEET_ROLES)
        print(
            f"        -> Fleet's CPU per order ({' + '.join(FLEET_ROLES)}): {fleet:.2f} ms; "
            f"goal <= {GOAL_CPU_MS:.1f} ms: {'met' if fleet <= GOAL_CPU_MS else 'MISSED'}"
        )
        if fills == "query":  # each fill found so cost one more signed request at least
            queries = stack.fill_paths.get("query", 0)
            print(
                f"           ({queries} fills found by query, each one signed request or "
                f"more: <= {fleet * orders / (orders + queries):.2f} ms per signed request)"
            )
        if users == 1000:
            verdict = "met" if p99 <= GOAL_P99_S else "MISSED"
            print(
                f"        -> 1,000 users, signal -> last order p99 {p99:.2f} s; "
                f"goal <= {GOAL_P99_S:.1f} s: {verdict}"
            )
        print("        wall time of each step, per order (mean, under this load):")
        for name, label in (
            ("executor_decide_seconds", "risk decision"),
            ("executor_append_seconds", "log append (x2: intent, outcome)"),
            ("executor_sign_seconds", "signature from vault"),
            ("executor_order_request_seconds", "order request (sign + HTTP)"),
        ):
            print(f"          {label:<36} {_mean_ms(before, after, name, orders):8.2f} ms")
        base = await baseline_orders_per_s(stack.sim.url, min(users, 2000))
        print(f"        baseline: the simulator alone takes {base:,.0f} signed orders/s")


async def idle_cost(stack: TradingStack, streams: int) -> None:
    """What the open user streams cost with no signal: heartbeats and timers, part of
    every figure per order below (the rounds' window holds idle time too)."""
    cpu_before, started = stack.cpu_seconds(), time.monotonic()
    await asyncio.sleep(IDLE_WINDOW_S)
    cpu_after, spent = stack.cpu_seconds(), time.monotonic() - started
    shares = ", ".join(
        f"{role} {100 * (cpu_after[role] - cpu_before[role]) / spent:.1f} %"
        for role in ("executor", "vault workers", "OpenBao", "simulator", "nats-server")
    )
    print(f"        idle, {streams} user streams open, no signal ({spent:.0f} s), share of a core:")
    print(f"          {shares}", flush=True)


async def limited(users: int, identities: int, signals: int, workdir: Path) -> None:
    egress = [f"127.0.0.{2 + i}" for i in range(identities)]
    async with TradingStack(workdir / f"lim-{identities}", sim_limits=True, egress=egress) as stack:
        await stack.populate(users)
        await stack.reset_limits()
        started = time.monotonic()
        rounds = [await stack.signal_round("up" if i % 2 == 0 else "down") for i in range(signals)]
        spent = sum(max(r.values()) for r in rounds)
        rate = users * signals / spent
        # while the budget is what limits: from each signal's first order accepted to its last
        flowing = sum(max(r.values()) - min(r.values()) for r in rounds)
        steady = (users - 1) * signals / flowing
        first = statistics.mean(min(r.values()) for r in rounds)
        limits = await stack.limits()
        refused = f"{limits['refused']} refusals {limits['refused_by'] or ''}".rstrip()
        cap = IP_CAP_PER_S * identities
        plural = "y" if identities == 1 else "ies"
        print(
            f"  {identities} egress identit{plural}: {rate:.1f} orders/s signal -> last order "
            f"= {rate / cap:.1%} of the per-IP cap ({cap:.0f}/s); first -> last order "
            f"{steady:.1f}/s = {steady / cap:.1%}; {refused}; first order "
            f"{first:.2f} s after the signal ({users} users x {signals} signals, "
            f"{time.monotonic() - started:.0f} s)"
        )


async def spread(users: int, signals: int, workdir: Path) -> None:
    egress = [f"127.0.0.{2 + i}" for i in range(4)]
    async with TradingStack(workdir / "spread", sim_limits=True, egress=egress) as stack:
        await stack.populate(users)
        await stack.reset_limits()
        per_user: dict[str, list[float]] = {}
        for index in range(signals):
            for user, delay in (
                await stack.signal_round("up" if index % 2 == 0 else "down")
            ).items():
                per_user.setdefault(user, []).append(delay)
        means = {user: statistics.mean(delays) for user, delays in per_user.items()}
        overall = statistics.mean(means.values())
        worst = max(abs(m - overall) / overall for m in means.values())
        limits = await stack.limits()
        print(
            f"  per-user delay over {signals} signals, {users} users, 4 identities: overall mean "
            f"{overall:.2f} s, user means {min(means.values()):.2f}-{max(means.values()):.2f} s, "
            f"worst {worst:.1%} from the mean (goal <= 10 %), {limits['refused']} refusals "
            f"{limits['refused_by'] or ''}"
        )
        by_identity: dict[str, list[float]] = {}
        for user, mean in means.items():
            source = limits["sources"].get(stack.uids[user], "?")
            by_identity.setdefault(source, []).append(mean)
        for source, found in sorted(by_identity.items()):
            print(
                f"    egress {source}: {len(found)} users, "
                f"mean delay {statistics.mean(found):.2f} s, "
                f"user means {min(found):.2f}-{max(found):.2f} s"
            )


def _mean_ms(before: dict[str, float], after: dict[str, float], name: str, orders: int) -> float:
    total = after.get(f"{name}_sum", 0.0) - before.get(f"{name}_sum", 0.0)
    return 1000 * total / max(1, orders)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="100,1000,10000")
    parser.add_argument("--signals", type=int, default=20)
    parser.add_argument(
        "--limited-users",
        type=int,
        default=600,
        help="Part 2: users per egress identity (600 = ~21 s of one IP's budget a signal)",
    )
    parser.add_argument("--limited-signals", type=int, default=3)
    parser.add_argument("--spread-users", type=int, default=240)
    parser.add_argument("--spread-signals", type=int, default=100)
    parser.add_argument("--vault-workers", type=int, default=2, help="Part 1's vault processes")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/fleet-bench-fanout"))
    parser.add_argument("--parts", default="1,2", help="1: limits off, 2: limits on")
    parser.add_argument(
        "--fills",
        default="stream,query",
        help="Part 1: fills by user stream for every trader, and/or by query beyond 54",
    )
    parser.add_argument("--identities", default="1,4", help="Part 2's egress identity counts")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if "1" in parts:
        print("Part 1: simulator rate limits off")
        for users in (int(n) for n in args.users.split(",")):
            for fills in args.fills.split(","):
                await unlimited(users, args.signals, args.workdir, args.vault_workers, fills)
    if "2" not in parts:
        return
    print("Part 2: simulator rate limits on (BingX's table)")
    for identities in (int(n) for n in args.identities.split(",")):
        users = args.limited_users * identities
        await limited(users, identities, args.limited_signals, args.workdir)
    await spread(args.spread_users, args.spread_signals, args.workdir)


if __name__ == "__main__":
    asyncio.run(main())
