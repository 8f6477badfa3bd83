"""Events of a user's BingX credential (aggregate ``cred``, id = user id), owned by vault.

Never in these events: the BingX secret (it lives only inside Vault transit) or the API
key in clear (only transit ciphertext bound to the user, and its last 4 characters).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from fleet.events.bounds import LIST_MAX, Amount, ClippedText, CodeText, HashText
from fleet.events.registry import DomainEvent

CREDENTIAL_AGGREGATE = "cred"
Last4 = Annotated[str, StringConstraints(max_length=4)]
# Which BingX a key belongs to: the real one, or VST (demo trading with virtual USDT).
# Same API on other hosts; a key of one is unknown to the other.
BingxEnvironment = Literal["live", "demo"]


class CredentialConnected(DomainEvent):
    """A verified key pair is stored (first connect, or an update replacing the old one)."""

    event_type = "credential.connected"
    api_key_ciphertext: HashText
    api_key_last4: Last4
    signing_key_version: int
    account_type: CodeText
    permissions: Annotated[tuple[int, ...], Field(max_length=LIST_MAX)]
    ip_addresses: Annotated[tuple[CodeText, ...], Field(max_length=LIST_MAX)]
    balance: Amount
    replaced_previous: bool = False
    api_key_digest: str = ""  # keyed HMAC of the API key (one key, one Fleet user); "" before
    environment: BingxEnvironment = "live"  # older events: every key was live


class CredentialVerified(DomainEvent):
    """A signed call with the stored credential worked (health check or test)."""

    event_type = "credential.verified"
    balance: Amount
    permissions: Annotated[tuple[int, ...], Field(max_length=LIST_MAX)]
    ip_addresses: Annotated[tuple[CodeText, ...], Field(max_length=LIST_MAX)]
    recovered: bool = False


class CredentialVerificationFailed(DomainEvent):
    event_type = "credential.verification_failed"
    reason: ClippedText
    bingx_code: int | None = None


class CredentialDisconnected(DomainEvent):
    """The user's transit keys are destroyed: every earlier ciphertext is unreadable."""

    event_type = "credential.disconnected"
    reason: ClippedText


class CredentialApiKeyRewrapped(DomainEvent):
    event_type = "credential.api_key_rewrapped"
    api_key_ciphertext: HashText


class CredentialSigningUnavailable(DomainEvent):
    """Vault could not sign for the user (unreachable, sealed, token refused): requests were
    refused, nothing signed (fail closed). At most one per outage per user;
    :class:`CredentialSigningRestored` ends it."""

    event_type = "credential.signing_unavailable"
    reason: ClippedText


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
