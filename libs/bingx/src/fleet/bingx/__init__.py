"""Async client for BingX USDT-M perpetual futures: signing, REST, WebSockets.

``BingxClient(Transport(base_url, signer))``: the signer is pluggable, so an executor can
have the vault service sign and never hold a BingX secret.
"""

from fleet.bingx.client import BingxClient
from fleet.bingx.signing import LocalHmacSigner, Signature, Signer
from fleet.bingx.transport import ServerClock, Transport, open_session

__all__ = [
    "BingxClient",
    "LocalHmacSigner",
    "ServerClock",
    "Signature",
    "Signer",
    "Transport",
    "open_session",
]
