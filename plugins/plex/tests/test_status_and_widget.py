"""The `plex` status probe, "test connection" through it, and the `plex.summary` widget."""

from __future__ import annotations

from medianest.sdk import Connection
from medianest.testing.clients import signed_in
from medianest_plex.probes import check


async def data_of(response) -> dict:
    body = await response.get_json()
    assert response.status_code == 200, body
    return body["data"]


def summary_of(widgets: dict) -> dict:
    return next(item for item in widgets["items"] if item["id"] == "plex.summary")


async def test_the_probe_reports_online_with_libraries_and_recent_items(plex_app, household):
    core = plex_app.extensions["medianest"]
    household.server.clear_requests()

    result = await check(core, await core.services.get("plex"))

    assert result.status == "online" and result.response_time_ms is not None
    assert [(lib["title"], lib["count"]) for lib in result.data["libraries"]] == [
        ("Movies", 250),
        ("TV Shows", 40),
        ("Music", 30),
        ("YouTube", 0),
    ]
    assert len(result.data["recently_added"]) == 10
    assert all(
        item["thumb"].startswith("/api/plex/image?") for item in result.data["recently_added"]
    )
    for request in household.server.requests:
        assert "x-plex-container-size" in request.headers or not request.path.endswith("/all")


async def test_the_probe_without_a_connection_is_unknown(plex_app):
    result = await check(plex_app.extensions["medianest"], None)
    assert result.status == "unknown"


async def test_test_connection_runs_the_probe(plex_app, household):
    core = plex_app.extensions["medianest"]

    good = await core.services.test("plex", {})
    wrong_token = await core.services.test("plex", {"api_key": "not-the-owner-token"})

    assert good["ok"] is True and good["status"] == "online"
    assert wrong_token["ok"] is False
    assert "not-the-owner-token" not in str(wrong_token)


async def test_test_connection_names_an_unreachable_server(plex_app, household):
    services = plex_app.extensions["medianest"].services
    token = (await services.get("plex")).api_key  # another host: the token must be entered again
    result = await services.test("plex", {"url": "http://127.0.0.1:9", "api_key": token})
    assert result["ok"] is False and result["status"] == "offline"


async def test_the_widget_shows_the_owner_every_library(plex_app, household, sign_in_with_plex):
    core = plex_app.extensions["medianest"]
    owner = await sign_in_with_plex(plex_app, household.owner)
    await core.status.refresh("plex")

    summary = summary_of(await data_of(await owner.get("/api/dashboard/widgets")))

    assert summary["data"]["status"] == "online"
    assert [lib["title"] for lib in summary["data"]["libraries"]] == [
        "Movies",
        "TV Shows",
        "Music",
        "YouTube",
    ]
    assert 'data-widget="plex.summary"' in summary["html"]
    assert f'href="/plex/library/{household.music.id}"' in summary["html"]  # to its browse page
    assert "Music" in summary["html"]


async def test_the_widget_shows_a_friend_only_what_is_shared(
    plex_app, household, sign_in_with_plex
):
    core = plex_app.extensions["medianest"]
    music_key = str(household.music.id)
    household.server.add_file_item(household.music, "/data/music/new/track.mp3", "Newest Song")
    friend = await sign_in_with_plex(plex_app, household.friend)
    owner = await sign_in_with_plex(plex_app, household.owner)
    await core.status.refresh("plex")

    summary = summary_of(await data_of(await friend.get("/api/dashboard/widgets")))
    owners = summary_of(await data_of(await owner.get("/api/dashboard/widgets")))

    assert "Newest Song" in owners["html"]  # the cache holds it: the friend's view filters it
    assert [lib["title"] for lib in summary["data"]["libraries"]] == ["Movies", "TV Shows"]
    assert all(item["library_id"] != music_key for item in summary["data"]["recently_added"])
    assert "Newest Song" not in summary["html"] and "Music" not in summary["html"]


async def test_the_widget_asks_a_local_user_to_sign_in_with_plex(plex_app):
    core = plex_app.extensions["medianest"]
    local = await signed_in(plex_app, "localonly")
    await core.status.refresh("plex")

    summary = summary_of(await data_of(await local.get("/api/dashboard/widgets")))

    assert summary["data"]["linked"] is False and summary["data"]["libraries"] == []
    assert "Sign in with Plex" in summary["html"]


async def test_posters_are_shown_only_to_those_the_image_proxy_serves(
    plex_app, household, sign_in_with_plex
):
    core = plex_app.extensions["medianest"]
    owner = await sign_in_with_plex(plex_app, household.owner)
    admin = await signed_in(plex_app, "localadmin", role="admin")  # never signed in with Plex
    await core.status.refresh("plex")

    owners = summary_of(await data_of(await owner.get("/api/dashboard/widgets")))
    admins = summary_of(await data_of(await admin.get("/api/dashboard/widgets")))

    poster = owners["data"]["recently_added"][0]["thumb"]
    assert (await owner.get(poster)).status_code == 200
    assert (await admin.get(poster)).status_code == 403  # the proxy uses one's own access
    assert len(admins["data"]["libraries"]) == 4  # admins still see every library
    assert all(item["thumb"] is None for item in admins["data"]["recently_added"])
    assert "/api/plex/image" not in admins["html"]


async def test_the_widget_reads_the_cache_and_never_calls_plex(
    plex_app, household, sign_in_with_plex
):
    core = plex_app.extensions["medianest"]
    owner = await sign_in_with_plex(plex_app, household.owner)
    await core.status.refresh("plex")
    household.server.clear_requests()

    await data_of(await owner.get("/api/dashboard/widgets"))

    assert household.server.requests == []


async def test_the_probe_uses_the_owner_token_as_a_header_only(plex_app, household):
    core = plex_app.extensions["medianest"]
    household.server.clear_requests()

    await check(
        core, Connection(name="plex", url=household.server.url, api_key=household.owner.token)
    )

    assert household.server.requests
    for request in household.server.requests:
        assert "X-Plex-Token" not in request.query
        assert request.path == "/identity" or request.token == household.owner.token
