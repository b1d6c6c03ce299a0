"""With the Overseerr plugin enabled too, an approved request shows how far its download has
come: Overseerr's plugin asks the sdk's `DOWNLOAD_PROGRESS` capability, which this plugin
offers; neither imports the other. Both services are stand-ins over HTTP (both backends).

Each plugin alone keeps working: Overseerr's requests then carry no `download` field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

import medianest_arr
import medianest_overseerr
from medianest.testing import installed_plugin
from medianest.testing.clients import ApiClient, signed_in
from medianest_arr.testing import FakeRadarr
from medianest_overseerr.testing import FakeOverseerr

IRON_TIDE = 910116  # in the Overseerr stand-in's catalogue; nobody asked for it yet
HARBOUR = 910113
KIM, FRIEND = "1004", "1002"  # Plex ids: kim's requests are auto-approved, the friend's wait


@dataclass
class Home:
    app: Any
    core: Any
    radarr: FakeRadarr
    kim: ApiClient
    friend: ApiClient

    async def requests(self, browser: ApiClient) -> list[dict[str, Any]]:
        response = await browser.get("/api/media/requests")
        assert response.status_code == 200, await response.get_data(as_text=True)
        return (await response.get_json())["data"]["items"]


async def person(app: Any, name: str, plex_id: str) -> ApiClient:
    browser = await signed_in(app, name)
    me = (await (await browser.get("/api/auth/session")).get_json())["data"]["user"]["id"]
    await app.extensions["medianest"].accounts.link(me, "plex", plex_id, username=name)
    return browser


async def start(app_factory: Any, plugins: list[Any], radarr: FakeRadarr, overseerr: Any) -> Home:
    app = await app_factory(plugins=plugins)
    core = app.extensions["medianest"]
    await core.http.reset_breaker("overseerr")  # breakers may be shared through Redis
    await core.services.put("overseerr", url=overseerr.url, api_key=overseerr.api_key)
    if medianest_arr in plugins:
        await core.services.put("radarr", url=radarr.url, api_key=radarr.api_key)
    kim, friend = await person(app, "kim", KIM), await person(app, "friend", FRIEND)
    return Home(app, core, radarr, kim, friend)


async def ask(browser: ApiClient, tmdb_id: int) -> dict[str, Any]:
    response = await browser.post(
        "/api/media/request", json={"media_type": "movie", "tmdb_id": tmdb_id}
    )
    assert response.status_code in (200, 201), await response.get_data(as_text=True)
    return (await response.get_json())["data"]


@pytest.fixture
async def overseerr() -> Any:
    async with FakeOverseerr.demo() as server:
        yield server


async def test_an_approved_request_shows_its_download(
    app_factory: Any, radarr: FakeRadarr, overseerr: FakeOverseerr
) -> None:
    home = await start(app_factory, [medianest_overseerr, medianest_arr], radarr, overseerr)
    approved = await ask(home.kim, IRON_TIDE)
    waiting = await ask(home.friend, HARBOUR)
    for tmdb_id, title in ((IRON_TIDE, "Iron Tide"), (HARBOUR, "Harbour Lights")):
        film = radarr.add_movie(title, tmdb_id=tmdb_id, year=2019)
        radarr.download(film, size=4_000_000_000, left=3_000_000_000)
    await home.core.status.refresh("radarr")

    (mine,) = await home.requests(home.kim)
    one = await home.kim.get(f"/api/media/requests/{approved['id']}")
    (theirs,) = await home.requests(home.friend)

    assert mine["status"] == "approved"
    assert mine["download"] == {
        "title": "Iron Tide",
        "status": "downloading",
        "progress": 25.0,
        "size_bytes": 4_000_000_000,
        "left_bytes": 3_000_000_000,
        "time_left": mine["download"]["time_left"],
        "source": "Radarr",
    }
    assert (await one.get_json())["data"]["download"]["progress"] == 25.0
    assert theirs["id"] == waiting["id"] and theirs["status"] == "pending"
    assert theirs["download"] is None  # not approved: whatever Radarr has is not its download


async def test_the_download_follows_the_queue(
    app_factory: Any, radarr: FakeRadarr, overseerr: FakeOverseerr
) -> None:
    home = await start(app_factory, [medianest_overseerr, medianest_arr], radarr, overseerr)
    await ask(home.kim, IRON_TIDE)
    queued = radarr.download(radarr.add_movie("Iron Tide", tmdb_id=IRON_TIDE, year=2019))
    await home.core.status.refresh("radarr")
    assert (await home.requests(home.kim))[0]["download"]["progress"] == 0.0

    radarr.mark_failed(queued)
    await home.core.status.refresh("radarr")
    assert (await home.requests(home.kim))[0]["download"]["status"] == "failed"

    radarr.finish(queued)
    await home.core.status.refresh("radarr")
    assert (await home.requests(home.kim))[0]["download"] is None  # imported: nothing on its way


async def test_my_requests_page_shows_the_progress(
    app_factory: Any, radarr: FakeRadarr, overseerr: FakeOverseerr
) -> None:
    shell = installed_plugin("web")
    home = await start(app_factory, [shell, medianest_overseerr, medianest_arr], radarr, overseerr)
    await ask(home.kim, IRON_TIDE)
    film = radarr.add_movie("Iron Tide", tmdb_id=IRON_TIDE, year=2019)
    radarr.download(film, size=1000, left=400)
    await home.core.status.refresh("radarr")

    response = await home.kim.get("/overseerr/requests")
    html = await response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'data-request-download="downloading"' in html
    assert 'aria-label="60% downloaded"' in html and "Downloading in Radarr · 60%" in html


async def test_overseerr_alone_has_no_download_field(
    app_factory: Any, radarr: FakeRadarr, overseerr: FakeOverseerr
) -> None:
    home = await start(app_factory, [medianest_overseerr], radarr, overseerr)
    await ask(home.kim, IRON_TIDE)

    (mine,) = await home.requests(home.kim)

    assert mine["status"] == "approved" and "download" not in mine


async def test_turning_arr_off_takes_the_field_away(
    app_factory: Any, radarr: FakeRadarr, overseerr: FakeOverseerr
) -> None:
    home = await start(app_factory, [medianest_overseerr, medianest_arr], radarr, overseerr)
    await ask(home.kim, IRON_TIDE)
    admin = await signed_in(home.app, "root", role="admin")

    turned_off = await admin.put("/api/admin/plugins/arr", json={"enabled": False})

    assert turned_off.status_code == 200
    (mine,) = await home.requests(home.kim)
    assert "download" not in mine
