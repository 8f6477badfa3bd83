"""The client address behind (and without) trusted proxies."""

from __future__ import annotations

import ipaddress

import pytest

from fleet.gateway.client_address import client_address

pytestmark = pytest.mark.unit
PROXIES = [ipaddress.ip_network("10.0.0.0/8")]


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address("127.0.0.1", "1.2.3.4", []) == "127.0.0.1"


def test_an_untrusted_peer_is_the_client() -> None:
    assert client_address("192.0.2.1", "1.2.3.4", PROXIES) == "192.0.2.1"


def test_the_rightmost_untrusted_entry_is_the_client() -> None:
    forged = "6.6.6.6, 203.0.113.7, 10.0.0.2"
    assert client_address("10.0.0.1", forged, PROXIES) == "203.0.113.7"


@pytest.mark.parametrize("entry", ["1" * 100, "fe80::1%eth0", "<img src=x>", "", "1.2.3"])
def test_an_entry_that_is_not_an_ip_falls_back_to_the_peer(entry: str) -> None:
    assert client_address("10.0.0.1", f"{entry}", PROXIES) == "10.0.0.1"


def test_every_hop_trusted_gives_the_leftmost() -> None:
    assert client_address("10.0.0.1", "10.0.0.3, 10.0.0.2", PROXIES) == "10.0.0.3"
