"""A download as the API, the websocket and the page show it, and the writes that change it.

Every change of status or progress is saved on the row and published as `download:progress`
(topic `youtube:<id>`, for its owner only) with the same view `GET /api/youtube/downloads/<id>`
answers, so a page can draw either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from medianest.sdk import PluginCore

from .models import UNFINISHED, Download

EVENT = "download:progress"
OVERALL = (
    "items_total", "items_done", "items_failed", "downloaded_bytes", "total_bytes", "speed",
    "eta", "current",
)  # fmt: skip
ITEM_FIELDS = (
    "index", "video_id", "title", "status", "downloaded_bytes", "total_bytes", "speed", "eta",
    "error", "file", "in_library",
)  # fmt: skip


PROGRESS_FIELDS = ("progress", "items", "title", "folder")


# What a resumed run says of an item an earlier run finished: pending, then downloading for a
# moment (until yt-dlp finds it in the archive), then skipped.
RESUMED = ("pending", "downloading", "skipped")


def topic(download_id: object) -> str:
    return f"youtube:{download_id}"


def view(download: Download) -> dict[str, Any]:
    progress = {key: download.progress.get(key) for key in OVERALL}
    progress["percent"] = percent(download)
    return {
        "id": str(download.id),
        "playlist_url": download.playlist_url,
        "title": download.title,
        "collection": download.collection,
        "folder": download.folder,
        "status": download.status,
        "error": download.error,
        "progress": progress,
        "items": [{key: item.get(key) for key in ITEM_FIELDS} for item in download.items],
        "collection_id": download.collection_id,
        "collection_url": download.collection_url,
        "created_at": _iso(download.created_at),
        "updated_at": _iso(download.updated_at),
        "finished_at": _iso(download.finished_at),
    }


def percent(download: Download) -> float:
    """Overall: items done or failed, plus the share of the current item's bytes."""
    if download.status == "completed":
        return 100.0
    total = download.progress.get("items_total") or 0
    if not total:
        return 0.0
    settled = sum(
        item.get("status") in ("finished", "skipped", "failed") for item in download.items
    )
    current = next((i for i in download.items if i.get("status") == "downloading"), None)
    share = 0.0
    if current and current.get("total_bytes"):
        share = min(1.0, (current.get("downloaded_bytes") or 0) / current["total_bytes"])
    return round(100.0 * min(total, settled + share) / total, 1)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# ---- changes --------------------------------------------------------------------------------


def apply_snapshot(download: Download, snapshot: Mapping[str, Any], user_root: Path) -> bool:
    """Take the engine's progress onto the row (not saved); True when an item's status changed.

    File paths are kept relative to the user's folder. An item this download finished in an
    earlier attempt (before its worker was killed or stopped) stays finished, though the
    resumed run reports it pending, downloading, then skipped: it is this download's, and
    deleting the download removes it.
    """
    download.progress = {key: snapshot.get(key) for key in OVERALL}
    if snapshot.get("playlist_title"):
        download.title = str(snapshot["playlist_title"])[:500]
    before = {item.get("index"): item for item in download.items}
    items = [_item(entry, user_root, before) for entry in snapshot.get("items") or ()]
    changed = [i.get("status") for i in items] != [i.get("status") for i in download.items]
    download.items = items
    return changed


def _item(entry: Mapping[str, Any], user_root: Path, before: Mapping[Any, Any]) -> dict:
    earlier = before.get(entry.get("index"))
    if earlier and not _same_entry(earlier, entry):
        earlier = None  # the playlist changed between two runs
    if earlier and earlier.get("status") == "finished" and entry.get("status") in RESUMED:
        return dict(earlier)
    item = {key: entry.get(key) for key in ITEM_FIELDS if key in entry}
    path = entry.get("path")
    item["file"] = _relative(path, user_root) if path else None
    item["in_library"] = earlier.get("in_library") if earlier else None
    return item


def _same_entry(one: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Whether two reports of one position are one entry (a listing may not know ids yet)."""
    return all(
        one.get(key) == other.get(key)
        for key in ("video_id", "title")
        if one.get(key) is not None and other.get(key) is not None
    )


def _relative(path: str, root: Path) -> str | None:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return None


async def save_progress(core: PluginCore, download: Download) -> bool:
    """Write the progress fields and publish; never the status, so a cancel is never undone.
    False when the row is gone (deleted: it stays deleted)."""
    download.updated_at = _now()
    values = {name: getattr(download, name) for name in (*PROGRESS_FIELDS, "updated_at")}
    if not await Download.filter(id=download.id).update(**values):
        return False
    await publish(core, download)
    return True


async def move(core: PluginCore, download: Download, status: str, **changes: Any) -> bool:
    """Move an unfinished download to `status` (with its progress and `changes`) and publish.
    False when it was cancelled or deleted meanwhile: then nothing is written."""
    now = _now()
    values = {name: getattr(download, name) for name in PROGRESS_FIELDS}
    values.update(status=status, updated_at=now, **changes)
    if status not in UNFINISHED:
        values.update(finished_at=now, active_key=None)
    if not await Download.filter(id=download.id, status__in=UNFINISHED).update(**values):
        return False
    for name, value in values.items():
        setattr(download, name, value)
    await publish(core, download)
    return True


def _now() -> datetime:
    return datetime.now(UTC)


async def notify(core: PluginCore, download: Download) -> None:
    """Tell the owner a download ended (a toast on their dashboard, `/ws/status`)."""
    name = download.title or "Your playlist"
    done = download.status == "completed"
    message = (
        f"“{name}” is downloaded{' and in Plex' if download.collection_id else ''}."
        if done
        else f"“{name}” failed: {download.error}"
    )
    await core.publish(
        "notification",
        {
            "title": "Download finished" if done else "Download failed",
            "message": message,
            "level": "success" if done else "error",
            "source": "youtube",
            "download": {"id": str(download.id), "collection_url": download.collection_url},
        },
        user_id=str(download.user_id),
    )


async def publish(core: PluginCore, download: Download) -> None:
    await core.publish(
        EVENT, view(download), user_id=str(download.user_id), topic=topic(download.id)
    )
