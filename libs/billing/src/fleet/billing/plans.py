"""Plan limits (subscription tiers): what a trader on a plan may set and trade. One rule,
one place: auth's settings validation and the executor's entry decision both ask
:func:`plan_refusal`, and every refusal names the plan. The plan itself
(:class:`fleet.events.billing.PlanLimits`) travels in events."""

from __future__ import annotations

from decimal import Decimal

from fleet.events.billing import PlanLimits

__all__ = ["PlanLimits", "plan_refusal"]


def plan_refusal(
    plan: PlanLimits,
    *,
    symbols: tuple[str, ...] = (),
    timeframe: str | None = None,
    max_positions: int | None = None,
    leverage: int | None = None,
    risk_per_trade: Decimal | None = None,
) -> tuple[str, str] | None:
    """``(field, sentence)`` for the first value ``plan`` does not allow, else ``None``."""
    name = f"the {plan.name!r} plan"
    outside = [symbol for symbol in symbols if not plan.allows_symbol(symbol)]
    if outside:
        allowed = ", ".join(plan.symbols)
        return "symbols", f"symbols: {outside[0]} is not in {name} (allowed: {allowed})"
    if timeframe is not None and plan.timeframes and timeframe not in plan.timeframes:
        allowed = ", ".join(plan.timeframes)
        return "timeframe", f"timeframe: {timeframe} is not in {name} (allowed: {allowed})"
    cap = plan.max_open_positions
    if max_positions is not None and cap is not None and max_positions > cap:
        return "max_positions", f"max_positions: {name} allows at most {cap} open positions"
    if leverage is not None and plan.max_leverage is not None and leverage > plan.max_leverage:
        return "leverage", f"leverage: {name} allows at most {plan.max_leverage}x"
    risk_cap = plan.max_risk_per_trade
    if risk_per_trade is not None and risk_cap is not None and risk_per_trade > risk_cap:
        return "risk_per_trade", f"risk_per_trade: {name} allows at most {risk_cap} % per trade"
    return None
