from collections.abc import Callable
from decimal import Decimal

import pytest

from fleet.events import AggregateId
from fleet.events.bots import BotPaused, BotStarted, BotStopped, FlattenRequested
from fleet.events.users import TradingSettings
from fleet.executor.domain.bot import Bot, BotRefused, StartConditions

pytestmark = pytest.mark.unit

READY = StartConditions("trader", True, TradingSettings(trading_enabled=True), Decimal(1000))


def test_lifecycle_records_one_event_per_decision() -> None:
    bot = Bot(AggregateId("u1"))
    bot.start("s1", READY, by="u1")
    bot.pause("drawdown 15 % reached", by="system", automatic=True)
    bot.resume(by="u1")
    bot.stop("user asked", by="admin-1", flatten=False)
    kinds = [type(e) for e in bot.pending]
    assert kinds[0] is BotStarted and kinds[1] is BotPaused and kinds[-1] is BotStopped
    assert bot.status == "stopped"


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        (StartConditions("admin", True, READY.settings, Decimal(1)), "only traders"),
        (StartConditions("trader", False, READY.settings, Decimal(1)), "verify a BingX API key"),
        (StartConditions("trader", True, TradingSettings(), Decimal(1)), "enable trading"),
    ],
)
def test_start_requires_a_trader_a_verified_key_and_trading_enabled(
    conditions: StartConditions, message: str
) -> None:
    with pytest.raises(BotRefused, match=message):
        Bot(AggregateId("u1")).start("s1", conditions, by="u1")


@pytest.mark.parametrize("flatten", [True, False])
def test_stop_flattens_as_the_user_chose_when_stopping_not_at_start(flatten: bool) -> None:
    bot = Bot(AggregateId("u1"))
    at_start = TradingSettings(trading_enabled=True, flatten_on_stop=not flatten)
    bot.start("s1", StartConditions("trader", True, at_start, Decimal(5)), by="u1")
    bot.stop("done", by="u1", flatten=flatten)
    stopped = bot.pending[-1]
    assert isinstance(stopped, BotStopped) and stopped.flatten is flatten


def test_automatic_pause_of_a_paused_bot_is_a_no_op() -> None:
    bot = Bot(AggregateId("u1"))
    bot.start("s1", READY, by="u1")
    bot.pause("by hand", by="u1")
    bot.pause("kill switch", by="admin", automatic=True)
    assert len(bot.pending) == 2
    bot.resume(by="u1")
    with pytest.raises(BotRefused, match="not paused"):
        bot.resume(by="u1")


def test_a_flatten_names_its_symbol_and_one_without_closes_everything() -> None:
    bot = Bot(AggregateId("u1"))
    bot.request_flatten("SOL-USDT closed by the trader", by="u1", symbol="SOL-USDT")
    bot.request_flatten("flatten requested by an admin", by="admin-1")
    one, every = bot.pending
    assert isinstance(one, FlattenRequested) and one.symbol == "SOL-USDT"
    assert isinstance(every, FlattenRequested) and every.symbol is None
    # a request recorded before closing one symbol existed still means "every position"
    older = {"reason": "flatten requested by an admin", "by": "admin-1"}
    assert FlattenRequested.model_validate(older).symbol is None


@pytest.mark.parametrize("steps", [0, 1, 2, 3, 4])
def test_a_bots_snapshot_restores_the_state_its_history_folds_to(steps: int) -> None:
    """Snapshot after ``steps`` decisions, then the rest as a tail: same state as all."""
    decisions: list[Callable[[Bot], None]] = [
        lambda b: b.start("s1", READY, "u1"),
        lambda b: b.pause("too many losses", "system"),
        lambda b: b.resume("u1"),
        lambda b: b.stop("done", "u1", flatten=False),
    ]
    full = Bot(AggregateId("u1"))
    for decide in decisions:
        decide(full)
    head = Bot(AggregateId("u1"))
    for decide in decisions[:steps]:
        decide(head)
    resumed = Bot(AggregateId("u1"))
    resumed.restore_state(head.snapshot_state())
    for event in full.pending[steps:]:
        resumed.apply(event)
    assert (resumed.status, resumed.session_id, resumed.pause_reason) == (
        full.status,
        full.session_id,
        full.pause_reason,
    )


def test_a_bot_snapshot_with_an_unknown_status_does_not_restore() -> None:
    with pytest.raises(ValueError, match="unknown bot status"):
        Bot(AggregateId("u1")).restore_state({"status": "dancing", "session": None, "reason": ""})
