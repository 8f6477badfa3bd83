"""What the executor knows of every user, folded from the log: role, settings, credential
status and bot status. Pure: it applies events, it never fetches them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from fleet.events import DomainEvent
from fleet.events.bots import BotPaused, BotResumed, BotStarted, BotStopped
from fleet.events.credentials import (
    BingxEnvironment,
    CredentialConnected,
    CredentialDisconnected,
    CredentialVerificationFailed,
    CredentialVerified,
)
from fleet.events.users import (
    TradingSettings,
    TradingSettingsChanged,
    UserActivated,
    UserCreated,
    UserDeactivated,
    UserDeleted,
    UserRoleChanged,
)

CredentialStatus = Literal["none", "verified", "failed"]
BotStatus = Literal["stopped", "active", "paused"]
USER_TYPES = ("user", "cred", "bot")


@dataclass
class UserView:
    """One user as the risk engine and the bot commands need them."""

    user_id: str
    role: str = "trader"
    active: bool = True
    settings: TradingSettings = field(default_factory=TradingSettings)
    credential: CredentialStatus = "none"
    bot: BotStatus = "stopped"
    session_id: str | None = None
    initial_balance: Decimal = Decimal(0)
    pause_reason: str = ""
    paused_automatically: bool = False
    started_at: datetime | None = None  # signals published before the bot started are not its
    credential_balance: Decimal = Decimal(0)  # as BingX reported it at the last verification
    credential_generation: int = 0  # +1 at every connect (a new API key may come with it)
    environment: BingxEnvironment = "live"  # which BingX the connected key belongs to

    @property
    def running(self) -> bool:
        """Active or paused: the bot's session is open and signals are evaluated."""
        return self.bot != "stopped"

    def apply(self, event: DomainEvent, at: datetime | None = None) -> None:
        """Fold one user, credential or bot event (stored at ``at``) into this view."""
        if isinstance(event, UserCreated | UserRoleChanged):
            self.role = event.role
        elif isinstance(event, UserActivated | UserDeactivated | UserDeleted):
            self.active = isinstance(event, UserActivated)
        elif isinstance(event, TradingSettingsChanged):
            self.settings = event.settings
        elif isinstance(event, CredentialConnected | CredentialVerified):
            self.credential, self.credential_balance = "verified", event.balance
            if isinstance(event, CredentialConnected):
                self.credential_generation += 1
                self.environment = event.environment
        elif isinstance(event, CredentialVerificationFailed):
            self.credential = "failed"
        elif isinstance(event, CredentialDisconnected):
            self.credential = "none"
        else:
            self._apply_bot(event, at)

    def _apply_bot(self, event: DomainEvent, at: datetime | None) -> None:
        if isinstance(event, BotStarted):
            self.bot, self.session_id, self.started_at = "active", event.session_id, at
            self.initial_balance, self.pause_reason = event.initial_balance, ""
        elif isinstance(event, BotPaused):
            self.bot, self.pause_reason = "paused", event.reason
            self.paused_automatically = event.automatic
        elif isinstance(event, BotResumed):
            self.bot, self.pause_reason, self.paused_automatically = "active", "", False
        elif isinstance(event, BotStopped):
            self.bot, self.session_id = "stopped", None


class Directory:
    """Every user's view, and which running bots follow each (symbol, timeframe)."""

    def __init__(self) -> None:
        self.users: dict[str, UserView] = {}
        self._followers: dict[tuple[str, str], set[str]] = defaultdict(set)

    def view(self, user_id: str) -> UserView:
        """The user's view (an empty one for a user the log has not mentioned yet)."""
        view = self.users.get(user_id)
        if view is None:
            view = self.users[user_id] = UserView(user_id)
        return view

    def apply(self, user_id: str, event: DomainEvent, at: datetime | None = None) -> None:
        """Apply a user/cred/bot event of ``user_id`` and keep the follower index current."""
        view = self.view(user_id)
        self._unindex(view)
        view.apply(event, at)
        self._index(view)

    def followers(self, symbol: str, timeframe: str) -> list[UserView]:
        """Users whose running bot subscribes to this stream, in a stable order."""
        ids = sorted(self._followers.get((symbol, timeframe), ()))
        return [self.users[i] for i in ids]

    def running(self) -> list[UserView]:
        """Every user whose bot is active or paused."""
        return [view for view in self.users.values() if view.running]

    def _index(self, view: UserView) -> None:
        if view.running:
            for symbol in view.settings.symbols:
                self._followers[(symbol, view.settings.timeframe)].add(view.user_id)

    def _unindex(self, view: UserView) -> None:
        for symbol in view.settings.symbols:
            self._followers[(symbol, view.settings.timeframe)].discard(view.user_id)
