"""The dashboard widget `arr.downloads`: for Sonarr and Radarr, the downloads and their
progress, failed and missing counts, and what comes out soon.

It answers from the probes' cache (`core.status`), never by calling the apps. An app without
a connection is left out; one that stopped answering shows its last known queue.
"""

from __future__ import annotations

from typing import Any

from medianest.sdk import Actor, Permission, PluginCore, Widget
from medianest_arr.config import APPS, PLUGIN_ID

VIEW = f"{PLUGIN_ID}.view"
SHOWN = 5


def view_permission() -> Permission:
    return Permission(VIEW, "See Sonarr's and Radarr's downloads and upcoming releases")


def downloads_widget() -> Widget:
    return Widget(
        id=f"{PLUGIN_ID}.downloads",
        title="Downloads",
        data=downloads_data,
        template=f"{PLUGIN_ID}/widget.html",
        permission=VIEW,
        order=35,
    )


async def downloads_data(core: PluginCore, actor: Actor) -> dict[str, Any]:
    apps = []
    for app in APPS:
        entry = core.status.entry(app.service) or {}
        cached = core.status.data(app.service)
        if not cached and entry.get("status", "unknown") == "unknown":
            continue  # not connected (or not checked yet): nothing to say
        queue = cached.get("queue") or {}
        apps.append(
            {
                "service": app.service,
                "title": app.title,
                "status": entry.get("status", "unknown"),
                "stale": bool(entry.get("stale")),
                "error": entry.get("error"),
                "known": bool(cached),
                "queued": queue.get("total", 0),
                "failed": queue.get("failed", 0),
                "missing": cached.get("missing", 0),
                "downloads": (queue.get("items") or [])[:SHOWN],
                "upcoming": (cached.get("upcoming") or [])[:SHOWN],
            }
        )
    return {"apps": apps}
