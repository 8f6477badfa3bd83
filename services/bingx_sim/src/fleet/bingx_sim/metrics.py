"""``/metrics`` of the simulator: what it holds and what it refused, read from its state at
scrape time (no per-request instrumentation on the hot path)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from fleet.bingx_sim.state import SimState


class SimCollector(Collector):
    """Accounts, orders, positions, WebSockets and rate-limit refusals (100410)."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        state = self.state
        accounts = list(state.accounts.by_key.values())
        yield GaugeMetricFamily("bingx_sim_accounts", "Accounts created", len(accounts))
        yield CounterMetricFamily(
            "bingx_sim_orders", "Orders accepted", sum(len(a.orders) for a in accounts)
        )
        yield GaugeMetricFamily(
            "bingx_sim_open_positions",
            "Open positions",
            sum(1 for a in accounts for p in a.positions.values() if p.quantity),
        )
        yield GaugeMetricFamily("bingx_sim_websockets", "Open WebSockets", len(state.sockets))
        yield CounterMetricFamily(
            "bingx_sim_rate_limit_refusals", "Requests refused with 100410", state.limits.refused
        )


def metrics_text(state: SimState) -> bytes:
    """The Prometheus exposition of ``state`` (a registry of its own per app)."""
    registry = CollectorRegistry()
    registry.register(SimCollector(state))
    return generate_latest(registry)
