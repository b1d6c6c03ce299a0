"""Local playlists for tests, browser tests and the demo: real HTTP on 127.0.0.1, real MP4s.

yt-dlp's generic extractor turns both pages this server offers into playlists:

- ``/playlist.html``: an HTML page with one ``<video src>`` per item (ids ``playlist-1``,
  ``playlist-2``… by position, titles ``"<playlist title> (n)"``);
- ``/feed.xml``: an RSS 2.0 feed with one ``<enclosure>`` per item (id = the item's ``<guid>``,
  title = the item's ``<title>``, playlist title = the channel's).

::

    with PlaylistServer("Holiday", ["Day one", "Day two"]) as site:
        site.add_item("Broken", kind="missing")      # answers 404
        site.add_item("Slow", kind="slow")           # trickles out (cancel tests)
        site.add_item("Split", kind="dash")          # DASH: video and audio apart, merged by ffmpeg
        ...  # check_playlist_url(site.feed_url, allowed_hosts={"127.0.0.1"}) and download
        site.requests                                # every path asked for, in order

Items are small MP4 clips made once per process with ffmpeg (``make_clip``).

``FakeResolver`` stands in for DNS in the address checks (``resolver=``): names map to the
addresses the test chooses, and can be changed between two lookups (DNS rebinding).
``SSRF_CORPUS`` is the list of playlist URLs that must be refused before anything is fetched.
"""

from __future__ import annotations

import functools
import html
import ipaddress
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import quote

_CONTENT_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm"}
ItemKind = Literal["ok", "missing", "truncated", "slow", "dash"]


def make_clip(path: Path, seconds: float = 1.0, size: str = "64x48") -> Path:
    """A tiny H.264 + AAC MP4 (about 9 KB a second) made with ffmpeg's test sources."""
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("ffmpeg is needed to make test clips (apt-get install ffmpeg)")
    source = f"testsrc=duration={seconds}:size={size}:rate=5"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", source, "-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast",
         "-c:a", "aac", "-b:a", "16k", "-shortest", "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip
    return path


@functools.cache
def clip_bytes() -> bytes:
    """The one clip every item serves, made on first use."""
    with tempfile.TemporaryDirectory(prefix="medianest-clip-") as folder:
        return make_clip(Path(folder, "clip.mp4")).read_bytes()


@functools.cache
def dash_files() -> dict[str, bytes]:
    """The clip as MPEG-DASH (manifest.mpd, separate video and audio segments)."""
    with tempfile.TemporaryDirectory(prefix="medianest-dash-") as folder:
        clip = make_clip(Path(folder, "clip.mp4"))
        out = Path(folder, "dash")
        out.mkdir()
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(clip),
             "-map", "0:v", "-map", "0:a", "-c", "copy", "-f", "dash", str(out / "manifest.mpd")],
            check=True,
        )  # fmt: skip
        return {file.name: file.read_bytes() for file in out.iterdir()}


#: Playlist URLs that must be refused, before any lookup or connection: MeTube's url_guard
#: corpus and MediaNest's additions (security-reliability.md §3.2).
SSRF_CORPUS = [
    # MeTube's url_guard corpus
    "file:///etc/passwd",
    "data://text/plain;base64,AAAA",
    "ftp://example.com/x",
    "http://",
    "http://127.0.0.1",
    "http://127.0.0.1:8080",
    "http://[::1]/x",
    "http://localhost:8080/x",
    "http://LocalHost.:9050",
    "http://foo.localhost/x",
    "http://192.168.1.1/x",
    "http://2852039166/x",
    "::ffff:169.254.169.254",
    "http://[::ffff:169.254.169.254]/x",
    "64:ff9b::a9fe:a9fe",
    "http://[64:ff9b::a9fe:a9fe]/x",
    "http://[64:ff9b::7f00:1]/x",
    "http://[2002:a9fe:a9fe::]/x",
    "http://metadata.google.internal/x",
    "http://metadata/x",
    "http://intranet/x",
    "socks5://127.0.0.1:9050",
    # MediaNest's additions
    "https://www.youtube.com.evil.example/playlist?list=PL1",
    "https://youtube.com@evil.example/",
    "https://user:pass@www.youtube.com/playlist?list=PL1",
    "https://evil.example/?u=https://youtube.com",
    "https://%77ww.youtube.com/playlist?list=PL1",
    "https://www%2eyoutube.com/playlist?list=PL1",
    "https://y\u043eutube.com/playlist?list=PL1",  # Cyrillic o
    "https://www.y\u043eutube.com/playlist?list=PL1",
    "-https://www.youtube.com/playlist?list=PL1",
    "--exec=touch /tmp/pwn",
    "--config-location=/etc/passwd",
    "https://www.youtube.com/playlist?list=" + "A" * 10_000,
    "https://www.youtube.com/playlist?list=PL1 --exec=id",
    "https://www.youtube.com/playlist?list=PL1\n--exec=id",
    "https://www.youtube.com/playlist?list=PL1\x00",
    "https://www.youtube.com/playlist?list=PL1\u202e",
    " https://www.youtube.com/playlist?list=PL1",
    "https://www.youtube.com\\@evil.example/",
    "https://evil.example\\@www.youtube.com/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://0/",
    "http://[::]/",
    "https://www.youtube.com:8443/playlist?list=PL1",
    "https://[www.youtube.com/playlist",
    "javascript:alert(1)",
    "youtube.com/playlist?list=PL1",
    "//www.youtube.com/playlist?list=PL1",
    "",
]


PUBLIC_ADDRESS = "142.250.74.46"  # a public address for fake DNS answers, never connected to


class FakeResolver:
    """`socket.getaddrinfo`'s shape over a table: IP literals as themselves, the table's
    names as listed, every other name unresolvable. `calls` records the names looked up."""

    def __init__(self, names: dict[str, list[str]] | None = None) -> None:
        self.names = dict(names or {})
        self.calls: list[str] = []

    def __call__(self, host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        self.calls.append(host)
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            if host not in self.names:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            addresses = self.names[host]
        return [_addrinfo(address, port) for address in addresses]


def _addrinfo(address: str, port: int) -> tuple:
    if ipaddress.ip_address(address).version == 6:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


@dataclass
class Item:
    video_id: str
    title: str
    kind: ItemKind = "ok"
    media_host: str | None = None  # serve the media link under another host name (rebinding)
    ext: str = "mp4"  # the link's extension (the body is the MP4 clip whatever it says)

    @property
    def path(self) -> str:
        """The path the server answers, as `requests` records it (ids are quoted)."""
        media = quote(self.video_id, safe="")
        return (
            f"/media/{media}/manifest.mpd" if self.kind == "dash" else f"/media/{media}.{self.ext}"
        )


class PlaylistServer:
    """A threaded HTTP server on 127.0.0.1 serving one playlist as a page and as a feed."""

    def __init__(
        self, title: str = "Test Playlist", titles: list[str] | None = None,
        *, slow_rate: int = 2048,
    ) -> None:  # fmt: skip
        self.title = title
        self.items: list[Item] = []
        self.slow_rate = slow_rate  # bytes a second for "slow" items
        self.requests: list[str] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        for item_title in ["Clip one", "Clip two", "Clip three"] if titles is None else titles:
            self.add_item(item_title)

    # ---- the playlist -------------------------------------------------------------------

    def add_item(
        self, title: str, kind: ItemKind = "ok", video_id: str | None = None,
        media_host: str | None = None, ext: str = "mp4",
    ) -> Item:  # fmt: skip
        item = Item(video_id or f"clip-{len(self.items) + 1}", title, kind, media_host, ext)
        self.items.append(item)
        return item

    def requested(self, path: str) -> int:
        return sum(1 for seen in self.requests if seen.split("?")[0] == path)

    # ---- serving ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the playlist server is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def page_url(self) -> str:
        return self.url + "/playlist.html"

    @property
    def feed_url(self) -> str:
        return self.url + "/feed.xml"

    def start(self) -> Self:
        clip_bytes()  # made before the first request, not during it
        if any(item.kind == "dash" for item in self.items):
            dash_files()
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._stopping.set()  # ends slow transfers too
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- documents ----------------------------------------------------------------------

    def media_url(self, item: Item, host: str) -> str:
        return f"http://{item.media_host or host}:{self.port}{item.path}"

    def page(self, host: str) -> str:
        videos = "\n".join(
            f'<video controls src="{html.escape(self.media_url(item, host))}"></video>'
            for item in self.items
        )
        return (
            f"<!doctype html><html><head><title>{html.escape(self.title)}</title></head>"
            f"<body><h1>{html.escape(self.title)}</h1>\n{videos}\n</body></html>"
        )

    def feed(self, host: str) -> str:
        size = len(clip_bytes())
        entries = "\n".join(
            f"<item><title>{html.escape(item.title)}</title><guid>{html.escape(item.video_id)}"
            f'</guid><enclosure url="{html.escape(self.media_url(item, host))}" '
            f'length="{size}" type="video/mp4"/></item>'
            for item in self.items
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>{html.escape(self.title)}</title><link>http://{host}/</link>"
            f"<description>test playlist</description>\n{entries}\n</channel></rss>"
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # yt-dlp reads the first bytes of a clip to identify it and hangs up; a cancel too.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def _handler_for(site: PlaylistServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            site.requests.append(self.path)
            path = self.path.split("?")[0]
            host = (self.headers.get("Host") or "127.0.0.1").rsplit(":", 1)[0]
            if path == "/playlist.html":
                self._send(site.page(host).encode(), "text/html; charset=utf-8")
            elif path == "/feed.xml":
                self._send(site.feed(host).encode(), "application/rss+xml")
            elif item := next((i for i in site.items if i.path == path), None):
                self._send_item(item)
            elif (part := _dash_part(site, path)) is not None:
                self._send(part, "application/dash+xml" if path.endswith(".mpd") else "video/mp4")
            else:
                self.send_error(HTTPStatus.NOT_FOUND)

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _send_item(self, item: Item) -> None:
            body = clip_bytes()
            if item.kind == "dash":
                self._send(dash_files()["manifest.mpd"], "application/dash+xml")
                return
            if item.kind == "missing":
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", _CONTENT_TYPES.get(item.ext, "video/mp4"))
            self.send_header("Content-Length", str(len(body)))
            if item.kind == "truncated":
                self.send_header("Connection", "close")
            self.end_headers()
            if item.kind == "truncated":
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
            elif item.kind == "slow":
                self._trickle(body)
            else:
                self.wfile.write(body)

        def _trickle(self, body: bytes) -> None:
            chunk = max(1, site.slow_rate // 8)
            for start in range(0, len(body), chunk):
                if site._stopping.is_set():
                    self.close_connection = True
                    return
                self.wfile.write(body[start : start + chunk])
                self.wfile.flush()
                time.sleep(chunk / site.slow_rate)

        def log_message(self, format: str, *args: object) -> None:
            pass  # tests read site.requests instead

    return Handler


def _dash_part(site: PlaylistServer, path: str) -> bytes | None:
    folder, _, name = path.rpartition("/")
    for item in site.items:
        if item.kind == "dash" and folder == item.path.rpartition("/")[0]:
            return dash_files().get(name)
    return None
