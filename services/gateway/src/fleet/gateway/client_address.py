"""The client's address: the TCP peer, or, when the peer is a trusted proxy, the
rightmost ``X-Forwarded-For`` entry that is not itself a trusted proxy.

The leftmost entries are whatever the client wrote, so they are never believed; an entry
that is not a plain IP address (no IPv6 scope id, at most 45 characters) makes the header
worthless and the peer is used instead.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_IP_TEXT = 45  # the longest textual IPv6 address (an IPv4-mapped one)
MAX_FORWARDED_HOPS = 16


def parse_ip(text: str) -> IpAddress | None:
    """``text`` as an IP address, or ``None`` (too long, a scope id, not an address)."""
    candidate = text.strip()
    if not candidate or len(candidate) > MAX_IP_TEXT or "%" in candidate:
        return None
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        return None


def _trusted(address: IpAddress, proxies: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(peer: str, forwarded: str | None, proxies: Sequence[Network]) -> str:
    """The client's address as text ("" when the peer is unknown)."""
    peer_ip = parse_ip(peer)
    if peer_ip is None:
        return ""
    if not forwarded or not proxies or not _trusted(peer_ip, proxies):
        return str(peer_ip)
    hops = forwarded.split(",")[-MAX_FORWARDED_HOPS:]
    chosen = peer_ip
    for entry in reversed(hops):
        hop = parse_ip(entry)
        if hop is None:
            return str(peer_ip)
        chosen = hop
        if not _trusted(hop, proxies):
            break
    return str(chosen)
