"""Settings of the auth service (environment variables, prefix ``FLEET_``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from fleet.auth.domain.login_policy import LoginPolicy
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
    login_lockout_after: int = Field(default=10, ge=1, description="Failures that lock.")
    login_lockout_minutes: float = Field(default=15, gt=0, description="How long a lock lasts.")
    login_user_free_failures: int = Field(
        default=3, ge=1, description="Failures of one user before back-off."
    )
    login_ip_free_failures: int = Field(
        default=20, ge=1, description="Failures from one IP before back-off."
    )
    login_backoff_base_s: float = Field(default=1.0, gt=0, description="First back-off delay.")
    login_backoff_max_s: float = Field(default=300.0, gt=0, description="Longest back-off.")
    login_failure_memory_minutes: float = Field(
        default=60, gt=0, description="A failure older than this no longer counts."
    )
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

    def login_policy(self) -> LoginPolicy:
        """The throttling and lockout rules these settings describe."""
        return LoginPolicy(
            user_free_failures=self.login_user_free_failures,
            ip_free_failures=self.login_ip_free_failures,
            backoff_base=timedelta(seconds=self.login_backoff_base_s),
            backoff_max=timedelta(seconds=self.login_backoff_max_s),
            lockout_after=self.login_lockout_after,
            lockout=timedelta(minutes=self.login_lockout_minutes),
            memory=timedelta(minutes=self.login_failure_memory_minutes),
        )
