"""Downloading one playlist for one user with yt-dlp, as a library, on a worker thread.

    download = PlaylistDownload(checked_url, DOWNLOAD_DIR, user_id, on_progress=publish)
    report = await download.run_async()   # or download.run() on a thread of your own
    download.cancel()                      # from any thread: stops within seconds, undone
    download.cancel(keep=True)             # stops as a killed run would: the next run resumes

Every yt-dlp option is set here, none comes from the user. The playlist is listed first
(titles and totals known before the first byte), then each entry is downloaded on its own, so
a broken one is recorded with its reason and the others go on. Files land in
`paths.playlist_folder(...)` as `<title> [<id>].<ext>`; the folder's `.medianest-archive`
(yt-dlp's archive lines) makes a re-submission fetch only new entries. A cancelled run removes
every file it wrote, partial ones included, and leaves the archive as it found it.

`on_progress(snapshot)` is called on the download's thread with `progress()`'s dict: at most
every `progress_interval` seconds while bytes arrive, and at once when an item or the run
changes status.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from yt_dlp.postprocessor.common import PostProcessor
from yt_dlp.utils import DownloadCancelled, YoutubeDLError

from .addresses import Resolver
from .formats import DEFAULT_FORMAT
from .network import ConnectionGuard, GuardedYoutubeDL
from .paths import (
    ARCHIVE_NAME,
    UnsafePath,
    check_extension,
    confine,
    item_stem,
    playlist_folder,
)
from .urls import CheckedUrl

log = logging.getLogger("medianest.plugins.youtube")

YOUTUBE_EXTRACTORS = ["youtube", "youtube:.*"]
# yt-dlp's unfinished files: "x.mp4.part", "x.f137.mp4.part-Frag3", "x.mp4.ytdl", "x.temp.mp4"
_TEMPORARY = re.compile(r"\.part(-Frag\d+)?$|\.ytdl$|\.temp\.\w+$")

RunStatus = Literal["downloading", "completed", "cancelled", "failed"]
ItemStatus = Literal["pending", "downloading", "finished", "skipped", "failed"]
ProgressCallback = Callable[[dict[str, Any]], None]


class Cancelled(DownloadCancelled):
    msg = "The download was cancelled."


@dataclass
class Item:
    index: int  # 1-based position in the playlist
    video_id: str | None
    title: str | None
    status: ItemStatus = "pending"
    downloaded_bytes: int = 0
    total_bytes: int | None = None
    speed: float | None = None
    eta: int | None = None
    path: str | None = None
    error: str | None = None
    stem: str | None = None  # the file name without extension, once known
    parts: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # per format file

    def as_dict(self) -> dict[str, Any]:
        keys = ("index", "video_id", "title", "status", "downloaded_bytes", "total_bytes")
        extra = ("speed", "eta", "path", "error")
        return {key: getattr(self, key) for key in (*keys, *extra)}


@dataclass
class Report:
    status: RunStatus
    playlist_title: str | None
    folder: Path | None
    items: list[Item]
    error: str | None = None

    def item_paths(self) -> list[Path]:
        return [Path(item.path) for item in self.items if item.path]


class PlaylistDownload:
    def __init__(
        self,
        url: CheckedUrl,
        download_dir: Path | str,
        user_id: object,
        *,
        on_progress: ProgressCallback | None = None,
        format: str = DEFAULT_FORMAT,
        max_items: int | None = None,
        progress_interval: float = 0.25,
        socket_timeout: float = 15.0,
        resolver: Resolver = socket.getaddrinfo,
    ) -> None:
        self.url = url
        self.download_dir = Path(download_dir).resolve()
        self.user_id = user_id
        self.status: RunStatus = "downloading"
        self.playlist_title: str | None = None
        self.folder: Path | None = None
        self.items: list[Item] = []
        self.error: str | None = None
        self._on_progress = on_progress
        self._format = format
        self._max_items = max_items
        self._interval = progress_interval
        self._timeout = socket_timeout
        self._guard = ConnectionGuard(frozenset({url.host} if url.trusted else ()), resolver)
        self._cancel = threading.Event()
        self._keep = False  # a cancel that keeps what the run finished, for a later run
        self._lock = threading.Lock()
        self._last_emit = 0.0
        self._current: Item | None = None
        self._archive: set[str] = set()
        self._archive_before: frozenset[str] = frozenset()
        self._archived: set[str] = set()
        self._found: frozenset[str] = frozenset()  # file names in the folder before this run

    # ---- the API ------------------------------------------------------------------------

    def cancel(self, *, keep: bool = False) -> None:
        """Ask the run to stop: it does at the next block of data, retry or item (a transfer
        that stalls altogether is noticed at the socket timeout). The run then removes what it
        wrote, unless `keep`: then it leaves its finished files, the archive and the current
        item's partial file as a killed run would, and a later run of the playlist resumes."""
        self._keep = keep and (self._keep or not self._cancel.is_set())  # undoing wins
        self._cancel.set()

    def progress(self) -> dict[str, Any]:
        with self._lock:
            items = [item.as_dict() for item in self.items]
            current = self._current
        known_totals = [item["total_bytes"] for item in items if item["total_bytes"]]
        return {
            "status": self.status,
            "playlist_title": self.playlist_title,
            "items_total": len(items),
            "items_done": sum(item["status"] in ("finished", "skipped") for item in items),
            "items_failed": sum(item["status"] == "failed" for item in items),
            "downloaded_bytes": sum(item["downloaded_bytes"] for item in items),
            "total_bytes": sum(known_totals) if known_totals else None,
            "speed": current.speed if current else None,
            "eta": current.eta if current else None,
            "current": current.index if current else None,
            "error": self.error,
            "items": items,
        }

    async def run_async(self) -> Report:
        return await asyncio.to_thread(self.run)

    def run(self) -> Report:
        try:
            self._check_cancelled()
            with self._youtube_dl() as ydl:
                entries = self._list(ydl)
                self._open_folder()
                ydl.params["paths"] = {"home": str(self.folder)}  # known once the title is
                for item, entry in zip(self.items, entries, strict=True):
                    self._check_cancelled()
                    self._download(ydl, item, entry)
            self._finish()
        except Cancelled:
            if not self._keep:
                self._undo()
            self.status = "cancelled"
        except (YoutubeDLError, UnsafePath, OSError) as exc:
            self.status, self.error = "failed", reason(exc)
        self._emit(force=True)
        return Report(self.status, self.playlist_title, self.folder, self.items, self.error)

    # ---- steps --------------------------------------------------------------------------

    def _list(self, ydl: GuardedYoutubeDL) -> list[dict[str, Any]]:
        """The playlist's title and entries, without downloading (or resolving) any entry."""
        info = ydl.extract_info(self.url.url, download=False, process=False)
        if info is None:
            raise YoutubeDLError("Nothing was found at this URL.")
        if info.get("_type") in ("playlist", "multi_video"):
            # A lazy list for YouTube, whose pages are fetched as it is read.
            found = (entry for entry in info.get("entries") or [] if entry)
            entries = list(itertools.islice(found, self._max_items))
        else:
            entries = [info]  # a single video: a playlist of one, named after it
        self._check_cancelled()
        self.playlist_title = info.get("title") or info.get("id") or self.url.host
        self.items = [
            Item(index, entry.get("id"), entry.get("title"))
            for index, entry in enumerate(entries, 1)
        ]
        self._emit(force=True)
        return entries

    @property
    def _known_folder(self) -> Path:
        """The playlist's folder, opened once its title is known (before any item)."""
        if self.folder is None:
            raise RuntimeError("the playlist's folder is not open yet")
        return self.folder

    def _open_folder(self) -> None:
        self.folder = playlist_folder(self.download_dir, self.user_id, self.playlist_title)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._found = frozenset(os.listdir(self.folder))
        self._archive.update(self._read_archive())  # the very set yt-dlp reads and adds to
        self._archive_before = frozenset(self._archive)
        self._archived = set(self._archive)  # what the file holds

    def _youtube_dl(self) -> GuardedYoutubeDL:
        ydl = GuardedYoutubeDL(self._params(), self._guard)
        ydl.add_post_processor(_Naming(self), when="pre_process")
        ydl.add_post_processor(_Checking(self), when="before_dl")
        return ydl

    def _params(self) -> dict[str, Any]:
        """Every option yt-dlp gets; none comes from the user."""
        return {
            "format": self._format,
            "merge_output_format": "mp4/mkv",
            "outtmpl": {"default": "%(medianest_stem)s.%(ext)s"},  # in paths.home, set later
            "download_archive": self._archive,  # a set: yt-dlp adds to it, we save it
            "progress_hooks": [self._on_bytes],
            "postprocessor_hooks": [lambda _: self._check_cancelled()],
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            "logger": _YtDlpLog(),
            "ignoreerrors": False,  # each entry's error is caught and recorded here
            "socket_timeout": self._timeout,
            "retries": 2,
            "fragment_retries": 2,
            "extractor_retries": 2,
            # Called before each retry: a cancelled run stops there too, not only between blocks.
            "retry_sleep_functions": dict.fromkeys(("http", "fragment", "extractor"), self._pause),
            "allowed_extractors": ["default"] if self.url.trusted else YOUTUBE_EXTRACTORS,
            "external_downloader": {"default": "native"},
            "hls_prefer_native": True,
            "noplaylist": False,
            "overwrites": False,
            "windowsfilenames": False,
            "writethumbnail": False,
            "writesubtitles": False,
            "cachedir": False,
        }

    def _download(self, ydl: GuardedYoutubeDL, item: Item, entry: dict[str, Any]) -> None:
        with self._lock:
            self._current, item.status = item, "downloading"
        self._emit(force=True)
        try:
            result = ydl.process_ie_result(dict(entry), download=True)
            self._record(ydl, item, result)
        except Cancelled:
            raise
        except Exception as exc:
            log.info("item %s of %s failed: %s", item.index, self.url.url, exc)
            self._remove_written([item.stem])
            self._archive.intersection_update(self._archived)  # in case yt-dlp recorded it
            with self._lock:
                item.status, item.error = "failed", reason(exc)
        with self._lock:
            self._current = None
        self._emit(force=True)

    def _record(self, ydl: GuardedYoutubeDL, item: Item, result: dict[str, Any] | None) -> None:
        downloads = (result or {}).get("requested_downloads") or []
        if downloads:
            path = confine(Path(downloads[0]["filepath"]), self._known_folder)
            check_extension(path.suffix.lstrip("."))
            with self._lock:
                item.status, item.path = "finished", str(path)
                item.downloaded_bytes = max(item.downloaded_bytes, path.stat().st_size)
                item.total_bytes = item.total_bytes or item.downloaded_bytes
            self._append_to_archive()
        elif result is None or ydl.in_download_archive(result):
            with self._lock:
                item.status = "skipped"  # already downloaded by an earlier run
        else:
            raise YoutubeDLError("yt-dlp downloaded nothing for this item.")

    def _finish(self) -> None:
        finished = [item for item in self.items if item.status in ("finished", "skipped")]
        if self.items and not finished:
            self.status = "failed"
            self.error = f"No item could be downloaded: {self.items[0].error}"
        elif not self.items:
            self.status, self.error = "failed", "The playlist is empty."
        else:
            self.status = "completed"

    # ---- hooks (called by yt-dlp on this run's thread) ----------------------------------

    def _check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def _pause(self, n: int) -> float:
        self._check_cancelled()
        return 0.0

    def _named(self, info: dict[str, Any]) -> str:
        """The file stem of an entry now resolved; refuses live streams (they never end)."""
        if info.get("is_live") or info.get("live_status") in ("is_live", "is_upcoming"):
            raise YoutubeDLError("Live streams are not downloaded.")
        stem = item_stem(info.get("title"), info.get("id"))
        with self._lock:
            item = self._current
            if item is not None:
                item.video_id, item.title, item.stem = info.get("id"), info.get("title"), stem
        return stem

    def _on_bytes(self, event: dict[str, Any]) -> None:
        self._check_cancelled()
        item = self._current
        if item is None:
            return
        part = event.get("filename") or ""  # one per format file (video, audio)
        done = event.get("downloaded_bytes") or 0
        total = event.get("total_bytes") or event.get("total_bytes_estimate")
        with self._lock:
            item.parts[part] = (done, int(total) if total else None)
            item.downloaded_bytes = sum(d for d, _ in item.parts.values())
            totals = [t for _, t in item.parts.values() if t]
            item.total_bytes = sum(totals) if totals else None
            item.speed, item.eta = event.get("speed"), event.get("eta")
        self._emit()  # throttled: the item's own status changes are sent at once by _download

    def _emit(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._on_progress is None or (not force and now - self._last_emit < self._interval):
            return
        self._last_emit = now
        try:
            self._on_progress(self.progress())
        except Exception:  # a listener's bug must not break the download
            log.exception("progress callback failed")

    # ---- files --------------------------------------------------------------------------

    def _undo(self) -> None:
        """After a cancel: the folder as this run found it (archive included)."""
        if self.folder is None:
            return
        if ARCHIVE_NAME in self._found:
            self._save_archive(self._archive_before)
        else:
            (self.folder / ARCHIVE_NAME).unlink(missing_ok=True)
        self._remove_written(item.stem for item in self.items)
        if not self._found and not os.listdir(self.folder):
            self.folder.rmdir()  # the run made the folder: leave nothing behind

    def _remove_written(self, stems: Iterable[str | None]) -> None:
        """Remove what this run wrote for `stems`: finished, partial and temporary files (the
        latter also when an earlier, killed run began them and this one went on with them)."""
        prefixes = tuple(f"{stem}." for stem in stems if stem)
        if self.folder is None or not prefixes:
            return
        for name in os.listdir(self.folder):
            fresh = name not in self._found or _TEMPORARY.search(name)
            if fresh and name.startswith(prefixes):
                (self.folder / name).unlink(missing_ok=True)

    def _read_archive(self) -> list[str]:
        try:
            text = (self._known_folder / ARCHIVE_NAME).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line.strip() for line in text.splitlines() if line.strip()]

    def _append_to_archive(self) -> None:
        """After each finished item: a killed run keeps what it finished."""
        new = sorted(self._archive - self._archived)
        with (self._known_folder / ARCHIVE_NAME).open("a", encoding="utf-8") as archive:
            archive.writelines(f"{line}\n" for line in new)
        self._archived.update(new)

    def _save_archive(self, lines: Iterable[str]) -> None:
        folder = self._known_folder
        target, temporary = folder / ARCHIVE_NAME, folder / f"{ARCHIVE_NAME}.tmp"
        temporary.write_text("".join(f"{line}\n" for line in sorted(lines) if line), "utf-8")
        os.replace(temporary, target)  # readers see the old or the new archive, never half


class _Naming(PostProcessor):
    """Names the entry's file (`medianest_stem`) once yt-dlp has its title and id."""

    def __init__(self, download: PlaylistDownload) -> None:
        super().__init__()
        self._download = download

    def run(self, info: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        info["medianest_stem"] = self._download._named(info)
        return [], info


class _Checking(PostProcessor):
    """Before any byte is written: the file type is allowed and the path is in the folder."""

    def __init__(self, download: PlaylistDownload) -> None:
        super().__init__()
        self._download = download

    def run(self, info: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        check_extension(info.get("ext"))
        confine(Path(info["_filename"]), self._download._known_folder)
        return [], info


class _YtDlpLog:
    """yt-dlp's messages into the plugin's log, not onto the worker's terminal."""

    def debug(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    def info(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    def warning(self, message: str) -> None:
        log.info("yt-dlp: %s", message)

    def error(self, message: str) -> None:
        log.info("yt-dlp: %s", message)


_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CAUSE = re.compile(r"\s*\(caused by .*\)$")


def reason(exc: BaseException) -> str:
    """A failure as one line for the user: yt-dlp's message without its "ERROR: " prefix,
    terminal codes or "(caused by …)" tail."""
    text = _TERMINAL_CODES.sub("", str(exc)).strip().removeprefix("ERROR:")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return _CAUSE.sub("", lines[0] if lines else type(exc).__name__)[:500]
