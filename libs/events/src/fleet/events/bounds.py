"""The bounds of every text and number an event may carry: the schema is the contract,
and each read-model column is at least as wide as the field it holds (a projection test
derives one from the other). Nothing a client sends can make an event a projection
cannot store."""

from __future__ import annotations

import ipaddress
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints

IP_MAX = 45  # the longest textual IPv6 address; "" = not known
ID_MAX = 128  # aggregate ids, user ids, token ids, session ids
NAME_MAX = 128  # usernames, token names, actions
EMAIL_MAX = 320
USER_AGENT_MAX = 256
REASON_MAX = 512  # free text: pause/stop/failure reasons, messages
CODE_MAX = 64  # machine codes, account types, statuses
SYMBOL_MAX = 32
HASH_MAX = 512  # an argon2id PHC string, a SHA-256 hex, transit ciphertext
DETAIL_ITEMS_MAX = 32  # entries of a details/numbers mapping
LIST_MAX = 64  # permissions, IP allow-lists


def _address_or_unknown(value: object) -> object:
    # an event written before addresses were validated may hold anything here: it loads
    # (and replays) as "" = not known, never as a value a column cannot store
    if not isinstance(value, str) or not value:
        return value
    if len(value) > IP_MAX or "%" in value:
        return ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""


def _clip(value: object) -> object:
    # free text that comes from elsewhere (BingX's messages, a fault's description) is
    # clipped, never refused: an order's outcome must be recorded whatever BingX says, and
    # an event written before the bound loads as its first REASON_MAX characters
    if isinstance(value, str) and len(value) > REASON_MAX:
        return value[: REASON_MAX - 1] + "…"
    return value


# a client address: a valid IP as text, or "" when not known
IpText = Annotated[str, BeforeValidator(_address_or_unknown), StringConstraints(max_length=IP_MAX)]
IdText = Annotated[str, StringConstraints(max_length=ID_MAX)]
NameText = Annotated[str, StringConstraints(max_length=NAME_MAX)]
EmailText = Annotated[str, StringConstraints(max_length=EMAIL_MAX)]
UserAgentText = Annotated[str, StringConstraints(max_length=USER_AGENT_MAX)]
ReasonText = Annotated[str, StringConstraints(max_length=REASON_MAX)]
# free text from outside Fleet (an exchange's message): clipped to REASON_MAX
ClippedText = Annotated[str, BeforeValidator(_clip), StringConstraints(max_length=REASON_MAX)]
CodeText = Annotated[str, StringConstraints(max_length=CODE_MAX)]
SymbolText = Annotated[str, StringConstraints(max_length=SYMBOL_MAX)]
HashText = Annotated[str, StringConstraints(max_length=HASH_MAX)]
# an exchange amount: 40 significant digits hold any price, quantity or PnL (Decimal's
# own precision is 28); a 900,000-digit number is refused
Amount = Annotated[Decimal, Field(max_digits=40, allow_inf_nan=False)]
# a figure in a decision's numbers / a detail value: short text
FigureText = Annotated[str, StringConstraints(max_length=CODE_MAX)]
Figures = Annotated[dict[CodeText, FigureText], Field(max_length=DETAIL_ITEMS_MAX)]
