"""What a BingX key must look like and may do before Fleet stores it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from fleet.vaultwrap import BINGX_KEY

# BingX permission ids (spec §8).
READ = 2
PERPETUAL_TRADING = 3
WITHDRAW = 5


@dataclass(frozen=True)
class AccountSnapshot:
    """What BingX says about an account and its key."""

    balance: Decimal
    account_type: str
    permissions: tuple[int, ...]
    ip_addresses: tuple[str, ...]


@dataclass(frozen=True)
class KeyVerdict:
    """``refusal`` is ``None`` when the key may be stored; warnings are shown anyway."""

    refusal: str | None
    warnings: tuple[str, ...]


def format_problem(api_key: str) -> str | None:
    """Why ``api_key`` cannot be a BingX API key, else ``None`` (the secret's shape is
    checked by the gateway before it wraps it: it never reaches this service in clear)."""
    if not BINGX_KEY.match(api_key):
        return "a BingX API key is 16-128 letters and digits"
    return None


def judge(snapshot: AccountSnapshot, egress_ips: tuple[str, ...]) -> KeyVerdict:
    """Read + perpetual trading required; withdrawal refused; IP whitelist advised."""
    granted = set(snapshot.permissions)
    if WITHDRAW in granted:
        return KeyVerdict(
            "this key can withdraw funds; Fleet only accepts keys with read and perpetual "
            "futures trading permissions — create a key without withdrawal",
            (),
        )
    missing = [
        name
        for pid, name in ((READ, "read"), (PERPETUAL_TRADING, "perpetual futures trading"))
        if pid not in granted
    ]
    if missing:
        return KeyVerdict(f"this key lacks the {' and '.join(missing)} permission", ())
    warnings: tuple[str, ...] = ()
    if not snapshot.ip_addresses:
        ips = ", ".join(egress_ips) or "Fleet's egress IPs"
        warnings = (
            "this key is not bound to an IP whitelist: BingX deletes unbound trading keys "
            f"after 14 idle days; whitelist {ips}",
        )
    return KeyVerdict(None, warnings)


def last4(api_key: str) -> str:
    """What the UI may show of an API key."""
    return api_key[-4:]
