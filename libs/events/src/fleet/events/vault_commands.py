"""Commands the vault service answers (``cmd.vault.*``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from fleet.events.commands import Command, Reply, ReplyPayload, SparseReplyPayload
from fleet.events.credentials import BingxEnvironment


class VaultCommand(Command):
    service: ClassVar[str] = "vault"


# a base64 BYOK ciphertext: RSA-4096 (512 bytes) + AES-KWP of a secret of at most 128
# bytes (136), with room for a larger wrapping key
WRAPPED_SECRET_MAX = 2048
KEY_ID_MAX = 64  # SHA-256 hex


class GetWrappingKey(VaultCommand):
    """Transit's public wrapping key, with which the gateway wraps a BingX secret before
    it crosses the bus. Reply: :class:`WrappingKeyIssued`."""

    name: ClassVar[str] = "wrapping_key"


class WrappingKeyIssued(ReplyPayload):
    """What :class:`GetWrappingKey` answers (``Reply[WrappingKeyIssued]``)."""

    public_key: str  # PEM
    key_id: str  # SHA-256 hex of its DER


class ConnectCredential(VaultCommand):
    """Verify with BingX, then store. The secret travels only wrapped for Vault
    (``fleet.vaultwrap``: BYOK import format, under the wrapping key ``wrapping_key_id``):
    no Fleet process but the gateway's request handler ever holds it in clear. Reply:
    :class:`CredentialConnected` (warnings: e.g. no IP whitelist); a ciphertext
    made with a wrapping key Vault no longer has is refused ``conflict`` with details
    ``wrapping_key_id`` (the current one): wrap again and resend."""

    name: ClassVar[str] = "connect"
    user_id: str
    api_key: str
    wrapped_secret: str = Field(min_length=1, max_length=WRAPPED_SECRET_MAX)
    wrapping_key_id: str = Field(min_length=1, max_length=KEY_ID_MAX)
    environment: BingxEnvironment = "live"  # "demo": BingX VST, verified on VST's hosts


class CredentialConnected(ReplyPayload):
    """What an accepted :class:`ConnectCredential` answers (``Reply[CredentialConnected]``)."""

    status: Literal["verified"] = "verified"
    account_type: str
    balance: str  # a decimal, as text
    api_key_last4: str
    replaced_previous: bool
    environment: BingxEnvironment
    warnings: list[str] = []


class VerifyCredential(VaultCommand):
    name: ClassVar[str] = "verify"
    user_id: str


class DisconnectCredential(VaultCommand):
    name: ClassVar[str] = "disconnect"
    user_id: str
    reason: str = "disconnected by the user"


class RotateCredential(VaultCommand):
    name: ClassVar[str] = "rotate"
    user_id: str


class SignPayload(VaultCommand):
    """Only executor identities may send it. Reply: :class:`PayloadSigned`, the signature
    (lowercase hex) and api_key (the X-BX-APIKEY header value) — never the secret.
    ``with_api_key=False`` skips the API key (one Vault call instead of two) for an executor
    that already has it."""

    name: ClassVar[str] = "sign"
    user_id: str
    payload: str
    with_api_key: bool = True


SIGN_BATCH_MAX = 64


class SignPayloads(VaultCommand):
    """Several :class:`SignPayload` in one message (an executor's requests of one event
    loop pass): one NATS message each way instead of one per signature. Only executor
    identities may send it. Reply: :class:`PayloadsSigned`."""

    name: ClassVar[str] = "sign_batch"
    requests: list[SignPayload] = Field(min_length=1, max_length=SIGN_BATCH_MAX)


class CredentialChecked(ReplyPayload):
    """What an accepted :class:`VerifyCredential` answers."""

    status: Literal["verified"] = "verified"
    balance: str  # a decimal, as text
    recovered: bool  # it had failed before this check


class CredentialShredded(ReplyPayload):
    """What an accepted :class:`DisconnectCredential` answers."""

    status: Literal["disconnected"] = "disconnected"


class ApiKeyRewrapped(ReplyPayload):
    """What an accepted :class:`RotateCredential` answers."""

    status: Literal["rotated"] = "rotated"
    key_version: int


class PayloadSigned(SparseReplyPayload):
    """What an accepted :class:`SignPayload` answers (``api_key`` only when asked for)."""

    signature: str
    api_key: str | None = None


class PayloadsSigned(ReplyPayload):
    """What an accepted :class:`SignPayloads` answers: one reply per request, in order,
    each exactly what that :class:`SignPayload` alone would answer (a refusal of one
    request, e.g. a user not connected, is that request's reply, not the batch's)."""

    replies: list[Reply[PayloadSigned]]


VAULT_COMMANDS: tuple[type[VaultCommand], ...] = (
    GetWrappingKey,
    ConnectCredential,
    VerifyCredential,
    DisconnectCredential,
    RotateCredential,
    SignPayload,
    SignPayloads,
)
