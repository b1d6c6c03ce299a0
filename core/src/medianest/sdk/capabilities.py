"""Capabilities one plugin offers others, defined here so that neither imports the other.

A plugin offers one with `register_capabilities` → `Capability(MEDIA_LIBRARY, provider)`; another
asks `core.capabilities.get(MEDIA_LIBRARY)` and gets the provider while the offering plugin is
active, else None. The protocols below are what a provider implements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

MEDIA_LIBRARY = "media_library"
DOWNLOAD_PROGRESS = "download_progress"


@dataclass(frozen=True)
class Library:
    id: str
    title: str
    type: str  # movie, show, artist, photo
    folders: tuple[str, ...]  # the library's folders as the media server sees them


class LibraryNotFound(LookupError):
    """No library has that id or title."""


@runtime_checkable
class MediaLibrary(Protocol):
    """A media server's libraries, as a plugin that puts files into them needs (the Plex plugin
    offers it). `library` is a library's id or title. Failures other than `LibraryNotFound` are
    the sdk's service errors (`ServiceDown`, …) or `ServiceNotConfigured`."""

    title: str  # "Plex": for messages and links

    async def find_library(self, library: str | int) -> Library: ...

    async def scan_folder(self, library: str | int, path: str) -> None:
        """Ask the server to scan only `path` (a folder as the server sees it)."""

    async def wait_for_items(
        self, library: str | int, paths: Iterable[str], *, timeout: float
    ) -> dict[str, str]:
        """{file path: item id} for those of `paths` that appeared within `timeout` seconds."""

    async def add_to_collection(
        self, library: str | int, title: str, item_ids: Iterable[str]
    ) -> str:
        """Put items into the collection `title`, created when missing; its id."""

    def collection_url(self, collection_id: str) -> str | None:
        """Where a person opens the collection in MediaNest's own pages, if anywhere."""


#: A download's states, worst last: several downloads of one title report the worst.
DOWNLOAD_STATES = ("completed", "queued", "paused", "downloading", "importing", "warning", "failed")


@dataclass(frozen=True)
class DownloadState:
    """How far a title's download has come (several files of a show: added up)."""

    title: str
    status: str  # one of DOWNLOAD_STATES
    progress: float  # percent, 0–100
    size_bytes: int
    left_bytes: int
    time_left: str | None  # the downloader's estimate, "HH:MM:SS" or "D.HH:MM:SS"
    source: str  # the download manager's name, for messages and links


@runtime_checkable
class DownloadProgress(Protocol):
    """Downloads on their way into the library, by title (a download manager's plugin offers
    it; a request plugin shows them on its requests). Answers from what the provider last saw,
    never by waiting on a service."""

    title: str

    async def progress(self, media_type: str, tmdb_id: int) -> DownloadState | None:
        """The download of the movie (`"movie"`) or show (`"tv"`) with that TMDB id, or None
        when nothing of it is downloading."""
