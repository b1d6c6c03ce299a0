"""Kuma's monitors in the dashboard's terms: the `monitors` list of the `uptime_kuma` status entry.

Kuma has four heartbeat states; the dashboard speaks of services as online, offline, degraded
or unknown. The mapping keeps the dashboard's vocabulary in `status` (so any page or script
that colours services colours monitors the same way) and Kuma's own word in `kuma_status`:

=============  ===========  ===============  ===========================================
Kuma           `status`     `kuma_status`    why
=============  ===========  ===============  ===========================================
UP (1)         online       up
DOWN (0)       offline      down
PENDING (2)    degraded     pending          a failed check Kuma is retrying: not down yet
MAINTENANCE    degraded     maintenance      planned: the service is meant to be away
(no beat yet)  unknown      null
=============  ===========  ===============  ===========================================
"""

from __future__ import annotations

from enum import IntEnum
from typing import TypedDict

from medianest_uptime_kuma.client import Heartbeats, Metrics, PageMonitor, StatusPage


class KumaStatus(IntEnum):
    """Heartbeat status codes, as in Kuma's ``src/util.ts``."""

    DOWN = 0
    UP = 1
    PENDING = 2
    MAINTENANCE = 3


DASHBOARD_STATUS = {
    KumaStatus.UP: "online",
    KumaStatus.DOWN: "offline",
    KumaStatus.PENDING: "degraded",
    KumaStatus.MAINTENANCE: "degraded",
}


class MonitorEntry(TypedDict):
    """One monitor as `/api/dashboard/status`, widgets and `service:status` events carry it."""

    id: int
    name: str
    group: str
    status: str  # online | offline | degraded | unknown
    kuma_status: str | None  # up | down | pending | maintenance; None before the first beat
    response_time_ms: float | None  # the last check's; None when it failed
    uptime_percentage: float | None  # over 24 hours; None before the first beat
    cert_days_remaining: int | None  # only with /metrics, for monitors that check a certificate


def monitor_entries(
    page: StatusPage, heartbeats: Heartbeats, metrics: Metrics | None = None
) -> list[MonitorEntry]:
    """Every monitor on the page, in the page's order (group by group).

    Status and response time come from /metrics when it has the monitor (live), otherwise
    from the newest heartbeat (Kuma caches those for a minute). Uptime is Kuma's own 24-hour
    figure from the heartbeat endpoint.
    """
    return [
        _entry(group.name, monitor, heartbeats, metrics)
        for group in page.groups
        for monitor in group.monitors
    ]


def _entry(
    group: str, monitor: PageMonitor, heartbeats: Heartbeats, metrics: Metrics | None
) -> MonitorEntry:
    beat = heartbeats.latest(monitor.id)
    status = beat.status if beat else None
    response_time = beat.ping if beat else None
    gauges = metrics.find(monitor.id, monitor.name) if metrics else None
    if gauges is not None and gauges.status is not None:
        status, response_time = gauges.status, gauges.response_time_ms
    uptime = heartbeats.uptime_24h(monitor.id) if beat else None
    return MonitorEntry(
        id=monitor.id,
        name=monitor.name,
        group=group,
        status=_dashboard_status(status),
        kuma_status=_kuma_word(status),
        response_time_ms=response_time,
        uptime_percentage=None if uptime is None else round(uptime * 100, 2),
        cert_days_remaining=gauges.cert_days_remaining if gauges else None,
    )


def _known(status: int | None) -> KumaStatus | None:
    try:
        return KumaStatus(status) if status is not None else None
    except ValueError:  # a state a future Kuma may add
        return None


def _dashboard_status(status: int | None) -> str:
    known = _known(status)
    return DASHBOARD_STATUS[known] if known is not None else "unknown"


def _kuma_word(status: int | None) -> str | None:
    known = _known(status)
    return known.name.lower() if known is not None else None
