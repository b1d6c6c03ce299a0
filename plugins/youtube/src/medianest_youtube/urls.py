"""Checking a playlist URL a user submits, before anything is fetched.

    checked = check_playlist_url(url, allowed_hosts=settings.allowed_hosts)
    checked.url      # the normalised URL to hand to the downloader
    checked.trusted  # an admin-added host: private addresses and the generic extractor allowed

Every refusal is a `UrlRefused` whose message can be shown to the user as it is (a 422).
The hosts the admin added to `allowed_hosts` beyond the YouTube ones are *trusted*: they may
resolve to private addresses (a NAS, the tests' 127.0.0.1) and yt-dlp's generic extractor may
read their pages. A YouTube host must resolve to public addresses only, here and again when
each connection is made (`network.py`).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .addresses import AddressRefused, Resolver, resolve

YOUTUBE_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com", "youtu.be"}
)
MAX_URL_LENGTH = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")
# Forms inet_aton accepts but nobody writes on purpose: 2130706433, 0x7f.1, 0177.0.0.1, 127.1
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*$")


class UrlRefused(ValueError):
    """The URL is not accepted; `str(error)` tells the user why."""


@dataclass(frozen=True)
class CheckedUrl:
    url: str
    host: str
    trusted: bool


def check_playlist_url(
    url: object,
    allowed_hosts: Iterable[str] = YOUTUBE_HOSTS,
    *,
    resolver: Resolver = socket.getaddrinfo,
) -> CheckedUrl:
    """Refuse anything but an http(s) URL of an allowed host that cannot reach a private
    address (unless trusted); return it normalised: lower-case host, no fragment."""
    text = _check_text(url)
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. an unclosed "[" in the host
        raise UrlRefused("This is not a valid URL.") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise UrlRefused("Only http:// and https:// playlist URLs are accepted.")
    if "@" in parts.netloc:
        raise UrlRefused("URLs with a user name or password are not accepted.")
    host = normalise_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError as exc:
        raise UrlRefused("The URL's port is not valid.") from exc
    if host not in normalise_hosts(allowed_hosts):
        raise UrlRefused(
            f"Playlists can be downloaded from YouTube or from sites your admin allowed; "
            f"{host} is not one of them."
        )
    trusted = host not in YOUTUBE_HOSTS
    if not trusted and port not in (None, _DEFAULT_PORTS[scheme]):
        raise UrlRefused("YouTube URLs take no port number.")
    if not trusted:
        try:
            resolve(host, port or _DEFAULT_PORTS[scheme], resolver=resolver)
        except AddressRefused as exc:
            raise UrlRefused(str(exc)) from exc
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    query = f"?{parts.query}" if parts.query else ""
    return CheckedUrl(f"{scheme}://{netloc}{parts.path or '/'}{query}", host, trusted)


def _check_text(url: object) -> str:
    if not isinstance(url, str) or not url:
        raise UrlRefused("Enter the playlist's URL.")
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"The URL is too long (over {MAX_URL_LENGTH} characters).")
    if url.startswith("-"):
        raise UrlRefused("The URL must begin with http:// or https://.")
    if any(char.isspace() or char == "\\" or _is_control(char) for char in url):
        raise UrlRefused("The URL must not contain spaces, backslashes or control characters.")
    return url


def _is_control(char: str) -> bool:
    # Cc: C0/C1 controls; Cf: invisible formatting (RTL override, zero-width); Cs/Co: unpaired
    # surrogates and private use.
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co"}


def normalise_hosts(hosts: Iterable[str]) -> frozenset[str]:
    """The allow-list as `normalise_host` writes names; entries that are no host are dropped
    (the settings check refuses them with `normalise_host`'s message)."""
    normalised = set()
    for host in hosts:
        try:
            normalised.add(normalise_host(host))
        except UrlRefused:
            continue
    return frozenset(normalised)


def normalise_host(host: str) -> str:
    """Lower case, no trailing dot, IDNA (punycode) for non-ASCII names, canonical IP text."""
    host = host.strip().lower().removesuffix(".")
    if not host:
        raise UrlRefused("The URL has no host.")
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        raise UrlRefused("IP addresses must be written in the usual dotted form.")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise UrlRefused("The URL's host is not a valid host name.") from exc
    if not _HOST_NAME.match(ascii_host):
        raise UrlRefused("The URL's host is not a valid host name.")
    return ascii_host
