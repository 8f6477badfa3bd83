"""The webhook SSRF guard, on literal addresses and localhost (no network needed)."""

from __future__ import annotations

import pytest

from fleet.notify.adapters.webhook import WebhookGuard, signature
from fleet.notify.errors import DeliveryFailed

pytestmark = pytest.mark.unit
REFUSED = [
    "ftp://8.8.8.8/x",
    "file:///etc/passwd",
    "http://localhost/x",
    "http://127.0.0.2:8080/x",
    "http://[::1]/x",
    "http://169.254.169.254/latest/meta-data",
    "https://10.0.0.1/x",
    "http://192.168.1.10/x",
    "http://0.0.0.0/x",
    "http://[fe80::1]/x",
]


@pytest.mark.parametrize("url", REFUSED)
async def test_private_and_non_http_targets_are_refused(url: str) -> None:
    guard = WebhookGuard(["127.0.0.1"])
    with pytest.raises(DeliveryFailed) as refused:
        await guard.check(url)
    assert not refused.value.retryable


async def test_an_allowed_host_and_a_public_address_pass() -> None:
    guard = WebhookGuard(["127.0.0.1"])
    await guard.check("http://127.0.0.1:9999/hook")
    await guard.check("https://8.8.8.8/hook")


def test_the_signature_is_the_hmac_sha256_of_the_raw_body() -> None:
    # the published HMAC-SHA256 example (key "key")
    body = b"The quick brown fox jumps over the lazy dog"
    expected = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    assert signature(b"key", body) == f"sha256={expected}"
