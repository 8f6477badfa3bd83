"""Which (symbol, timeframe) streams are needed: the union over running bots' settings,
kept up to date from bot and settings events."""

from __future__ import annotations

from fleet.events import DomainEvent, Envelope
from fleet.events.bots import BotStarted, BotStopped
from fleet.events.users import TradingSettings, TradingSettingsChanged

Stream = tuple[str, str]


class Demand:
    """Applies events; ``streams`` is what the strategy must subscribe to."""

    def __init__(self) -> None:
        self._running: dict[str, TradingSettings] = {}
        self._latest: dict[str, TradingSettings] = {}

    def apply(self, event: DomainEvent, envelope: Envelope) -> None:
        user = envelope.aggregate.id
        if isinstance(event, BotStarted):
            self._running[user] = self._latest.get(user, event.settings)
        elif isinstance(event, BotStopped):
            self._running.pop(user, None)
        elif isinstance(event, TradingSettingsChanged):
            self._latest[user] = event.settings
            if user in self._running:
                self._running[user] = event.settings

    @property
    def streams(self) -> set[Stream]:
        return {
            (symbol, settings.timeframe)
            for settings in self._running.values()
            for symbol in settings.symbols
        }
