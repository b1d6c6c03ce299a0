"""A small client for Sonarr's and Radarr's API v3 over the core's ServiceClient, and their
answers in MediaNest's words.

Both apps serve the same routes (`/api/v3/system/status`, `queue`, `calendar`,
`wanted/missing`) with their own records; the key goes in `X-Api-Key`. A wrong key is 401,
which the core's client raises as `ServiceAuthFailed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from medianest.sdk import Connection, ServiceClient, ServiceResponseError
from medianest_arr.config import App, ArrConfig

#: Arr's queue states as MediaNest words them (sdk.DOWNLOAD_STATES).
STATES = {
    "queued": "queued",
    "delay": "queued",
    "paused": "paused",
    "downloading": "downloading",
    "completed": "importing",
    "warning": "warning",
    "downloadClientUnavailable": "warning",
    "failed": "failed",
}
FAILED_TRACKING = frozenset({"warning", "error"})


class Arr:
    """One Sonarr or Radarr, reached with the admin's API key."""

    def __init__(
        self, app: App, http: ServiceClient, url: str, api_key: str, *, timeout: float | None
    ) -> None:
        self.app = app
        self.http = http
        self.base = f"{url.rstrip('/')}/api/v3"
        self._headers = {"X-Api-Key": api_key}
        self.timeout = timeout

    @classmethod
    def for_connection(cls, app: App, http: ServiceClient, connection: Connection) -> Arr:
        options = ArrConfig.model_validate(connection.config or {})
        return cls(
            app, http, connection.url or "", connection.api_key or "", timeout=options.timeout
        )

    async def _get(self, path: str, **params: str | int) -> Any:
        query = {name: str(value) for name, value in params.items()}
        return await self.http.get_json(
            self.app.service,
            f"{self.base}{path}",
            params=query,
            headers=self._headers,
            timeout=self.timeout,
        )

    async def version(self) -> str | None:
        status = await self._get("/system/status")
        if not isinstance(status, Mapping) or "version" not in status:
            raise ServiceResponseError(self.app.service, 200, "system/status", " (not Arr's)")
        return str(status.get("version") or "") or None

    async def queue(self, size: int) -> dict[str, Any]:
        page = await self._get("/queue", page=1, pageSize=size, **{self.app.include: "true"})
        return queue_view(self.app, page)

    async def upcoming(self, days: int, now: datetime | None = None) -> list[dict[str, Any]]:
        start = (now or datetime.now(UTC)).replace(microsecond=0)
        end = start + timedelta(days=days)
        items = await self._get("/calendar", start=_iso(start), end=_iso(end), includeSeries="true")
        return [_upcoming(self.app, item) for item in _list(items)]

    async def missing(self) -> int:
        page = await self._get("/wanted/missing", page=1, pageSize=1)
        return _number(page.get("totalRecords")) if isinstance(page, Mapping) else 0


def queue_view(app: App, page: Any) -> dict[str, Any]:
    """A queue page: how many downloads, how many failed, and each download's progress."""
    page = page if isinstance(page, Mapping) else {}
    records = _list(page.get("records"))
    items = [download_view(app, record) for record in records]
    return {
        "total": _number(page.get("totalRecords"), default=len(items)),
        "failed": sum(1 for item in items if item["status"] in ("warning", "failed")),
        "items": items,
    }


def download_view(app: App, record: Mapping[str, Any]) -> dict[str, Any]:
    size = max(0, _number(record.get("size")))
    left = min(size, max(0, _number(record.get("sizeleft"))))
    embedded = record.get(app.embedded)
    embedded = embedded if isinstance(embedded, Mapping) else {}
    status = STATES.get(str(record.get("status") or ""), "queued")
    if record.get("trackedDownloadStatus") in FAILED_TRACKING and status != "failed":
        status = "failed" if record.get("trackedDownloadStatus") == "error" else "warning"
    return {
        "title": _text(embedded.get("title")) or _text(record.get("title")) or "Download",
        "release": _text(record.get("title")),
        "status": status,
        "progress": round(100 * (size - left) / size, 1) if size else 0.0,
        "size_bytes": size,
        "left_bytes": left,
        "time_left": _text(record.get("timeleft")) or None,
        "tmdb_id": _number(embedded.get("tmdbId")) or None,
        "tvdb_id": _number(embedded.get("tvdbId")) or None,
    }


def _upcoming(app: App, item: Any) -> dict[str, Any]:
    item = item if isinstance(item, Mapping) else {}
    if app.media_type == "tv":
        series = item.get("series") if isinstance(item.get("series"), Mapping) else {}
        season, number = _number(item.get("seasonNumber")), _number(item.get("episodeNumber"))
        return {
            "title": _text(series.get("title")) or "Episode",
            "detail": f"S{season:02d}E{number:02d} · {_text(item.get('title'))}".rstrip(" ·"),
            "date": _text(item.get("airDateUtc") or item.get("airDate")) or None,
            "has_file": bool(item.get("hasFile")),
        }
    dates = [item.get(k) for k in ("digitalRelease", "physicalRelease", "inCinemas")]
    return {
        "title": _text(item.get("title")) or "Movie",
        "detail": str(item.get("year") or ""),
        "date": next((_text(d) for d in dates if d), None),
        "has_file": bool(item.get("hasFile")),
    }


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return str(value).strip()[:200] if value is not None else ""


def _number(value: Any, *, default: int = 0) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
