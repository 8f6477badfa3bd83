"""Every user as the log says, folded once for every service that needs it: role,
active/deleted, trading settings, credential status and environment, and the bot's
state (stopped / active / paused, its session). Pure: it applies events, never fetches
them. The executor (its directory, its command handlers' read of one user) and the
strategy (which streams running bots follow) fold the log with this module only.

Settings changed while a bot runs: one behaviour. The settings held are always the
latest ``TradingSettingsChanged``; every decision reads them when it is made, so a change
applies to the next decision — leverage, risk, limits, confidence, symbols and timeframe
(the follower index, hence the strategy's streams, moves at once) — and
``flatten_on_stop`` is read when the bot is stopped, not when it started. ``BotStarted``
carries the settings read at start (for the audit trail); they are only taken when the
fold has seen no settings change of the user (a log read from the bot's events alone).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from fleet.events.billing import PlanAssigned, PlanLimits
from fleet.events.bots import (
    BOT_AGGREGATE,
    BotPaused,
    BotResumed,
    BotStarted,
    BotStopped,
    FlattenDone,
    FlattenRequested,
)
from fleet.events.credentials import (
    CREDENTIAL_AGGREGATE,
    BingxEnvironment,
    CredentialConnected,
    CredentialDisconnected,
    CredentialVerificationFailed,
    CredentialVerified,
)
from fleet.events.registry import DomainEvent
from fleet.events.users import (
    USER_AGGREGATE,
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
Stream = tuple[str, str]  # (symbol, timeframe)
USER_TYPES = (USER_AGGREGATE, CREDENTIAL_AGGREGATE, BOT_AGGREGATE)
"""The aggregate types whose events this fold reads (each keyed by the user's id)."""


_CREDENTIAL_EVENTS = (
    CredentialConnected,
    CredentialVerified,
    CredentialVerificationFailed,
    CredentialDisconnected,
)


@dataclass
class UserView:
    """One user as the risk engine, the bot commands and the market-data demand need them."""

    user_id: str
    role: str = "trader"
    active: bool = True
    settings: TradingSettings = field(default_factory=TradingSettings)
    settings_changed: bool = False  # a TradingSettingsChanged was folded (it beats BotStarted)
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
    # flattens asked and not yet carried out: request event id -> symbol (None: all)
    pending_flattens: dict[str, str | None] = field(default_factory=dict)
    plan: PlanLimits | None = None  # the plan's limits as last assigned (None: no plan)

    @property
    def running(self) -> bool:
        """Active or paused: the bot's session is open and signals are evaluated."""
        return self.bot != "stopped"

    @property
    def streams(self) -> set[Stream]:
        """The (symbol, timeframe) streams this user's running bot follows (none if stopped)."""
        if not self.running:
            return set()
        return {(symbol, self.settings.timeframe) for symbol in self.settings.symbols}

    def apply(
        self, event: DomainEvent, at: datetime | None = None, event_id: str | None = None
    ) -> None:
        """Fold one user, credential or bot event (stored at ``at`` with id ``event_id``,
        which names a flatten request until its ``FlattenDone``) into this view."""
        if isinstance(event, UserCreated | UserRoleChanged):
            self.role = event.role
        elif isinstance(event, UserActivated | UserDeactivated | UserDeleted):
            self.active = isinstance(event, UserActivated)
        elif isinstance(event, TradingSettingsChanged):
            self.settings, self.settings_changed = event.settings, True
        elif isinstance(event, _CREDENTIAL_EVENTS):
            self._apply_credential(event)
        elif isinstance(event, PlanAssigned):
            self.plan = event.plan
        elif isinstance(event, FlattenRequested | FlattenDone):
            self._apply_flatten(event, event_id)
        else:
            self._apply_bot(event, at)
            if isinstance(event, BotStopped) and event.flatten:
                self._apply_flatten(event, event_id)

    def _apply_credential(self, event: DomainEvent) -> None:
        if isinstance(event, CredentialConnected | CredentialVerified):
            self.credential, self.credential_balance = "verified", event.balance
            if isinstance(event, CredentialConnected):
                self.credential_generation += 1
                self.environment = event.environment
        elif isinstance(event, CredentialVerificationFailed):
            self.credential = "failed"
        elif isinstance(event, CredentialDisconnected):
            self.credential = "none"

    def _apply_flatten(
        self, event: FlattenRequested | FlattenDone | BotStopped, event_id: str | None
    ) -> None:
        if isinstance(event, FlattenDone):
            self.pending_flattens.pop(event.request_id, None)
        elif event_id is not None:  # a fold without ids (a test's) tracks no requests
            symbol = event.symbol if isinstance(event, FlattenRequested) else None
            self.pending_flattens[event_id] = symbol

    def _apply_bot(self, event: DomainEvent, at: datetime | None) -> None:
        if isinstance(event, BotStarted):
            self.bot, self.session_id, self.started_at = "active", event.session_id, at
            self.initial_balance, self.pause_reason = event.initial_balance, ""
            if not self.settings_changed:
                self.settings = event.settings
        elif isinstance(event, BotPaused):
            self.bot, self.pause_reason = "paused", event.reason
            self.paused_automatically = event.automatic
        elif isinstance(event, BotResumed):
            self.bot, self.pause_reason, self.paused_automatically = "active", "", False
        elif isinstance(event, BotStopped):
            self.bot, self.session_id = "stopped", None


def fold_user(user_id: str, events: list[DomainEvent]) -> UserView:
    """One user's view from their user, credential and bot events, in log order."""
    view = UserView(user_id)
    for event in events:
        view.apply(event)
    return view


class Directory:
    """Every user's view, and which running bots follow each (symbol, timeframe)."""

    def __init__(self) -> None:
        self.users: dict[str, UserView] = {}
        self._followers: dict[Stream, set[str]] = defaultdict(set)

    def view(self, user_id: str) -> UserView:
        """The user's view (an empty one for a user the log has not mentioned yet)."""
        view = self.users.get(user_id)
        if view is None:
            view = self.users[user_id] = UserView(user_id)
        return view

    def apply(
        self,
        user_id: str,
        event: DomainEvent,
        at: datetime | None = None,
        event_id: str | None = None,
    ) -> None:
        """Apply a user/cred/bot event of ``user_id`` and keep the follower index current."""
        view = self.view(user_id)
        for stream in view.streams:
            self._followers[stream].discard(user_id)
        view.apply(event, at, event_id)
        for stream in view.streams:
            self._followers[stream].add(user_id)

    def followers(self, symbol: str, timeframe: str) -> list[UserView]:
        """Users whose running bot subscribes to this stream, in a stable order."""
        ids = sorted(self._followers.get((symbol, timeframe), ()))
        return [self.users[i] for i in ids]

    def running(self) -> list[UserView]:
        """Every user whose bot is active or paused."""
        return [view for view in self.users.values() if view.running]

    def flattens_pending(self) -> list[UserView]:
        """Every user with a flatten asked and not yet carried out (running or not)."""
        return [view for view in self.users.values() if view.pending_flattens]

    @property
    def streams(self) -> set[Stream]:
        """Every (symbol, timeframe) at least one running bot follows: what market data
        the strategy must subscribe to."""
        return {stream for stream, ids in self._followers.items() if ids}
