"""The `DOWNLOAD_PROGRESS` capability: how far a title's download has come, by TMDB id, for
another plugin (the Overseerr plugin shows it on a request) that never imports this one.

It answers from the probes' cache, never by calling Sonarr or Radarr. Radarr's queue carries
`movie.tmdbId`; Sonarr's carries `series.tmdbId` (Sonarr v4). A show with several episodes
downloading is added up, and reports its worst state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from medianest.sdk import DOWNLOAD_STATES, DownloadState
from medianest_arr.config import APPS


class ArrDownloads:
    """`DownloadProgress` over the last queues the probes saw."""

    title = "Sonarr and Radarr"

    def __init__(self, core: Any) -> None:
        self._core = core

    async def progress(self, media_type: str, tmdb_id: int) -> DownloadState | None:
        app = next((app for app in APPS if app.media_type == media_type), None)
        if app is None:
            return None
        queue = self._core.status.data(app.service).get("queue") or {}
        found = [
            item
            for item in queue.get("items") or ()
            if isinstance(item, Mapping) and item.get("tmdb_id") == int(tmdb_id)
        ]
        return combined(found, app.title) if found else None


def combined(items: list[Mapping[str, Any]], source: str) -> DownloadState:
    size = sum(int(item.get("size_bytes") or 0) for item in items)
    left = sum(int(item.get("left_bytes") or 0) for item in items)
    worst = max(
        (str(item.get("status")) for item in items),
        key=lambda s: DOWNLOAD_STATES.index(s) if s in DOWNLOAD_STATES else 0,
    )
    time_left = max((str(i["time_left"]) for i in items if i.get("time_left")), default=None)
    return DownloadState(
        title=str(items[0].get("title") or ""),
        status=worst,
        progress=round(100 * (size - left) / size, 1) if size else 0.0,
        size_bytes=size,
        left_bytes=left,
        time_left=time_left,
        source=source,
    )
