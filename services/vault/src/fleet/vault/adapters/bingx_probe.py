"""``AccountProbe`` on the BingX client: balance and API-key permissions, every request
signed by the given function (a local HMAC during connect, Vault transit afterwards)."""

from __future__ import annotations

from fleet.bingx import BingxClient, Signature, Transport
from fleet.bingx.errors import AuthError, BingxError, Rejected, Retryable
from fleet.vault.domain.policy import AccountSnapshot
from fleet.vault.ports import ProbeRefused, ProbeUnavailable, Sign


class _DelegatingSigner:
    """A ``fleet.bingx`` signer that holds no secret: it calls ``sign``."""

    def __init__(self, api_key: str, sign: Sign) -> None:
        self._api_key = api_key
        self._sign = sign

    def __repr__(self) -> str:
        return f"_DelegatingSigner(api_key=...{self._api_key[-4:]})"

    async def sign(self, payload: str) -> Signature:
        return Signature(await self._sign(payload), self._api_key)


class BingxProbe:
    """Asks BingX (or the simulator) what a key sees and may do."""

    def __init__(self, base_url: str, account_type: str = "USDT-M perpetual") -> None:
        self.base_url = base_url
        self.account_type = account_type

    async def probe(self, api_key: str, sign: Sign) -> AccountSnapshot:
        client = BingxClient(Transport(self.base_url, _DelegatingSigner(api_key, sign)))
        try:
            balance = await client.balance()
            permissions = await client.api_permissions()
        except (AuthError, Rejected) as exc:
            raise ProbeRefused(exc.bingx_message, exc.code) from None
        except (Retryable, BingxError) as exc:
            raise ProbeUnavailable(str(exc)) from None
        finally:
            await client.close()
        return AccountSnapshot(
            balance.balance, self.account_type, permissions.permissions, permissions.ip_addresses
        )
