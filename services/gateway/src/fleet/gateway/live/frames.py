"""Which events become live frames, for whom, and with what data (never a secret)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from fleet.events import Envelope

# event type prefix or exact type -> frame type
_KINDS: tuple[tuple[str, str], ...] = (
    ("bot.", "bot"),
    ("trading.signal_evaluated", "decision"),
    ("trading.order_filled", "fill"),
    ("trading.order_", "order"),
    ("trading.position_", "position"),
    ("trading.account_valued", "account"),
    ("trading.exchange_configured", "account"),
    ("credential.", "credential"),
    ("signal.generated", "signal"),
    ("notification.created", "notification"),
)
# a credential frame carries only these fields: never the API key's ciphertext
_CREDENTIAL_FIELDS = frozenset(
    {"api_key_last4", "account_type", "balance", "reason", "bingx_code", "recovered"}
)
# user events after which a socket's audience is looked up again (grants, roles)
AUDIENCE_EVENTS = frozenset(
    {"user.viewer_grant_given", "user.viewer_grant_revoked", "user.role_changed"}
)
# the read models a frame's reader may reload (the frame goes out once they applied it)
READ_MODELS = ("users", "credentials", "bots", "trading")
# the read model of the telemetry stream's frames (routine decisions)
TELEMETRY_READ_MODEL = "telemetry"


@dataclass(frozen=True)
class Frame:
    """One message to clients: ``user_id`` is whose it is (``None``: everyone's, a signal)."""

    type: str
    user_id: str | None
    at: datetime
    seq: int
    data: dict[str, Any]
    # from the telemetry stream: sent to every socket that sees it, whatever its ?after=
    # (seq is the log's position when it came, not a place in the log)
    transient: bool = False

    def wire(self) -> dict[str, Any]:
        """The JSON message."""
        return {
            "type": self.type,
            "user_id": self.user_id,
            "at": self.at.isoformat(),
            "seq": self.seq,
            "data": self.data,
        }

    @cached_property
    def text(self) -> str:
        """The message as sent, encoded once for every socket."""
        return json.dumps(self.wire(), separators=(",", ":"), default=str)


def kind_of(event_type: str) -> str | None:
    """The frame type of an event type, ``None`` for events no client is shown."""
    for prefix, kind in _KINDS:
        if event_type == prefix or (prefix.endswith(("_", ".")) and event_type.startswith(prefix)):
            return kind
    return None


def frame_of(envelope: Envelope) -> Frame | None:
    """The frame of a stored event, or ``None``."""
    kind = kind_of(envelope.type)
    if kind is None:
        return None
    data = dict(envelope.data)
    owner: str | None = str(envelope.aggregate.id)
    if kind == "credential":
        data = {key: value for key, value in data.items() if key in _CREDENTIAL_FIELDS}
    elif kind == "notification":
        owner = str(data.get("recipient_id", ""))
    elif kind == "signal":
        owner = None
    data["event"] = envelope.type
    return Frame(kind, owner, envelope.occurred_at, envelope.sequence or 0, data)
