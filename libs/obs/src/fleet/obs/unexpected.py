"""The one count of errors nobody planned for.

Broad ``except Exception`` clauses live only at process boundaries (a supervisor loop, a
command or request handler, one user's task in a fan-out); each logs the error as it did
and calls :func:`count_unexpected` with where it was caught, so ``/metrics`` shows
``fleet_unexpected_errors_total{where=...}`` and an alert needs no log search.
"""

from __future__ import annotations

from prometheus_client import Counter

UNEXPECTED_ERRORS = Counter(
    "fleet_unexpected_errors",
    "Errors caught by a broad except at a process boundary, by where they were caught.",
    ["where"],
)


def count_unexpected(where: str) -> None:
    """Count one unexpected error caught at ``where`` (``<service>.<boundary>``)."""
    UNEXPECTED_ERRORS.labels(where=where).inc()
