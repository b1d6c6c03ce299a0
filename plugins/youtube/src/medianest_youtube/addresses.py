"""Which addresses a download may connect to, decided on the addresses a name resolves to.

Used twice: when a playlist URL is submitted (`urls.check_playlist_url`) and again for every
connection yt-dlp opens (`network.GuardedYoutubeDL`), on the very addresses it then connects
to, so a name that resolved to a public address at submit time and to 127.0.0.1 a moment later
(DNS rebinding) still cannot reach the private one.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# socket.getaddrinfo's shape: (host, port, family, type) → [(family, type, proto, name, sockaddr)]
AddrInfo = tuple[Any, Any, int, str, tuple[Any, ...]]
Resolver = Callable[..., Sequence[AddrInfo]]

# IETF protocol assignments, which Python 3.11's `is_global` still counts as global (multicast
# too, checked by `is_multicast`); and the NAT64 prefixes, whose last 32 bits are an IPv4 address.
_PROTOCOL_ASSIGNMENTS = ipaddress.ip_network("192.0.0.0/24")
_NAT64 = tuple(ipaddress.ip_network(net) for net in ("64:ff9b::/96", "64:ff9b:1::/48"))


class AddressRefused(OSError):
    """A connection was refused before it was made; the message is safe to show to users."""


def is_public(address: IPAddress) -> bool:
    """True for a globally routable unicast address. An IPv6 address that carries an IPv4 one
    reaches it: IPv4-mapped and NAT64 ones are judged by it alone, 6to4 and Teredo ones (whose
    own prefixes are global) need it public too."""
    if address.version == 6:
        if (carried := _translated_ipv4(address)) is not None:
            return is_public(carried)
        tunnelled = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if tunnelled is not None and not is_public(tunnelled):
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or (address.version == 4 and address in _PROTOCOL_ASSIGNMENTS)
    )


def _translated_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def resolve(
    host: str, port: int, *, allow_private: bool = False, resolver: Resolver = socket.getaddrinfo
) -> list[AddrInfo]:
    """The addresses to connect to for `host`, all of them public unless `allow_private`.

    Fails closed: a name that does not resolve, or that resolves to any non-public address
    (even beside public ones), is refused as a whole.
    """
    try:
        infos = list(resolver(host, port, 0, socket.SOCK_STREAM))
    except (OSError, UnicodeError) as exc:
        raise AddressRefused(f"The host {host} could not be resolved.") from exc
    if not infos:
        raise AddressRefused(f"The host {host} could not be resolved.")
    if not allow_private:
        for info in infos:
            if not is_public(ipaddress.ip_address(info[4][0].split("%")[0])):
                raise AddressRefused(
                    f"The host {host} resolves to a private or reserved address; "
                    "only public addresses may be downloaded from."
                )
    return infos
