"""The client's address, trusting X-Forwarded-For only from configured proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=64)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _trusted(address: str, cidrs: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(cidrs))


def client_ip(
    remote_addr: str | None, forwarded_for: str | None, trusted_proxies: Iterable[str]
) -> str:
    """The first address, walking back from the server, that is not a trusted proxy."""
    cidrs = tuple(trusted_proxies)
    address = remote_addr or "unknown"
    if not cidrs or not forwarded_for or not _trusted(address, cidrs):
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if not _trusted(hop, cidrs):
            return hop
    return address


def address_in(address: str, cidrs: Iterable[str]) -> bool:
    """Whether `address` (an IP) lies in one of the networks; False for anything unparsable."""
    return _trusted(address, tuple(cidrs))
