"""Fixtures for the YouTube plugin's tests: a local playlist served on 127.0.0.1, and the plugin
in an app beside the Plex plugin and the Plex stand-in.

The clips are made with ffmpeg (CI installs it); without it the tests that serve a playlist fail
with "ffmpeg is needed to make test clips".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import medianest_plex
import medianest_youtube
from medianest.testing.clients import ApiClient, signed_in
from medianest_plex.testing import PlexHousehold, demo_household
from medianest_youtube.testing import PlaylistServer
from medianest_youtube.urls import YOUTUBE_HOSTS, CheckedUrl, check_playlist_url


@pytest.fixture
def site() -> Iterator[PlaylistServer]:
    with PlaylistServer("Holiday", ["Day one", "Day two", "Day three"]) as server:
        yield server


@pytest.fixture
def admin_added() -> Callable[[str], CheckedUrl]:
    """Checks a URL as MediaNest does when the admin has added 127.0.0.1 to the allowed hosts."""

    def check(url: str) -> CheckedUrl:
        return check_playlist_url(url, allowed_hosts={*YOUTUBE_HOSTS, "127.0.0.1"})

    return check


# ---- the plugin in an app, with the Plex stand-in ---------------------------------------------

WAIT = 60.0  # guards against hanging forever; never an expectation about speed


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    """What the Plex stand-in's libraries hold; MediaNest downloads into its "YouTube" library."""
    return tmp_path / "media"


@pytest.fixture
def household(media_root: Path) -> Iterator[PlexHousehold]:
    """The demo household's plex.tv and Plex server, whose "YouTube" library (movies) is at
    `<media_root>/youtube`: the app's DOWNLOAD_DIR."""
    home = demo_household(media_root=str(media_root))
    with home.plextv, home.server:
        yield home


@pytest.fixture
async def youtube_app(app_factory: Any, media_root: Path) -> Any:
    """An app with the YouTube and Plex plugins, downloading into the Plex library's folder; it
    runs the jobs itself on both backends (`test_worker_crash` has separate workers)."""
    from medianest.testing import installed_plugin

    return await app_factory(
        plugins=[installed_plugin("web"), medianest_youtube, medianest_plex],  # the shell: pages
        download_dir=media_root / "youtube",
        run_jobs=True,
        job_poll_seconds=0.2,
        job_lease_seconds=3.0,
    )


@pytest.fixture
async def admin(youtube_app: Any) -> ApiClient:
    """An admin, who has lifted the API budget: the tests poll downloads many times a minute."""
    root = await signed_in(youtube_app, "root", role="admin")
    lifted = {"rate_limits": {"api": {"limit": 100_000, "window": 60}}}
    assert (await root.put("/api/admin/config", json=lifted)).status_code == 200
    return root


@pytest.fixture
async def alice(youtube_app: Any, admin: ApiClient) -> ApiClient:
    return await signed_in(youtube_app, "alice")


@pytest.fixture
async def bob(youtube_app: Any, admin: ApiClient) -> ApiClient:
    return await signed_in(youtube_app, "bob")


@pytest.fixture
def configure(admin: ApiClient) -> Callable[..., Awaitable[None]]:
    """`await configure(**settings)`: the YouTube plugin's settings, as an admin saves them."""

    async def save(**settings: Any) -> None:
        response = await admin.put("/api/admin/plugins/youtube", json={"settings": settings})
        assert response.status_code == 200, await response.get_data(as_text=True)

    return save


@pytest.fixture
async def with_plex(admin: ApiClient, household: PlexHousehold, configure) -> PlexHousehold:
    """The Plex connection saved, 127.0.0.1 allowed and the "YouTube" library chosen."""
    response = await admin.put(
        "/api/admin/services/plex",
        json={
            "url": household.server.url,
            "api_key": household.owner.token,
            "enabled": True,
            "config": {"timeout": 5},
        },
    )
    assert response.status_code == 200, await response.get_data(as_text=True)
    await configure(allowed_hosts=[*YOUTUBE_HOSTS, "127.0.0.1"], plex_library="YouTube")
    return household


@pytest.fixture
async def local_allowed(configure) -> None:
    """127.0.0.1 added to the allowed hosts, no Plex library: downloads only."""
    await configure(allowed_hosts=[*YOUTUBE_HOSTS, "127.0.0.1"])


class Downloads:
    """The YouTube API as a browser uses it (the fixture `downloads`)."""

    @staticmethod
    async def submit(browser: ApiClient, url: str, **body: Any) -> Any:
        return await browser.post("/api/youtube/download", json={"playlist_url": url, **body})

    async def submitted(self, browser: ApiClient, url: str, **body: Any) -> str:
        """Submit a playlist; its download's id."""
        response = await self.submit(browser, url, **body)
        assert response.status_code == 202, await response.get_data(as_text=True)
        data = (await response.get_json())["data"]
        assert data["status"] == "queued"
        return data["id"]

    @staticmethod
    async def get(browser: ApiClient, download_id: str) -> dict[str, Any]:
        response = await browser.get(f"/api/youtube/downloads/{download_id}")
        assert response.status_code == 200, await response.get_data(as_text=True)
        return (await response.get_json())["data"]

    async def until(
        self,
        browser: ApiClient,
        download_id: str,
        check: Callable[[dict[str, Any]], bool],
        what: str,
    ) -> dict[str, Any]:
        """Poll the download until `check(download)`; fails after WAIT seconds."""
        deadline = asyncio.get_running_loop().time() + WAIT
        while True:
            download = await self.get(browser, download_id)
            if check(download):
                return download
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail(f"gave up waiting for {what}: {download}")
            await asyncio.sleep(0.1)

    async def finished(self, browser: ApiClient, download_id: str) -> dict[str, Any]:
        return await self.until(
            browser, download_id, lambda d: d["status"] in FINISHED, "the download to finish"
        )

    async def downloading(self, browser: ApiClient, download_id: str) -> dict[str, Any]:
        """Until bytes of some item have arrived."""
        return await self.until(
            browser,
            download_id,
            lambda d: any(
                i["downloaded_bytes"] and i["status"] == "downloading" for i in d["items"]
            ),
            "bytes to arrive",
        )


FINISHED = ("completed", "failed", "cancelled")


@pytest.fixture
def downloads() -> Downloads:
    return Downloads()


@pytest.fixture
def files() -> Callable[[Path], list[str]]:
    """`files(root)`: every file under `root`, as sorted relative paths."""

    def under(root: Path) -> list[str]:
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    return under
