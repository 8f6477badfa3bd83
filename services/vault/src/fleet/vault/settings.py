"""Settings of the vault service (environment variables, prefix ``FLEET_``)."""

from __future__ import annotations

import os
import socket
import ssl
from pathlib import Path

from pydantic import Field, SecretStr

from fleet.settings import ServiceSettings, tls_context


class VaultSettings(ServiceSettings):
    """The only Fleet service with a Vault token."""

    service_name: str = "vault"
    vault_addr: str = Field(default="http://127.0.0.1:8200", description="OpenBao/Vault URL.")
    vault_ca_file: Path | None = Field(
        default=None,
        description="CA (PEM) that signed OpenBao's certificate (an https vault_addr is "
        "verified against it, host name included; unset: the system's CAs).",
    )
    vault_token: SecretStr = Field(default=SecretStr(""), description="Token (or use the file).")
    vault_token_file: Path | None = Field(default=None, description="File holding the token.")
    vault_role_id: str = Field(default="", description="AppRole role id (production login).")
    vault_secret_id_file: Path | None = Field(
        default=None, description="File with a one-use AppRole secret id (consumed at login)."
    )
    vault_timeout_s: float = Field(default=5.0, gt=0, le=60, description="Per Vault request.")
    bingx_base_url: str = Field(default="https://open-api.bingx.com", description="BingX REST.")
    bingx_demo_base_url: str = Field(
        default="https://open-api-vst.bingx.com",
        description="BingX REST for demo (VST) keys: their connect and health checks.",
    )
    egress_ips: list[str] = Field(default_factory=list, description="IPs users must whitelist.")
    health_check_minutes: float = Field(default=10.0, gt=0, description="Re-verify every N min.")
    health_check_concurrency: int = Field(default=4, ge=1, le=64, description="Checks at once.")
    sign_concurrency: int = Field(
        default=64,
        ge=1,
        le=1024,
        description="Signing messages (one request, or a batch of up to 64) one worker handles at"
        " once; its calls to Vault wait for its connection pool.",
    )
    connect_user_per_minute: float = Field(
        default=3, gt=0, description="Connect attempts per user per minute (before BingX)."
    )
    connect_user_burst: int = Field(default=5, ge=1, description="A user's attempts at once.")
    connect_platform_per_minute: float = Field(
        default=30,
        gt=0,
        description="Connect attempts per minute for the whole platform (the shared egress "
        "address's standing with BingX).",
    )
    connect_platform_burst: int = Field(default=10, ge=1, description="Platform attempts at once.")
    instance_id: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        description="Who holds the health-check lease.",
    )

    def vault_tls(self) -> ssl.SSLContext | None:
        """The TLS context for OpenBao: only ``vault_ca_file`` trusted, host name checked."""
        return tls_context(self.vault_ca_file) if self.vault_ca_file is not None else None

    def token(self) -> str:
        """The Vault token, from the file when one is configured."""
        if self.vault_token_file is not None:
            return self.vault_token_file.read_text().strip()
        return self.vault_token.get_secret_value()
