"""The `uptime_kuma` status probe: Kuma's own reachability, plus every monitor on its status page.

The core's coordinator runs `check` every 30 seconds and caches the result; the dashboard,
the widget and `service:status` events all read that cache. The entry's own status says
whether Kuma answered, not whether the monitors are up (the monitors say that themselves):

- the status page answered → `online`, with `data["monitors"]`;
- it answered but /metrics refused the API key (or failed) → `degraded`, monitors from the
  status page alone, and the reason in `error`;
- there is no such status page (or no slug is set) → `offline`, with an error that says so
  in words an admin can act on (also in Admin → Services → Test);
- Kuma did not answer (outage, timeout, 5xx, an answer that is not Kuma's) → `check` raises,
  and the coordinator words the failure.

Whenever the service is not `online`/`degraded`, the coordinator keeps the last monitors it
had: they are the best knowledge there is, and it flags them stale once they are two
intervals old.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from medianest.sdk import (
    Connection,
    PluginCore,
    ProbeResult,
    ServiceDown,
    ServiceError,
    ServiceResponseError,
    StatusProbe,
)
from medianest_uptime_kuma.client import (
    SERVICE,
    KumaClient,
    Metrics,
    MetricsKeyRefused,
    NotConfigured,
    StatusPageNotFound,
    UnexpectedAnswer,
)
from medianest_uptime_kuma.monitors import monitor_entries

#: Kuma itself refreshes the public page every minute; 30 s keeps us at most one beat behind.
INTERVAL = 30.0
#: Bounds one whole check (status page, heartbeats, /metrics).
TIMEOUT = 15.0


async def check(core: PluginCore, connection: Connection | None) -> ProbeResult:
    """Read the status page (and /metrics with a key) into a `ProbeResult`; raise when Kuma is
    unreachable, so that the coordinator keeps the last monitors."""
    started = time.perf_counter()
    try:
        client = _client(core, connection)
        page = await client.status_page()
    except (NotConfigured, StatusPageNotFound) as exc:
        # Kuma may well be up, but there is nothing to read until an admin fixes the slug.
        return ProbeResult(status="offline", error=str(exc))
    response_time_ms = round((time.perf_counter() - started) * 1000, 1)
    heartbeats = await client.heartbeats()
    metrics, metrics_problem = await _optional_metrics(client)
    data: dict[str, Any] = {
        "status_page": {"slug": client.slug, "title": page.config.title},
        "monitors": monitor_entries(page, heartbeats, metrics),
    }
    if metrics is not None and metrics.version:
        data["version"] = metrics.version
    return ProbeResult(
        status="degraded" if metrics_problem else "online",
        response_time_ms=response_time_ms,
        error=metrics_problem,
        data=data,
    )


def _client(core: PluginCore, connection: Connection | None) -> KumaClient:
    if connection is None:
        raise NotConfigured("no Uptime Kuma connection is configured")
    return KumaClient.for_connection(core.http, connection)


async def _optional_metrics(client: KumaClient) -> tuple[Metrics | None, str | None]:
    """/metrics when a key is set; a failure there is reported, never fatal: the page answered."""
    if not client.has_api_key:
        return None, None
    try:
        return await client.metrics(), None
    except MetricsKeyRefused as exc:
        return None, str(exc)
    except ServiceError as exc:
        return None, f"Uptime Kuma's /metrics {_why(exc)}; monitors are shown from the status page"


def _why(exc: ServiceError) -> str:
    """What went wrong, in words for the dashboard: never the URL or the body."""
    if isinstance(exc, ServiceDown):
        return "did not answer in time" if exc.reason == "timeout" else "could not be read"
    if isinstance(exc, UnexpectedAnswer):
        return "answered with something other than Kuma's metrics"
    if isinstance(exc, ServiceResponseError):
        return f"answered HTTP {exc.status_code}"
    return "could not be read"


def status_probe() -> StatusProbe:
    return StatusProbe(
        service=SERVICE,
        check=check,
        interval=INTERVAL,
        timeout=TIMEOUT,
        title="Uptime Kuma",
    )


def monitor_details(core: PluginCore) -> dict[Any, dict[str, Any]]:
    """The last monitors this probe reported, with all their fields, by id.

    Read from the status cache (`core.status.data`): the status entry and `service:status`
    events carry only the monitor fields every service shares (id, name, status, response
    time, uptime), not this probe's own (group, Kuma's word for the state, certificate expiry).
    """
    monitors = core.status.data(SERVICE).get("monitors") or ()
    return {m.get("id"): dict(m) for m in monitors if isinstance(m, Mapping)}
