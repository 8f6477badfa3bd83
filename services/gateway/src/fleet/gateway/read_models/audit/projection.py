"""The audit read model (schema ``rm_audit``): the gateway's ``audit.recorded`` entries
joined with the domain events that are audit-worthy in themselves (a lockout and its
unlock, every credential change, a bot started, paused or stopped by someone other than
its owner). One row per event; never a secret in ``details``."""

from __future__ import annotations

import json
from typing import ClassVar

from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table, Text, update

from fleet.events import DomainEvent, Envelope
from fleet.events import audit as audit_ev
from fleet.events import bots as bot_ev
from fleet.events import credentials as cred_ev
from fleet.events import security as security_ev
from fleet.events import users as user_ev
from fleet.events.personal import ERASED
from fleet.gateway.read_models.dispatch import DispatchingProjection, Handler
from fleet.projections import PROJECTION_SCHEMA, ProjectionTx
from fleet.projections.columns import text_column

metadata = MetaData(schema=PROJECTION_SCHEMA)
entries = Table(
    "entries",
    metadata,
    text_column("event_id", Envelope, "id", primary_key=True),
    Column("sequence", BigInteger, nullable=False, unique=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False, index=True),
    text_column("action", audit_ev.AuditRecorded, "action", nullable=False, index=True),
    text_column("actor_id", Envelope, "actor", nullable=False, index=True),
    text_column("actor_role", audit_ev.AuditRecorded, "actor_role", nullable=False),
    text_column("ip", audit_ev.AuditRecorded, "ip"),  # "": not known; "erased" once shredded
    text_column("target_user_id", audit_ev.AuditRecorded, "target_user_id", index=True),
    text_column("outcome", audit_ev.AuditRecorded, "outcome", nullable=False),
    Column("details", Text, nullable=False),  # JSON object of strings
    text_column("source", Envelope, "type", nullable=False),  # the event type the row comes from
)


def _row(
    envelope: Envelope,
    *,
    action: str,
    target: str | None,
    details: dict[str, str],
    actor_role: str = "",
) -> dict[str, object]:
    actor = str(envelope.actor)
    return {
        "event_id": envelope.id,
        "sequence": envelope.sequence,
        "occurred_at": envelope.occurred_at,
        "action": action,
        "actor_id": actor,
        "actor_role": actor_role or ("system" if actor == "system" else ""),
        "ip": "",
        "target_user_id": target,
        "outcome": "ok",
        "details": json.dumps(details, sort_keys=True),
        "source": envelope.type,
    }


def _recorded(tx: ProjectionTx, event: audit_ev.AuditRecorded, envelope: Envelope) -> None:
    row = _row(
        envelope,
        action=event.action,
        target=event.target_user_id,
        details=event.details,
        actor_role=event.actor_role,
    )
    row |= {"actor_id": event.actor_id, "ip": event.ip, "outcome": event.outcome}
    tx.insert(entries, row)


def _domain(tx: ProjectionTx, envelope: Envelope, details: dict[str, str]) -> None:
    tx.insert(
        entries, _row(envelope, action=envelope.type, target=envelope.aggregate.id, details=details)
    )


def _locked(tx: ProjectionTx, event: user_ev.UserLocked, envelope: Envelope) -> None:
    details = {"until": event.until.isoformat(), "failures": str(event.consecutive_failures)}
    _domain(tx, envelope, details)


def _unlocked(tx: ProjectionTx, _event: user_ev.UserUnlocked, envelope: Envelope) -> None:
    _domain(tx, envelope, {})


def _token(tx: ProjectionTx, event: DomainEvent, envelope: Envelope) -> None:
    details = {"token_id": str(getattr(event, "token_id", ""))}
    if isinstance(event, user_ev.AccessTokenCreated):
        details |= {"scope": event.scope, "name": event.name}
        if event.expires_at is not None:
            details["expires_at"] = event.expires_at.isoformat()
    _domain(tx, envelope, details)


def _logins_refused(tx: ProjectionTx, event: security_ev.LoginsRefused, envelope: Envelope) -> None:
    details = {
        "refused": str(event.refused),
        "unauthenticated": str(event.unauthenticated),
        "throttled": str(event.throttled),
        "busy": str(event.busy),
        "accounts": str(event.accounts),
        "usernames": ",".join(event.usernames),
        "window_start": event.window_start.isoformat(),
        "window_end": event.window_end.isoformat(),
    }
    row = _row(envelope, action=envelope.type, target=None, details=details)
    tx.insert(entries, row | {"ip": event.source_ip, "outcome": "denied"})


def _attack(tx: ProjectionTx, event: security_ev.AttackSuspected, envelope: Envelope) -> None:
    details = {
        "refused": str(event.refused),
        "sources": str(event.sources),
        "top_source_refused": str(event.top_source_refused),
        "window_start": event.window_start.isoformat(),
        "window_end": event.window_end.isoformat(),
    }
    row = _row(envelope, action=envelope.type, target=None, details=details)
    tx.insert(entries, row | {"ip": event.top_source_ip, "outcome": "denied"})


def _user_deleted(tx: ProjectionTx, _event: user_ev.UserDeleted, envelope: Envelope) -> None:
    """No entry: the deleted user's addresses (sealed with his destroyed key) are erased."""
    tx.execute(
        update(entries)
        .where(entries.c.actor_id == envelope.aggregate.id, entries.c.ip != "")
        .values(ip=ERASED)
    )


def _log_nearly_full(
    tx: ProjectionTx, event: security_ev.EventLogNearlyFull, envelope: Envelope
) -> None:
    details = {
        "stream": event.stream,
        "used_bytes": str(event.used_bytes),
        "max_bytes": str(event.max_bytes),
        "used_percent": str(event.used_percent),
    }
    _domain(tx, envelope, details)


def _cred_connected(
    tx: ProjectionTx, event: cred_ev.CredentialConnected, envelope: Envelope
) -> None:
    details = {
        "api_key_last4": event.api_key_last4,
        "account_type": event.account_type,
        "replaced_previous": str(event.replaced_previous).lower(),
    }
    _domain(tx, envelope, details)


def _cred_verified(tx: ProjectionTx, event: cred_ev.CredentialVerified, envelope: Envelope) -> None:
    _domain(tx, envelope, {"recovered": str(event.recovered).lower()})


def _cred_failed(
    tx: ProjectionTx, event: cred_ev.CredentialVerificationFailed, envelope: Envelope
) -> None:
    details = {"reason": event.reason}
    if event.bingx_code is not None:
        details["bingx_code"] = str(event.bingx_code)
    _domain(tx, envelope, details)


def _cred_other(tx: ProjectionTx, event: DomainEvent, envelope: Envelope) -> None:
    details: dict[str, str] = {}
    if isinstance(event, cred_ev.CredentialDisconnected):
        details = {"reason": event.reason}
    elif isinstance(event, cred_ev.SignaturesCounted):
        details = {"hour_start": event.hour_start.isoformat(), "count": str(event.count)}
    _domain(tx, envelope, details)


def _bot(tx: ProjectionTx, event: DomainEvent, envelope: Envelope) -> None:
    by = str(getattr(event, "by", ""))
    if by == envelope.aggregate.id:
        return  # the owner's own action is not an audit entry
    details = {"by": by}
    reason = getattr(event, "reason", None)
    if reason:
        details["reason"] = str(reason)
    _domain(tx, envelope, details)


class AuditProjection(DispatchingProjection):
    """The queryable audit log."""

    name = "audit"
    # 2: columns follow the event bounds; 3: token and security events; 4: personal data
    # opened (ip text: "erased" once shredded)
    version = 4
    metadata: ClassVar[MetaData] = metadata
    handlers: ClassVar[dict[type[DomainEvent], Handler]] = {
        audit_ev.AuditRecorded: _recorded,
        user_ev.UserLocked: _locked,
        user_ev.UserUnlocked: _unlocked,
        user_ev.UserDeleted: _user_deleted,
        user_ev.AccessTokenCreated: _token,
        user_ev.AccessTokenRevoked: _token,
        security_ev.LoginsRefused: _logins_refused,
        security_ev.AttackSuspected: _attack,
        security_ev.EventLogNearlyFull: _log_nearly_full,
        cred_ev.CredentialConnected: _cred_connected,
        cred_ev.CredentialVerified: _cred_verified,
        cred_ev.CredentialVerificationFailed: _cred_failed,
        cred_ev.CredentialDisconnected: _cred_other,
        cred_ev.CredentialApiKeyRewrapped: _cred_other,
        cred_ev.SignaturesCounted: _cred_other,
        bot_ev.BotStarted: _bot,
        bot_ev.BotPaused: _bot,
        bot_ev.BotResumed: _bot,
        bot_ev.BotStopped: _bot,
    }
