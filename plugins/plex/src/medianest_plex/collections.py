"""Putting files into Plex: scan a folder, find its items, collect them.

Other plugins reach this through the `MEDIA_LIBRARY` capability (`PlexLibrary`, below), never
by importing this plugin:

    library = core.capabilities.get(MEDIA_LIBRARY)   # None while the Plex plugin is off
    await library.scan_folder("YouTube", "/data/youtube/42/Road trip")
    found = await library.wait_for_items("YouTube", paths, timeout=120)   # {path: item id}
    collection_id = await library.add_to_collection("YouTube", "Road trip", found.values())

They act as the server's owner (only the owner may change a library), through the admin's
`plex` connection. `library` is a library's id or its title. Failures: `LibraryNotFound`,
`PlexNotConfigured` (the sdk's `ServiceNotConfigured`), and the service client's errors
(`ServiceDown` when Plex is unreachable), which a job should let fail the attempt so that it
is retried.
"""

from __future__ import annotations

import asyncio
import posixpath
import time
from collections.abc import Iterable
from typing import Any

from medianest.sdk import Library, LibraryNotFound, PluginCore
from medianest_plex.access import PlexNotConfigured, connection, owner_server, runtime
from medianest_plex.client import MAX_PAGE, PlexServer, library_uri

#: Plex's item type codes (python-plexapi `utils.SEARCHTYPES`).
TYPE_CODES = {
    "movie": 1,
    "show": 2,
    "season": 3,
    "episode": 4,
    "artist": 8,
    "album": 9,
    "track": 10,
}
#: The items that carry files, per library type (what a scan adds).
FILE_TYPES = {"movie": "movie", "show": "episode", "artist": "track"}
SEARCH_PAGE = 200
NEWEST_SEARCHED = 5_000  # new items are the newest: never walk a whole big library for them


async def find_library(core: PluginCore, library: str | int) -> Library:
    """The library named by id or title (an id wins when both could match)."""
    sections = await (await _server(core)).sections()
    wanted = str(library).strip()
    by_id = [s for s in sections if str(s.get("key")) == wanted]
    by_title = [s for s in sections if str(s.get("title", "")).casefold() == wanted.casefold()]
    for section in by_id or by_title:
        folders = tuple(
            str(location["path"])
            for location in section.get("Location") or ()
            if location.get("path")
        )
        return Library(
            str(section["key"]), str(section.get("title")), str(section.get("type")), folders
        )
    raise LibraryNotFound(f"no Plex library {wanted!r}")


async def scan_folder(core: PluginCore, library: str | int, path: str) -> None:
    """Ask Plex to scan only `path` (a folder as the Plex server sees it) in `library`."""
    found = await find_library(core, library)
    await (await _server(core)).refresh(found.id, path)


async def find_items_by_path(
    core: PluginCore, library: str | int, paths: Iterable[str], *, newest: int = NEWEST_SEARCHED
) -> dict[str, str]:
    """{file path: rating key} for those of `paths` that are items of `library` already.

    Searches the newest `newest` items (newest first, in pages): what a scan just found is there.
    """
    found_library = await find_library(core, library)
    server = await _server(core)
    wanted = {_normalised(path): path for path in paths}
    found: dict[str, str] = {}
    params = {
        "type": str(TYPE_CODES[FILE_TYPES.get(found_library.type, "movie")]),
        "sort": "addedAt:desc",
    }
    offset = 0
    while wanted.keys() - found.keys() and offset < newest:
        size = min(SEARCH_PAGE, newest - offset, MAX_PAGE)
        page = await server.page(
            f"/library/sections/{found_library.id}/all", offset=offset, size=size, params=params
        )
        for entry in page.items:
            for file in _files(entry):
                if file in wanted and file not in found:
                    found[file] = str(entry.get("ratingKey"))
        offset += len(page.items)
        if not page.items or offset >= page.total:
            break
    return {wanted[path]: key for path, key in found.items()}


async def wait_for_items(
    core: PluginCore,
    library: str | int,
    paths: Iterable[str],
    *,
    timeout: float = 120.0,
    interval: float = 2.0,
) -> dict[str, str]:
    """Like `find_items_by_path`, asked again every `interval` seconds until every path is found
    or `timeout` passes; answers what was found by then."""
    paths = list(paths)
    deadline = time.monotonic() + timeout
    while True:
        found = await find_items_by_path(core, library, paths)
        if len(found) == len(set(paths)) or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())))


async def add_to_collection(
    core: PluginCore, library: str | int, title: str, rating_keys: Iterable[str]
) -> str:
    """Put items into the collection called `title` in `library`, creating it when there is none.

    Returns the collection's rating key (its id). Adding an item twice is harmless.
    """
    keys = [str(key) for key in rating_keys]
    title = title.strip()
    if not keys or not title:
        raise ValueError("a collection needs a title and at least one item")
    found_library = await find_library(core, library)
    conn = await connection(core)
    server = owner_server(core, conn)
    uri = library_uri(await runtime(core).machine_identifier(conn), keys)
    existing = await _collection_named(server, found_library.id, title)
    if existing is not None:
        await server.add_collection_items(existing, uri)
        return existing
    first = await server.metadata(keys[0])
    item_type = str((first or {}).get("type") or FILE_TYPES.get(found_library.type, "movie"))
    created = await server.create_collection(
        found_library.id, title, TYPE_CODES.get(item_type, 1), uri
    )
    return str(created.get("ratingKey"))


async def _collection_named(server: PlexServer, library_id: str, title: str) -> str | None:
    """The rating key of the collection titled exactly `title` (Plex matches substrings)."""
    params = {"type": str(18), "title": title}  # 18: collections
    offset = 0
    while True:
        page = await server.page(
            f"/library/sections/{library_id}/all", offset=offset, size=100, params=params
        )
        for entry in page.items:
            if entry.get("title") == title:
                return str(entry.get("ratingKey"))
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return None


def _files(entry: dict[str, Any]) -> list[str]:
    return [
        _normalised(str(part["file"]))
        for media in entry.get("Media") or ()
        for part in (media.get("Part") or () if isinstance(media, dict) else ())
        if isinstance(part, dict) and part.get("file")
    ]


def _normalised(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/"))


async def _server(core: PluginCore) -> PlexServer:
    return owner_server(core, await connection(core))


class PlexLibrary:
    """The `MEDIA_LIBRARY` capability (`medianest.sdk.MediaLibrary`): the helpers above, bound
    to one app's core, for plugins that put files into the media server."""

    title = "Plex"

    def __init__(self, core: PluginCore) -> None:
        self._core = core

    async def find_library(self, library: str | int) -> Library:
        return await find_library(self._core, library)

    async def scan_folder(self, library: str | int, path: str) -> None:
        await scan_folder(self._core, library, path)

    async def wait_for_items(
        self, library: str | int, paths: Iterable[str], *, timeout: float
    ) -> dict[str, str]:
        return await wait_for_items(self._core, library, paths, timeout=timeout)

    async def add_to_collection(
        self, library: str | int, title: str, item_ids: Iterable[str]
    ) -> str:
        return await add_to_collection(self._core, library, title, item_ids)

    def collection_url(self, collection_id: str) -> str | None:
        return f"/plex/collection/{collection_id}"  # the collection's browse page


__all__ = [
    "Library",
    "LibraryNotFound",
    "PlexLibrary",
    "PlexNotConfigured",
    "add_to_collection",
    "find_items_by_path",
    "find_library",
    "scan_folder",
    "wait_for_items",
]
