"""Handlers of the business commands (admins only; the gateway checked the role): plans,
the default plan, a trader's plan and his performance-fee terms."""

from __future__ import annotations

from fleet.auth.accounts import AuthDeps, execute, load_user
from fleet.auth.domain.plan_catalog import CATALOG_ID, PlanCatalog
from fleet.auth.errors import InvalidInput
from fleet.events import InvalidAggregateId
from fleet.events.auth_commands import (
    AccountChanged,
    AssignPlan,
    DefinePlan,
    GetPlans,
    InvoiceState,
    PlansState,
    SetDefaultPlan,
    SetFeeTerms,
    SetInvoiceStatus,
)
from fleet.events.billing import PlanLimits, close_id
from fleet.events.commands import Command, CommandReply, Reply
from fleet.events.envelope import check_token


async def define_plan(command: DefinePlan, deps: AuthDeps) -> CommandReply:
    """Define or change a plan; each trader on it gets the new limits at once."""
    by = command.actor.user_id
    before = await deps.plans.load(CATALOG_ID)
    members = await execute(deps.plans, CATALOG_ID, lambda c: c.define(command.plan, by), command)
    for user_id in members:
        await _stamp(deps, user_id, command.plan, command)
    return await _state(deps, changed=before.plans.get(command.plan.name) != command.plan)


async def set_default_plan(command: SetDefaultPlan, deps: AuthDeps) -> CommandReply:
    by = command.actor.user_id
    changed = await execute(
        deps.plans, CATALOG_ID, lambda c: c.set_default(command.plan_name, by), command
    )
    return await _state(deps, changed=changed)


async def assign_plan(command: AssignPlan, deps: AuthDeps) -> CommandReply:
    """Put a trader on a plan: the catalog's index first, then the trader's own record
    (what settings validation and the executor read), so a retry completes both."""
    user = await load_user(deps, command.user_id)
    if user.state.role != "trader":
        raise InvalidInput("user_id", "plans belong to traders; this user is not one")
    by = command.actor.user_id
    plan = await execute(
        deps.plans, CATALOG_ID, lambda c: c.choose(command.user_id, command.plan_name, by), command
    )
    changed = await _stamp(deps, command.user_id, plan, command)
    return await _state(deps, changed=changed)


async def assign_default_plan(deps: AuthDeps, user_id: str, command: Command) -> None:
    """A new trader goes on the default plan, if one is set."""
    catalog = await deps.plans.load(CATALOG_ID)
    if catalog.default is None:
        return
    by = command.actor.user_id
    plan = await execute(
        deps.plans, CATALOG_ID, lambda c: c.choose(user_id, catalog.default or "", by), command
    )
    await _stamp(deps, user_id, plan, command)


async def get_plans(_command: GetPlans, deps: AuthDeps) -> CommandReply:
    return await _state(deps, changed=False)


async def set_fee_terms(command: SetFeeTerms, deps: AuthDeps) -> CommandReply:
    await load_user(deps, command.user_id)
    by = command.actor.user_id
    changed = await execute(
        deps.users,
        command.user_id,
        lambda u: u.set_fee_terms(command.rate, command.starts_on, by),
        command,
    )
    outcome = AccountChanged(status="changed" if changed else "unchanged")
    return Reply[AccountChanged].accepted(outcome).wire()


async def set_invoice_status(command: SetInvoiceStatus, deps: AuthDeps) -> CommandReply:
    """Mark a closed period's invoice (the close must exist)."""
    try:
        invoice_id = check_token(close_id(command.user_id, command.period), "invoice")
    except InvalidAggregateId:
        raise InvalidInput("period", "not a billing period of this trader") from None
    by = command.actor.user_id
    changed = await execute(
        deps.invoices,
        invoice_id,
        lambda invoice: invoice.set_status(command.status, by, command.note),
        command,
    )
    state = InvoiceState(
        user_id=command.user_id, period=command.period, status=command.status, changed=changed
    )
    return Reply[InvoiceState].accepted(state).wire()


async def _stamp(deps: AuthDeps, user_id: str, plan: PlanLimits, command: Command) -> bool:
    by = command.actor.user_id
    return await execute(deps.users, user_id, lambda u: u.assign_plan(plan, by), command)


async def _state(deps: AuthDeps, *, changed: bool) -> CommandReply:
    catalog: PlanCatalog = await deps.plans.load(CATALOG_ID)
    state = PlansState(
        plans=[catalog.plans[name] for name in sorted(catalog.plans)],
        default_plan=catalog.default,
        members=dict(catalog.members),
        changed=changed,
    )
    return Reply[PlansState].accepted(state).wire()
