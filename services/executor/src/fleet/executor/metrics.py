"""The executor's Prometheus metrics (served on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DECISIONS = Counter(
    "executor_decisions_total", "Risk decisions by outcome and code.", ["decision", "code"]
)
TELEMETRY_LOST = Counter(
    "executor_telemetry_lost_total",
    "Routine decisions the telemetry stream did not store (trading went on).",
)
ORDERS = Counter("executor_orders_total", "Orders by outcome.", ["outcome"])
SIGNAL_TO_ORDER = Histogram(
    "executor_signal_to_order_seconds",
    "From the signal's publication to its order's outcome.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10, 30, 60, 120),
)
ORDER_SECONDS = Histogram(
    "executor_order_request_seconds", "Signing and sending one order to BingX."
)
OWNED_PARTITIONS = Gauge("executor_owned_partitions", "Partitions this process owns.")
OWNED_TRADERS = Gauge("executor_owned_traders", "Traders this process trades for.")
OPEN_INTENTS = Gauge("executor_open_intents", "Intents still waiting for an outcome.")
FANOUT_IN_FLIGHT = Gauge("executor_fanout_in_flight", "Decisions started and not finished.")
WAITING_FOR_BUDGET = Gauge(
    "executor_waiting_for_budget", "Orders waiting for their turn in the BingX budget."
)
DECIDE_SECONDS = Histogram("executor_decide_seconds", "The risk engine's decision for one user.")
APPEND_SECONDS = Histogram("executor_append_seconds", "Appending one trader's events to the log.")
SIGN_SECONDS = Histogram("executor_sign_seconds", "One signature from the vault service.")
BUDGET_WAIT_SECONDS = Histogram(
    "executor_budget_wait_seconds", "Waiting for an order's turn in the BingX budget."
)
USER_STREAMS = Gauge("executor_user_streams", "BingX user-data streams open.")
USER_STREAM_WAKEUPS = Counter(
    "executor_user_stream_wakeups_total", "Reconciliations woken by a user-data event."
)
FILLS = Counter("executor_fills_total", "Fills recorded, by the path that reported them.", ["path"])
