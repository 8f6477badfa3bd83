"""A trader as the owning executor holds them: their log-built account, their BingX
account (signed by vault, sent from the egress identity they were given) and a lock that
serialises everything done for them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from nats.aio.client import Client

from fleet.bingx import BingxClient, Transport
from fleet.events import AggregateId, EventId
from fleet.events.credentials import BingxEnvironment
from fleet.events.directory import UserView
from fleet.eventstore import ConcurrencyError, Repository
from fleet.executor import metrics
from fleet.executor.adapters.bingx_account import BingxAccount
from fleet.executor.adapters.budget import UserBudget
from fleet.executor.adapters.egress import EgressIdentity, EgressPool
from fleet.executor.adapters.vault_signer import VaultSigner
from fleet.executor.domain.account import TradingAccount
from fleet.executor.ports import Account

PLACE_ORDER = "/openApi/swap/v2/trade/order:POST"


async def _unfenced() -> None:
    return None


class Trader:
    """One owned user."""

    def __init__(
        self,
        view: UserView,
        account: TradingAccount,
        exchange: Account,
        budget: UserBudget,
        accounts: Repository[TradingAccount],
        *,
        egress: str = "",
    ) -> None:
        self.view = view
        # the BingX its exchange calls: the key's at build time (a new key, a new trader)
        self.environment: BingxEnvironment = view.environment
        self.egress = egress  # the name of the egress identity it sends from
        self.account = account
        self.exchange = exchange
        self.budget = budget
        self._accounts = accounts
        self.lock = asyncio.Lock()
        # raises LeaseLost when this process may no longer own the user's partition: an
        # owner paused past its lease is refused its next order and its next append
        self.fence: Callable[[], Awaitable[object]] = _unfenced

    @property
    def user_id(self) -> str:
        return self.view.user_id

    async def order_turn(self) -> None:
        """Wait until this user's next order fits the UID and egress budgets."""
        metrics.WAITING_FOR_BUDGET.inc()
        try:
            with metrics.BUDGET_WAIT_SECONDS.time():
                await self.budget.reserve(PLACE_ORDER)
        finally:
            metrics.WAITING_FOR_BUDGET.dec()

    async def save(self, causation_id: EventId | None = None) -> None:
        """Append what the account recorded. If another writer got there first (this
        process lost the partition), re-read the account and let the caller give up."""
        await self.fence()
        try:
            with metrics.APPEND_SECONDS.time():
                await self._accounts.save(self.account, causation_id=causation_id)
        except ConcurrencyError:
            self.account = await self._accounts.load(self.account.id)
            raise


@dataclass
class TraderFactory:
    """Builds :class:`Trader` objects for the partitions this process owns."""

    nc: Client
    accounts: Repository[TradingAccount]
    egress: EgressPool
    bingx_base_url: str
    demo_base_url: str = ""  # BingX VST, for traders whose key is a demo key ("": live's)
    # the fence of a user's partition lease (PartitionManager.fence); none in tests
    fence: Callable[[str], Awaitable[object]] = field(default=lambda _user: _unfenced())

    async def load(self, view: UserView) -> Trader:
        """Replay the user's account from the log and wire their exchange."""
        account = await self.accounts.load(AggregateId(view.user_id))
        return self.build(view, account)

    def build(self, view: UserView, account: TradingAccount) -> Trader:
        identity = self.egress.assign(view.user_id)
        budget = UserBudget(self.egress.budget(identity))
        exchange = BingxAccount(self._client(view, identity, budget))
        trader = Trader(view, account, exchange, budget, self.accounts, egress=identity.name)
        user_id = view.user_id
        trader.fence = lambda: self.fence(user_id)
        return trader

    def client_for(self, view: UserView) -> BingxClient:
        """A BingX client of the user's account (signed by vault, within the budgets of his
        egress identity) for work beside the trading path: history imports, checks."""
        identity = self.egress.borrow(view.user_id)
        return self._client(view, identity, UserBudget(self.egress.budget(identity)))

    def _client(self, view: UserView, identity: EgressIdentity, budget: UserBudget) -> BingxClient:
        demo = view.environment == "demo" and self.demo_base_url
        transport = Transport(
            self.demo_base_url if demo else self.bingx_base_url,
            VaultSigner(self.nc, view.user_id, lambda: view.credential_generation),
            budget=budget,
            session=self.egress.session(identity),
            in_flight=self.egress.gate(identity),
            pacer=self.egress.pacer(identity),
            server_clock=self.egress.clock(identity),
        )
        return BingxClient(transport)
