"""A stand-in for Uptime Kuma: a real HTTP server on 127.0.0.1 speaking Kuma's stable surfaces.

MediaNest reads Uptime Kuma only through the surfaces Kuma keeps stable: the public status page
JSON and the Prometheus ``/metrics`` endpoint (never its internal socket.io API). This module
serves exactly those, in the wire format of Uptime Kuma 2.x (the default) or 1.23.x
(``version=1``), so the plugin's tests, the browser tests, ``medianest demo`` and plugin
authors all talk to something that behaves like the real server.

Served routes
-------------
``GET /api/status-page/{slug}``
    ``{config, incidents, publicGroupList, maintenanceList}`` (1.23: ``incident`` instead of
    ``incidents``). Each group is ``{id, name, weight, monitorList}``; each monitor
    ``{id, name, sendUrl, type}`` plus ``url`` (when ``show_url``), ``tags`` (when the page
    shows tags) and ``certExpiryDaysRemaining``/``validCert`` (when it shows certificates).
    The slug is matched case-insensitively; an unknown slug answers 404
    ``{"status": "fail", "msg": "Status Page Not Found"}``.
``GET /api/status-page/heartbeat/{slug}``
    ``{heartbeatList: {"<id>": [{status, time, msg, ping}, ...]}, uptimeList: {"<id>_24": ratio}}``:
    the last 100 heartbeats per monitor, oldest first; ``time`` is UTC
    ``"YYYY-MM-DD HH:mm:ss.SSS"``; ``msg`` is always ``""`` (Kuma blanks it for the public);
    ``ping`` is milliseconds or ``null``. Like Kuma, an unknown slug answers 200 with both
    lists empty.
``GET /metrics``
    Prometheus text. 2.x: ``monitor_cert_days_remaining``, ``monitor_cert_is_valid``,
    ``monitor_uptime_ratio{window}``, ``monitor_response_time_seconds{window}`` (windows 1d, 30d,
    365d), ``monitor_response_time`` (ms of the last beat, -1 without one) and
    ``monitor_status``, labelled with one label per tag, ``monitor_id``, ``monitor_name``,
    ``monitor_type``, ``monitor_url``, ``monitor_hostname``, ``monitor_port``. 1.23.x: only the
    cert gauges, ``monitor_response_time`` and ``monitor_status``, without ``monitor_id`` and
    tag labels. Both end with ``app_version{version,major,minor,patch}``. Unset values are
    rendered the way Kuma renders them (``monitor_hostname="null"``, ``monitor_url="https://"``).
    HTTP Basic auth with the API key as the password and any username; a wrong or missing key
    answers 401 with ``WWW-Authenticate: Basic``. As in Kuma, at most ``metrics_rate_limit``
    credential checks a minute are made (good or bad); later ones answer 401. With
    ``api_key=None`` the endpoint is open (Kuma's "disable auth" setting).

Scenario
--------
``add_group(name)`` and ``add_monitor(name, group=..., type=..., url=..., status=...)`` build the
page (ids count from 1, as in a fresh Kuma); ``set_status(id, status)`` records a heartbeat now
(or ``at=`` a given time); ``backfill(id, statuses, every=...)`` writes past history;
``start_maintenance(title, ids)`` / ``end_maintenance(id)`` run a maintenance that is listed on
the page; ``outage(mode)`` / ``recover()`` take the whole server down and up; ``request_log``
lists ``(method, path)`` of every request that reached it. ``FakeUptimeKuma.demo()`` is a ready
household. The scenario methods are thread-safe and may be called while the server runs.

Heartbeats are kept (``history_limit`` per monitor) and every uptime ratio is computed from
them the way Kuma's uptime calculator does: UP and MAINTENANCE count as up, DOWN and PENDING
as down. Unlike Kuma, nothing is cached: a change is visible on the next request (real Kuma
caches the status page for 5 minutes and heartbeats for 1 minute).

Use from async code (pytest-asyncio)::

    async with FakeUptimeKuma(slug="home") as kuma:
        plex = kuma.add_monitor("Plex", group="Media", url="http://plex.lan:32400")
        kuma.set_status(plex, MonitorStatus.DOWN)          # appends a heartbeat, now
        r = await httpx.AsyncClient().get(f"{kuma.url}/api/status-page/heartbeat/home")
        await kuma.outage("refuse")                         # or "error" (502) or "hang"
        await kuma.recover()
        assert kuma.request_log.count(("GET", "/api/status-page/heartbeat/home")) == 1

Use from synchronous code (demo mode, scripts)::

    kuma = FakeUptimeKuma.demo()
    with kuma.serve_in_thread(port=3001) as server:         # server.url == kuma.url
        kuma.set_status(1, MonitorStatus.DOWN)
        server.outage("error")
        server.recover()

Run ``python -m medianest_uptime_kuma.testing --port 3001`` to serve the demo household.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import bisect
import contextlib
import logging
import re
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from http import HTTPStatus
from types import TracebackType
from typing import Any, Literal, Self

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, Response, jsonify, request

__all__ = [
    "DEFAULT_API_KEY",
    "FakeUptimeKuma",
    "Heartbeat",
    "KumaThread",
    "Maintenance",
    "Monitor",
    "MonitorGroup",
    "MonitorStatus",
    "OutageMode",
]

log = logging.getLogger(__name__)

#: The stand-in's default API key; Kuma's keys look like ``uk{id}_{secret}``.
DEFAULT_API_KEY = "uk1_fakeKumaStandInKeyNotASecret0000000000"

OutageMode = Literal["refuse", "error", "hang"]

#: The versions each wire format reports in ``app_version``.
APP_VERSIONS = {1: "1.23.9", 2: "2.5.3"}

HEARTBEATS_PER_MONITOR = 100  # Kuma's LIMIT on the public heartbeat list
METRIC_WINDOWS = {"1d": timedelta(days=1), "30d": timedelta(days=30), "365d": timedelta(days=365)}
DEFAULT_CUSTOM_CSS = "body {\n  \n}\n"  # what Kuma stores for a new status page
TAG_COLOR = "#2563EB"


class MonitorStatus(IntEnum):
    """Heartbeat status codes, as in Kuma's ``src/util.ts``."""

    DOWN = 0
    UP = 1
    PENDING = 2
    MAINTENANCE = 3

    @property
    def counts_as_up(self) -> bool:
        """Kuma's uptime calculator flattens MAINTENANCE to up and PENDING to down."""
        return self in (MonitorStatus.UP, MonitorStatus.MAINTENANCE)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    status: MonitorStatus
    time: datetime
    msg: str = ""
    ping: float | None = None

    def public_json(self) -> dict[str, Any]:
        return {
            "status": int(self.status),
            "time": kuma_time(self.time),
            "msg": "",
            "ping": js_number(self.ping),
        }


@dataclass(slots=True)
class MonitorGroup:
    id: int
    name: str
    weight: int


@dataclass(slots=True)
class Monitor:
    """One monitor and its heartbeat history (oldest first). Treat it as read-only."""

    id: int
    name: str
    type: str
    url: str | None
    hostname: str | None
    port: int | None
    group_id: int | None
    response_time_ms: float
    show_url: bool
    tags: dict[str, str]
    cert_days_remaining: int | None
    heartbeats: list[Heartbeat] = field(default_factory=list)

    @property
    def status(self) -> MonitorStatus | None:
        return self.heartbeats[-1].status if self.heartbeats else None

    @property
    def on_status_page(self) -> bool:
        return self.group_id is not None


@dataclass(slots=True)
class Maintenance:
    """A manual maintenance shown on the status page until it is ended."""

    id: int
    title: str
    description: str
    monitor_ids: tuple[int, ...]
    statuses_before: dict[int, MonitorStatus]


class FakeUptimeKuma:
    """An Uptime Kuma with one status page, served on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self,
        *,
        slug: str = "home",
        title: str = "Home",
        description: str | None = None,
        api_key: str | None = DEFAULT_API_KEY,
        version: Literal[1, 2] = 2,
        show_tags: bool = False,
        show_certificate_expiry: bool = False,
        metrics_rate_limit: int | None = 60,
        history_limit: int = 10_000,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if version not in APP_VERSIONS:
            raise ValueError(f"version must be 1 or 2, not {version!r}")
        self.slug = slug.lower()
        self.title = title
        self.description = description
        self.api_key = api_key
        self.version = version
        self.show_tags = show_tags
        self.show_certificate_expiry = show_certificate_expiry
        self.metrics_rate_limit = metrics_rate_limit
        self.history_limit = history_limit
        self.host = host
        self.port = port  # 0 until started, unless fixed by the caller
        #: Every request that reached the server, as ``(method, path)``.
        self.request_log: list[tuple[str, str]] = []

        self._lock = threading.RLock()  # the state is changed from test code, read by the server
        self._groups: dict[int, MonitorGroup] = {}
        self._monitors: dict[int, Monitor] = {}
        self._maintenances: dict[int, Maintenance] = {}
        self._ids = {"group": 0, "monitor": 0, "maintenance": 0}
        self._auth_attempts: deque[float] = deque()

        self._app = self._build_app()
        self._serve_task: asyncio.Task[None] | None = None
        self._shutdown: asyncio.Event | None = None
        self._outage: OutageMode | None = None
        self._outage_status = HTTPStatus.BAD_GATEWAY
        self._hang_over: asyncio.Event | None = None

    # ------------------------------------------------------------------ scenario

    def add_group(self, name: str) -> int:
        """Add a public group to the status page; returns its id."""
        with self._lock:
            group_id = self._next_id("group")
            self._groups[group_id] = MonitorGroup(group_id, name, weight=len(self._groups) + 1)
            return group_id

    def add_monitor(
        self,
        name: str,
        *,
        group: int | str | None = None,
        type: str = "http",
        url: str | None = None,
        hostname: str | None = None,
        port: int | None = None,
        status: MonitorStatus | None = MonitorStatus.UP,
        response_time_ms: float = 42.0,
        show_url: bool = False,
        tags: Mapping[str, str] | None = None,
        cert_days_remaining: int | None = None,
        on_status_page: bool = True,
    ) -> int:
        """Add a monitor and return its id.

        ``group`` is a group id or name (a new name creates the group; by default the first
        group, "Services" if there is none). ``status`` records a first heartbeat now (``None``:
        no heartbeat yet, so the monitor is absent from /metrics, as in Kuma before its first
        check). ``response_time_ms`` is the ping of later UP beats unless one is given.
        ``on_status_page=False`` keeps the monitor off the status page (it still has metrics).
        """
        with self._lock:
            monitor_id = self._next_id("monitor")
            self._monitors[monitor_id] = Monitor(
                id=monitor_id,
                name=name,
                type=type,
                url=url,
                hostname=hostname,
                port=port,
                group_id=self._resolve_group(group) if on_status_page else None,
                response_time_ms=response_time_ms,
                show_url=show_url,
                tags=dict(tags or {}),
                cert_days_remaining=cert_days_remaining,
            )
            if status is not None:
                self.set_status(monitor_id, status)
            return monitor_id

    def set_status(
        self,
        monitor_id: int,
        status: MonitorStatus,
        *,
        msg: str = "",
        response_time_ms: float | None = None,
        at: datetime | None = None,
    ) -> Heartbeat:
        """Record a heartbeat (now, unless ``at`` says when) and return it.

        An UP beat without ``response_time_ms`` gets the monitor's usual response time; other
        beats have no ping, as a failed check has none. ``msg`` is kept but, as in Kuma, never
        published.
        """
        with self._lock:
            monitor = self.monitor(monitor_id)
            status = MonitorStatus(status)
            if response_time_ms is None and status is MonitorStatus.UP:
                response_time_ms = monitor.response_time_ms
            beat = Heartbeat(
                status, (at or datetime.now(UTC)).astimezone(UTC), msg, response_time_ms
            )
            bisect.insort(monitor.heartbeats, beat, key=lambda b: b.time)
            del monitor.heartbeats[: -self.history_limit]
            return beat

    def backfill(
        self,
        monitor_id: int,
        statuses: Iterable[MonitorStatus],
        *,
        every: timedelta = timedelta(minutes=1),
    ) -> None:
        """Record past heartbeats, one per ``every``, the last one ``every`` before now."""
        statuses = list(statuses)
        now = datetime.now(UTC)
        for age, status in zip(range(len(statuses), 0, -1), statuses, strict=True):
            self.set_status(monitor_id, status, at=now - every * age)

    def start_maintenance(
        self, title: str, monitor_ids: Iterable[int], *, description: str = ""
    ) -> int:
        """Put monitors under a manual maintenance listed on the status page; returns its id."""
        with self._lock:
            ids = tuple(monitor_ids)
            before = {i: _or_up(self.monitor(i).status) for i in ids}
            maintenance_id = self._next_id("maintenance")
            self._maintenances[maintenance_id] = Maintenance(
                maintenance_id, title, description, ids, before
            )
            for monitor_id in ids:
                self.set_status(monitor_id, MonitorStatus.MAINTENANCE)
            return maintenance_id

    def end_maintenance(self, maintenance_id: int) -> None:
        """End a maintenance: its monitors beat again with the status they had before it."""
        with self._lock:
            maintenance = self._maintenances.pop(maintenance_id)
            for monitor_id, status in maintenance.statuses_before.items():
                self.set_status(monitor_id, status)

    def monitor(self, monitor_id: int) -> Monitor:
        try:
            return self._monitors[monitor_id]
        except KeyError:
            raise KeyError(f"no monitor with id {monitor_id}") from None

    @property
    def monitors(self) -> list[Monitor]:
        with self._lock:
            return list(self._monitors.values())

    def uptime(self, monitor_id: int, window: timedelta = timedelta(hours=24)) -> float:
        """The share of up beats in the window (0 without beats), as the server reports it."""
        with self._lock:
            up, down, _ = self._window_stats(self.monitor(monitor_id), window)
            return up / (up + down) if up + down else 0.0

    # ------------------------------------------------------------------ serving

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the stand-in is not serving yet; start it first")
        return f"http://{self.host}:{self.port}"

    @property
    def outage_mode(self) -> OutageMode | None:
        return self._outage

    async def start(self) -> None:
        """Start serving in the running event loop."""
        if self._serve_task is not None:
            raise RuntimeError("already serving")
        listener = self._listen()
        self.port = listener.getsockname()[1]
        self._shutdown = asyncio.Event()
        config = Config()
        config.bind = [f"fd://{listener.detach()}"]  # hypercorn owns and closes the socket
        config.accesslog = None
        config.errorlog = log
        config.graceful_timeout = 1.0
        config.include_server_header = False
        self._serve_task = asyncio.create_task(
            serve(self._app, config, shutdown_trigger=self._shutdown.wait)
        )

    async def stop(self) -> None:
        """Stop serving; hanging requests are released first."""
        self._end_hang()
        self._outage = None
        await self._stop_serving()

    async def outage(
        self, mode: OutageMode = "refuse", *, status_code: int = HTTPStatus.BAD_GATEWAY
    ) -> None:
        """Make the whole server unavailable until :meth:`recover`.

        ``"refuse"`` closes the listening socket (clients get connection refused), ``"error"``
        answers every request with ``status_code`` (a reverse proxy's 502 by default),
        ``"hang"`` accepts requests and never answers them (clients time out).
        """
        if mode not in ("refuse", "error", "hang"):
            raise ValueError(f"unknown outage mode {mode!r}")
        await self.recover()
        self._outage = mode
        self._outage_status = HTTPStatus(status_code)
        if mode == "hang":
            self._hang_over = asyncio.Event()
        elif mode == "refuse":
            await self._stop_serving()

    async def recover(self) -> None:
        """End an outage; requests left hanging are then answered normally."""
        was_refusing = self._outage == "refuse"
        self._outage = None
        self._end_hang()
        if was_refusing:
            await self.start()

    def serve_in_thread(self, *, port: int | None = None) -> KumaThread:
        """A runner that serves this stand-in from a background thread, for synchronous code."""
        if port is not None:
            self.port = port
        return KumaThread(self)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @classmethod
    def demo(cls, **options: Any) -> FakeUptimeKuma:
        """A household's services with a day of history; Plex was down for two hours of it."""
        kuma = cls(**options)
        plex = kuma.add_monitor(
            "Plex", group="Media", url="http://plex.lan:32400", response_time_ms=38
        )
        kuma.add_monitor(
            "Overseerr", group="Media", url="http://overseerr.lan:5055", response_time_ms=61
        )
        nas = kuma.add_monitor(
            "NAS", group="Infrastructure", type="ping", hostname="nas.lan", response_time_ms=2
        )
        kuma.add_monitor(
            "Router",
            group="Infrastructure",
            type="ping",
            hostname="192.168.1.1",
            response_time_ms=1,
        )
        kuma.add_monitor(
            "Home Assistant",
            group="Home",
            url="http://homeassistant.lan:8123",
            status=MonitorStatus.PENDING,
        )
        ok = [MonitorStatus.UP] * 23
        kuma.backfill(
            plex,
            [*ok[:20], MonitorStatus.DOWN, MonitorStatus.DOWN, *ok[:1]],
            every=timedelta(hours=1),
        )
        kuma.backfill(nas, ok, every=timedelta(hours=1))
        return kuma

    # ------------------------------------------------------------------ internals: state

    def _next_id(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def _resolve_group(self, group: int | str | None) -> int:
        if isinstance(group, int):
            if group not in self._groups:
                raise KeyError(f"no group with id {group}")
            return group
        if group is None:
            return next(iter(self._groups), None) or self.add_group("Services")
        found = next((g.id for g in self._groups.values() if g.name == group), None)
        return found or self.add_group(group)

    def _window_stats(self, monitor: Monitor, window: timedelta) -> tuple[int, int, float | None]:
        """(up beats, down beats, average ping of up beats) since ``now - window``."""
        since = datetime.now(UTC) - window
        recent = [b for b in monitor.heartbeats if b.time >= since]
        up = sum(b.status.counts_as_up for b in recent)
        pings = [b.ping for b in recent if b.status is MonitorStatus.UP and b.ping is not None]
        return up, len(recent) - up, (sum(pings) / len(pings) if pings else None)

    def _public_monitors(self) -> list[Monitor]:
        return [m for m in self._monitors.values() if m.on_status_page]

    # ------------------------------------------------------------------ internals: wire format

    def _status_page(self) -> dict[str, Any]:
        groups = sorted(self._groups.values(), key=lambda g: g.weight)
        page: dict[str, Any] = {"config": self._page_config()}
        if self.version == 1:
            page["incident"] = None
        else:
            page["incidents"] = []
        page["publicGroupList"] = [
            {
                "id": g.id,
                "name": g.name,
                "weight": g.weight,
                "monitorList": [
                    self._public_monitor(m) for m in self._monitors.values() if m.group_id == g.id
                ],
            }
            for g in groups
        ]
        page["maintenanceList"] = [self._public_maintenance(m) for m in self._maintenances.values()]
        return page

    def _page_config(self) -> dict[str, Any]:
        common = {
            "slug": self.slug,
            "title": self.title,
            "description": self.description,
            "icon": "/icon.svg",
        }
        if self.version == 1:
            return common | {
                "theme": "light",
                "published": True,
                "showTags": self.show_tags,
                "customCSS": DEFAULT_CUSTOM_CSS,
                "footerText": None,
                "showPoweredBy": True,
                "googleAnalyticsId": None,
                "showCertificateExpiry": self.show_certificate_expiry,
            }
        return common | {
            "autoRefreshInterval": 300,
            "theme": "auto",
            "published": True,
            "showTags": self.show_tags,
            "customCSS": DEFAULT_CUSTOM_CSS,
            "footerText": None,
            "showPoweredBy": True,
            "analyticsId": None,
            "analyticsScriptUrl": None,
            "analyticsType": None,
            "showCertificateExpiry": self.show_certificate_expiry,
            "showOnlyLastHeartbeat": False,
            "rssTitle": None,
        }

    def _public_monitor(self, monitor: Monitor) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": monitor.id,
            "name": monitor.name,
            "sendUrl": int(monitor.show_url),
            "type": monitor.type,
        }
        if monitor.show_url:
            item["url"] = monitor.url
        if self.show_tags:
            item["tags"] = [
                {
                    "id": n,
                    "monitor_id": monitor.id,
                    "tag_id": n,
                    "value": value,
                    "name": name,
                    "color": TAG_COLOR,
                }
                for n, (name, value) in enumerate(sorted(monitor.tags.items()), start=1)
            ]
        # 1.23 only reports certificates of https monitors; 2.x reports them for all.
        is_https = monitor.type == "http" and (monitor.url or "").startswith("https:")
        if self.show_certificate_expiry and (self.version == 2 or is_https):
            days = monitor.cert_days_remaining
            item["certExpiryDaysRemaining"] = days if days and days > 0 else ""
            item["validCert"] = bool(days and days > 0)
        return item

    @staticmethod
    def _public_maintenance(maintenance: Maintenance) -> dict[str, Any]:
        midnight = {"hours": 0, "minutes": 0}
        return {
            "id": maintenance.id,
            "title": maintenance.title,
            "description": maintenance.description,
            "strategy": "manual",
            "intervalDay": 1,
            "active": True,
            "dateRange": [],
            "timeRange": [midnight, midnight],
            "weekdays": [],
            "daysOfMonth": [],
            "timeslotList": [],
            "cron": None,
            "duration": None,
            "timezone": "UTC",
            "timezoneOffset": "+00:00",
            "status": "under-maintenance",
        }

    def _heartbeats(self, slug: str) -> dict[str, Any]:
        monitors = self._public_monitors() if slug == self.slug else []
        return {
            "heartbeatList": {
                str(m.id): [b.public_json() for b in m.heartbeats[-HEARTBEATS_PER_MONITOR:]]
                for m in monitors
            },
            "uptimeList": {f"{m.id}_24": js_number(self.uptime(m.id)) for m in monitors},
        }

    def _metrics(self) -> str:
        """Prometheus text laid out as prom-client writes it (Kuma's own exporter)."""
        monitors = [m for m in self._monitors.values() if m.heartbeats]  # gauges are set by a beat
        with_cert = [m for m in monitors if m.cert_days_remaining is not None]
        families = [
            _family(
                "monitor_cert_days_remaining",
                "The number of days remaining until the certificate expires",
                [(self._labels(m), m.cert_days_remaining or 0) for m in with_cert],
            ),
            _family(
                "monitor_cert_is_valid",
                "Is the certificate still valid? (1 = Yes, 0= No)",
                [(self._labels(m), int((m.cert_days_remaining or 0) > 0)) for m in with_cert],
            ),
        ]
        if self.version == 2:
            families += self._window_families(monitors)
        families += [
            _family(
                "monitor_response_time",
                "Monitor Response Time (ms)",
                [(self._labels(m), _last_response_time(m)) for m in monitors],
            ),
            _family(
                "monitor_status",
                "Monitor Status (1 = UP, 0= DOWN, 2= PENDING, 3= MAINTENANCE)",
                [(self._labels(m), int(m.heartbeats[-1].status)) for m in monitors],
            ),
            self._app_version_family(),
        ]
        return "\n".join(families)

    def _window_families(self, monitors: list[Monitor]) -> list[str]:
        ratios, seconds = [], []
        for monitor in monitors:
            for window, span in METRIC_WINDOWS.items():
                up, down, avg_ping = self._window_stats(monitor, span)
                labels = self._labels(monitor) | {"window": window}
                ratios.append((labels, up / (up + down) if up + down else 0))
                seconds.append((labels, (avg_ping or 0) / 1000))
        return [
            _family(
                "monitor_uptime_ratio",
                "Uptime ratio calculated over sliding window specified by the 'window' label."
                " (0.0 - 1.0)",
                ratios,
            ),
            _family(
                "monitor_response_time_seconds",
                "Average response time in seconds calculated over sliding window"
                " specified by the 'window' label",
                seconds,
            ),
        ]

    def _labels(self, monitor: Monitor) -> dict[str, str]:
        labels: dict[str, str] = {}
        if self.version == 2:
            for name, value in sorted(monitor.tags.items(), key=lambda tag: tag[0].lower()):
                if label := _sanitize_label(name):
                    labels[label] = _sanitize_label(value)
            labels["monitor_id"] = str(monitor.id)
        # Kuma stores "https://" as the URL of monitors that have none and renders null as "null".
        return labels | {
            "monitor_name": monitor.name,
            "monitor_type": monitor.type,
            "monitor_url": monitor.url or "https://",
            "monitor_hostname": _js_string(monitor.hostname),
            "monitor_port": _js_string(monitor.port),
        }

    def _app_version_family(self) -> str:
        version = APP_VERSIONS[self.version]
        major, minor, patch = version.split(".")
        return _family(
            "app_version",
            "The service version by package.json",
            [({"version": version, "major": major, "minor": minor, "patch": patch}, 1)],
        )

    # ------------------------------------------------------------------ internals: HTTP

    def _build_app(self) -> Quart:
        app = Quart(__name__)
        # keep Kuma's field order (quart's provider has it; its stub does not)
        app.json.sort_keys = False  # type: ignore[attr-defined]

        @app.before_request
        async def gate() -> Response | None:
            self.request_log.append((request.method, request.path))
            while self._outage == "hang" and self._hang_over is not None:
                await self._hang_over.wait()
            if self._outage == "error":
                return _proxy_error(self._outage_status)
            return None

        @app.get("/api/status-page/<slug>")
        async def status_page(slug: str) -> tuple[Response, int] | Response:
            if slug.lower() != self.slug:
                return jsonify(
                    {"status": "fail", "msg": "Status Page Not Found"}
                ), HTTPStatus.NOT_FOUND
            with self._lock:
                return jsonify(self._status_page())

        @app.get("/api/status-page/heartbeat/<slug>")
        async def heartbeats(slug: str) -> Response:
            with self._lock:
                return jsonify(self._heartbeats(slug.lower()))

        @app.get("/metrics")
        async def metrics() -> Response:
            if not self._metrics_allowed(request.headers.get("Authorization")):
                return Response("", HTTPStatus.UNAUTHORIZED, {"WWW-Authenticate": "Basic"})
            with self._lock:
                body = self._metrics()
            return Response(body, content_type="text/plain; version=0.0.4; charset=utf-8")

        return app

    def _metrics_allowed(self, authorization: str | None) -> bool:
        if self.api_key is None:
            return True
        password = _basic_auth_password(authorization)
        if password is None:  # no credentials: refused before any check, as express-basic-auth does
            return False
        return self._take_auth_attempt() and secrets.compare_digest(
            password.encode(), self.api_key.encode()
        )

    def _take_auth_attempt(self) -> bool:
        """Kuma lets ``metrics_rate_limit`` API-key checks through per minute, good or bad."""
        if self.metrics_rate_limit is None:
            return True
        now = time.monotonic()
        with self._lock:
            while self._auth_attempts and now - self._auth_attempts[0] >= 60:
                self._auth_attempts.popleft()
            if len(self._auth_attempts) >= self.metrics_rate_limit:
                return False
            self._auth_attempts.append(now)
            return True

    def _listen(self) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.host, self.port))
        except OSError:
            listener.close()
            raise
        listener.listen(128)  # connections queue from now on, before hypercorn accepts them
        return listener

    async def _stop_serving(self) -> None:
        task, self._serve_task = self._serve_task, None
        if task is None:
            return
        assert self._shutdown is not None
        self._shutdown.set()
        await task

    def _end_hang(self) -> None:
        if self._hang_over is not None:
            self._hang_over.set()
            self._hang_over = None


class KumaThread:
    """Serves a :class:`FakeUptimeKuma` from a background thread with its own event loop.

    Use as a context manager or call :meth:`start`/:meth:`stop`. Scenario methods
    (``add_monitor``, ``set_status``, ...) stay on the stand-in itself and are thread-safe.
    """

    def __init__(self, kuma: FakeUptimeKuma, *, timeout: float = 10.0) -> None:
        self.kuma = kuma
        self.timeout = timeout
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return self.kuma.url

    def start(self) -> str:
        """Start serving; returns the base URL."""
        if self._thread is not None:
            raise RuntimeError("already started")
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._main(),), name="fake-uptime-kuma", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(self.timeout):
            raise TimeoutError("the stand-in did not start")
        if self._error is not None:
            raise self._error
        return self.url

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stopped is None:
            return
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(self.timeout)
        self._thread = None

    def outage(
        self, mode: OutageMode = "refuse", *, status_code: int = HTTPStatus.BAD_GATEWAY
    ) -> None:
        """See :meth:`FakeUptimeKuma.outage`."""
        self._call(self.kuma.outage(mode, status_code=status_code))

    def recover(self) -> None:
        """See :meth:`FakeUptimeKuma.recover`."""
        self._call(self.kuma.recover())

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        if self._loop is None:
            coro.close()
            raise RuntimeError("not started")
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(self.timeout)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        try:
            await self.kuma.start()
        except BaseException as error:  # handed to the starting thread
            self._error = error
            return
        finally:
            self._ready.set()
        try:
            await self._stopped.wait()
        finally:
            await self.kuma.stop()


# ---------------------------------------------------------------------- wire-format helpers


def kuma_time(moment: datetime) -> str:
    """UTC ``YYYY-MM-DD HH:mm:ss.SSS``, Kuma's heartbeat time format."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d}"


def js_number(value: float | None) -> float | int | None:
    """A number as JavaScript prints it: whole floats without the trailing ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _last_response_time(monitor: Monitor) -> float:
    """Kuma reports -1 when the last beat has no ping (a failed check)."""
    ping = monitor.heartbeats[-1].ping
    return -1 if ping is None else ping


def _or_up(status: MonitorStatus | None) -> MonitorStatus:
    return MonitorStatus.UP if status is None else status  # DOWN is 0: no `or` here


def _js_string(value: object) -> str:
    return "null" if value is None else str(value)


def _sanitize_label(text: str) -> str:
    """Kuma's ``sanitizeForPrometheus``: keep [a-zA-Z0-9_], drop a leading non-letter run."""
    return re.sub(r"^[^a-zA-Z_]+", "", re.sub(r"[^a-zA-Z0-9_]", "", text))


def _escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _family(
    name: str, help_text: str, samples: Iterable[tuple[dict[str, str], float | int]]
) -> str:
    """One gauge family; prom-client ends each with a blank line, empty families included."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, value in samples:
        rendered = ",".join(f'{key}="{_escape_label_value(val)}"' for key, val in labels.items())
        lines.append(f"{name}{{{rendered}}} {js_number(float(value))}")
    return "\n".join(lines) + "\n"


def _basic_auth_password(authorization: str | None) -> str | None:
    """The password of an HTTP Basic ``Authorization`` header (the username is ignored)."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, colon, password = decoded.partition(":")
    return password if colon else None


def _proxy_error(status: HTTPStatus) -> Response:
    """What a reverse proxy in front of a dead Kuma answers."""
    title = f"{status.value} {status.phrase}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n"
        f"<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    return Response(page, status.value, content_type="text/html")


def main(argv: list[str] | None = None) -> None:
    """Serve the demo household until interrupted."""
    parser = argparse.ArgumentParser(description="Serve a stand-in Uptime Kuma on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--slug", default="home")
    parser.add_argument("--version", type=int, choices=(1, 2), default=2)
    args = parser.parse_args(argv)
    kuma = FakeUptimeKuma.demo(slug=args.slug, version=args.version)
    with kuma.serve_in_thread(port=args.port) as server:
        print(f"Uptime Kuma stand-in on {server.url}: status page {args.slug!r}")
        print(f"/metrics password (API key): {kuma.api_key}")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
