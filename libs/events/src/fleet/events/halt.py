"""The platform's kill switch (aggregate ``halt``, one instance ``platform``), owned by the
executor: one event halts new entries for every trader on every executor at once, and
one event lifts it. Each executor follows ``ev.halt.platform``; the risk gate of every
order reads the state (exits, stops and flattens still go out; entries are refused with
"trading halted by admin: <reason>")."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.events.bounds import IdText, ReasonText
from fleet.events.registry import DomainEvent

HALT_AGGREGATE = "halt"
HALT_ID = "platform"  # the one instance


class TradingHalted(DomainEvent):
    """An admin switched the kill switch on: no new entry leaves any executor."""

    event_type = "trading.halted"
    reason: ReasonText
    by: IdText


class TradingResumed(DomainEvent):
    """An admin switched the kill switch off: entries are allowed again."""

    event_type = "trading.resumed"
    reason: ReasonText = ""
    by: IdText


HALT_EVENTS: tuple[type[DomainEvent], ...] = (TradingHalted, TradingResumed)


def halt_sentence(reason: str) -> str:
    """What a trader is told while the platform is halted (one wording everywhere)."""
    return f"trading halted by admin: {reason}" if reason else "trading halted by admin"


@dataclass
class HaltState:
    """The kill switch folded from its events (the executors' gate, the gateway's banner)."""

    halted: bool = False
    reason: str = ""
    by: str = ""

    def apply(self, event: DomainEvent) -> None:
        """Fold one event of ``halt.platform``."""
        if isinstance(event, TradingHalted):
            self.halted, self.reason, self.by = True, event.reason, event.by
        elif isinstance(event, TradingResumed):
            self.halted, self.reason, self.by = False, "", event.by

    @property
    def sentence(self) -> str | None:
        """Why no entry may leave (``None``: trading is not halted)."""
        return halt_sentence(self.reason) if self.halted else None
