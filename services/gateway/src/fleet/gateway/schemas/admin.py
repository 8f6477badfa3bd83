"""Bodies of the admin API and of viewers' read-only access."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, Field, StrictBool

from fleet.events.credentials import BingxEnvironment
from fleet.gateway.schemas.auth import EMAIL, NEW_PASSWORD, USERNAME, RoleName
from fleet.gateway.schemas.base import ApiModel, IdItem
from fleet.gateway.schemas.trading import (
    AccountOut,
    BotOut,
    CredentialOut,
    CredentialStatus,
    PositionOut,
    SessionOut,
    SettingsOut,
    StatsOut,
    TradeOut,
)

REASON = Field(default="", max_length=256, examples=["maintenance window"])


class UserOut(ApiModel):
    id: str = Field(examples=["0193a5b0c1d2"])
    username: str = Field(examples=["alice"])
    email: str = Field(examples=["alice@example.com"])
    role: RoleName
    active: bool
    locked: bool
    locked_until: AwareDatetime | None = None
    failed_logins: int = Field(ge=0)
    last_login_at: AwareDatetime | None = None
    created_at: AwareDatetime
    created_by: str | None = None
    totp_enabled: bool = False
    totp_required: bool = Field(
        default=False, description="An admin requires two-factor authentication of this user."
    )


class TotpRequirement(ApiModel):
    required: bool


class UserCreate(ApiModel):
    username: str = USERNAME
    password: str = NEW_PASSWORD
    email: str = EMAIL
    role: RoleName


class UserUpdate(ApiModel):
    email: str = EMAIL


class RoleChange(ApiModel):
    role: RoleName


class ActiveChange(ApiModel):
    active: StrictBool = Field(examples=[False])
    reason: str = REASON


class PasswordReset(ApiModel):
    new_password: str = NEW_PASSWORD


class Reason(ApiModel):
    reason: str = REASON


class GrantOut(ApiModel):
    """Viewer ``viewer_id`` may read trader ``trader_id``."""

    viewer_id: str
    trader_id: str
    trader_username: str = Field(examples=["alice"])
    granted_at: AwareDatetime
    granted_by: str


class Dashboard(ApiModel):
    """Everything about one trader, read-only (for admins and granted viewers)."""

    user_id: str
    username: str
    settings: SettingsOut
    credential: CredentialOut
    account: AccountOut | None = None
    bot: BotOut
    positions: list[PositionOut]
    stats: StatsOut
    current_session: SessionOut | None = None
    recent_trades: list[TradeOut] = Field(description="The last 20 closed trades.")


class AccountSummary(ApiModel):
    user_id: str
    username: str
    bot_status: str = Field(examples=["running"])
    balance: Decimal | None = Field(default=None, examples=["2500.00"])
    equity: Decimal | None = None
    pnl_today: Decimal = Field(examples=["12.30"])
    open_positions: int = Field(ge=0)
    environment: BingxEnvironment | None = Field(
        default=None, description="The BingX his key belongs to (live, or demo = VST)."
    )
    pause_reason: str | None = Field(default=None, examples=["daily loss limit reached"])
    paused_automatically: bool = Field(
        default=False, description="Paused by the risk engine (a limit), not by a person."
    )
    pnl_today_pct: Decimal | None = Field(
        default=None,
        examples=["0.49"],
        description="PnL today in % of the balance at 00:00 UTC; none without a valuation.",
    )
    trades_today: int = Field(default=0, ge=0, description="Trades closed since 00:00 UTC.")
    credential_status: CredentialStatus = Field(
        default="not_connected", description="His BingX connection as last verified."
    )
    last_verified_at: AwareDatetime | None = None
    last_failure_at: AwareDatetime | None = None
    last_failure_reason: str | None = Field(default=None, examples=["signature mismatch"])
    over_daily_limit: bool = Field(
        default=False, description="Today's loss reached his daily loss limit."
    )


class Overview(ApiModel):
    """Totals over every trader's account; PnL today = trades closed since 00:00 UTC."""

    users: int = Field(ge=0, examples=[42])
    traders: int = Field(ge=0, examples=[30])
    active_bots: int = Field(ge=0, examples=[20])
    paused_bots: int = Field(ge=0, examples=[3])
    total_balance: Decimal = Field(examples=["75000.00"])
    total_equity: Decimal = Field(examples=["75120.00"])
    pnl_today: Decimal = Field(examples=["310.45"])
    accounts: list[AccountSummary]
    simulated: bool = Field(
        default=False, description="The platform's BingX is the simulator (badges: SIMULATOR)."
    )
    paused_by_admin: int = Field(
        default=0,
        ge=0,
        examples=[0],
        description="Bots an admin paused (kill switch, bulk pause): POST /api/admin/resume-all"
        " resumes them; the UI shows the kill switch as engaged while any remain.",
    )
    halted: bool = Field(
        default=False,
        description="The kill switch is on (trading.halted): no executor sends a new entry;"
        " exits, stops and flattens still go out. POST /api/admin/resume-all lifts it.",
    )
    halt_reason: str | None = Field(
        default=None, examples=["exchange incident"], description="Why, while halted."
    )


OverviewFilter = Literal["failing", "paused", "over_daily_limit"]


class OverviewQuery(ApiModel):
    only: OverviewFilter | None = Field(
        default=None,
        description="Keep only failing BingX connections, paused bots, or traders over "
        "their daily loss limit (the totals still count every trader).",
    )


class BulkBotCommand(ApiModel):
    """The same bot command for each of a selection of traders."""

    user_ids: list[IdItem] = Field(
        min_length=1, max_length=500, examples=[["0193a5b0c1d2", "0193a5b0c1d3"]]
    )
    reason: str = REASON


class BulkBotOutcome(ApiModel):
    """What happened to one trader's bot: ``ok`` and its status, or the refusal."""

    user_id: str
    ok: bool
    status: str | None = Field(default=None, examples=["running"])
    events: list[str] = Field(
        default_factory=list, description="Ids of the events the command appended."
    )
    error: str | None = Field(default=None, examples=["not_found"])
    message: str | None = Field(default=None, examples=["this user is not a trader"])


class ResumeAll(ApiModel):
    """An optional note for POST /api/admin/resume-all (kept in the audit log)."""

    reason: str = REASON


class BulkBotResult(ApiModel):
    done: int = Field(ge=0, examples=[2])
    failed: int = Field(ge=0, examples=[0])
    outcomes: list[BulkBotOutcome]


class KillSwitchResult(ApiModel):
    paused: int = Field(
        ge=0, examples=[20], description="Running bots the halt covers (none is paused)."
    )
    halted: bool = Field(
        default=True, description="False: trading was halted already (nothing new recorded)."
    )


class ResumeAllResult(BulkBotResult):
    """Resume all: the kill switch lifted, then the bots an admin paused resumed."""

    trading_resumed: bool = Field(
        default=False, description="The kill switch was on and is now off (trading.resumed)."
    )


class FlattenResult(ApiModel):
    users: int = Field(ge=0, examples=[1])


class AuditEntry(ApiModel):
    event_id: str
    sequence: int
    occurred_at: AwareDatetime
    action: str = Field(examples=["admin.user.create"])
    actor_id: str
    actor_role: str
    ip: str = Field(examples=["203.0.113.7"])
    target_user_id: str | None = None
    outcome: str = Field(examples=["ok"])
    details: dict[str, str]
    source: str = Field(examples=["audit.recorded"])


class GrantedTrader(ApiModel):
    """A trader the calling viewer may read."""

    trader_id: str
    username: str
    granted_at: AwareDatetime
    bot_status: str = Field(examples=["running"])
