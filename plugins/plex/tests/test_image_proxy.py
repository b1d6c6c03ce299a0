"""The image proxy: Plex artwork through MediaNest, and nothing else through it."""

from __future__ import annotations

import struct
from urllib.parse import urlencode

import pytest

from medianest.testing.clients import ApiClient
from medianest_plex import library

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

REFUSED_PATHS = [
    "http://evil.example/library/metadata/1/thumb/1",
    "https://127.0.0.1:32400/library/metadata/1/thumb/1",
    "//evil.example/library/metadata/1/thumb/1",
    "///evil.example/library/metadata/1/thumb/1",
    "\\\\evil.example\\library\\metadata\\1\\thumb\\1",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "data:image/png;base64,AAAA",
    "library/metadata/1/thumb/1",  # relative
    " /library/metadata/1/thumb/1",
    "/library/metadata/1/thumb/1 ",
    "/library/metadata/1/thumb/1\n",
    "/library/metadata/1/thumb/1/../../../../etc/passwd",
    "/library/metadata/../../1/thumb/1",
    "/library/metadata/1/thumb/..",
    "/library/metadata/1/thumb/1%2F..%2F..%2Fsections",
    "/library/metadata/1/thumb/1?X-Plex-Token=stolen",
    "/library/metadata/1/thumb/1&url=http://evil",
    "/library/metadata/1/thumb/1#fragment",
    "/library/metadata/1/thumb/1%00",
    "/library/metadata/\uff11/thumb/1",  # a full-width digit: \d would take it
    "/library/metadata/1/thumb",
    "/library/metadata/1/poster/1",
    "/library/metadata/1/thumb/1/extra",
    "/library/metadata/1",
    "/library/sections",
    "/library/sections/1/all",
    "/:/prefs",
    "/:/resources/../../etc/passwd",
    "/:/resources/icon.svg",
    "/photo/:/transcode?url=http://evil.example/x.png",
    "/identity",
    "/library/metadata/" + "1" * 13 + "/thumb/1",
    "",
]


ACCEPTED_PATHS = [
    "/library/metadata/1/thumb/1",
    "/library/metadata/123456789012/art/1700000000",
    "/library/collections/42/composite/1700000000",
    "/:/resources/movie-fanart_2.jpeg",
]


@pytest.mark.parametrize("path", ACCEPTED_PATHS)
def test_item_views_link_accepted_images_through_the_proxy_as_urlencode_would(path):
    assert library.image_url(path) == image_url(path)


@pytest.mark.parametrize("path", REFUSED_PATHS)
def test_item_views_drop_images_the_proxy_would_refuse(path):
    assert library.image_url(path) is None


@pytest.fixture
async def owner(plex_app, household, sign_in_with_plex):
    return await sign_in_with_plex(plex_app, household.owner)


def image_url(path: str, **size: int) -> str:
    return "/api/plex/image?" + urlencode({"path": path, **size})


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_MAGIC)
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("path", REFUSED_PATHS)
async def test_anything_but_a_plex_image_path_is_refused(owner, household, path):
    household.server.clear_requests()

    response = await owner.get(image_url(path))

    body = await response.get_json()
    assert response.status_code == 422, body
    assert (
        body["error"]["code"] == "VALIDATION_ERROR" and "path" in body["error"]["details"]["fields"]
    )
    # Refused before anything left MediaNest (the status probe may poll sections meanwhile).
    assert [
        r.path for r in household.server.requests if not r.path.startswith("/library/sections")
    ] == []


async def test_a_missing_path_is_refused(owner):
    response = await owner.get("/api/plex/image")
    assert response.status_code == 422


@pytest.mark.parametrize("size", [{"width": 0}, {"width": 2001}, {"height": -5}])
async def test_an_unreasonable_size_is_refused(owner, household, size):
    item = household.server.items(household.movies)[0]
    response = await owner.get(image_url(f"{item.key}/thumb/{item.added_at}", **size))
    assert response.status_code == 422


async def test_an_item_thumb_is_served_with_a_long_private_cache(owner, household):
    item = household.server.items(household.movies)[0]
    household.server.clear_requests()

    response = await owner.get(image_url(f"{item.key}/thumb/{item.added_at}"))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    assert png_size(await response.get_data()) == (200, 300)
    (asked,) = household.server.requests_to(f"{item.key}/thumb/{item.added_at}")
    assert asked.token == household.owner.token and "X-Plex-Token" not in asked.query


async def test_a_sized_image_comes_from_the_plex_transcoder(owner, household):
    item = household.server.items(household.movies)[1]
    path = f"{item.key}/art/{item.added_at}"
    household.server.clear_requests()

    response = await owner.get(image_url(path, width=120, height=80))

    assert response.status_code == 200
    assert png_size(await response.get_data()) == (120, 80)
    (asked,) = household.server.requests_to("/photo/:/transcode")
    assert asked.query["url"] == path


async def test_a_library_icon_is_served(owner):
    response = await owner.get(image_url("/:/resources/movie.png"))
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"


async def test_an_image_from_a_library_not_shared_with_you_is_not_found(
    plex_app, household, sign_in_with_plex
):
    friend = await sign_in_with_plex(plex_app, household.friend)
    track_artist = household.server.items(household.music)[0]

    response = await friend.get(image_url(f"{track_artist.key}/thumb/{track_artist.added_at}"))

    assert response.status_code == 404


async def test_images_need_a_session(plex_app, household):
    item = household.server.items(household.movies)[0]
    response = await ApiClient(plex_app).get(image_url(f"{item.key}/thumb/{item.added_at}"))
    assert response.status_code == 401


async def test_a_page_of_posters_spends_the_image_budget_not_the_api_one(
    plex_app, owner, household
):
    await plex_app.extensions["medianest"].system.update(
        {"rate_limits": {"api": {"limit": 5, "window": 60}}}
    )
    items = household.server.items(household.movies)[:60]  # one library page's posters

    answers = [await owner.get(image_url(f"{item.key}/thumb/{item.added_at}")) for item in items]

    assert [answer.status_code for answer in answers] == [200] * 60
    assert (await owner.get("/api/plex/libraries")).status_code == 200
