"""The liquidation price ``GET /user/positions`` reports: the mark at which the
simulator's own liquidation check (``State._maybe_liquidate``, BingX's maintenance-margin
rule at a flat rate) closes the position, the other symbols' marks held where they are.

* Isolated: the position's loss reaches its margin less the maintenance margin, i.e. a
  long at ``entry x (1 - 1/leverage + m)``, a short at ``entry x (1 + 1/leverage - m)``.
* Cross: the wallet plus every unrealised PnL falls to the cross positions' notional x m.
  That is linear in the symbol's mark ``P``: ``a·P + b ≤ 0`` with ``a`` the symbol's net
  quantity (longs +, shorts -) less m x its cross quantity, so ``P = -b / a`` (a hedged
  symbol's long and short share it). 0 when no price liquidates (BingX shows 0 too).
"""

from __future__ import annotations

from decimal import Decimal

from fleet.bingx_sim.domain.accounts import Account, SimPosition

ZERO = Decimal(0)


def liquidation_price(
    account: Account, position: SimPosition, marks: dict[str, Decimal], maintenance: Decimal
) -> Decimal:
    """Where ``position`` of ``account`` is liquidated (0: nowhere above zero)."""
    if account.margin_type.get(position.symbol) == "ISOLATED":
        step = 1 / Decimal(position.leverage) - maintenance
        factor = 1 - step if position.side == "LONG" else 1 + step
        return max(position.entry_price * factor, ZERO)
    slope, rest = ZERO, account.wallet
    for other in account.open_positions():
        direction = 1 if other.side == "LONG" else -1
        cross = account.margin_type.get(other.symbol) != "ISOLATED"
        if other.symbol == position.symbol:
            slope += direction * other.quantity - (maintenance * other.quantity if cross else 0)
            rest -= direction * other.quantity * other.entry_price
        else:
            mark = marks.get(other.symbol, other.entry_price)
            rest += direction * other.quantity * (mark - other.entry_price)
            rest -= maintenance * other.quantity * mark if cross else 0
    if slope == 0:
        return ZERO
    return max(-rest / slope, ZERO)
