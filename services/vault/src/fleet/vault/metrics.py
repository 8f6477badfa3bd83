"""Prometheus metrics of the vault service (served on ``/metrics``)."""

from prometheus_client import Counter, Gauge, Histogram

SIGNATURES = Counter("vault_signatures_total", "Signatures computed inside Vault.")
SIGN_REPLIES = Counter(
    "vault_sign_replies_total", "Signing requests answered, by outcome.", ["outcome"]
)
SIGN_SECONDS = Histogram(
    "vault_sign_seconds",
    "Time from a signing request's arrival to its reply.",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
VAULT_UNAVAILABLE = Gauge("vault_transit_unavailable", "1 while this worker cannot reach Vault.")
