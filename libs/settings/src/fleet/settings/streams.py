"""The event log's and the telemetry stream's settings, read once for every command that
creates or updates them (``fleet up``, ``python -m fleet.eventstore`` — the compose and
Kubernetes stream-init job): one model, so a deployment cannot end up with a limit that
only the embedded stack applies."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from fleet.settings.base import ENV_PREFIX

GIB = 1024**3


class StreamSettings(BaseSettings):
    """``FLEET_STREAM_*``, ``FLEET_EVENT_LOG_MAX_BYTES`` and ``FLEET_TELEMETRY_*``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    stream_name: str = Field(default="FLEET_EVENTS", description="The event log's stream.")
    subject_prefix: str = Field(default="ev", description="First token of every event subject.")
    stream_replicas: int = Field(
        default=1, ge=1, le=5, description="Replicas of both streams (1 one box, 3 a cluster)."
    )
    event_log_max_bytes: int = Field(
        default=10 * GIB,
        gt=0,
        description="The event log's byte limit: at it every append is refused (nothing is "
        "ever dropped); an existing stream's limit is raised or lowered to it.",
    )
    telemetry_max_age_days: float = Field(
        default=30.0, gt=0, description="Routine decisions older than this are dropped."
    )
    telemetry_max_bytes: int = Field(
        default=4 * GIB, gt=0, description="Past this size the oldest routine decisions go."
    )
