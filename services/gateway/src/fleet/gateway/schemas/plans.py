"""Bodies of ``/api/admin/plans`` and a trader's plan and fee terms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from fleet.events.billing import PlanLimits, Rate
from fleet.events.bounds import NameText
from fleet.gateway.schemas.base import ApiModel


class PlansOut(ApiModel):
    """Every plan, the default plan of new traders, and each trader's plan (by user id)."""

    plans: list[PlanLimits]
    default_plan: str | None = Field(description="null: new traders get no plan.")
    members: dict[str, str] = Field(description="user id -> plan name")
    changed: bool = False


class PlanChoice(ApiModel):
    plan_name: NameText = Field(min_length=1, examples=["Starter"])


class DefaultPlan(ApiModel):
    plan_name: NameText | None = Field(default=None, examples=["Free"])


class FeeTermsIn(ApiModel):
    """A trader's performance fee: ``rate`` a fraction (0.2 = 20 %; 0 = off), charged per
    UTC calendar month from ``starts_on`` on gains above the high-water mark."""

    rate: Rate = Field(examples=[Decimal("0.2")])
    starts_on: date = Field(examples=["2026-12-01"])
