"""The plugin inside a running MediaNest (both backends): two connections saved as an admin
saves them, one probe each, the dashboard widget, and one app failing while the other works.

Checks run on demand with `core.status.refresh` instead of waiting for the coordinators.
"""

from __future__ import annotations

from typing import Any

import medianest_arr
from medianest.sdk import DOWNLOAD_PROGRESS
from medianest.testing.clients import ApiClient, signed_in
from medianest_arr.demo import demo_radarr, demo_sonarr
from medianest_arr.testing import FakeRadarr, FakeSonarr


async def connect(admin: ApiClient, fake: FakeSonarr | FakeRadarr) -> None:
    saved = await admin.put(
        f"/api/admin/services/{fake.label}", json={"url": fake.url, "api_key": fake.api_key}
    )
    assert saved.status_code == 200, await saved.get_data()


async def widget_of(client: ApiClient) -> dict[str, Any]:
    response = await client.get("/api/dashboard/widgets")
    assert response.status_code == 200
    (widget,) = [w for w in (await response.get_json())["data"]["items"] if w["plugin"] == "arr"]
    assert "error" not in widget
    return widget


async def test_both_apps_are_services_of_their_own_with_encrypted_keys(
    app_factory: Any, sonarr: FakeSonarr, radarr: FakeRadarr
) -> None:
    app = await app_factory(plugins=[medianest_arr])
    admin = await signed_in(app, "root", role="admin")
    await connect(admin, sonarr)
    await connect(admin, radarr)

    listed = await admin.get("/api/admin/services")
    body = await listed.get_data(as_text=True)
    views = {s["name"]: s for s in (await listed.get_json())["data"]["items"]}

    assert (views["sonarr"]["title"], views["radarr"]["title"]) == ("Sonarr", "Radarr")
    assert views["sonarr"]["has_api_key"] and views["radarr"]["has_api_key"]
    assert sonarr.api_key not in body and radarr.api_key not in body
    tested = await admin.post("/api/admin/services/test", json={"name": "radarr"})
    assert (await tested.get_json())["data"]["ok"] is True


async def test_the_widget_shows_each_apps_queue_counts_and_upcoming(
    app_factory: Any, sonarr: FakeSonarr, radarr: FakeRadarr
) -> None:
    film = radarr.add_movie("Deep Field", tmdb_id=910111, year=2023)
    radarr.download(film, size=8_000_000_000, left=2_000_000_000)
    radarr.mark_failed(radarr.download(radarr.add_movie("Static", tmdb_id=910118, year=2007)))
    show = sonarr.add_series("Northern Lights", tvdb_id=1, tmdb_id=920201, year=2022)
    app = await app_factory(plugins=[medianest_arr])
    core = app.extensions["medianest"]
    admin = await signed_in(app, "root", role="admin")
    await connect(admin, sonarr)
    await connect(admin, radarr)
    await core.status.refresh("sonarr")
    await core.status.refresh("radarr")

    widget = await widget_of(await signed_in(app, "alice"))

    assert [a["service"] for a in widget["data"]["apps"]] == ["sonarr", "radarr"]
    html = widget["html"]
    assert "Deep Field" in html and 'aria-label="75% downloaded"' in html
    assert 'data-failed="1">1 failed' in html and "2 downloads" in html
    assert show and "0 downloads" in html  # Sonarr answered with an empty queue


async def test_one_app_failing_leaves_the_other_working(
    app_factory: Any, sonarr: FakeSonarr, radarr: FakeRadarr
) -> None:
    radarr.download(radarr.add_movie("Deep Field", tmdb_id=910111, year=2023))
    app = await app_factory(plugins=[medianest_arr])
    core = app.extensions["medianest"]
    admin = await signed_in(app, "root", role="admin")
    await connect(admin, sonarr)
    await connect(admin, radarr)

    await sonarr.stop()
    sonarr_entry = await core.status.refresh("sonarr")
    radarr_entry = await core.status.refresh("radarr")
    widget = await widget_of(admin)

    assert (sonarr_entry["status"], radarr_entry["status"]) == ("offline", "online")
    sonarr_view, radarr_view = widget["data"]["apps"]
    assert (sonarr_view["status"], radarr_view["status"]) == ("offline", "online")
    assert sonarr_view["error"] and radarr_view["downloads"][0]["title"] == "Deep Field"
    assert widget["html"].count(">offline</span>") == 1


async def test_radarr_alone_shows_only_radarr(app_factory: Any, radarr: FakeRadarr) -> None:
    app = await app_factory(plugins=[medianest_arr])
    core = app.extensions["medianest"]
    admin = await signed_in(app, "root", role="admin")
    await connect(admin, radarr)
    await core.status.refresh("radarr")

    widget = await widget_of(admin)

    assert [a["service"] for a in widget["data"]["apps"]] == ["radarr"]
    assert "Sonarr" not in widget["html"]


async def test_the_capability_answers_from_the_cache_by_tmdb_id(
    app_factory: Any, radarr: FakeRadarr
) -> None:
    film = radarr.add_movie("Deep Field", tmdb_id=910111, year=2023)
    radarr.download(film, size=1000, left=400)
    app = await app_factory(plugins=[medianest_arr])
    core = app.extensions["medianest"]
    await core.services.put("radarr", url=radarr.url, api_key=radarr.api_key)
    await core.status.refresh("radarr")
    downloads = core.capabilities.get(DOWNLOAD_PROGRESS)

    radarr.clear_request_log()
    found = await downloads.progress("movie", 910111)

    assert (found.title, found.status, found.progress, found.source) == (
        "Deep Field", "downloading", 60.0, "Radarr"
    )  # fmt: skip
    assert await downloads.progress("movie", 1) is None
    assert await downloads.progress("tv", 910111) is None
    assert radarr.request_log == []  # never a call to Radarr


async def test_the_demo_stand_ins_answer_the_probes(app_factory: Any, tmp_path: Any) -> None:
    app = await app_factory(plugins=[medianest_arr])
    core = app.extensions["medianest"]
    with demo_sonarr(tmp_path) as tv, demo_radarr(tmp_path) as film:
        await core.services.put("sonarr", url=tv.url, api_key=tv.api_key)
        await core.services.put("radarr", url=film.url, api_key=film.api_key)
        entries = [await core.status.refresh(name) for name in ("sonarr", "radarr")]
        queue = core.status.data("radarr")["queue"]

    assert [e["status"] for e in entries] == ["online", "online"]
    assert (queue["total"], queue["failed"]) == (2, 1)
