"""Whole downloads through the API, the job system, real yt-dlp and the Plex stand-in: into a Plex
collection, progress on the owner's socket, re-submission, a broken item, delete during a
download, the plugin turned off mid-download, and a library that cannot see the files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from medianest_youtube.downloader import ARCHIVE_NAME
from medianest_youtube.models import Download
from medianest_youtube.testing import PlaylistServer, clip_bytes

WAIT = 60.0


async def user_folder(browser: Any, media_root: Path) -> Path:
    session = await (await browser.get("/api/auth/session")).get_json()
    return media_root / "youtube" / session["data"]["user"]["id"]


def collection_files(household: Any, title: str) -> list[str]:
    collection = household.server.collection(title)
    return sorted(household.server.item(key).file for key in collection.item_keys)


async def test_a_playlist_ends_in_a_plex_collection(
    youtube_app, alice, with_plex, site, media_root, downloads, files
):
    download_id = await downloads.submitted(alice, site.feed_url)
    done = await downloads.finished(alice, download_id)

    assert done["status"] == "completed", done
    assert done["error"] is None and done["finished_at"]
    assert (done["title"], done["folder"]) == ("Holiday", "Holiday")
    folder = await user_folder(alice, media_root)
    assert files(folder) == [
        f"Holiday/{ARCHIVE_NAME}",
        "Holiday/Day one [clip-1].mp4",
        "Holiday/Day three [clip-3].mp4",
        "Holiday/Day two [clip-2].mp4",
    ]
    assert all(p.read_bytes() == clip_bytes() for p in folder.rglob("*.mp4"))
    # Plex scanned just that folder, and the collection holds exactly its files.
    library = with_plex.videos
    assert [(s.section_id, s.path) for s in with_plex.server.scans] == [
        (library.id, str(folder / "Holiday"))
    ]
    collection = with_plex.server.collection("Holiday")
    assert collection.section_id == library.id
    assert collection_files(with_plex, "Holiday") == sorted(
        str(p) for p in (folder / "Holiday").glob("*.mp4")
    )
    assert done["collection_id"] == str(collection.rating_key)
    assert done["collection_url"] == f"/plex/collection/{collection.rating_key}"
    assert [item["in_library"] for item in done["items"]] == [True, True, True]
    assert [item["file"] for item in done["items"]] == [
        "Holiday/Day one [clip-1].mp4",
        "Holiday/Day two [clip-2].mp4",
        "Holiday/Day three [clip-3].mp4",
    ]
    progress = done["progress"]
    assert (progress["items_done"], progress["items_total"], progress["percent"]) == (3, 3, 100.0)
    assert progress["downloaded_bytes"] == 3 * len(clip_bytes())


async def test_a_chosen_collection_name_and_resubmission(
    youtube_app, alice, with_plex, media_root, downloads
):
    with PlaylistServer("Road trip", ["Coast", "Hills"]) as site:
        first = await downloads.finished(
            alice, await downloads.submitted(alice, site.page_url, collection="Summer 2026")
        )
        assert first["status"] == "completed"
        site.add_item("Valley")
        site.requests.clear()
        second = await downloads.finished(
            alice, await downloads.submitted(alice, site.page_url, collection="Summer 2026")
        )

    assert second["status"] == "completed"
    assert [item["status"] for item in second["items"]] == ["skipped", "skipped", "finished"]
    # Only the new clip was fetched; the page's entries are known without a request.
    media = [path for path in site.requests if path.startswith("/media/")]
    assert media == ["/media/clip-3.mp4"]
    assert second["collection_id"] == first["collection_id"]
    folder = await user_folder(alice, media_root)
    assert collection_files(with_plex, "Summer 2026") == sorted(
        str(p) for p in (folder / "Road trip").glob("*.mp4")
    )
    assert len(collection_files(with_plex, "Summer 2026")) == 3
    with pytest.raises(KeyError):
        with_plex.server.collection("Road trip")

    # Deleting the second download removes only what it downloaded.
    assert (await alice.delete(f"/api/youtube/downloads/{second['id']}")).status_code == 200
    assert sorted(p.name for p in (folder / "Road trip").glob("*.mp4")) == [
        "Road trip (1) [playlist-1].mp4",
        "Road trip (2) [playlist-2].mp4",
    ]
    archive = (folder / "Road trip" / ARCHIVE_NAME).read_text()
    assert "playlist-3" not in archive and "playlist-1" in archive


async def test_a_broken_item_is_recorded_and_the_rest_go_on(
    youtube_app, alice, with_plex, media_root, downloads
):
    with PlaylistServer("Mixed", ["Fine"]) as site:
        site.add_item("Gone", kind="missing")
        site.add_item("Also fine")
        done = await downloads.finished(alice, await downloads.submitted(alice, site.feed_url))

    assert done["status"] == "completed"
    statuses = [(item["title"], item["status"]) for item in done["items"]]
    assert statuses == [("Fine", "finished"), ("Gone", "failed"), ("Also fine", "finished")]
    assert "404" in done["items"][1]["error"]
    assert done["progress"]["items_failed"] == 1
    assert done["items"][1]["in_library"] is None
    assert len(collection_files(with_plex, "Mixed")) == 2


async def test_progress_reaches_the_owners_socket(youtube_app, alice, local_allowed, downloads):
    with PlaylistServer("Live", [], slow_rate=8192) as site:
        for title in ("One", "Two"):
            site.add_item(title, kind="slow")
        download_id = await downloads.submitted(alice, site.feed_url)
        messages = []
        async with alice.client.websocket(f"/ws/youtube/{download_id}") as ws:
            assert json.loads(await ws.receive())["event"] == "ready"
            async with asyncio.timeout(WAIT):
                while not messages or messages[-1]["data"]["status"] != "completed":
                    message = json.loads(await ws.receive())
                    if message["event"] != "ping":
                        messages.append(message)

    assert {message["event"] for message in messages} == {"download:progress"}
    views = [message["data"] for message in messages]
    assert all(view["id"] == download_id for view in views)
    done_counts = [view["progress"]["items_done"] or 0 for view in views]
    assert done_counts == sorted(done_counts) and done_counts[-1] == 2
    moving = [v["items"][0]["downloaded_bytes"] for v in views if v["items"]]
    assert len(set(moving)) > 2  # bytes arrived over several messages, not all at once
    percents = [view["progress"]["percent"] for view in views]
    assert percents[-1] == 100.0 and any(0 < p < 100 for p in percents)
    assert views[-1] == await downloads.get(alice, download_id)  # the API says the same


async def test_the_owner_is_notified_when_a_download_ends(
    youtube_app, alice, bob, local_allowed, downloads
):
    with PlaylistServer("Told", ["One"]) as site:
        async with (
            alice.client.websocket("/ws/status") as mine,
            bob.client.websocket("/ws/status") as theirs,
        ):
            for ws in (mine, theirs):
                assert json.loads(await ws.receive())["event"] == "ready"
            download_id = await downloads.submitted(alice, site.feed_url)
            async with asyncio.timeout(WAIT):
                while (message := json.loads(await mine.receive()))["event"] != "notification":
                    pass
            with pytest.raises(TimeoutError):  # nobody else hears of it
                async with asyncio.timeout(0.5):
                    await theirs.receive()

    assert message["data"]["title"] == "Download finished"
    assert message["data"]["message"] == "“Told” is downloaded."
    assert message["data"]["download"] == {"id": download_id, "collection_url": None}


async def test_delete_during_a_download_stops_it_and_removes_every_file(
    youtube_app, alice, local_allowed, media_root, downloads
):
    with PlaylistServer("Cancelled", ["Quick"], slow_rate=1024) as site:
        site.add_item("Slow", kind="slow")
        download_id = await downloads.submitted(alice, site.feed_url)
        job_id = (await Download.get(id=download_id)).job_id
        running = await downloads.downloading(alice, download_id)
        assert running["status"] == "downloading"
        folder = await user_folder(alice, media_root)
        assert (folder / "Cancelled" / "Quick [clip-1].mp4").exists()

        response = await alice.delete(f"/api/youtube/downloads/{download_id}")
        assert response.status_code == 200, await response.get_data(as_text=True)
        seen = len(site.requests)
        await asyncio.sleep(1.0)
        assert len(site.requests) == seen  # nothing fetched after the answer

    assert (await alice.get(f"/api/youtube/downloads/{download_id}")).status_code == 404
    assert not folder.exists() or list(folder.rglob("*")) == []
    assert (await core_of(youtube_app).jobs.get(job_id)).status == "cancelled"


async def test_turning_the_plugin_off_stops_the_download_and_on_resumes_it(
    youtube_app, admin, alice, local_allowed, media_root, downloads
):
    with PlaylistServer("Paused", ["Quick"], slow_rate=1024) as site:
        site.add_item("Slow", kind="slow")
        site.add_item("After")
        download_id = await downloads.submitted(alice, site.page_url)
        await downloads.downloading(alice, download_id)

        job_id = (await Download.get(id=download_id)).job_id
        turned_off = await admin.put("/api/admin/plugins/youtube", json={"enabled": False})
        assert turned_off.status_code == 200

        async def released() -> bool:
            return (await core_of(youtube_app).jobs.get(job_id)).status == "queued"

        await _eventually(released, "the job to go back to the queue")
        folder = await user_folder(alice, media_root) / "Paused"
        kept = sorted(p.name for p in folder.iterdir())
        assert "Paused (1) [playlist-1].mp4" in kept and "Paused (2) [playlist-2].mp4.part" in kept
        seen = len(site.requests)
        await asyncio.sleep(1.0)
        assert len(site.requests) == seen  # stopped

        site.slow_rate = 1_000_000
        turned_on = await admin.put("/api/admin/plugins/youtube", json={"enabled": True})
        assert turned_on.status_code == 200
        assert (await Download.get(id=download_id)).status == "queued"
        done = await downloads.finished(alice, download_id)

    assert done["status"] == "completed"
    assert [item["status"] for item in done["items"]] == ["finished"] * 3
    assert sorted(p.name for p in folder.iterdir()) == [
        ARCHIVE_NAME,
        "Paused (1) [playlist-1].mp4",
        "Paused (2) [playlist-2].mp4",
        "Paused (3) [playlist-3].mp4",
    ]
    assert all(p.read_bytes() == clip_bytes() for p in folder.glob("*.mp4"))
    assert site.requested("/media/clip-1.mp4") == 1  # finished before: not fetched again


async def test_a_library_that_cannot_see_the_files_fails_with_the_reason(
    youtube_app, alice, with_plex, configure, site, media_root, downloads
):
    await configure(plex_library="Movies")  # its folder is <media_root>/movies
    done = await downloads.finished(alice, await downloads.submitted(alice, site.feed_url))

    assert done["status"] == "failed"
    assert "not inside the folders of the library “Movies”" in done["error"]
    assert done["error"].startswith("Downloaded, but not added to Plex")
    folder = await user_folder(alice, media_root)
    assert len(list((folder / "Holiday").glob("*.mp4"))) == 3  # the files are kept
    assert with_plex.server.scans == [] and with_plex.server.collections == []


async def test_a_persons_downloads_run_one_at_a_time(
    youtube_app, alice, bob, local_allowed, downloads
):
    with PlaylistServer("First", [], slow_rate=1024) as one, PlaylistServer("Second", []) as two:
        one.add_item("Slow", kind="slow")
        two.add_item("Quick")
        first = await downloads.submitted(alice, one.feed_url)
        await downloads.downloading(alice, first)
        second = await downloads.submitted(alice, two.feed_url)
        others = await downloads.submitted(bob, two.feed_url)
        assert (await downloads.finished(bob, others))["status"] == "completed"
        assert (await downloads.get(alice, first))["status"] == "downloading"
        assert (await downloads.get(alice, second))["status"] == "queued"  # waits its turn
        assert (await downloads.finished(alice, first))["status"] == "completed"
        assert (await downloads.finished(alice, second))["status"] == "completed"


def core_of(app: Any) -> Any:
    return app.extensions["medianest"]


async def _eventually(check: Any, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


HOSTILE_TITLES = [
    "../../etc/cron.d/x",
    "..\\..\\win.ini",
    "....//",
    "．．／",
    "/absolute",
    "line\nbreak\rreturn",
    "right\u202eleft",
    "CON",
    "NUL.txt",
    "trailing dot. ",
    "-rf",
    "é" * 200,  # 400 bytes in UTF-8
]


async def test_hostile_titles_stay_inside_the_users_folder(
    youtube_app, alice, local_allowed, media_root, downloads
):
    with PlaylistServer("../../../escaped", HOSTILE_TITLES) as site:
        done = await downloads.finished(alice, await downloads.submitted(alice, site.feed_url))

    assert done["status"] == "completed", done
    assert [item["status"] for item in done["items"]] == ["finished"] * len(HOSTILE_TITLES)
    folder = (await user_folder(alice, media_root)).resolve()
    written = [p for p in (media_root / "youtube").rglob("*") if p.is_file()]
    assert len(written) == len(HOSTILE_TITLES) + 1  # and the archive
    for path in written:
        assert path.resolve().is_relative_to(folder), path
        assert len(path.name.encode()) <= 255
    assert {item["file"].split("/")[0] for item in done["items"]} == {done["folder"]}
    assert ".." not in done["folder"] and "/" not in done["folder"]
