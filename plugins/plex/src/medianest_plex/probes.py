"""The `plex` status probe: is the server up, does the owner's token work, what is new.

The core's coordinator runs it every `INTERVAL` seconds and caches the result; the widget and
`/api/dashboard/status` read that cache, and the admin's "test connection" runs the same check
against unsaved values. It stays cheap on any library size: the identity, the section list,
the ten newest items, and each section's count asked with a page of size 0.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from medianest.sdk import Connection, PluginCore, ProbeResult, StatusProbe
from medianest_plex.access import owner_server
from medianest_plex.client import PMS, PlexServer
from medianest_plex.library import image_url

INTERVAL = 30.0
TIMEOUT = 10.0
RECENT = 10
COUNT_BUDGET = (
    3.0  # seconds for the section counts; a slow count leaves them unknown, not the probe
)


def status_probe() -> StatusProbe:
    return StatusProbe(service=PMS, check=check, interval=INTERVAL, timeout=TIMEOUT, title="Plex")


async def check(core: PluginCore, connection: Connection | None) -> ProbeResult:
    """Online with data for the widget; the service client's errors say why not."""
    if connection is None or not connection.url or not connection.api_key:
        return ProbeResult("unknown", error="Enter the Plex server's URL and its owner's token")
    server = owner_server(core, connection, interactive=True)  # the probe's own timeout bounds it
    started = time.perf_counter()
    identity = await server.identity()
    response_time_ms = round((time.perf_counter() - started) * 1000, 1)
    sections = (
        await server.sections()
    )  # the first call that needs the token: a wrong one fails here
    recent = await server.page("/library/recentlyAdded", offset=0, size=RECENT)
    counts = await _counts(server, sections)
    data = {
        "version": identity.get("version"),
        "libraries": [
            {
                "id": str(s.get("key")),
                "title": s.get("title"),
                "type": s.get("type"),
                "count": counts.get(str(s.get("key"))),
            }
            for s in sections
        ],
        "recently_added": [_recent(entry) for entry in recent.items],
    }
    return ProbeResult("online", response_time_ms=response_time_ms, data=data)


async def _counts(server: PlexServer, sections: list[dict[str, Any]]) -> dict[str, int]:
    keys = [str(section.get("key")) for section in sections]
    try:
        async with asyncio.timeout(COUNT_BUDGET):
            totals = await asyncio.gather(
                *(server.count(f"/library/sections/{key}/all") for key in keys),
                return_exceptions=True,
            )
    except TimeoutError:
        return {}
    return {key: total for key, total in zip(keys, totals, strict=True) if isinstance(total, int)}


def _recent(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "rating_key": str(entry.get("ratingKey")),
        "title": entry.get("title"),
        "type": entry.get("type"),
        "year": entry.get("year"),
        "thumb": image_url(entry.get("thumb")),
        "added_at": entry.get("addedAt"),
        "library_id": str(entry.get("librarySectionID") or "") or None,
    }


__all__ = ["check", "status_probe"]
