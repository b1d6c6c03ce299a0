"""Requests and the sdk's `DOWNLOAD_PROGRESS` capability, against any provider: a request on
its way shows the provider's answer; a provider that fails costs only the field (both
backends). The arr plugin's own tests cover it with Sonarr and Radarr stand-ins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import medianest_overseerr
from medianest.sdk import (
    DOWNLOAD_PROGRESS,
    Capability,
    DownloadState,
    PluginSpec,
    hookimpl,
)

from .conftest import envelope, start_household

if TYPE_CHECKING:
    from .conftest import Household

IRON_TIDE = 910116  # nobody asked for it yet; kim's requests are auto-approved


class Downloads:
    """A plugin offering download progress: a fixed answer, or a failure."""

    def __init__(self, *, fails: bool = False) -> None:
        self.plugin = PluginSpec(id="downloads_test", title="Downloads")
        self.fails = fails
        self.title = "Test downloads"
        self.asked: list[tuple[str, int]] = []

    @hookimpl
    def register_capabilities(self) -> list[Capability]:
        return [Capability(DOWNLOAD_PROGRESS, self)]

    async def progress(self, media_type: str, tmdb_id: int) -> DownloadState | None:
        self.asked.append((media_type, tmdb_id))
        if self.fails:
            raise RuntimeError("the download manager's cache is gone")
        return DownloadState("Iron Tide", "downloading", 42.0, 100, 58, "00:01:00", "Test")


async def requests_of(home: Household, name: str) -> list[dict[str, Any]]:
    browser = await home.person(name)
    made = await browser.post(
        "/api/media/request", json={"media_type": "movie", "tmdb_id": IRON_TIDE}
    )
    assert made.status_code == 201, await made.get_data(as_text=True)
    return (await envelope(await browser.get("/api/media/requests")))["data"]["items"]


async def test_an_approved_request_carries_the_providers_answer(app_factory, demo_overseerr):
    provider = Downloads()
    home = await start_household(
        app_factory, demo_overseerr, plugins_override=[medianest_overseerr, provider]
    )

    (mine,) = await requests_of(home, "kim")

    assert mine["status"] == "approved" and provider.asked == [("movie", IRON_TIDE)]
    assert mine["download"] == {
        "title": "Iron Tide", "status": "downloading", "progress": 42.0, "size_bytes": 100,
        "left_bytes": 58, "time_left": "00:01:00", "source": "Test",
    }  # fmt: skip


async def test_a_failing_provider_costs_only_the_field(app_factory, demo_overseerr):
    home = await start_household(
        app_factory, demo_overseerr, plugins_override=[medianest_overseerr, Downloads(fails=True)]
    )

    (mine,) = await requests_of(home, "kim")

    assert mine["status"] == "approved" and mine["download"] is None
