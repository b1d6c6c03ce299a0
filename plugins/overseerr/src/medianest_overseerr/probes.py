"""The `overseerr` status probe: does Overseerr answer, and does it accept MediaNest's key.

`/api/v1/status` is public, so it proves only that Overseerr is up; the request counts that
follow need the key, so a wrong key fails the check (and the admin's "test connection", which
runs this same check on unsaved values). The counts go to the widget through the probe's cache.
"""

from __future__ import annotations

import time
from typing import Any

from medianest.sdk import Connection, ProbeResult, StatusProbe
from medianest_overseerr.client import Overseerr
from medianest_overseerr.config import SERVICE, connection_options

INTERVAL = 30.0
TIMEOUT = 10.0
COUNTS = ("total", "movie", "tv", "pending", "approved", "declined", "processing", "available")


def status_probe() -> StatusProbe:
    return StatusProbe(
        service=SERVICE, check=check, interval=INTERVAL, timeout=TIMEOUT, title="Overseerr"
    )


async def check(core: Any, connection: Connection | None) -> ProbeResult:
    """Online with Overseerr's version and request counts; the service client's errors say
    why not (they never carry the key)."""
    if connection is None or not connection.url or not connection.api_key:
        return ProbeResult("unknown", error="Enter Overseerr's URL and its API key")
    options = connection_options(connection.config)
    client = Overseerr(core.http, connection.url, connection.api_key, timeout=options.timeout)
    started = time.perf_counter()
    status = await client.status()
    response_time_ms = round((time.perf_counter() - started) * 1000, 1)
    counts = await client.request_count()  # the first call that needs the key
    data = {
        "version": str(status.get("version") or "") or None,
        "requests": {name: int(counts.get(name) or 0) for name in COUNTS},
    }
    return ProbeResult("online", response_time_ms=response_time_ms, data=data)
