"""Real yt-dlp against local playlists: downloads, progress, re-submission, failures, cancel."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from medianest_youtube.downloader import ARCHIVE_NAME, PlaylistDownload
from medianest_youtube.testing import PlaylistServer, clip_bytes

# Functional limits, not speed targets: a cancel that has not ended the run by then never will.
CANCEL_LIMIT = 10.0


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def streams(path: Path) -> list[str]:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "json", path],
        capture_output=True,
        check=True,
        text=True,
    )
    return sorted(stream["codec_type"] for stream in json.loads(probe.stdout)["streams"])


def test_a_feed_downloads_whole_with_progress(
    site: PlaylistServer, tmp_path: Path, admin_added
) -> None:
    events: list[dict[str, Any]] = []
    download = PlaylistDownload(admin_added(site.feed_url), tmp_path, 7, on_progress=events.append)

    report = download.run()

    assert report.status == "completed" and report.error is None
    assert report.playlist_title == "Holiday"
    assert files_under(tmp_path) == [
        f"7/Holiday/{ARCHIVE_NAME}",
        "7/Holiday/Day one [clip-1].mp4",
        "7/Holiday/Day three [clip-3].mp4",
        "7/Holiday/Day two [clip-2].mp4",
    ]
    assert all(path.read_bytes() == clip_bytes() for path in report.item_paths())
    first, last = events[0], events[-1]
    # Totals are known before the first byte.
    assert (first["items_total"], first["downloaded_bytes"]) == (3, 0)
    assert [item["status"] for item in first["items"]] == ["pending"] * 3
    assert [item["title"] for item in first["items"]] == ["Day one", "Day two", "Day three"]
    assert last["status"] == "completed"
    assert (last["items_done"], last["items_failed"], last["items_total"]) == (3, 0, 3)
    assert last["downloaded_bytes"] == last["total_bytes"] == 3 * len(clip_bytes())
    for index in (1, 2, 3):  # each item goes pending → downloading → finished, in turn
        states = [e["items"][index - 1]["status"] for e in events]
        assert states.index("downloading") < states.index("finished")
        assert events[states.index("downloading")]["current"] == index
    item = last["items"][0]
    assert item["video_id"] == "clip-1" and item["path"].endswith("Day one [clip-1].mp4")
    assert set(item) >= {"index", "title", "status", "total_bytes", "speed", "eta", "error"}


def test_a_page_with_a_split_stream_is_merged_by_ffmpeg(
    site: PlaylistServer, tmp_path: Path, admin_added
) -> None:
    site.add_item("Split", kind="dash")
    report = PlaylistDownload(admin_added(site.page_url), tmp_path, 7).run()

    assert [item.status for item in report.items] == ["finished"] * 4
    merged = report.item_paths()[3]
    assert merged.name == "Holiday (4) [playlist-4].mp4"
    assert streams(merged) == ["audio", "video"]  # video and audio, fetched apart, in one file
    assert site.requested("/media/clip-4/init-stream0.m4s") == 1
    assert site.requested("/media/clip-4/init-stream1.m4s") == 1


def test_progress_while_bytes_arrive_is_throttled(tmp_path: Path, admin_added) -> None:
    with PlaylistServer("Slow", [], slow_rate=8192) as site:
        site.add_item("Trickle", kind="slow")
        emitted: list[tuple[float, dict[str, Any]]] = []
        download = PlaylistDownload(
            admin_added(site.feed_url),
            tmp_path,
            7,
            progress_interval=0.25,
            on_progress=lambda snapshot: emitted.append((time.monotonic(), snapshot)),
        )
        assert download.run().status == "completed"

    def shape(snapshot: dict[str, Any]) -> tuple:
        return snapshot["status"], tuple(item["status"] for item in snapshot["items"])

    byte_updates = [
        (emitted[i - 1][0], at)
        for i, (at, snapshot) in enumerate(emitted)
        if i and shape(snapshot) == shape(emitted[i - 1][1])
    ]
    assert len(byte_updates) >= 2  # about a second of trickling was reported…
    assert all(at - before >= 0.25 for before, at in byte_updates)  # …at most 4 times a second
    sizes = [s["items"][0]["downloaded_bytes"] for _, s in emitted if s["current"] == 1]
    assert sizes == sorted(sizes) and any(0 < size < len(clip_bytes()) for size in sizes)


@pytest.mark.parametrize("document", ["page_url", "feed_url"])
def test_resubmitting_downloads_only_what_is_new(
    site: PlaylistServer, tmp_path: Path, admin_added, document: str
) -> None:
    checked = admin_added(getattr(site, document))
    assert PlaylistDownload(checked, tmp_path, 7).run().status == "completed"
    site.add_item("Day four")
    site.requests.clear()

    report = PlaylistDownload(checked, tmp_path, 7).run()

    assert [item.status for item in report.items] == ["skipped"] * 3 + ["finished"]
    assert [item.path is None for item in report.items] == [True, True, True, False]
    assert len(files_under(tmp_path)) == 5  # four clips and the archive
    assert len((report.folder / ARCHIVE_NAME).read_text().splitlines()) == 4
    old = [site.requested(item.path) for item in site.items[:3]]
    if document == "page_url":
        assert old == [0, 0, 0]  # the page names each item: nothing asked for
    else:
        assert old == [1, 1, 1]  # a feed's enclosure is identified by one GET, not fetched again
    assert site.requested(site.items[3].path) >= 1


def test_a_broken_item_is_recorded_and_the_rest_complete(tmp_path: Path, admin_added) -> None:
    events: list[dict[str, Any]] = []
    with PlaylistServer("Mixed", ["Day one"]) as site:
        site.add_item("Gone", kind="missing")
        site.add_item("Day two")
        site.add_item("Cut short", kind="truncated")
        download = PlaylistDownload(
            admin_added(site.feed_url), tmp_path, 7, on_progress=events.append
        )
        report = download.run()

    assert report.status == "completed"
    outcome = [(item.title, item.status) for item in report.items]
    assert outcome == [
        ("Day one", "finished"),
        ("Gone", "failed"),
        ("Day two", "finished"),
        ("Cut short", "failed"),
    ]
    assert "HTTP Error 404" in report.items[1].error
    assert "expected 8" in report.items[3].error  # "Downloaded 43… bytes, expected 86… bytes"
    assert [p.name for p in report.item_paths()] == ["Day one [clip-1].mp4", "Day two [clip-3].mp4"]
    assert not [name for name in files_under(tmp_path) if "clip-4" in name]  # no .part left
    assert (events[-1]["items_done"], events[-1]["items_failed"]) == (2, 2)


def test_a_playlist_where_nothing_downloads_fails_with_the_reason(tmp_path: Path, admin_added):
    with PlaylistServer("Broken", []) as site:
        site.add_item("Gone", kind="missing")
        report = PlaylistDownload(admin_added(site.page_url), tmp_path, 7).run()
    assert report.status == "failed"
    assert report.error.startswith("No item could be downloaded:") and "404" in report.error


def test_an_unreachable_playlist_fails_with_the_reason(tmp_path: Path, admin_added) -> None:
    with PlaylistServer() as site:
        url = site.url + "/no-such-page.html"
        report = PlaylistDownload(admin_added(url), tmp_path, 7).run()
    assert report.status == "failed" and "404" in report.error
    assert report.items == [] and list(tmp_path.iterdir()) == []


def start_in_thread(download: PlaylistDownload) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(download.run()), daemon=True)
    thread.start()
    return thread, result


def wait_for_bytes_of(download: PlaylistDownload, index: int) -> None:
    deadline = time.monotonic() + CANCEL_LIMIT
    while time.monotonic() < deadline:
        progress = download.progress()
        if progress["current"] == index and progress["items"][index - 1]["downloaded_bytes"]:
            return
        time.sleep(0.02)
    raise AssertionError(f"item {index} never started: {download.progress()}")


def test_cancel_mid_download_stops_and_removes_what_it_wrote(tmp_path: Path, admin_added):
    with PlaylistServer("Evening", ["One", "Two"], slow_rate=1024) as site:
        site.add_item("Slow", kind="slow")
        download = PlaylistDownload(admin_added(site.feed_url), tmp_path, 7)
        thread, result = start_in_thread(download)
        wait_for_bytes_of(download, 3)
        folder = tmp_path / "7" / "Evening"
        written = sorted(p.name for p in folder.iterdir())
        cancelled_at = time.monotonic()

        download.cancel()
        thread.join(CANCEL_LIMIT)

    assert not thread.is_alive(), "the download did not stop"
    assert result[0].status == "cancelled"
    assert time.monotonic() - cancelled_at < CANCEL_LIMIT
    # Two finished clips, the archive and the third clip's partial file were there…
    assert "Slow [clip-3].mp4.part" in written and "One [clip-1].mp4" in written
    assert ARCHIVE_NAME in written
    assert list(tmp_path.rglob("*")) == [tmp_path / "7"]  # …and nothing is left of them


def test_a_cancelled_resubmission_keeps_the_earlier_download(tmp_path: Path, admin_added):
    with PlaylistServer("Evening", ["One", "Two"], slow_rate=1024) as site:
        checked = admin_added(site.feed_url)
        first = PlaylistDownload(checked, tmp_path, 7).run()
        before = {p: p.read_bytes() for p in first.folder.iterdir()}
        site.add_item("Slow", kind="slow")
        # What a worker killed during an earlier try left: this run resumes it, and owns it.
        (first.folder / "Slow [clip-3].mp4.part").write_bytes(clip_bytes()[:100])
        download = PlaylistDownload(checked, tmp_path, 7)
        thread, result = start_in_thread(download)
        wait_for_bytes_of(download, 3)
        download.cancel()
        thread.join(CANCEL_LIMIT)

    assert result[0].status == "cancelled"
    assert {p: p.read_bytes() for p in first.folder.iterdir()} == before


def test_a_cancel_that_keeps_leaves_what_a_later_run_resumes(tmp_path: Path, admin_added):
    with PlaylistServer("Evening", ["One", "Two"], slow_rate=1024) as site:
        site.add_item("Slow", kind="slow")
        checked = admin_added(site.feed_url)
        download = PlaylistDownload(checked, tmp_path, 7)
        thread, result = start_in_thread(download)
        wait_for_bytes_of(download, 3)
        download.cancel(keep=True)
        download.cancel()  # a later cancel that undoes wins over one that keeps…
        download.cancel(keep=True)  # …and a keeping one after it changes nothing
        thread.join(CANCEL_LIMIT)
        assert result[0].status == "cancelled"
        assert list(tmp_path.rglob("*")) == [tmp_path / "7"]

        download = PlaylistDownload(checked, tmp_path, 7)
        thread, result = start_in_thread(download)
        wait_for_bytes_of(download, 3)
        download.cancel(keep=True)  # a worker stopping: the next run goes on from here
        thread.join(CANCEL_LIMIT)
        folder = tmp_path / "7" / "Evening"
        kept = sorted(p.name for p in folder.iterdir())
        assert kept == [
            ARCHIVE_NAME,
            "One [clip-1].mp4",
            "Slow [clip-3].mp4.part",
            "Two [clip-2].mp4",
        ]
        site.slow_rate = 1_000_000
        report = PlaylistDownload(checked, tmp_path, 7).run()

    assert [item.status for item in report.items] == ["skipped", "skipped", "finished"]
    assert (folder / "Slow [clip-3].mp4").read_bytes() == clip_bytes()
    assert not list(folder.glob("*.part"))


async def test_cancel_from_the_event_loop(tmp_path: Path, admin_added) -> None:
    with PlaylistServer("Async", [], slow_rate=1024) as site:
        site.add_item("Slow", kind="slow")
        download = PlaylistDownload(admin_added(site.feed_url), tmp_path, 7)
        task = asyncio.create_task(download.run_async())
        while not download.progress()["downloaded_bytes"]:
            await asyncio.sleep(0.02)
        download.cancel()
        report = await asyncio.wait_for(task, CANCEL_LIMIT)
    assert report.status == "cancelled"
    assert list(tmp_path.rglob("*.part")) == []


def test_cancel_before_the_first_item_fetches_no_media(tmp_path: Path, admin_added) -> None:
    with PlaylistServer() as site:
        download = PlaylistDownload(admin_added(site.feed_url), tmp_path, 7)
        download.cancel()
        assert download.run().status == "cancelled"
        assert site.requests == []
    assert list(tmp_path.iterdir()) == []


def test_max_items_and_a_listener_that_fails(
    site: PlaylistServer, tmp_path: Path, admin_added
) -> None:
    def broken_listener(snapshot: dict[str, Any]) -> None:
        raise RuntimeError("listener bug")

    report = PlaylistDownload(
        admin_added(site.feed_url), tmp_path, 7, max_items=2, on_progress=broken_listener
    ).run()
    assert report.status == "completed"
    assert [item.title for item in report.items] == ["Day one", "Day two"]


def test_a_single_video_url_is_a_playlist_of_one(
    site: PlaylistServer, tmp_path: Path, admin_added
) -> None:
    report = PlaylistDownload(admin_added(site.url + site.items[0].path), tmp_path, 7).run()
    assert report.status == "completed"
    assert [(item.status, item.video_id) for item in report.items] == [("finished", "clip-1")]
    assert report.item_paths()[0].parent == report.folder


@pytest.mark.parametrize("user", [1, "42"])
def test_each_user_has_a_folder(
    site: PlaylistServer, tmp_path: Path, admin_added, user: object
) -> None:
    report = PlaylistDownload(admin_added(site.feed_url), tmp_path, user).run()
    assert report.folder == tmp_path.resolve() / str(user) / "Holiday"


def test_a_file_type_outside_the_media_ones_is_refused_and_not_archived(
    tmp_path: Path, admin_added
) -> None:
    with PlaylistServer("Types", ["Fine"]) as site:
        site.add_item("Movie", ext="mov")
        site.add_item("Also fine")
        checked = admin_added(site.feed_url)
        first = PlaylistDownload(checked, tmp_path, 7).run()
        again = PlaylistDownload(checked, tmp_path, 7).run()

    assert [item.status for item in first.items] == ["finished", "failed", "finished"]
    assert first.items[1].error == "files of type .mov are not downloaded"
    assert not [name for name in files_under(tmp_path) if "clip-2" in name]
    assert [item.status for item in again.items] == ["skipped", "failed", "skipped"]
