"""What the handlers use, wired once by the composition root (tests wire it the same way)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.events.credentials import BingxEnvironment
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
    probe: AccountProbe  # live BingX
    egress_ips: tuple[str, ...] = ()
    demo_probe: AccountProbe | None = None  # BingX VST (demo keys); None: live's
    counter: SignatureCounter = field(default_factory=SignatureCounter)
    connect_gate: ConnectGate = field(default_factory=ConnectGate)
    outages: SigningOutages = field(init=False)

    def __post_init__(self) -> None:
        self.outages = SigningOutages(self.credentials, self.view)

    def probe_for(self, environment: BingxEnvironment) -> AccountProbe:
        """The probe that asks the BingX a key of ``environment`` belongs to."""
        if environment == "demo" and self.demo_probe is not None:
            return self.demo_probe
        return self.probe
