"""The dashboard widget `tautulli.activity`: how many streams, who is watching what now, and
the latest plays.

It answers from the probe's cache (`core.status`), never by calling Tautulli. Who watches
what is personal, so the widget needs `tautulli.view` (every user by default; an admin may
take it away from the `user` role).
"""

from __future__ import annotations

from typing import Any

from medianest.sdk import Actor, Permission, PluginCore, Widget
from medianest_tautulli.config import SERVICE

VIEW = f"{SERVICE}.view"


def view_permission() -> Permission:
    return Permission(VIEW, "See who is watching on Plex now and the latest plays (Tautulli)")


def activity_widget() -> Widget:
    return Widget(
        id=f"{SERVICE}.activity",
        title="Now playing",
        data=activity_data,
        template=f"{SERVICE}/widget.html",
        permission=VIEW,
        order=25,
    )


async def activity_data(core: PluginCore, actor: Actor) -> dict[str, Any]:
    entry = core.status.entry(SERVICE) or {}
    cached = core.status.data(SERVICE)
    activity = cached.get("activity") or {}
    history = cached.get("history") or {}
    return {
        "status": entry.get("status", "unknown"),
        "stale": bool(entry.get("stale")),
        "error": entry.get("error"),
        "known": bool(cached),
        "stream_count": activity.get("stream_count", 0),
        "transcodes": activity.get("transcodes", 0),
        "sessions": activity.get("sessions") or [],
        "plays": history.get("plays") or [],
    }
