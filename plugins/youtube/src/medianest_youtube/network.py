"""yt-dlp whose every connection is checked against the address rules when it is made.

`GuardedYoutubeDL` sends all of its requests (extraction, downloads, redirects) through one
request handler, `GuardedUrllibRH`: yt-dlp's urllib handler limited to http(s), without
proxies, whose sockets are opened by `ConnectionGuard.connect`. That resolves the host once,
refuses the connection unless every address is public (or the host is trusted: admin-added)
and connects to exactly those addresses, so there is no second lookup to rebind.

yt-dlp's other handlers (requests, curl_cffi, websockets) are never used by this instance, and
`GuardedYoutubeDL.dl` refuses downloaders that would open their own connections (ffmpeg,
rtmpdump, aria2c…): only yt-dlp's native ones run, all of them through the handler.
"""

from __future__ import annotations

import functools
import http.client
import socket
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from yt_dlp import YoutubeDL
from yt_dlp.downloader import get_suitable_downloader
from yt_dlp.downloader.dash import DashSegmentsFD
from yt_dlp.downloader.hls import HlsFD
from yt_dlp.downloader.http import HttpFD
from yt_dlp.networking._urllib import UrllibRH
from yt_dlp.networking.exceptions import UnsupportedRequest
from yt_dlp.utils import DownloadError

from .addresses import AddressRefused, Resolver, resolve
from .urls import normalise_hosts

NATIVE_DOWNLOADERS = (HttpFD, HlsFD, DashSegmentsFD)


@dataclass(frozen=True)
class ConnectionGuard:
    """Who may be connected to: public addresses, and any address of a trusted host."""

    trusted_hosts: frozenset[str] = frozenset()
    resolver: Resolver = field(default=socket.getaddrinfo)

    @classmethod
    def trusting(cls, hosts: Iterable[str], resolver: Resolver = socket.getaddrinfo):
        return cls(normalise_hosts(hosts), resolver)

    def connect(
        self, address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        """`socket.create_connection`'s contract, on the checked addresses only."""
        host, port = address
        trusted = host.lower().removesuffix(".") in self.trusted_hosts
        infos = resolve(host, port, allow_private=trusted, resolver=self.resolver)
        error: OSError | None = None
        for family, kind, proto, _name, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                # The standard library's "no timeout given" marker, private and so not in its stub.
                default = socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]
                if timeout is not None and timeout is not default:
                    sock.settimeout(timeout)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error or OSError(f"could not connect to {host}")


class _GuardedOpener(urllib.request.AbstractHTTPHandler):
    """Opens http(s) connections through the guard. Only the *_open methods: yt-dlp's own
    HTTPHandler still prepares requests and decodes responses, but never opens one itself,
    since this handler comes first (lower handler_order) and always answers."""

    handler_order = 400

    def __init__(self, guard: ConnectionGuard, context: Any) -> None:
        super().__init__()
        self._guard = guard
        self._context = context

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(self._connection(http.client.HTTPConnection, req), req)

    def https_open(self, req: urllib.request.Request) -> Any:
        connection = self._connection(http.client.HTTPSConnection, req)
        return self.do_open(connection, req, context=self._context)

    def _connection(self, kind: type[http.client.HTTPConnection], req: Any) -> Any:
        if req.has_header("Ytdl-socks-proxy") or req.has_proxy():
            raise AddressRefused("Proxies are not used for downloads.")

        def build(*args: Any, **kwargs: Any) -> http.client.HTTPConnection:
            connection = kind(*args, **kwargs)
            connection._create_connection = self._guard.connect  # type: ignore[attr-defined]
            return connection

        return build


class GuardedUrllibRH(UrllibRH):
    _SUPPORTED_URL_SCHEMES = ("http", "https")
    RH_NAME = "urllib (guarded)"

    def __init__(self, *, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guard = guard
        self._ssl_contexts: dict[Any, Any] = {}

    def _make_sslcontext(self, legacy_ssl_support: Any = None) -> Any:
        # Loading the CA bundle takes ~0.1 s: once per handler, for yt-dlp's opener and ours.
        if legacy_ssl_support not in self._ssl_contexts:
            made = super()._make_sslcontext(legacy_ssl_support=legacy_ssl_support)
            self._ssl_contexts[legacy_ssl_support] = made
        return self._ssl_contexts[legacy_ssl_support]

    def _check_proxies(self, proxies: dict[str, str | None]) -> None:
        if any(url for key, url in proxies.items() if key != "no"):
            raise UnsupportedRequest("proxies are not used for downloads")

    def _create_instance(self, proxies: Any, cookiejar: Any, legacy_ssl_support: Any = None):
        opener = super()._create_instance(proxies, cookiejar, legacy_ssl_support)
        context = self._make_sslcontext(legacy_ssl_support=legacy_ssl_support)
        opener.add_handler(_GuardedOpener(self.guard, context))
        return opener


class GuardedYoutubeDL(YoutubeDL):
    """A YoutubeDL whose only request handler is `GuardedUrllibRH` with `guard`."""

    def __init__(self, params: dict[str, Any], guard: ConnectionGuard) -> None:
        self.guard = guard
        super().__init__({**params, "proxy": ""})  # "": no proxy, not even from the environment

    @functools.cached_property
    def _request_director(self) -> Any:
        return self.build_request_director([functools.partial(GuardedUrllibRH, guard=self.guard)])

    def dl(self, name: str, info: dict[str, Any], subtitle: bool = False, test: bool = False):
        downloader = get_suitable_downloader(info, self.params, to_stdout=(name == "-"))
        if downloader not in NATIVE_DOWNLOADERS:
            protocol = info.get("protocol", "?")
            raise DownloadError(f"{protocol} downloads are not supported")
        return super().dl(name, info, subtitle=subtitle, test=test)
