"""Prometheus metrics of the notify service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DELIVERIES = Counter(
    "fleet_notify_deliveries_total", "Deliveries by channel and outcome", ["channel", "outcome"]
)
LATENCY = Histogram(
    "fleet_notify_delivery_seconds",
    "From the source event's time to the delivery being recorded",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
POSITION = Gauge("fleet_notify_position", "Last stream sequence fully handled")
QUEUED = Gauge("fleet_notify_deliveries_queued", "Deliveries waiting or running")
