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
