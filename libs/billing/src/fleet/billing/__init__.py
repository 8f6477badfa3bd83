"""Fleet's business rules, pure (no I/O, ``Decimal`` only): performance fees with a
high-water mark (:mod:`fleet.billing.fees`), billing periods (:mod:`fleet.billing.periods`)
and plan limits (:mod:`fleet.billing.plans`)."""

from fleet.billing.fees import (
    FeeTerms,
    PeriodClose,
    PeriodFlows,
    carried_mark,
    close_period,
    unvalued_period,
)
from fleet.billing.periods import (
    MONTHLY,
    BillingPeriod,
    FixedPeriod,
    Period,
    PeriodScheme,
    month_of,
)
from fleet.billing.plans import PlanLimits, plan_refusal

__all__ = [
    "MONTHLY",
    "BillingPeriod",
    "FeeTerms",
    "FixedPeriod",
    "Period",
    "PeriodClose",
    "PeriodFlows",
    "PeriodScheme",
    "PlanLimits",
    "carried_mark",
    "close_period",
    "month_of",
    "plan_refusal",
    "unvalued_period",
]
