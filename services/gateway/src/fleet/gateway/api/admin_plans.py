"""Plans (subscription tiers with limits), each trader's plan and performance-fee terms;
kept by the auth service (``ev.plan.catalog``, ``ev.user.*``), audited here, in force at
once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from fleet.events.auth_commands import (
    AccountChanged,
    AssignPlan,
    DefinePlan,
    GetPlans,
    PlansState,
    SetDefaultPlan,
    SetFeeTerms,
)
from fleet.gateway.api.routing import ServicesDep, ask, audited, make_router, settle
from fleet.gateway.deps import Access, authorize
from fleet.gateway.schemas.base import IdPath
from fleet.gateway.schemas.plans import DefaultPlan, FeeTermsIn, PlanChoice, PlanIn, PlansOut

router = make_router("admin: plans and fees")


@router.get("/api/admin/plans", summary="Every plan and who is on it", operation_id="plans_read")
async def read_plans(
    access: Annotated[Access, Depends(authorize("admin.plans.read"))], services: ServicesDep
) -> PlansOut:
    command = GetPlans(actor=access.caller.actor(), correlation_id=access.request_id)
    return PlansOut(**(await ask(services, command, PlansState)).model_dump())


@router.put(
    "/api/admin/plans",
    summary="Define or change a plan (its traders get the new limits at once; audited)",
    operation_id="plans_define",
)
async def define_plan(
    body: PlanIn,
    access: Annotated[Access, Depends(authorize("admin.plans.update"))],
    services: ServicesDep,
) -> PlansOut:
    plan = body.limits()
    command = DefinePlan(plan=plan, actor=access.caller.actor(), correlation_id=access.request_id)
    details = {"plan": plan.name, "price": str(plan.price)}
    state = await audited(
        services, access, "admin.plans.define", command, PlansState, details=details
    )
    return PlansOut(**state.model_dump())


@router.put(
    "/api/admin/plans/default",
    summary="The plan new traders get (null: none; audited)",
    operation_id="plans_default",
)
async def set_default(
    choice: DefaultPlan,
    access: Annotated[Access, Depends(authorize("admin.plans.update"))],
    services: ServicesDep,
) -> PlansOut:
    command = SetDefaultPlan(
        plan_name=choice.plan_name, actor=access.caller.actor(), correlation_id=access.request_id
    )
    details = {"plan": choice.plan_name or "none"}
    state = await audited(
        services, access, "admin.plans.default", command, PlansState, details=details
    )
    return PlansOut(**state.model_dump())


@router.put(
    "/api/admin/users/{user_id}/plan",
    summary="Put a trader on a plan (in force at once; audited)",
    operation_id="plans_assign",
)
async def assign_plan(
    user_id: IdPath,
    choice: PlanChoice,
    access: Annotated[Access, Depends(authorize("admin.plans.assign"))],
    services: ServicesDep,
) -> PlansOut:
    command = AssignPlan(
        user_id=access.target_id,
        plan_name=choice.plan_name,
        actor=access.caller.actor(),
        correlation_id=access.request_id,
    )
    state = await audited(
        services,
        access,
        "admin.plans.assign",
        command,
        PlansState,
        target=access.target_id,
        details={"plan": choice.plan_name},
    )
    return PlansOut(**state.model_dump())


@router.put(
    "/api/admin/users/{user_id}/fee",
    summary="A trader's performance fee (rate, start date; audited)",
    operation_id="fees_set",
)
async def set_fee(
    user_id: IdPath,
    terms: FeeTermsIn,
    access: Annotated[Access, Depends(authorize("admin.plans.assign"))],
    services: ServicesDep,
) -> AccountChanged:
    command = SetFeeTerms(
        user_id=access.target_id,
        rate=terms.rate,
        starts_on=terms.start_date,
        actor=access.caller.actor(),
        correlation_id=access.request_id,
    )
    details = {"rate": str(terms.rate), "starts_on": terms.starts_on}
    changed = await audited(
        services,
        access,
        "admin.fees.set",
        command,
        AccountChanged,
        target=access.target_id,
        details=details,
    )
    await settle(services, "billing")  # the billing page reads the terms back at once
    return changed
