"""Which projections exist: services declare theirs as entry points, libs never import them.

A service adds, in its pyproject.toml::

    [project.entry-points."fleet.projections"]
    users = "fleet.gateway.read_models:users_projection"

where the object is a zero-argument callable returning a :class:`ProjectionSpec`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

from fleet.events import EventRegistry
from fleet.eventstore import StreamSpec
from fleet.eventstore.stream import TelemetrySpec
from fleet.projections.errors import ProjectionError
from fleet.projections.projection import Projection

GROUP = "fleet.projections"


@dataclass(frozen=True)
class ProjectionSpec:
    """A projection, the registry of the events it reads, and which stream it follows:
    the log, or (``telemetry``) the telemetry stream beside it (routine decisions)."""

    projection: Projection
    registry: EventRegistry
    telemetry: bool = False

    def stream(self, log: StreamSpec) -> StreamSpec:
        """The stream this projection reads, given the deployment's log."""
        return TelemetrySpec.beside(log).as_log() if self.telemetry else log


class UnknownProjection(ProjectionError, LookupError):
    """No projection of that name is installed."""

    error_code = "unknown_projection"


def installed_projections() -> dict[str, Callable[[], ProjectionSpec]]:
    """Every installed projection factory, by name."""
    return {ep.name: ep.load() for ep in entry_points(group=GROUP)}


def select_projections(names: list[str]) -> list[ProjectionSpec]:
    """The named projections (all when ``names`` is empty), or :class:`UnknownProjection`."""
    factories = installed_projections()
    unknown = sorted(set(names) - set(factories))
    if unknown:
        known = ", ".join(sorted(factories)) or "none installed"
        raise UnknownProjection(f"unknown projection(s): {', '.join(unknown)} (known: {known})")
    chosen = names or sorted(factories)
    return [factories[name]() for name in chosen]
