"""Keeping `overseerr_requests` in step with Overseerr: one request (the webhook), or all (the job).

Overseerr is the truth. A webhook only says *which* request changed; MediaNest then reads that
request from Overseerr with the admin's key, so a forged or stale payload can change nothing by
itself. The sync job is the safety net for webhooks that never came (Overseerr's agent off, the
network down): it reads the most recently changed requests, then any open request it did not
see. Requests made in Overseerr itself by someone MediaNest knows (by Plex account) are
recorded too, so "my requests" is complete.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from medianest.sdk import ServiceError, ServiceNotConfigured
from medianest_overseerr import media, models, records
from medianest_overseerr.access import overseerr, runtime
from medianest_overseerr.client import PAGE, Overseerr
from medianest_overseerr.models import OverseerrRequest

log = logging.getLogger("medianest.plugins.overseerr")

SYNC_PAGES = 20  # the 2,000 most recently changed requests per run
OPEN_CHECKS = 50  # open requests outside those, read one by one per run
TITLE_TTL = 3600.0


async def refresh(core: Any, client: Overseerr, request_id: int) -> bool:
    """Read one request from Overseerr and record what changed; whether anything did."""
    found = await client.request(request_id)
    if found is None:
        row = await OverseerrRequest.get_or_none(id=request_id)
        return row is not None and await records.apply(core, row, None)
    return await upsert(core, client, found)


async def upsert(core: Any, client: Overseerr, request: Mapping[str, Any]) -> bool:
    """Update the row of an Overseerr request, or record it when its requester is someone
    MediaNest knows; whether anything changed."""
    row = await OverseerrRequest.get_or_none(id=int(request["id"]))
    if row is not None:
        return await records.apply(core, row, request)
    plex_id = (request.get("requestedBy") or {}).get("plexId")
    linked = await core.accounts.find("plex", str(plex_id)) if plex_id is not None else None
    if linked is None:
        return False  # someone MediaNest does not know
    media_info = request.get("media") or {}
    summary = await title_summary(core, client, str(request.get("type")), media_info.get("tmdbId"))
    _, created = await records.create(core, linked.user_id, request, summary)
    return created


async def title_summary(
    core: Any, client: Overseerr, media_type: str, tmdb_id: Any
) -> dict[str, Any]:
    """A title's name, year and poster (cached: they do not change)."""
    if media_type not in ("movie", "tv") or not isinstance(tmdb_id, int):
        return {"title": f"TMDB {tmdb_id}", "year": None, "poster_path": None}
    details = await runtime(core).titles.get(
        (media_type, tmdb_id), lambda: client.details(media_type, tmdb_id), TITLE_TTL
    )
    if details is None:
        return {"title": f"TMDB {tmdb_id}", "year": None, "poster_path": None}
    return media.details_summary(details, media_type)


async def sync_requests(core: Any) -> dict[str, int | str]:
    """Bring every request up to date; counts of what was read and changed."""
    try:
        client = await overseerr(core)
    except ServiceNotConfigured:
        return {"skipped": "not_configured"}
    seen: dict[int, Mapping[str, Any]] = {}
    for page in range(SYNC_PAGES):
        body = await client.requests(take=PAGE, skip=page * PAGE, sort="modified")
        results = [r for r in body.get("results") or () if isinstance(r, dict) and "id" in r]
        seen.update((int(r["id"]), r) for r in results)
        if len(results) < PAGE:
            break
    changed = 0
    for request in seen.values():
        changed += await upsert(core, client, request)
    unseen = (
        await OverseerrRequest.filter(status__in=models.OPEN)
        .exclude(id__in=list(seen))
        .order_by("changed_at")
        .limit(OPEN_CHECKS)
    )
    for row in unseen:
        changed += await refresh(core, client, row.id)
    return {"read": len(seen) + len(unseen), "changed": changed}


async def on_webhook(core: Any, payload: Mapping[str, Any]) -> dict[str, Any]:
    """What a webhook names: its request, or (a custom template without one) every request
    MediaNest holds for its title. Overseerr unreachable → deferred to the sync."""
    request_id = _int((payload.get("request") or {}).get("request_id"))
    wanted: list[int] = []
    if request_id is not None:
        wanted = [request_id]
    else:
        about = payload.get("media") or {}
        tmdb_id, media_type = _int(about.get("tmdbId")), about.get("media_type")
        if tmdb_id is not None and media_type in ("movie", "tv"):
            rows = await OverseerrRequest.filter(media_type=media_type, tmdb_id=tmdb_id)
            wanted = [row.id for row in rows]
    if not wanted:
        return {"refreshed": []}
    try:
        client = await overseerr(core)
        for wanted_id in wanted:
            await refresh(core, client, wanted_id)
    except (ServiceError, ServiceNotConfigured, ValueError) as exc:
        log.info(
            "webhook: Overseerr could not be read (%s); the sync will catch up", type(exc).__name__
        )
        return {"refreshed": [], "deferred": wanted}
    return {"refreshed": wanted}


def _int(value: Any) -> int | None:
    """Webhook values are strings ("12"); anything that is not a plain number is ignored."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 12:
        return int(value)
    return None
