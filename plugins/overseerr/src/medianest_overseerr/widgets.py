"""The dashboard widget `overseerr.requests`: your recent requests and their state, and for
admins how many wait for approval.

It answers from MediaNest's record of requests and the probe's cache (the pending count),
never by calling Overseerr: a slow or dead Overseerr cannot slow the dashboard.
"""

from __future__ import annotations

from typing import Any

from medianest.sdk import Widget
from medianest_overseerr import records
from medianest_overseerr.config import SERVICE
from medianest_overseerr.models import OverseerrRequest

SHOWN = 5


def requests_widget() -> Widget:
    return Widget(
        id=f"{SERVICE}.requests",
        title="Requests",
        data=widget_data,
        template=f"{SERVICE}/widget.html",
        order=30,
    )


async def widget_data(core: Any, actor: Any) -> dict[str, Any]:
    mine = OverseerrRequest.filter(user_id=actor.user_id)
    rows = await mine.order_by("-requested_at", "-id").limit(SHOWN)
    entry = core.status.entry(SERVICE) or {}
    data: dict[str, Any] = {
        "status": entry.get("status", "unknown"),
        "stale": bool(entry.get("stale")),
        "requests": [records.view(row) for row in rows],
        "total": await mine.count(),
        "admin": actor.is_admin,
        "pending": None,
    }
    if actor.is_admin:
        counts = core.status.data(SERVICE).get("requests") or {}
        data["pending"] = counts.get("pending")
    return data
