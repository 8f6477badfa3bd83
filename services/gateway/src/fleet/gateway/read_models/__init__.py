"""The gateway's read models: PostgreSQL projections of the event log (``fleet.projections``).

Each factory below is a ``fleet.projections`` entry point, so ``fleet projections rebuild``
finds them; the gateway runs the same projections in its own process.
"""

from __future__ import annotations

from collections.abc import Callable

from fleet.events.catalog import domain_registry
from fleet.gateway.read_models.audit.projection import AuditProjection
from fleet.gateway.read_models.billing.projection import BillingProjection
from fleet.gateway.read_models.bots.projection import BotsProjection
from fleet.gateway.read_models.credentials.projection import CredentialsProjection
from fleet.gateway.read_models.notifications.projection import NotificationsProjection
from fleet.gateway.read_models.telemetry.projection import TelemetryProjection
from fleet.gateway.read_models.trading.projection import TradingProjection
from fleet.gateway.read_models.users.projection import UsersProjection
from fleet.projections import Projection
from fleet.projections.catalog import ProjectionSpec


def _spec(projection: Projection) -> ProjectionSpec:
    # the whole catalog: a projection stops on a type it does not know, and these follow
    # the whole log
    return ProjectionSpec(projection, domain_registry())


def users() -> ProjectionSpec:
    """Users, viewer grants, trading settings, access tokens."""
    return _spec(UsersProjection())


def credentials() -> ProjectionSpec:
    """BingX connections (last four characters of the API key only)."""
    return _spec(CredentialsProjection())


def bots() -> ProjectionSpec:
    """Each trader's bot."""
    return _spec(BotsProjection())


def trading() -> ProjectionSpec:
    """Positions, trades, trading sessions, account values, risk decisions."""
    return _spec(TradingProjection())


def audit() -> ProjectionSpec:
    """The audit log."""
    return _spec(AuditProjection())


def notifications() -> ProjectionSpec:
    """Each user's notifications (read or not), delivery outcomes and preferences."""
    return _spec(NotificationsProjection())


def billing() -> ProjectionSpec:
    """Fee statements, invoices and their status, and the running estimate's inputs."""
    return _spec(BillingProjection())


def telemetry() -> ProjectionSpec:
    """Routine decisions (skips) from the telemetry stream, kept as long as it keeps them."""
    return ProjectionSpec(TelemetryProjection(), domain_registry(), telemetry=True)


ALL: tuple[Callable[[], ProjectionSpec], ...] = (
    users,
    credentials,
    bots,
    trading,
    audit,
    notifications,
    billing,
    telemetry,
)

__all__ = [
    "ALL",
    "audit",
    "billing",
    "bots",
    "credentials",
    "notifications",
    "telemetry",
    "trading",
    "users",
]
