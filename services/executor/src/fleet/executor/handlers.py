"""One function per executor command: load what the decision needs from the log, decide
on the bot aggregate, append, reply. Any executor instance may answer (queue group): the
log, not the instance's memory, is read for the decision."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fleet.bingx import BingxClient
from fleet.events import ActorId, AggregateId, AggregateRef, CorrelationId
from fleet.events.catalog import domain_registry
from fleet.events.commands import CommandReply, Reply
from fleet.events.credentials import CREDENTIAL_AGGREGATE
from fleet.events.directory import Directory, UserView, fold_user
from fleet.events.executor_commands import (
    BotChanged,
    BotsPaused,
    FlattenPositions,
    FlattensRequested,
    KillSwitch,
    PauseBot,
    ResumeBot,
    ResumeTrading,
    StartBot,
    StopBot,
    TradingResumedReply,
)
from fleet.events.halt import HALT_ID
from fleet.events.history import (
    BingxImportState,
    GetBingxImport,
    ImportBingxHistory,
    ImportTrades,
    TradesImported,
)
from fleet.events.users import USER_AGGREGATE
from fleet.eventstore import EventStore, Repository
from fleet.executor.adapters.bingx_account import BingxAccount
from fleet.executor.domain.bot import Bot, BotRefused, StartConditions
from fleet.executor.domain.halt import PlatformHalt
from fleet.executor.domain.history import ImportedHistory, match_open_trades
from fleet.executor.history_import import HistoryImports
from fleet.executor.ports import OutcomeUnknown


@dataclass
class ExecutorDeps:
    """What the handlers use, wired once by the composition root."""

    store: EventStore
    bots: Repository[Bot]
    directory: Directory  # this instance's view of every user (for the fleet-wide commands)
    # the user's BingX account beside the trading path (signed by vault): history imports
    clients: Callable[[UserView], BingxClient] | None = None
    history_imports: HistoryImports | None = None


async def user_view(store: EventStore, user_id: str) -> UserView | None:
    """The user's role, settings and credential, read from the log now (the events as the
    store's screen decoded them)."""
    user = AggregateRef(type=USER_AGGREGATE, id=AggregateId(user_id))
    events, _ = await store.load_stored(user)
    if not events:
        return None
    credential = AggregateRef(type=CREDENTIAL_AGGREGATE, id=AggregateId(user_id))
    events += (await store.load_stored(credential))[0]
    return fold_user(user_id, [item.event for item in events])


async def _on_bot(
    deps: ExecutorDeps, user_id: str, actor: str, decide: Callable[[Bot], None]
) -> CommandReply:
    try:
        stored = await deps.bots.execute(AggregateId(user_id), decide, actor=ActorId(actor))
    except BotRefused as exc:
        return Reply[BotChanged].refused("conflict", str(exc)).wire()
    bot = await deps.bots.load(AggregateId(user_id))
    changed = BotChanged(
        status=bot.status, session_id=bot.session_id, events=[e.id for e in stored]
    )
    return Reply[BotChanged].accepted(changed).wire()


async def start(command: StartBot, deps: ExecutorDeps) -> CommandReply:
    view = await user_view(deps.store, command.user_id)
    if view is None or not view.active:
        return Reply[BotChanged].refused("not_found", "no such active user").wire()
    conditions = StartConditions(
        role=view.role,
        credential_verified=view.credential == "verified",
        settings=view.settings,
        balance=view.credential_balance,
    )
    session = uuid.uuid4().hex
    actor = command.actor.user_id
    return await _on_bot(
        deps, command.user_id, actor, lambda b: b.start(session, conditions, actor)
    )


async def pause(command: PauseBot, deps: ExecutorDeps) -> CommandReply:
    actor = command.actor.user_id
    return await _on_bot(deps, command.user_id, actor, lambda b: b.pause(command.reason, actor))


async def resume(command: ResumeBot, deps: ExecutorDeps) -> CommandReply:
    actor = command.actor.user_id
    return await _on_bot(deps, command.user_id, actor, lambda b: b.resume(actor))


async def stop(command: StopBot, deps: ExecutorDeps) -> CommandReply:
    """Stop the bot; whether to flatten is the user's ``flatten_on_stop`` as the log says
    now (a change made while the bot ran counts), not as it was at start."""
    view = await user_view(deps.store, command.user_id)
    flatten = view is not None and view.settings.flatten_on_stop
    actor = command.actor.user_id
    return await _on_bot(
        deps, command.user_id, actor, lambda b: b.stop(command.reason, actor, flatten=flatten)
    )


async def kill_switch(command: KillSwitch, deps: ExecutorDeps) -> CommandReply:
    """Halt new entries everywhere: one ``trading.halted`` every executor follows (not a
    pause per bot: that took one append each and timed out near 2,000 bots)."""
    halted = False

    def decide(halt: PlatformHalt) -> None:
        nonlocal halted
        halted = halt.halt(command.reason, command.actor.user_id)

    await _on_halt(deps, command, decide)
    covered = sum(1 for v in deps.directory.running() if v.bot == "active")
    return Reply[BotsPaused].accepted(BotsPaused(paused=covered, halted=halted)).wire()


async def resume_trading(command: ResumeTrading, deps: ExecutorDeps) -> CommandReply:
    """Lift the kill switch: one ``trading.resumed``."""
    resumed = False

    def decide(halt: PlatformHalt) -> None:
        nonlocal resumed
        resumed = halt.resume(command.reason, command.actor.user_id)

    await _on_halt(deps, command, decide)
    answer = TradingResumedReply(was_halted=resumed)
    return Reply[TradingResumedReply].accepted(answer).wire()


async def _on_halt(
    deps: ExecutorDeps, command: KillSwitch | ResumeTrading, decide: Callable[[PlatformHalt], None]
) -> None:
    halts = Repository(deps.store, domain_registry(), PlatformHalt)
    await halts.execute(
        AggregateId(HALT_ID),
        decide,
        actor=ActorId(command.actor.user_id),
        correlation_id=_correlation(command.correlation_id),
    )


async def flatten(command: FlattenPositions, deps: ExecutorDeps) -> CommandReply:
    """Ask the owners to close every position of one user or of every trader, or the
    position in one symbol of one user."""
    actor = ActorId(command.actor.user_id)
    if command.user_id is not None:
        targets = [command.user_id]
    elif command.symbol is not None:
        return Reply[FlattensRequested].refused("invalid", "closing a symbol needs a user").wire()
    else:
        targets = [v.user_id for v in deps.directory.users.values() if v.role == "trader"]
    for user_id in targets:
        await deps.bots.execute(
            AggregateId(user_id),
            lambda b: b.request_flatten(command.reason, actor, command.symbol),
            actor=actor,
            correlation_id=_correlation(command.correlation_id),
        )
    return Reply[FlattensRequested].accepted(FlattensRequested(users=len(targets))).wire()


async def import_trades(command: ImportTrades, deps: ExecutorDeps) -> CommandReply:
    """Add past trades to a trader's history, each once (a second import adds none)."""
    view = await user_view(deps.store, command.user_id)
    if view is None or not view.active or view.role != "trader":
        return Reply[TradesImported].refused("not_found", "no such active trader").wire()
    trades, matched, unmatched = list(command.trades), 0, list[str]()
    if command.match_open and any(t.closed_at is None for t in trades):
        positions = await _open_positions(deps, view)
        if positions is None:
            reason = "BingX's positions could not be read to match the open trades"
            return Reply[TradesImported].refused("unavailable", reason).wire()
        trades, matched, unmatched = match_open_trades(trades, positions, datetime.now(UTC))
    histories = Repository(deps.store, domain_registry(), ImportedHistory)
    added = 0

    def decide(history: ImportedHistory) -> None:
        nonlocal added
        added = history.add(command.source, trades)

    await histories.execute(
        AggregateId(command.user_id),
        decide,
        actor=ActorId(command.actor.user_id),
        correlation_id=_correlation(command.correlation_id),
    )
    answer = TradesImported(
        imported=added,
        already_there=len(trades) - added,
        matched=matched,
        unmatched=tuple(unmatched),
    )
    return Reply[TradesImported].accepted(answer).wire()


async def _open_positions(deps: ExecutorDeps, view: UserView) -> list[tuple[str, str]] | None:
    """(symbol, direction) of every open position of the user's account; ``None`` when
    there is no verified key or BingX cannot say."""
    if deps.clients is None or view.credential != "verified":
        return None
    try:
        found = await BingxAccount(deps.clients(view)).positions()
    except OutcomeUnknown:
        return None
    return [(p.symbol, p.direction) for p in found]


async def import_bingx_history(command: ImportBingxHistory, deps: ExecutorDeps) -> CommandReply:
    """Start importing the trader's BingX fills and income (or say the running import)."""
    view = await user_view(deps.store, command.user_id)
    if view is None or not view.active or view.role != "trader":
        return Reply[BingxImportState].refused("not_found", "no such active trader").wire()
    if view.credential != "verified":
        reason = "connect a BingX key (verified) before importing its history"
        return Reply[BingxImportState].refused("conflict", reason).wire()
    if deps.history_imports is None:
        return Reply[BingxImportState].refused("unavailable", "not ready yet").wire()
    state = await deps.history_imports.start(
        view, command.days, ActorId(command.actor.user_id), _correlation(command.correlation_id)
    )
    return Reply[BingxImportState].accepted(state).wire()


async def get_bingx_import(command: GetBingxImport, deps: ExecutorDeps) -> CommandReply:
    """The trader's latest BingX history import, as the log tells it."""
    histories = Repository(deps.store, domain_registry(), ImportedHistory)
    state = (await histories.load(AggregateId(command.user_id))).bingx_import
    return Reply[BingxImportState].accepted(state).wire()


def _correlation(value: str | None) -> CorrelationId | None:
    return CorrelationId(value) if value else None


Handler = Callable[..., Awaitable[CommandReply]]
