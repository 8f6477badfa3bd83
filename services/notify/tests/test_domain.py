"""The pure parts: rules, rate limits and digests, the watermark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, wrap
from fleet.events.audit import AuditRecorded
from fleet.events.bots import BotPaused
from fleet.events.trading import OrderRejected, PositionClosed
from fleet.events.users import EmailChanged, EmailVerified, LoginSucceeded, UserCreated
from fleet.notify.domain.drafts import Draft
from fleet.notify.domain.planner import Planner
from fleet.notify.domain.throttle import Throttle
from fleet.notify.watermark import Watermark

pytestmark = pytest.mark.unit
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def _env(kind: str, owner: str, event: DomainEvent, at: datetime = T0) -> Envelope:
    envelope = wrap(event, AggregateRef(type=kind, id=AggregateId(owner)))
    return envelope.model_copy(update={"occurred_at": at})


def _planner(max_per_hour: int = 20) -> Planner:
    planner = Planner(max_per_hour, timedelta(seconds=60))
    for user_id, role in (("adm", "admin"), ("tr", "trader")):
        created = UserCreated(username=user_id, email=f"{user_id}@x.test", role=role)
        planner.on_event(_env("user", user_id, created), created)
        planner.on_event(_env("user", user_id, EmailVerified()), EmailVerified())
    return planner


def test_a_bot_paused_by_an_admin_tells_the_trader_why() -> None:
    event = BotPaused(reason="drawdown review", by="adm")
    notices = _planner().on_event(_env("bot", "tr", event), event)
    assert [(n.draft.recipient_id, n.draft.kind) for n in notices] == [("tr", "bot_paused")]
    assert "drawdown review" in notices[0].draft.body and "by adm" in notices[0].draft.body
    assert [d.channel for d in notices[0].deliveries] == ["in_app", "email"]


def test_a_trader_pausing_his_own_bot_is_not_told() -> None:
    event = BotPaused(reason="lunch", by="tr")
    assert _planner().on_event(_env("bot", "tr", event), event) == []


def test_a_rate_limit_refusal_reaches_the_trader_and_every_admin() -> None:
    event = OrderRejected(client_order_id="c1", bingx_code=100410, message="too many")
    notices = _planner().on_event(_env("account", "tr", event), event)
    assert {(n.draft.recipient_id, n.draft.kind) for n in notices} == {
        ("tr", "order_rejected"),
        ("adm", "bingx_rate_limited"),
    }


def test_a_stop_loss_names_its_pnl() -> None:
    event = PositionClosed(
        trade_id="t", symbol="BTC-USDT", position_side="LONG", quantity=Decimal("0.01"),
        entry_price=Decimal(100), exit_price=Decimal(95), realised_pnl=Decimal("-0.05"),
        closed_at=T0, reason="stop-loss",
    )  # fmt: skip
    [notice] = _planner().on_event(_env("account", "tr", event), event)
    assert notice.draft.kind == "stop_loss_hit" and "PnL -0.05" in notice.draft.body


def test_only_a_new_ip_is_news() -> None:
    planner = _planner()
    told = []
    for ip in ("1.1.1.1", "1.1.1.1", "2.2.2.2"):
        event = LoginSucceeded(ip=ip)
        told += planner.on_event(_env("user", "tr", event), event)
    assert [n.draft.kind for n in told] == ["new_sign_in"]
    assert "2.2.2.2" not in told[0].draft.body  # a notification is permanent: no address


def test_the_kill_switch_tells_the_admins() -> None:
    event = AuditRecorded(
        action="admin.kill_switch", actor_id="adm", actor_role="admin", ip="1.2.3.4"
    )
    notices = _planner().on_event(_env("audit", "adm", event), event)
    assert [(n.draft.recipient_id, n.draft.kind) for n in notices] == [("adm", "kill_switch")]


def test_lifting_the_kill_switch_tells_the_admins_and_a_plain_resume_all_does_not() -> None:
    def resume_all(trading_resumed: str) -> list[str]:
        event = AuditRecorded(
            action="admin.resume_all",
            actor_id="adm",
            actor_role="admin",
            ip="1.2.3.4",
            details={"trading_resumed": trading_resumed, "resumed": "0"},
        )
        return [n.draft.title for n in _planner().on_event(_env("audit", "adm", event), event)]

    assert resume_all("true") == ["Trading resumed"]
    assert resume_all("false") == []


def test_identical_notifications_merge_into_one_digest() -> None:
    throttle = Throttle(20, timedelta(seconds=60))
    draft = Draft("tr", "credential_failed", "t", "b")
    admitted = [throttle.admit(draft, T0 + timedelta(seconds=i * 0.5)) for i in range(100)]
    assert admitted.count(True) == 1
    assert throttle.due(T0 + timedelta(seconds=59)) == []
    [digest] = throttle.due(T0 + timedelta(seconds=60))
    assert digest.count == 99 and throttle.due(T0 + timedelta(hours=3)) == []


def test_more_than_n_per_hour_wait_for_the_hourly_digest() -> None:
    throttle = Throttle(3, timedelta(seconds=1))
    drafts = [Draft("tr", "order_rejected", "t", f"order {i}") for i in range(10)]
    admitted = [throttle.admit(d, T0 + timedelta(minutes=i)) for i, d in enumerate(drafts)]
    assert admitted.count(True) == 3
    [digest] = throttle.due(T0 + timedelta(hours=1))
    assert digest.count == 7 and digest.due == T0 + timedelta(hours=1)


def test_the_same_log_gives_the_same_ids() -> None:
    event = BotPaused(reason="x", by="adm")
    envelope = _env("bot", "tr", event)
    first = _planner().on_event(envelope, event)
    again = _planner().on_event(envelope, event)
    assert first == again


def test_the_watermark_waits_for_the_oldest_outstanding_delivery() -> None:
    mark = Watermark(10)
    mark.seen(11, 2)
    mark.seen(12, 0)
    mark.seen(13, 1)
    assert mark.position == 10
    mark.finished(13)
    mark.finished(11)
    assert mark.position == 10
    mark.finished(11)
    assert mark.position == 13


def test_an_unverified_address_gets_no_notification_mail_but_in_app_works() -> None:
    planner = _planner()
    changed = EmailChanged(email="new@x.test")
    planner.on_event(_env("user", "tr", changed), changed)
    event = BotPaused(reason="risk review", by="adm")
    [notice] = planner.on_event(_env("bot", "tr", event), event)
    assert [d.channel for d in notice.deliveries] == ["in_app"] and notice.email == ""
    planner.on_event(_env("user", "tr", EmailVerified()), EmailVerified())
    again = BotPaused(reason="another review", by="adm")
    [notice] = planner.on_event(_env("bot", "tr", again), again)
    assert [d.channel for d in notice.deliveries] == ["in_app", "email"]
    assert notice.email == "new@x.test"
