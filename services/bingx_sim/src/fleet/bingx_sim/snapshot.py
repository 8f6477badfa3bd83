"""``--snapshot FILE``: the simulator's accounts and clock, saved as JSON at shutdown and
loaded at start (JSON, not pickle: a snapshot file is data, never code)."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from fleet.bingx_sim.domain.accounts import Account, SimOrder, SimPosition
from fleet.bingx_sim.state import SimState

VERSION = 1


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        return (
            Decimal(value["$d"])
            if set(value) == {"$d"}
            else {k: _typed(v) for k, v in value.items()}
        )
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return value


def save(state: SimState, path: Path) -> None:
    """Write every account (positions, orders, fills) and the simulated time."""
    accounts = []
    for account in state.accounts.by_key.values():
        raw = dataclasses.asdict(account)
        raw["leverage"] = [[s, side, lev] for (s, side), lev in account.leverage.items()]
        raw["positions"] = [dataclasses.asdict(p) for p in account.positions.values()]
        raw["orders"] = [dataclasses.asdict(o) for o in account.orders.values()]
        raw["listen_keys"] = []
        accounts.append(raw)
    body = {"version": VERSION, "now_ms": state.clock.now_ms(), "accounts": _plain(accounts)}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body))
    tmp.replace(path)


def load(state: SimState, path: Path) -> int:
    """Restore a snapshot into ``state``; returns how many accounts were loaded."""
    body = json.loads(path.read_text())
    if body.get("version") != VERSION:
        raise ValueError(f"{path}: snapshot version {body.get('version')} is not {VERSION}")
    state.clock.set_ms(int(body["now_ms"]))
    for raw in _typed(body["accounts"]):
        account = _account(raw)
        state.accounts.by_key[account.api_key] = account
    return len(body["accounts"])


def _account(raw: dict[str, Any]) -> Account:
    positions = [SimPosition(**p) for p in raw.pop("positions")]
    orders = [SimOrder(**o) for o in raw.pop("orders")]
    leverage = {(s, side): lev for s, side, lev in raw.pop("leverage")}
    raw["permissions"] = tuple(raw["permissions"])
    raw["ip_addresses"] = tuple(raw["ip_addresses"])
    raw["listen_keys"] = set()
    account = Account(**raw)
    account.leverage = leverage
    account.positions = {(p.symbol, p.side): p for p in positions}
    account.orders = {o.order_id: o for o in orders}
    return account
