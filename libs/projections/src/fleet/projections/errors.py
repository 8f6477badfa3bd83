"""Errors of the projection runner."""

from __future__ import annotations

from fleet.events.errors import FleetError


class ProjectionError(FleetError):
    """Root of every projection error."""

    error_code = "projection"


class ProjectionFailed(ProjectionError):
    """A handler failed on one event; everything before it is applied and checkpointed."""

    error_code = "projection_failed"

    def __init__(self, projection: str, sequence: int | None, event_type: str, cause: str) -> None:
        super().__init__(
            f"projection {projection} stopped at event #{sequence} ({event_type}): {cause}"
        )
        self.projection = projection
        self.sequence = sequence
        self.event_type = event_type


class CheckpointMoved(ProjectionError):
    """The stored checkpoint is not where this runner thought (a rebuild swapped tables in);
    the runner resubscribes from the stored position."""

    error_code = "checkpoint_moved"

    def __init__(self, last_sequence: int) -> None:
        super().__init__(f"checkpoint is at {last_sequence}")
        self.last_sequence = last_sequence
