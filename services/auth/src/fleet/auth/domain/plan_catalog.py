"""Every plan (``ev.plan.catalog``): its price and limits, the default plan of new
traders, and who is on which plan — so a plan's change is stamped on each of its traders
at once (their ``PlanAssigned`` is what settings validation and the executor read)."""

from __future__ import annotations

from fleet.auth.errors import NotFound
from fleet.events import AggregateId, DomainEvent
from fleet.events.aggregate import Aggregate
from fleet.events.billing import (
    PLAN_AGGREGATE,
    PLAN_CATALOG_ID,
    DefaultPlanSet,
    PlanChosen,
    PlanDefined,
    PlanLimits,
)

CATALOG_ID = AggregateId(PLAN_CATALOG_ID)


class PlanCatalog(Aggregate):
    """Plans by name, the default plan, and each trader's plan."""

    aggregate_type = PLAN_AGGREGATE

    def __init__(self, aggregate_id: AggregateId = CATALOG_ID) -> None:
        super().__init__(aggregate_id)
        self.plans: dict[str, PlanLimits] = {}
        self.default: str | None = None
        self.members: dict[str, str] = {}  # user id -> plan name

    def plan(self, name: str) -> PlanLimits:
        found = self.plans.get(name)
        if found is None:
            known = ", ".join(sorted(self.plans)) or "none yet"
            raise NotFound(f"no plan named {name!r} (plans: {known})", "plan")
        return found

    def define(self, plan: PlanLimits, by: str) -> list[str]:
        """Define or change ``plan``; returns the traders on it (to stamp again)."""
        if self.plans.get(plan.name) != plan:
            self.record(PlanDefined(plan=plan, defined_by=by))
        return sorted(user for user, name in self.members.items() if name == plan.name)

    def set_default(self, name: str | None, by: str) -> bool:
        if name is not None:
            self.plan(name)
        if name == self.default:
            return False
        self.record(DefaultPlanSet(plan_name=name, set_by=by))
        return True

    def choose(self, user_id: str, name: str, by: str) -> PlanLimits:
        """Put ``user_id`` on plan ``name``; its limits (for the user's own record)."""
        plan = self.plan(name)
        if self.members.get(user_id) != name:
            self.record(PlanChosen(user_id=user_id, plan_name=name, chosen_by=by))
        return plan

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, PlanDefined):
            self.plans[event.plan.name] = event.plan
        elif isinstance(event, DefaultPlanSet):
            self.default = event.plan_name
        elif isinstance(event, PlanChosen):
            self.members[event.user_id] = event.plan_name
