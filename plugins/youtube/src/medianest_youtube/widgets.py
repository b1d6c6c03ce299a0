"""The dashboard widget `youtube.downloads`: your downloads still running, from the plugin's own
table (never a call to a site), with a link to the page where they are followed live."""

from __future__ import annotations

from typing import Any

from medianest.sdk import Actor, PluginCore, Widget, has_shell

from .config import DOWNLOAD, PLUGIN_ID
from .models import UNFINISHED, Download
from .records import view

SHOWN = 5


def downloads_widget() -> Widget:
    return Widget(
        id=f"{PLUGIN_ID}.downloads",
        title="YouTube downloads",
        data=downloads_data,
        template=f"{PLUGIN_ID}/widget.html",
        permission=DOWNLOAD,
        order=40,
    )


async def downloads_data(core: PluginCore, actor: Actor) -> dict[str, Any]:
    mine = Download.filter(user_id=actor.user_id, status__in=UNFINISHED)
    active = await mine.order_by("created_at").limit(SHOWN)
    return {
        "downloads": [view(download) for download in active],
        "total": await mine.count(),
        "page": f"/{PLUGIN_ID}/" if has_shell(core) else None,
    }
