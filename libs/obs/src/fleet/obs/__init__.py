"""Observability shared by every service: structured logs that never carry a secret,
Prometheus metrics, and the ``/healthz`` + ``/metrics`` HTTP endpoint."""

from fleet.obs.collector import settle_collector
from fleet.obs.correlation import correlated, current_correlation_id
from fleet.obs.health import HealthCheck, health_app, serve_health
from fleet.obs.logging import configure_logging, get_logger, register_secret
from fleet.obs.unexpected import count_unexpected

__all__ = [
    "HealthCheck",
    "configure_logging",
    "correlated",
    "count_unexpected",
    "current_correlation_id",
    "get_logger",
    "health_app",
    "register_secret",
    "serve_health",
    "settle_collector",
]
