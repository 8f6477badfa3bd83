"""The settings base class shared by every service, and the loader that reports bad input."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from fleet.events.errors import FleetError

ENV_PREFIX = "FLEET_"

LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["json", "console"]


class SettingsError(FleetError):
    """A setting is missing or invalid; the message names the environment variable."""

    error_code = "settings"


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
    nats_ca_file: Path | None = Field(
        default=None,
        description="CA (PEM) that signed the NATS servers' certificates: set, the client "
        "speaks TLS and verifies the server's certificate and host name.",
    )
    nats_cert_file: Path | None = Field(
        default=None, description="Client certificate (PEM) when the server verifies clients."
    )
    nats_key_file: Path | None = Field(default=None, description="Key of nats_cert_file.")
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
        if self.nats_ca_file is not None:
            options["tls"] = tls_context(self.nats_ca_file, self.nats_cert_file, self.nats_key_file)
        return options


def nats_tls_from_env() -> ssl.SSLContext | None:
    """The TLS context of an operator's command (``fleet events``, ``rebuild``, rotation):
    from ``FLEET_NATS_CA_FILE`` (and ``FLEET_NATS_CERT_FILE`` / ``FLEET_NATS_KEY_FILE``)
    like a service's, or ``None`` (plaintext, ``fleet up``'s loopback default)."""
    ca_file = os.environ.get(f"{ENV_PREFIX}NATS_CA_FILE")
    if not ca_file:
        return None
    cert = os.environ.get(f"{ENV_PREFIX}NATS_CERT_FILE") or None
    key = os.environ.get(f"{ENV_PREFIX}NATS_KEY_FILE") or None
    return tls_context(ca_file, cert, key)


def tls_context(
    ca_file: Path | str, cert_file: Path | str | None = None, key_file: Path | str | None = None
) -> ssl.SSLContext:
    """A client TLS context that trusts only ``ca_file`` and checks the server's host name
    (verify-full), with a client certificate when ``cert_file`` is given."""
    context = ssl.create_default_context(cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert_file is not None:
        context.load_cert_chain(str(cert_file), str(key_file) if key_file else None)
    return context


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
