"""Which events concern whom: one table ``{event type: rule}``; a rule drafts the
notifications one event deserves (none, one, or one per admin). Pure: the envelope, its
typed event and the directory as it was before the event are all it reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleet.events import DomainEvent, Envelope
from fleet.events.audit import AuditRecorded
from fleet.events.bots import BotPaused, BotStopped
from fleet.events.credentials import CredentialSigningUnavailable, CredentialVerificationFailed
from fleet.events.trading import OrderRejected, PositionClosed
from fleet.events.users import LoginFailed, LoginSucceeded, PasswordSet, UserLocked
from fleet.notify.domain.directory import Directory
from fleet.notify.domain.drafts import Draft

Rule = Callable[[Envelope, Any, Directory], list[Draft]]
BINGX_RATE_LIMITED = 100410


def _owner(envelope: Envelope) -> str:
    return str(envelope.aggregate.id)


def _to_admins(directory: Directory, kind: str, title: str, body: str) -> list[Draft]:
    return [Draft(admin, kind, title, body) for admin in directory.admins()]


def _who(directory: Directory, user_id: str) -> str:
    person = directory.get(user_id)
    return person.username if person is not None else user_id


def bot_paused(envelope: Envelope, event: BotPaused, directory: Directory) -> list[Draft]:
    """The trader, when anyone but himself paused his bot (risk stop, kill switch, admin)."""
    if event.by == _owner(envelope):
        return []
    by = "automatically" if event.automatic else f"by {_who(directory, event.by)}"
    body = f"Your bot was paused {by}. Reason: {event.reason}."
    return [Draft(_owner(envelope), "bot_paused", "Your bot was paused", body)]


def bot_stopped(envelope: Envelope, event: BotStopped, directory: Directory) -> list[Draft]:
    """The trader, when anyone but himself stopped his bot."""
    if event.by == _owner(envelope):
        return []
    flatten = " Open positions are being closed." if event.flatten else ""
    body = f"Your bot was stopped by {_who(directory, event.by)}. Reason: {event.reason}.{flatten}"
    return [Draft(_owner(envelope), "bot_stopped", "Your bot was stopped", body)]


def credential_failed(
    envelope: Envelope, event: CredentialVerificationFailed, _directory: Directory
) -> list[Draft]:
    """The trader, when BingX refused his key at a verification or a health check."""
    code = f" (BingX code {event.bingx_code})" if event.bingx_code is not None else ""
    body = f"Your BingX API key failed verification{code}: {event.reason}."
    return [Draft(_owner(envelope), "credential_failed", "BingX key check failed", body)]


def signing_unavailable(
    envelope: Envelope, event: CredentialSigningUnavailable, _directory: Directory
) -> list[Draft]:
    """The trader, when his orders cannot be signed (his bot cannot trade)."""
    body = f"Orders for your account cannot be signed right now: {event.reason}."
    return [Draft(_owner(envelope), "credential_failed", "Trading is interrupted", body)]


def order_rejected(envelope: Envelope, event: OrderRejected, directory: Directory) -> list[Draft]:
    """The trader, with BingX's code and message; admins too for a rate-limit refusal."""
    code = event.bingx_code if event.bingx_code is not None else "none"
    body = f"BingX rejected order {event.client_order_id}: code {code}, {event.message}."
    drafts = [Draft(_owner(envelope), "order_rejected", "Order rejected by BingX", body)]
    if event.bingx_code == BINGX_RATE_LIMITED:
        who = _who(directory, _owner(envelope))
        admin_body = f"BingX refused an order of {who} for rate limiting (100410)."
        drafts += _to_admins(directory, "bingx_rate_limited", "BingX rate limit hit", admin_body)
    return drafts


def position_closed(
    envelope: Envelope, event: PositionClosed, _directory: Directory
) -> list[Draft]:
    """The trader: a stop-loss hit, or any closed position, with its PnL."""
    stop = "stop" in event.reason.lower()
    kind, title = (
        ("stop_loss_hit", "Stop-loss hit") if stop else ("position_closed", "Position closed")
    )
    body = (
        f"{event.symbol} {event.position_side} {event.quantity} closed at {event.exit_price} "
        f"(entry {event.entry_price}): PnL {event.realised_pnl} USDT, fees {event.fees}. "
        f"Reason: {event.reason}."
    )
    return [Draft(_owner(envelope), kind, title, body)]


def signed_in(envelope: Envelope, event: LoginSucceeded, directory: Directory) -> list[Draft]:
    """Any user, when he signs in from an IP he never used (not at his first sign-in)."""
    person = directory.get(_owner(envelope))
    if person is None or not person.known_ips or event.ip in person.known_ips:
        return []
    # no address or device in the text: a notification is a permanent event, and personal
    # data enters the log only sealed (the audit log shows the address to admins)
    body = "A sign-in to your account from a new IP address. If it was not you, tell an admin."
    return [Draft(person.user_id, "new_sign_in", "Sign-in from a new IP", body)]


def login_throttled(envelope: Envelope, event: LoginFailed, _directory: Directory) -> list[Draft]:
    """Any user, when sign-ins to his account are being throttled."""
    if not event.throttled:
        return []
    body = "Sign-ins to your account are throttled after failures."
    return [Draft(_owner(envelope), "account_throttled", "Sign-ins throttled", body)]


def locked(envelope: Envelope, event: UserLocked, _directory: Directory) -> list[Draft]:
    """Any user, when his account is locked."""
    body = (
        f"Your account is locked until {event.until:%Y-%m-%d %H:%M} UTC after "
        f"{event.consecutive_failures} failed sign-ins."
    )
    return [Draft(_owner(envelope), "account_locked", "Account locked", body)]


def password_set(envelope: Envelope, event: PasswordSet, _directory: Directory) -> list[Draft]:
    """Any user, when his password was changed or reset (not the initial one)."""
    if event.reason not in ("changed", "reset"):
        return []
    body = f"The password of your account was {event.reason}. If it was not you, tell an admin."
    return [Draft(_owner(envelope), "password_changed", "Password changed", body)]


def audited(_envelope: Envelope, event: AuditRecorded, directory: Directory) -> list[Draft]:
    """Admins, when the kill switch was used (trading halted) or lifted (resume all)."""
    if event.outcome != "ok":
        return []
    reason = event.details.get("reason", "")
    who = _who(directory, event.actor_id)
    if event.action == "admin.kill_switch":
        body = f"{who} used the kill switch: trading is halted. {reason}"
        return _to_admins(directory, "kill_switch", "Kill switch used", body.strip())
    if event.action == "admin.resume_all" and event.details.get("trading_resumed") == "true":
        body = f"{who} lifted the kill switch: trading resumed. {reason}"
        return _to_admins(directory, "kill_switch", "Trading resumed", body.strip())
    return []


RULES: dict[str, Rule] = {
    "bot.paused": bot_paused,
    "bot.stopped": bot_stopped,
    "credential.verification_failed": credential_failed,
    "credential.signing_unavailable": signing_unavailable,
    "trading.order_rejected": order_rejected,
    "trading.position_closed": position_closed,
    "user.login_succeeded": signed_in,
    "user.login_failed": login_throttled,
    "user.locked": locked,
    "user.password_set": password_set,
    "audit.recorded": audited,
}


def drafts_for(envelope: Envelope, event: DomainEvent, directory: Directory) -> list[Draft]:
    """What ``event`` tells whom (deleted or unknown recipients are told nothing)."""
    rule = RULES.get(envelope.type)
    if rule is None:
        return []
    return [d for d in rule(envelope, event, directory) if directory.get(d.recipient_id)]
