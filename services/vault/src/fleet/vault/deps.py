"""What the handlers use, wired once by the composition root (tests wire it the same way)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.eventstore import Repository
from fleet.vault.credential_view import CredentialView
from fleet.vault.domain.connect_gate import ConnectGate
from fleet.vault.domain.credential import Credential
from fleet.vault.ports import AccountProbe, SecretKeeper
from fleet.vault.signature_counter import SignatureCounter
from fleet.vault.signing_outages import SigningOutages


@dataclass
class VaultDeps:
    """The repository, the in-memory view, Vault, BingX, and the audit helpers."""

    credentials: Repository[Credential]
    view: CredentialView
    keeper: SecretKeeper
    probe: AccountProbe
    egress_ips: tuple[str, ...] = ()
    counter: SignatureCounter = field(default_factory=SignatureCounter)
    connect_gate: ConnectGate = field(default_factory=ConnectGate)
    outages: SigningOutages = field(init=False)

    def __post_init__(self) -> None:
        self.outages = SigningOutages(self.credentials, self.view)
