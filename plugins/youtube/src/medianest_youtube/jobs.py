"""The job `youtube.download`: one submitted playlist, run by the core's job system.

    queued → downloading → importing (when `plex_library` is set) → completed
                         ↘ failed (with the reason) / cancelled (its owner deleted it)

The engine (`PlaylistDownload`) runs yt-dlp on a thread; its progress snapshots come back to
the event loop, are published as `download:progress` for the owner's socket at once, and are
saved on the row at most once a second (at once when an item changes status).

Stopping, by who asked:
- the owner deleted the download (the route marks it cancelled first, then cancels the job):
  the engine stops and removes what this run wrote;
- the worker stops, or an admin turned the plugin off: the engine stops as a killed run would,
  keeping its finished files and archive; the download is queued again and the job goes back
  to the queue, where the next run resumes it;
- the worker is killed (`kill -9`): nothing runs at all; the core gives the job to another
  worker once its lease expires, and that run resumes from the files and archive.

A download that finds no free place (`max_concurrent`, or its person has one running) hands
over to a new job a few seconds later rather than hold a worker's slot while it waits.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from medianest.sdk import (
    JobCancelled,
    JobContext,
    JobSpec,
    PluginCore,
    ServiceDown,
    TransientJobError,
)

from . import lanes, records
from .config import PLUGIN_ID, YoutubeSettings, youtube_settings
from .files import file_with_id
from .library import ImportFailed, import_playlist
from .models import Download
from .paths import user_folder
from .urls import UrlRefused, check_playlist_url

if TYPE_CHECKING:  # the engine, and yt-dlp with it, is loaded by the first download (_fetch)
    from .downloader import PlaylistDownload, Report

log = logging.getLogger("medianest.plugins.youtube")

JOB = "download"
JOB_NAME = f"{PLUGIN_ID}.{JOB}"
PLACE_WAIT = 5.0  # seconds before a download that found no free place looks again
SAVE_INTERVAL = 1.0  # seconds between progress writes while bytes arrive
ENGINE_STOP = 5.0  # seconds a stopping engine gets before the job lets go of its folder
RETRIES = 3  # tries after the first, for a media server that did not answer


def download_job() -> JobSpec:
    return JobSpec(JOB, download_playlist, retries=RETRIES)


async def enqueue(core: PluginCore, download: Download, *, delay: float | None = None) -> Any:
    return await core.jobs.enqueue(
        JOB_NAME, {"download_id": str(download.id)}, user_id=download.user_id, delay=delay
    )


async def download_playlist(ctx: JobContext, download_id: str) -> dict[str, Any]:
    download = await Download.get_or_none(id=download_id)
    if download is not None and download.job_id is None:  # queued a moment before its route
        await Download.filter(id=download.id, job_id__isnull=True).update(job_id=ctx.job_id)
        download.job_id = UUID(ctx.job_id)  # wrote this job's id there (the same id)
    if download is None or not download.unfinished or str(download.job_id) != ctx.job_id:
        return {"status": "gone"}  # deleted, finished, or handed over to a newer job
    settings = await youtube_settings(ctx.core)
    if not await lanes.take(ctx.core, download, settings.max_concurrent):
        return await _hand_over(ctx, download)
    return await Run(ctx, download, settings).go()


async def _hand_over(ctx: JobContext, download: Download) -> dict[str, Any]:
    """No free place: a new job looks again shortly (unless the download ended meanwhile)."""
    job = await enqueue(ctx.core, download, delay=PLACE_WAIT)
    moved = await Download.filter(id=download.id, job_id=ctx.job_id, status__in=("queued",)).update(
        job_id=job.id
    )
    if not moved:
        await ctx.core.jobs.cancel(job.id)
    return {"status": "waiting"}


class Run:
    """One attempt at one download, holding its place (`lanes`) until it ends or stops."""

    def __init__(self, ctx: JobContext, download: Download, settings: YoutubeSettings) -> None:
        self.ctx = ctx
        self.core = ctx.core
        self.download = download
        self.settings = settings
        self.user_id = str(download.user_id)  # the folder's name
        self.user_root = user_folder(self.core.settings.download_dir.resolve(), self.user_id)

    async def go(self) -> dict[str, Any]:
        try:
            if not await records.move(self.core, self.download, "downloading", error=None):
                return await self._end("cancelled")
            report = await self._fetch()
            if isinstance(report, str):
                return await self._end("failed", report)
            if report.status == "cancelled":
                if await self._owner_cancelled():
                    return await self._end("cancelled")
                await self._hand_back()
                raise JobCancelled("stopped; the next run resumes it")
            if report.status == "failed":
                return await self._end("failed", report.error)
            problem = await self._into_library(report) if self.settings.plex_library else None
            return await self._end("failed" if problem else "completed", problem)
        except (JobCancelled, TransientJobError):
            raise
        except asyncio.CancelledError:
            await asyncio.shield(self._hand_back())
            raise
        except Exception:
            log.exception("download %s failed", self.download.id)
            return await self._end("failed", "Something went wrong; try again later.")

    # ---- downloading ------------------------------------------------------------------

    async def _fetch(self) -> Report | str:
        """The engine's run with progress relayed; a refused URL is the reason as text."""
        try:
            checked = await asyncio.to_thread(
                check_playlist_url, self.download.playlist_url, self.settings.allowed_hosts
            )
        except UrlRefused as refused:
            return str(refused)
        from .downloader import PlaylistDownload

        relay = Relay(self.core, self.download, self.user_root)
        engine = PlaylistDownload(
            checked,
            self.core.settings.download_dir,
            self.user_id,
            on_progress=relay.push,
            format=self.settings.format_spec,
            max_items=self.settings.max_items,
        )
        pumping = asyncio.ensure_future(relay.pump())
        try:
            report = await self._run_engine(engine)
        finally:
            await relay.stop(pumping)
        await relay.flush()
        if report.folder is not None:
            self.download.folder = report.folder.relative_to(self.user_root).as_posix()
        return report

    async def _run_engine(self, engine: PlaylistDownload) -> Report:
        """The engine on a thread, stopped when the job is asked to stop (see the module)."""
        running = asyncio.ensure_future(asyncio.to_thread(engine.run))
        asked = asyncio.ensure_future(self.ctx.cancelled.wait())
        try:
            await asyncio.wait({running, asked}, return_when=asyncio.FIRST_COMPLETED)
            if asked.done() and not running.done():
                engine.cancel(keep=not await self._owner_cancelled())
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            engine.cancel(keep=True)  # the worker stopped waiting: leave it resumable, and
            await asyncio.wait({running}, timeout=ENGINE_STOP)  # stopped before another run
            raise
        finally:
            asked.cancel()

    async def _owner_cancelled(self) -> bool:
        status = await Download.filter(id=self.download.id).values_list("status", flat=True)
        return not status or status[0] == "cancelled"

    # ---- into the library -------------------------------------------------------------

    async def _into_library(self, report: Report) -> str | None:
        """Add the playlist's files to the collection; the reason when that failed for good."""
        files = playlist_files(report)
        if not files or report.folder is None:
            return None
        if not await records.move(self.core, self.download, "importing"):
            return None
        collection = self.download.collection or self.download.title or "YouTube"
        try:
            imported = await import_playlist(
                self.core, self.settings, report.folder, files, collection
            )
        except ImportFailed as failed:
            return str(failed)
        except (ServiceDown, OSError) as down:  # the media server did not answer: later
            if self.ctx.last_attempt:
                return f"Downloaded, but the media server could not be reached: {down}"
            await self._hand_back(f"Waiting for the media server: {down}")
            raise TransientJobError(f"media server unreachable: {down}") from None
        found = {file.relative_to(self.user_root).as_posix() for file in imported.found}
        for item in self.download.items:
            item["in_library"] = item.get("file") in found if item.get("file") else None
        self.download.collection_id = imported.collection_id
        self.download.collection_url = imported.collection_url
        return None

    # ---- endings ----------------------------------------------------------------------

    async def _end(self, status: str, error: str | None = None) -> dict[str, Any]:
        collection = {
            "collection_id": self.download.collection_id,
            "collection_url": self.download.collection_url,
        }
        if not await records.move(self.core, self.download, status, error=error, **collection):
            self.download.status, status = "cancelled", "cancelled"  # by its owner, meanwhile
            await records.save_progress(self.core, self.download)
        elif status in ("completed", "failed"):
            await records.notify(self.core, self.download)
        await lanes.release(self.download)
        return {"status": status, "error": error}

    async def _hand_back(self, note: str | None = None) -> None:
        """Stopped before the end: queued again, its place given up for others meanwhile."""
        await records.move(self.core, self.download, "queued", error=note)
        await lanes.release(self.download)


def playlist_files(report: Report) -> list[Path]:
    """Every file of the playlist in its folder: this run's, and those an earlier run (or an
    earlier download of the same playlist) finished, which this run skipped."""
    files = report.item_paths()
    if report.folder is not None:
        for item in report.items:
            if item.status == "skipped" and (found := file_with_id(report.folder, item.video_id)):
                files.append(found)
    return files


class Relay:
    """Engine snapshots (on its thread) → `download:progress` at once, the row now and then."""

    def __init__(self, core: PluginCore, download: Download, user_root: Path) -> None:
        self.core = core
        self.download = download
        self.user_root = user_root
        self._loop = asyncio.get_running_loop()
        self._latest: dict[str, Any] | None = None
        self._arrived = asyncio.Event()
        self._saved_at = -math.inf
        self._stopping = False

    def push(self, snapshot: dict[str, Any]) -> None:
        """From the engine's thread."""
        self._loop.call_soon_threadsafe(self._take, snapshot)

    def _take(self, snapshot: dict[str, Any]) -> None:
        self._latest = snapshot
        self._arrived.set()

    async def pump(self) -> None:
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            if self._stopping:
                return
            try:
                await self.flush()
            except Exception:  # a database hiccup must not stop the download
                log.warning("progress of download %s not saved", self.download.id, exc_info=True)

    async def stop(self, pumping: asyncio.Future[None]) -> None:
        """End `pump` after the save in flight, never inside it: a query cancelled half-way can
        leave its pooled connection unusable for the next one."""
        self._stopping = True
        self._arrived.set()
        await asyncio.shield(pumping)

    async def flush(self) -> None:
        snapshot, self._latest = self._latest, None
        if snapshot is None:
            return
        changed = records.apply_snapshot(self.download, snapshot, self.user_root)
        if changed or time.monotonic() - self._saved_at >= SAVE_INTERVAL:
            self._saved_at = time.monotonic()
            await records.save_progress(self.core, self.download)
        else:
            await records.publish(self.core, self.download)
