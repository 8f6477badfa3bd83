"""The settings base class shared by every service, and the loader that reports bad input."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "FLEET_"

LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["json", "console"]


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


class ServiceSettings(BaseSettings):
    """What every Fleet service needs: where NATS is, where it serves health, how it logs."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    service_name: str = Field(default="fleet", description="Name used in logs and metrics.")
    nats_url: str = Field(
        default="nats://127.0.0.1:4222",
        description="NATS server URL with this service's user; several, comma-separated, "
        "for a cluster reached by node address (each carries the credentials).",
    )
    nats_nkey_seed_file: str | None = Field(
        default=None,
        description="File with this service's NATS NKEY seed (0600; fleet up makes one a "
        "service); unset: the credentials in the URL.",
    )
    http_host: str = Field(default="127.0.0.1", description="Address of the health/metrics server.")
    http_port: int = Field(default=0, ge=0, le=65535, description="Port of the health server.")
    log_level: LogLevel = Field(default="info", description="debug, info, warning or error.")
    log_format: LogFormat = Field(default="json", description="json (machines) or console.")
    stream_name: str = Field(default="FLEET_EVENTS", description="JetStream stream of events.")
    subject_prefix: str = Field(default="ev", description="First token of every event subject.")

    @property
    def nats_servers(self) -> list[str]:
        """``nats_url`` as the list of servers a client tries (one or a cluster's nodes)."""
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]

    @property
    def nats_inbox_prefix(self) -> str:
        """Where this service's replies arrive: ``_INBOX_<service>`` (its NATS user may
        subscribe there and nowhere else for replies; fleet.stack.permissions)."""
        return f"_INBOX_{self.service_name}"

    def nats_options(self) -> dict[str, Any]:
        """``nats.connect(**options)`` / ``NatsBroker(**options)``: the URL, this
        service's NKEY seed file when set, and its own reply inbox prefix."""
        options: dict[str, Any] = {
            "servers": self.nats_servers,
            "inbox_prefix": self.nats_inbox_prefix,
        }
        if self.nats_nkey_seed_file:
            options["nkeys_seed"] = self.nats_nkey_seed_file
        return options


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """Read ``cls`` from the environment; raise :class:`SettingsError` naming the bad variable."""
    try:
        return cls()
    except ValidationError as exc:
        raise SettingsError(_describe(cls, exc)) from None


def _describe(cls: type[BaseSettings], exc: ValidationError) -> str:
    prefix = str(cls.model_config.get("env_prefix", ""))
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        variable = f"{prefix}{field}".upper()
        problems.append(f"{variable}: {error['msg']}")
    return "invalid settings: " + "; ".join(problems)
