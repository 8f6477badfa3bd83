"""Events of a user's BingX credential (aggregate ``cred``, id = user id), owned by vault.

Never in these events: the BingX secret (it lives only inside Vault transit) or the API
key in clear (only transit ciphertext bound to the user, and its last 4 characters).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fleet.events.registry import DomainEvent

CREDENTIAL_AGGREGATE = "cred"


class CredentialConnected(DomainEvent):
    """A verified key pair is stored (first connect, or an update replacing the old one)."""

    event_type = "credential.connected"
    api_key_ciphertext: str
    api_key_last4: str
    signing_key_version: int
    account_type: str
    permissions: tuple[int, ...]
    ip_addresses: tuple[str, ...]
    balance: Decimal
    replaced_previous: bool = False
    api_key_digest: str = ""  # keyed HMAC of the API key (one key, one Fleet user); "" before


class CredentialVerified(DomainEvent):
    """A signed call with the stored credential worked (health check or test)."""

    event_type = "credential.verified"
    balance: Decimal
    permissions: tuple[int, ...]
    ip_addresses: tuple[str, ...]
    recovered: bool = False


class CredentialVerificationFailed(DomainEvent):
    event_type = "credential.verification_failed"
    reason: str
    bingx_code: int | None = None


class CredentialDisconnected(DomainEvent):
    """The user's transit keys are destroyed: every earlier ciphertext is unreadable."""

    event_type = "credential.disconnected"
    reason: str


class CredentialApiKeyRewrapped(DomainEvent):
    event_type = "credential.api_key_rewrapped"
    api_key_ciphertext: str


class CredentialSigningUnavailable(DomainEvent):
    """Vault could not sign for the user (unreachable, sealed, token refused): requests were
    refused, nothing signed (fail closed). At most one per outage per user;
    :class:`CredentialSigningRestored` ends it."""

    event_type = "credential.signing_unavailable"
    reason: str


class CredentialSigningRestored(DomainEvent):
    """Vault signs for the user again after a :class:`CredentialSigningUnavailable`."""

    event_type = "credential.signing_restored"


class SignaturesCounted(DomainEvent):
    """How many signatures vault computed for the user in one hour (not one event each)."""

    event_type = "credential.signatures_counted"
    hour_start: datetime
    count: int


CREDENTIAL_EVENTS: tuple[type[DomainEvent], ...] = (
    CredentialConnected,
    CredentialVerified,
    CredentialVerificationFailed,
    CredentialDisconnected,
    CredentialApiKeyRewrapped,
    SignaturesCounted,
    CredentialSigningUnavailable,
    CredentialSigningRestored,
)
