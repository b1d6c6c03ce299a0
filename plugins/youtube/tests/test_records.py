"""How the engine's snapshots land on a download: an item an earlier, killed or stopped run
finished stays this download's, whatever the resumed run reports of it on the way."""

from __future__ import annotations

import uuid
from pathlib import Path

from medianest_youtube.models import Download
from medianest_youtube.records import apply_snapshot, view


def snapshot(*items: dict) -> dict:
    return {"playlist_title": "Trip", "items_total": len(items), "items": list(items)}


def item(index: int, status: str, **fields) -> dict:
    return {"index": index, "video_id": None, "title": f"Clip {index}", "status": status, **fields}


async def test_an_item_finished_before_a_restart_stays_finished(youtube_app, tmp_path: Path):
    root = tmp_path / "user"
    finished = item(1, "finished", video_id="c1", path=str(root / "Trip" / "Clip 1 [c1].mp4"))
    download = Download(id=uuid.uuid4(), user_id=uuid.uuid4(), playlist_url="http://x/", items=[])
    apply_snapshot(download, snapshot(finished, item(2, "downloading")), root)
    assert download.items[0]["file"] == "Trip/Clip 1 [c1].mp4"

    for status in ("pending", "downloading", "skipped"):  # the resumed run, step by step
        changed = apply_snapshot(download, snapshot(item(1, status), item(2, "pending")), root)
        assert download.items[0]["status"] == "finished", status
        assert download.items[0]["file"] == "Trip/Clip 1 [c1].mp4"
        assert changed is (status == "pending")  # item 2 went back to pending once

    other = item(1, "pending", title="Another clip")  # the playlist changed meanwhile
    apply_snapshot(download, snapshot(other, item(2, "pending")), root)
    assert download.items[0]["status"] == "pending" and download.items[0]["file"] is None
    assert download.title == "Trip"
    assert view(download)["progress"]["percent"] == 0.0
