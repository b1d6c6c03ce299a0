"""`FakePlexServer`: a Plex Media Server stand-in speaking PMS's XML and JSON on 127.0.0.1.

See the package docstring (`medianest_plex.testing`) for the routes and the control API.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from quart import Quart

from medianest_plex.testing._catalog import Collection, Library, MediaItem, Section
from medianest_plex.testing._pms_routes import PmsRoutes
from medianest_plex.testing._server import StandinServer

PMS_VERSION = "1.41.3.9314-a0bfb8370"

SectionRef = Section | int | str


@dataclass(frozen=True)
class ScanRequest:
    """One `/library/sections/{id}/refresh` call as the server received it."""

    section_id: int
    path: str | None
    force: bool
    method: str


@dataclass(frozen=True)
class Access:
    """What one token may see: the owner sees every section, a shared token only its own."""

    owner: bool
    section_ids: frozenset[int] = frozenset()

    def sees(self, section_id: int) -> bool:
        return self.owner or section_id in self.section_ids


class FakePlexServer(StandinServer):
    """A Plex Media Server stand-in. See `medianest_plex.testing` for the full story."""

    label = "fake-pms"

    def __init__(
        self,
        *,
        name: str = "MediaNest Plex",
        owner_token: str | None = None,
        owner_username: str = "owner",
        machine_identifier: str | None = None,
        version: str = PMS_VERSION,
        scan_delay: float = 0.0,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.name = name
        self.owner_token = owner_token or secrets.token_urlsafe(15)
        self.owner_username = owner_username
        self.machine_identifier = machine_identifier or secrets.token_hex(20)
        self.version = version
        self.scan_delay = scan_delay
        self.library = Library()
        self.scans: list[ScanRequest] = []
        self._shares: dict[str, frozenset[int]] = {}
        self._scan_tasks: set[asyncio.Task] = set()

    # ----- control API -------------------------------------------------------------------
    @property
    def sections(self) -> list[Section]:
        return list(self.library.sections.values())

    def add_section(
        self,
        title: str,
        type: str = "movie",
        items: int | Iterable[str] = 0,
        *,
        location: str | Sequence[str] | None = None,
    ) -> Section:
        """Add a library section.

        `items=N` makes N virtual items computed from their index (cheap at any size; shows get
        2 seasons of 3 episodes, artists 2 albums of 4 tracks); an iterable of titles adds
        explicit top-level items instead. `location` is the folder(s) the section covers
        (default `/data/<title>`); scans only index files under it.
        """
        if location is None:
            locations = [
                f"/data/{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-') or 'library'}"
            ]
        else:
            locations = [location] if isinstance(location, str) else list(location)
        count = items if isinstance(items, int) else 0
        section = self.library.add_section(title, type, count, locations)
        if not isinstance(items, int):
            for item_title in items:
                self.library.add_item(section, item_title)
        return section

    def section(self, ref: SectionRef) -> Section:
        """A section by object, id or title."""
        if isinstance(ref, Section):
            return ref
        for section in self.library.sections.values():
            if section.id == ref or section.title == ref:
                return section
        raise KeyError(f"no section {ref!r}")

    def add_file_item(self, section: SectionRef, path: str, title: str | None = None) -> MediaItem:
        """Add an item for the media file at `path` at once (no scan needed)."""
        return self.library.add_item(self.section(section), title or PurePosixPath(path).stem, path)

    def stage_file(self, section: SectionRef, path: str, title: str | None = None) -> None:
        """Pretend a file exists at `path`: the next scan covering `path` turns it into an item.

        Real files on disk under a scanned path are found too; staging is for tests that do
        not want to write media files.
        """
        self.section(section).staged[path] = title or PurePosixPath(path).stem

    def item(self, rating_key: int) -> MediaItem:
        found = self.library.item(rating_key)
        if found is None:
            raise KeyError(rating_key)
        return found

    def items(self, section: SectionRef) -> Sequence[MediaItem]:
        """The section's top-level items in title order (a lazy sequence)."""
        return self.library.top_level(self.section(section))

    @property
    def collections(self) -> list[Collection]:
        return list(self.library.collections.values())

    def collection(self, title: str) -> Collection:
        for collection in self.library.collections.values():
            if collection.title == title:
                return collection
        raise KeyError(f"no collection {title!r}")

    def share(self, sections: Iterable[SectionRef], with_token: str | None = None) -> str:
        """Let `with_token` (a new token when None) see `sections`; returns the token.

        This is the server-side half of sharing; `FakePlexTV.share_server` does both halves.
        """
        token = with_token or secrets.token_urlsafe(15)
        if token == self.owner_token:
            raise ValueError("the owner already sees every section")
        self._shares[token] = frozenset(self.section(ref).id for ref in sections)
        return token

    def unshare(self, token: str) -> None:
        """Revoke a shared token: it gets 401 from now on."""
        self._shares.pop(token, None)

    def access_for(self, token: str | None) -> Access | None:
        if token is None:
            return None
        if secrets.compare_digest(token, self.owner_token):
            return Access(owner=True)
        shared = self._shares.get(token)
        return None if shared is None else Access(owner=False, section_ids=shared)

    # ----- app ---------------------------------------------------------------------------
    def _build_app(self) -> Quart:
        app = Quart(f"medianest_plex.testing.{self.label}")
        PmsRoutes(self).register(app)

        @app.after_serving
        async def _cancel_scans() -> None:
            for task in list(self._scan_tasks):
                task.cancel()

        return app

    # ----- scans -------------------------------------------------------------------------
    def _request_scan(self, section: Section, path: str | None, force: bool, method: str) -> None:
        self.scans.append(ScanRequest(section.id, path, force, method))
        if self.scan_delay <= 0:
            self.library.scan(section, path)
            return
        section.refreshing = True
        task = asyncio.get_running_loop().create_task(self._delayed_scan(section, path))
        self._scan_tasks.add(task)
        task.add_done_callback(self._scan_tasks.discard)

    async def _delayed_scan(self, section: Section, path: str | None) -> None:
        try:
            await asyncio.sleep(self.scan_delay)
            self.library.scan(section, path)
        finally:
            section.refreshing = False
