"""Observability: structured logging with secret redaction, Prometheus metrics."""
