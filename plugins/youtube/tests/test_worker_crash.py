"""A `medianest worker` killed with SIGKILL in the middle of a download, on PostgreSQL + Redis:
another worker takes the job over once its lease expires, resumes from the files and archive
the first one left, and the download completes exactly once, with consistent files and one
Plex collection holding each item once.

The test process only serves the API (it runs no jobs) and the stand-ins; the downloads run in
real worker processes, as in production.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

import medianest_plex
import medianest_youtube
from medianest.testing.clients import signed_in
from medianest_plex.testing import PlexHousehold
from medianest_youtube.downloader import ARCHIVE_NAME
from medianest_youtube.models import Download
from medianest_youtube.testing import PlaylistServer, clip_bytes
from medianest_youtube.urls import YOUTUBE_HOSTS

WAIT = 90.0  # guards against hanging forever; never an expectation about speed
LEASE = 4.0  # seconds: a dead worker's job comes back soon
WORKER = (sys.executable, "-m", "medianest.cli", "worker")

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def production(backend: str, backend_settings: dict[str, Any]) -> dict[str, Any]:
    if backend != "production":
        pytest.skip("worker processes share PostgreSQL and Redis (the production backend)")
    return backend_settings


@pytest.fixture
async def api(app_factory: Any, production: dict[str, Any], media_root: Path) -> Any:
    """The app that serves the API and only enqueues: the workers run the downloads."""
    return await app_factory(
        plugins=[medianest_youtube, medianest_plex],
        download_dir=media_root / "youtube",
        run_jobs=False,
        job_lease_seconds=LEASE,
    )


class Worker:
    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()  # SIGKILL: no cleanup at all
        await self.process.wait()


@pytest.fixture
async def workers(
    production: dict[str, Any], media_root: Path, tmp_path: Path
) -> AsyncIterator[Callable[[], Any]]:
    """`await workers()`: a new `medianest worker` with the installed YouTube and Plex plugins."""
    started: list[Worker] = []
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIANEST_")}
    env.update(
        MEDIANEST_DATABASE_URL=production["database_url"],
        MEDIANEST_REDIS_URL=production["redis_url"],
        MEDIANEST_REDIS_PREFIX=production["redis_prefix"],
        MEDIANEST_DATA_DIR=str(production["data_dir"]),  # the same secret key as the app's
        MEDIANEST_DOWNLOAD_DIR=str(media_root / "youtube"),
        MEDIANEST_ADMIN_PASSWORD=production["admin_password"],
        MEDIANEST_PLUGINS="youtube,plex",
        MEDIANEST_JOB_LEASE_SECONDS=str(LEASE),
        MEDIANEST_JOB_POLL_SECONDS="0.2",
        MEDIANEST_LOG_LEVEL="INFO",
    )

    async def start() -> Worker:
        log = tmp_path / f"worker-{len(started)}.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                *WORKER, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        worker = Worker(process, log)
        started.append(worker)
        await eventually(lambda: _value("job worker" in worker.output()), "the worker to start")
        return worker

    yield start
    for worker in started:
        await worker.kill()


async def test_a_download_whose_worker_is_killed_completes_once_on_another(
    api, workers, household: PlexHousehold, media_root: Path, downloads, files
):
    admin = await signed_in(api, "root", role="admin")
    plex = {"url": household.server.url, "api_key": household.owner.token, "enabled": True}
    settings = {"allowed_hosts": [*YOUTUBE_HOSTS, "127.0.0.1"], "plex_library": "YouTube"}
    for path, body in (
        ("/api/admin/config", {"rate_limits": {"api": {"limit": 100_000, "window": 60}}}),
        ("/api/admin/services/plex", plex),
        ("/api/admin/plugins/youtube", {"settings": settings}),
    ):
        response = await admin.put(path, json=body)
        assert response.status_code == 200, await response.get_data(as_text=True)
    alice = await signed_in(api, "alice")

    with PlaylistServer("Crash", ["Before"], slow_rate=1024) as site:
        site.add_item("During", kind="slow")
        site.add_item("After")
        first = await workers()
        download_id = await downloads.submitted(alice, site.page_url)
        running = await downloads.downloading(alice, download_id)
        assert [item["status"] for item in running["items"]][:2] == ["finished", "downloading"]

        await first.kill()
        site.slow_rate = 1_000_000
        second = await workers()
        done = await downloads.finished(alice, download_id)

    assert done["status"] == "completed", (done, first.output(), second.output())
    assert [item["status"] for item in done["items"]] == ["finished"] * 3
    record = await Download.get(id=download_id)
    job = await api.extensions["medianest"].jobs.get(record.job_id)
    assert (job.status, job.attempts) == ("succeeded", 2)  # the second worker's run
    assert job.result["status"] == "completed"
    # Consistent files: each clip once, whole, no partial or temporary file left.
    folder = media_root / "youtube" / str(record.user_id) / "Crash"
    assert files(folder) == [
        ARCHIVE_NAME,
        "Crash (1) [playlist-1].mp4",
        "Crash (2) [playlist-2].mp4",
        "Crash (3) [playlist-3].mp4",
    ]
    assert all(path.read_bytes() == clip_bytes() for path in folder.glob("*.mp4"))
    archived = [line.split()[-1] for line in (folder / ARCHIVE_NAME).read_text().splitlines()]
    assert sorted(archived) == ["playlist-1", "playlist-2", "playlist-3"]  # each once
    assert site.requested("/media/clip-1.mp4") == 1  # finished before the kill: not again
    # Into Plex once: one scan, one collection, each item in it once.
    assert len(household.server.scans) == 1
    assert [c.title for c in household.server.collections] == ["Crash"]
    collection = household.server.collection("Crash")
    keys = collection.item_keys
    assert len(keys) == len(set(keys)) == 3
    assert sorted(household.server.item(key).file for key in keys) == sorted(
        str(path) for path in folder.glob("*.mp4")
    )
    assert done["collection_id"] == str(collection.rating_key)


async def eventually(check: Callable[[], Any], what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + WAIT
    while not (result := await check()):
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)
    return result


async def _value(value: Any) -> Any:
    return value
