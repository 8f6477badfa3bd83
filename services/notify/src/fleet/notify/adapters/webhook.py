"""Webhooks: a JSON body signed with HMAC-SHA256, to public http(s) URLs only.

The SSRF guard resolves the host and refuses private, loopback, link-local, reserved and
multicast addresses unless the host is in ``FLEET_WEBHOOK_ALLOWED_HOSTS``. The reply is
read up to ``FLEET_WEBHOOK_MAX_REPLY_BYTES``: a longer one is a failure, never read whole.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import socket
from urllib.parse import urlsplit

import httpx

from fleet.notify.errors import DeliveryFailed
from fleet.notify.settings import NotifySettings

SIGNATURE_HEADER = "X-Fleet-Signature"
DELIVERY_HEADER = "X-Fleet-Delivery"


def signature(secret: bytes, body: bytes) -> str:
    """The header value receivers check: ``sha256=<hex HMAC of the raw body>``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def user_secret(signing_key: str, user_id: str) -> bytes:
    """A user's webhook secret, derived (never stored, never in an event)."""
    return hmac.new(signing_key.encode(), f"webhook:{user_id}".encode(), hashlib.sha256).digest()


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


class WebhookGuard:
    """The SSRF guard: public http(s) targets only, unless the host is allowed."""

    def __init__(self, allowed_hosts: list[str]) -> None:
        self._allowed = {h.lower() for h in allowed_hosts}

    async def check(self, url: str) -> None:
        """Refuse (not retryable) a URL that is not http(s) or reaches a private address."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryFailed(f"webhook URL scheme {parts.scheme!r} refused", retryable=False)
        host = parts.hostname.lower()
        if host in self._allowed:
            return
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise DeliveryFailed(
                f"webhook host {host} unresolvable: {exc}", retryable=True
            ) from exc
        refused = sorted({str(a[4][0]) for a in found if not _public(str(a[4][0]))})
        if refused:
            raise DeliveryFailed(
                f"webhook host {host} resolves to a non-public address ({refused[0]}): refused",
                retryable=False,
            )


class WebhookSender:
    """Posts signed bodies; one call is one try (the dispatcher retries)."""

    def __init__(self, settings: NotifySettings) -> None:
        self._settings = settings
        self.guard = WebhookGuard(settings.webhook_allowed_hosts)
        # httpx logs every request's URL at INFO; a webhook URL often carries a token
        # (Slack, Discord): it never reaches a log line
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._client = httpx.AsyncClient(timeout=settings.webhook_timeout_s, follow_redirects=False)

    async def close(self) -> None:
        await self._client.aclose()

    async def post(self, url: str, secret: bytes, body: bytes, delivery: str) -> None:
        """One try: 2xx with a bounded reply is done; 5xx/timeouts are retryable."""
        await self.guard.check(url)
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: signature(secret, body),
            DELIVERY_HEADER: delivery,
        }
        try:
            async with self._client.stream("POST", url, content=body, headers=headers) as reply:
                await self._read_bounded(reply)
        except httpx.TimeoutException as exc:
            raise DeliveryFailed(
                f"webhook timed out: {type(exc).__name__}", retryable=True
            ) from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(
                f"webhook: {type(exc).__name__}: {exc}"[:300], retryable=True
            ) from exc

    async def _read_bounded(self, reply: httpx.Response) -> None:
        limit, read = self._settings.webhook_max_reply_bytes, 0
        async for chunk in reply.aiter_raw():
            read += len(chunk)
            if read > limit:
                raise DeliveryFailed(f"webhook reply larger than {limit} bytes", retryable=False)
        if reply.status_code >= 500:
            raise DeliveryFailed(f"webhook answered {reply.status_code}", retryable=True)
        if not 200 <= reply.status_code < 300:
            raise DeliveryFailed(f"webhook answered {reply.status_code}", retryable=False)
