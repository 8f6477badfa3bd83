"""What the handlers use, wired once by the composition root (tests wire it the same way)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.events import AggregateId, AggregateRef
from fleet.events.credentials import BingxEnvironment
from fleet.events.system_settings import SYSTEM_AGGREGATE, SYSTEM_SETTINGS_ID
from fleet.eventstore import EventStore, Repository
from fleet.vault.credential_view import CredentialView
from fleet.vault.domain.connect_gate import ConnectGate
from fleet.vault.domain.credential import Credential
from fleet.vault.ports import AccountProbe, SecretKeeper
from fleet.vault.signature_counter import SignatureCounter
from fleet.vault.signing_outages import SigningOutages

PLATFORM_SETTINGS = AggregateRef(type=SYSTEM_AGGREGATE, id=AggregateId(SYSTEM_SETTINGS_ID))


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
    settings_log: EventStore | None = None  # where an admin's egress addresses are read
    outages: SigningOutages = field(init=False)

    def __post_init__(self) -> None:
        self.outages = SigningOutages(self.credentials, self.view)

    async def egress(self) -> tuple[str, ...]:
        """The egress addresses keys must be bound to: an admin's (``system.settings_changed``,
        read at each use, so a change applies without a restart), else ``FLEET_EGRESS_IPS``."""
        if self.settings_log is None:
            return self.egress_ips
        last = await self.settings_log.last(PLATFORM_SETTINGS)
        chosen = last.data.get("egress_addresses") if last is not None else None
        return tuple(chosen) if chosen is not None else self.egress_ips

    def probe_for(self, environment: BingxEnvironment) -> AccountProbe:
        """The probe that asks the BingX a key of ``environment`` belongs to."""
        if environment == "demo" and self.demo_probe is not None:
            return self.demo_probe
        return self.probe
