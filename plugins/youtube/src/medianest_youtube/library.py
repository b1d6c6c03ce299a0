"""Into the media server: scan the playlist's folder, find its files there, collect them.

The YouTube plugin reaches the media server through the sdk's `MEDIA_LIBRARY` capability (the
Plex plugin offers it), never by importing another plugin. The server may see the download
folder under another path (Plex in a container, on a NAS): `plex_download_dir` says where, and
every local path is mapped onto it. That folder must lie inside one of the library's folders,
or Plex would never index the files.

Failures the person can act on are `ImportFailed` (its message is shown on the download). The
service errors (`ServiceDown`, …) are left to the job, which tries again later.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from medianest.sdk import (
    MEDIA_LIBRARY,
    LibraryNotFound,
    MediaLibrary,
    PluginCore,
    ServiceAuthFailed,
    ServiceNotConfigured,
    ServiceResponseError,
)

from .config import YoutubeSettings


class ImportFailed(Exception):
    """The files are downloaded but could not be added to the library; says why, for the user."""


@dataclass(frozen=True)
class Imported:
    collection_id: str
    collection_url: str | None
    found: frozenset[Path]  # the local files the server listed


@dataclass(frozen=True)
class ServerPaths:
    """Local paths under the download folder, as the media server sees them."""

    download_dir: Path
    root: str  # the download folder on the server

    @classmethod
    def of(cls, download_dir: Path, server_dir: str | None) -> ServerPaths:
        download_dir = download_dir.resolve()
        return cls(download_dir, (server_dir or str(download_dir)).rstrip("/\\") or "/")

    def __call__(self, path: Path) -> str:
        parts = path.resolve().relative_to(self.download_dir).parts
        separator = "\\" if "\\" in self.root and "/" not in self.root else "/"
        return separator.join([self.root, *parts])

    def inside(self, folders: Iterable[str]) -> bool:
        root = _comparable(self.root)
        return any(posixpath.commonpath([root, _comparable(f)]) == _comparable(f) for f in folders)


def _comparable(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/"))


async def import_playlist(
    core: PluginCore,
    settings: YoutubeSettings,
    folder: Path,
    files: list[Path],
    collection: str,
) -> Imported:
    """Scan `folder`, wait for `files` to be listed, put them into the collection `collection`."""
    library: MediaLibrary | None = core.capabilities.get(MEDIA_LIBRARY)
    if library is None:
        raise ImportFailed("Downloaded, but not added to Plex: the Plex plugin is turned off.")
    wanted = str(settings.plex_library)
    to_server = ServerPaths.of(core.settings.download_dir, settings.plex_download_dir)
    try:
        found = await library.find_library(wanted)
        if not to_server.inside(found.folders):
            raise ImportFailed(
                f"Downloaded, but not added to {library.title}: the download folder "
                f"({to_server.root}) is not inside the folders of the library “{found.title}” "
                f"({', '.join(found.folders) or 'none'}). An admin can fix the YouTube plugin's "
                f"plex_library or plex_download_dir."
            )
        await library.scan_folder(found.id, to_server(folder))
        paths = {to_server(file): file for file in files}
        listed = await library.wait_for_items(found.id, paths, timeout=settings.import_timeout)
        if not listed:
            raise ImportFailed(
                f"Downloaded, but {library.title} did not list the files within "
                f"{settings.import_timeout} s."
            )
        collection_id = await library.add_to_collection(found.id, collection, listed.values())
    except LibraryNotFound:
        raise ImportFailed(
            f"Downloaded, but not added: {library.title} has no library “{wanted}”."
        ) from None
    except ServiceNotConfigured:
        raise ImportFailed(
            f"Downloaded, but not added: MediaNest is not connected to {library.title}."
        ) from None
    except (ServiceAuthFailed, ServiceResponseError) as exc:
        raise ImportFailed(f"Downloaded, but {library.title} refused to add it: {exc}") from None
    return Imported(
        collection_id,
        library.collection_url(collection_id),
        frozenset(paths[path] for path in listed),
    )
