"""Settings of the auth service (environment variables, prefix ``FLEET_``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from fleet.auth.domain.access_tokens import TokenRules
from fleet.auth.domain.login_budget import VerificationBudget
from fleet.auth.domain.login_policy import LoginPolicy
from fleet.billing import PeriodScheme
from fleet.billing.periods import PeriodSetting
from fleet.events.users import Symbol
from fleet.settings import ServiceSettings

# The symbols the simulator lists (`fleet up`); set FLEET_TRADING_SYMBOLS for an exchange.
DEFAULT_SYMBOLS = ("BTC-USDT", "ETH-USDT", "XRP-USDT", "SOL-USDT", "DOGE-USDT")


class AuthSettings(ServiceSettings):
    """Every variable of :class:`ServiceSettings` plus hashing and login-throttling limits."""

    service_name: str = "auth"
    argon2_time_cost: int = Field(default=3, ge=1, le=20, description="argon2id passes.")
    argon2_memory_kib: int = Field(
        default=65536, ge=8, le=4_194_304, description="argon2id memory per hash, KiB."
    )
    argon2_parallelism: int = Field(default=4, ge=1, le=64, description="argon2id lanes.")
    hash_threads: int = Field(default=2, ge=1, le=64, description="Threads hashing at once.")
    login_pair_free_failures: int = Field(
        default=5, ge=1, description="Failures of one (account, source) before back-off."
    )
    login_ip_free_failures: int = Field(
        default=20, ge=1, description="Failures from one source before back-off."
    )
    login_backoff_base_s: float = Field(default=1.0, gt=0, description="First back-off delay.")
    login_backoff_max_s: float = Field(default=300.0, gt=0, description="Longest back-off.")
    login_failure_memory_minutes: float = Field(
        default=60, gt=0, description="A failure older than this no longer counts."
    )
    login_max_in_flight: int = Field(
        default=8, ge=1, description="Password verifications at once (all sources)."
    )
    login_source_in_flight: int = Field(
        default=2, ge=1, description="Password verifications at once from one source."
    )
    login_source_per_minute: float = Field(
        default=60, gt=0, description="Password verifications per minute from one source."
    )
    login_source_burst: int = Field(
        default=20, ge=1, description="Verifications one source may make at once after a pause."
    )
    login_audit_window_s: float = Field(
        default=60, gt=0, description="Refused logins are written once per source per window."
    )
    login_alert_threshold: int = Field(
        default=100, ge=1, description="Refused logins in one window that alert the admins."
    )
    event_log_check_s: float = Field(
        default=60, gt=0, description="How often the domain stream's size is checked."
    )
    event_log_warn_ratio: float = Field(
        default=0.8, gt=0, le=1, description="Share of the stream's byte limit that alerts."
    )
    billing_period: PeriodSetting = Field(
        default="monthly",
        description="Fee periods: 'monthly' (calendar months, UTC) or a length in seconds (tests).",
    )
    billing_close_every_s: float = Field(
        default=60, gt=0, description="How often ended fee periods are looked for and closed."
    )
    billing_settle_s: float = Field(
        default=3600,
        ge=0,
        description=(
            "How long after its end a fee period is closed: the executor may record a"
            " transfer up to an hour late (its transfers poll), and a late deposit must"
            " not count as profit."
        ),
    )
    database_url: str = Field(
        default="postgresql+psycopg://postgres@127.0.0.1:5432/fleet",
        description="SQLAlchemy URL of the database holding the personal-data keys.",
    )
    personal_day_key_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Days a refused login's source address stays readable (its day key).",
    )
    token_max_days: int = Field(default=90, ge=1, le=3650, description="Longest token life.")
    tokens_per_user: int = Field(default=20, ge=1, description="Live tokens one user may hold.")
    trading_symbols: Annotated[tuple[Symbol, ...], NoDecode] = Field(
        default=DEFAULT_SYMBOLS,
        description="Comma-separated symbols traders may choose (empty: any USDT-M symbol).",
    )

    @field_validator("trading_symbols", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    def period_scheme(self) -> PeriodScheme:
        """How fee periods are cut (``FLEET_BILLING_PERIOD``)."""
        return PeriodScheme.parse(self.billing_period)

    def login_policy(self) -> LoginPolicy:
        """The throttling rules these settings describe."""
        return LoginPolicy(
            pair_free_failures=self.login_pair_free_failures,
            source_free_failures=self.login_ip_free_failures,
            backoff_base=timedelta(seconds=self.login_backoff_base_s),
            backoff_max=timedelta(seconds=self.login_backoff_max_s),
            memory=timedelta(minutes=self.login_failure_memory_minutes),
        )

    def verification_budget(self) -> VerificationBudget:
        """The argon2 budget these settings describe."""
        return VerificationBudget(
            max_in_flight=self.login_max_in_flight,
            source_in_flight=self.login_source_in_flight,
            source_per_minute=self.login_source_per_minute,
            source_burst=self.login_source_burst,
        )

    def token_rules(self) -> TokenRules:
        """Token lifetimes and counts."""
        return TokenRules(max_days=self.token_max_days, max_per_user=self.tokens_per_user)
