"""Bodies of ``/api/admin/plans`` and a trader's plan and fee terms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import ConfigDict, Field, field_validator

from fleet.events.billing import PlanLimits, Rate
from fleet.events.bounds import NameText
from fleet.gateway.schemas.base import ApiModel, document_decimal_text, strict_decimal

PLAN_DECIMALS = ("price", "max_risk_per_trade")


class PlanIn(PlanLimits):
    """A plan as an admin defines it: decimals are strings of ASCII digits ("9.90")."""

    model_config = ConfigDict(
        json_schema_extra=lambda schema: document_decimal_text(schema, PLAN_DECIMALS)
    )
    _strict_decimals = field_validator(*PLAN_DECIMALS, mode="before")(strict_decimal)

    def limits(self) -> PlanLimits:
        return PlanLimits(**self.model_dump())


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

    model_config = ConfigDict(
        json_schema_extra=lambda schema: document_decimal_text(schema, ("rate",))
    )

    rate: Rate = Field(examples=[Decimal("0.2")])
    starts_on: str = Field(max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$", examples=["2026-12-01"])

    _strict_decimals = field_validator("rate", mode="before")(strict_decimal)

    @field_validator("starts_on")
    @classmethod
    def _a_date(cls, value: str) -> str:
        date.fromisoformat(value)  # ValueError: a 422 naming the field
        return value

    @property
    def start_date(self) -> date:
        return date.fromisoformat(self.starts_on)
