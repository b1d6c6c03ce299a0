"""One status probe per app (`sonarr`, `radarr`): does it answer and accept MediaNest's key,
and what it is downloading, what comes soon and how much is missing.

The coordinator caches each result; the widget and the `DOWNLOAD_PROGRESS` capability read
only that cache (`core.status.data`), so a slow or dead app never slows a page.
"""

from __future__ import annotations

import time
from typing import Any

from medianest.sdk import Connection, ProbeResult, StatusProbe
from medianest_arr.client import Arr
from medianest_arr.config import APPS, App, ArrConfig

INTERVAL = 30.0
TIMEOUT = 20.0


def status_probes() -> list[StatusProbe]:
    return [
        StatusProbe(
            service=app.service,
            check=checker(app),
            interval=INTERVAL,
            timeout=TIMEOUT,
            title=app.title,
        )
        for app in APPS
    ]


def checker(app: App) -> Any:
    async def check(core: Any, connection: Connection | None) -> ProbeResult:
        return await check_app(app, core, connection)

    return check


async def check_app(app: App, core: Any, connection: Connection | None) -> ProbeResult:
    if connection is None or not connection.url or not connection.api_key:
        return ProbeResult("unknown", error=f"Enter {app.title}'s URL and its API key")
    options = ArrConfig.model_validate(connection.config or {})
    client = Arr.for_connection(app, core.http, connection)
    started = time.perf_counter()
    version = await client.version()  # needs the key: a wrong one fails here
    response_time_ms = round((time.perf_counter() - started) * 1000, 1)
    data = {
        "version": version,
        "queue": await client.queue(options.queue_size),
        "upcoming": await client.upcoming(options.upcoming_days),
        "missing": await client.missing(),
    }
    return ProbeResult("online", response_time_ms=response_time_ms, data=data)
