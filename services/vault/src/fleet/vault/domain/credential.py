"""The credential aggregate: one per user, ``ev.cred.<user id>``."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from fleet.events import AggregateId, DomainEvent
from fleet.events.aggregate import Aggregate
from fleet.events.credentials import (
    CREDENTIAL_AGGREGATE,
    BingxEnvironment,
    CredentialApiKeyRewrapped,
    CredentialConnected,
    CredentialDisconnected,
    CredentialSigningRestored,
    CredentialSigningUnavailable,
    CredentialVerificationFailed,
    CredentialVerified,
)
from fleet.vault.domain.policy import AccountSnapshot

Status = Literal["none", "verified", "failed", "disconnected"]


@dataclass
class CredentialState:
    status: Status = "none"
    api_key_ciphertext: str = ""
    api_key_last4: str = ""
    signing_key_version: int = 0
    account_type: str = ""
    balance: Decimal = Decimal(0)
    permissions: tuple[int, ...] = field(default_factory=tuple)
    signing_unavailable: bool = False  # an outage is recorded and not yet over
    api_key_digest: str = ""
    environment: BingxEnvironment = "live"


class Credential(Aggregate):
    """Decides what happens to a user's stored BingX key pair."""

    aggregate_type = CREDENTIAL_AGGREGATE

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.state = CredentialState()

    @property
    def connected(self) -> bool:
        """A key pair is stored and its transit keys exist."""
        return self.state.status in ("verified", "failed")

    def connect(
        self,
        snapshot: AccountSnapshot,
        ciphertext: str,
        last4: str,
        key_version: int,
        digest: str = "",
        environment: BingxEnvironment = "live",
    ) -> None:
        self.record(
            CredentialConnected(
                api_key_ciphertext=ciphertext,
                api_key_last4=last4,
                signing_key_version=key_version,
                account_type=snapshot.account_type,
                permissions=snapshot.permissions,
                ip_addresses=snapshot.ip_addresses,
                balance=snapshot.balance,
                replaced_previous=self.connected,
                api_key_digest=digest,
                environment=environment,
            )
        )

    def verified(self, snapshot: AccountSnapshot, *, only_on_change: bool = False) -> None:
        """A signed call worked; a health check (``only_on_change``) records only a recovery."""
        recovered = self.state.status == "failed"
        if only_on_change and not recovered:
            return
        self.record(
            CredentialVerified(
                balance=snapshot.balance,
                permissions=snapshot.permissions,
                ip_addresses=snapshot.ip_addresses,
                recovered=recovered,
            )
        )

    def failed(self, reason: str, bingx_code: int | None) -> None:
        if self.state.status != "failed":
            self.record(CredentialVerificationFailed(reason=reason, bingx_code=bingx_code))

    def disconnect(self, reason: str) -> None:
        if self.connected:
            self.record(CredentialDisconnected(reason=reason))

    def rewrapped(self, ciphertext: str) -> None:
        self.record(CredentialApiKeyRewrapped(api_key_ciphertext=ciphertext))

    def signing_failed(self, reason: str) -> None:
        """Vault could not sign: recorded once per outage (any worker may notice first)."""
        if self.connected and not self.state.signing_unavailable:
            self.record(CredentialSigningUnavailable(reason=reason))

    def signing_works(self) -> None:
        if self.state.signing_unavailable:
            self.record(CredentialSigningRestored())

    def apply(self, event: DomainEvent) -> None:
        state = self.state
        if isinstance(event, CredentialConnected):
            state.status = "verified"
            state.api_key_ciphertext = event.api_key_ciphertext
            state.api_key_last4 = event.api_key_last4
            state.signing_key_version = event.signing_key_version
            state.account_type = event.account_type
            state.balance = event.balance
            state.permissions = event.permissions
            state.api_key_digest = event.api_key_digest
            state.environment = event.environment
        elif isinstance(event, CredentialVerified):
            state.status, state.balance = "verified", event.balance
        elif isinstance(event, CredentialVerificationFailed):
            state.status = "failed"
        elif isinstance(event, CredentialDisconnected):
            self.state = CredentialState(status="disconnected")
        elif isinstance(event, CredentialApiKeyRewrapped):
            state.api_key_ciphertext = event.api_key_ciphertext
        elif isinstance(event, CredentialSigningUnavailable | CredentialSigningRestored):
            state.signing_unavailable = isinstance(event, CredentialSigningUnavailable)
