"""The `tautulli` status probe: does Tautulli answer and accept MediaNest's key, and what is
playing now.

One check reads Tautulli's version, the current activity and the latest plays; the core's
coordinator caches the result, and the widget reads only that cache (`core.status.data`), so a
slow or dead Tautulli never slows the dashboard. A wrong key fails the check (and the admin's
"test connection", which runs this same check on unsaved values).
"""

from __future__ import annotations

import time
from typing import Any

from medianest.sdk import Connection, ProbeResult, StatusProbe
from medianest_tautulli.client import Tautulli
from medianest_tautulli.config import SERVICE, TautulliConfig

INTERVAL = 20.0  # who is watching changes by the minute; Tautulli itself polls Plex every few s
TIMEOUT = 15.0


def status_probe() -> StatusProbe:
    return StatusProbe(
        service=SERVICE, check=check, interval=INTERVAL, timeout=TIMEOUT, title="Tautulli"
    )


async def check(core: Any, connection: Connection | None) -> ProbeResult:
    if connection is None or not connection.url or not connection.api_key:
        return ProbeResult("unknown", error="Enter Tautulli's URL and its API key")
    client = Tautulli.for_connection(core.http, connection)
    started = time.perf_counter()
    version = await client.version()  # needs the key: a wrong one fails here
    response_time_ms = round((time.perf_counter() - started) * 1000, 1)
    history_length = TautulliConfig.model_validate(connection.config or {}).history_length
    data = {
        "version": version,
        "activity": await client.activity(),
        "history": await client.history(history_length),
    }
    return ProbeResult("online", response_time_ms=response_time_ms, data=data)
