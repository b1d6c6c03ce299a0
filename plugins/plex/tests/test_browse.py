"""Browsing Plex: each person sees what Plex shares with them, a page at a time."""

from __future__ import annotations

import asyncio

import pytest

from medianest.testing.clients import ApiClient, signed_in
from medianest_plex import collections as plex_collections


async def data_of(response) -> dict:
    body = await response.get_json()
    assert response.status_code == 200, body
    return body["data"]


async def error_of(response, status: int) -> dict:
    body = await response.get_json()
    assert response.status_code == status, body
    return body["error"]


# ---- who sees what ------------------------------------------------------------------------


async def test_the_owner_sees_every_library_with_counts(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)

    found = await data_of(await owner.get("/api/plex/libraries"))

    assert [(lib["title"], lib["count"]) for lib in found["items"]] == [
        ("Movies", 250),
        ("TV Shows", 40),
        ("Music", 30),
        ("YouTube", 0),
    ]
    assert found["total"] == 4


async def test_a_shared_user_sees_only_the_shared_libraries(plex_app, household, sign_in_with_plex):
    friend = await sign_in_with_plex(plex_app, household.friend)

    found = await data_of(await friend.get("/api/plex/libraries"))

    assert [lib["title"] for lib in found["items"]] == ["Movies", "TV Shows"]


async def test_a_shared_user_uses_their_own_server_token(plex_app, household, sign_in_with_plex):
    friend = await sign_in_with_plex(plex_app, household.friend)
    household.server.clear_requests()

    await data_of(await friend.get("/api/plex/libraries"))

    tokens = {request.token for request in household.server.requests_to("/library/sections")}
    assert tokens == {household.friend_token}


async def test_a_library_not_shared_with_you_is_not_found(plex_app, household, sign_in_with_plex):
    friend = await sign_in_with_plex(plex_app, household.friend)

    error = await error_of(await friend.get(f"/api/plex/library/{household.music.id}/items"), 404)
    assert error["code"] == "NOT_FOUND"
    music_item = household.server.items(household.music)[0]
    await error_of(await friend.get(f"/api/plex/items/{music_item.rating_key}"), 404)


async def test_browsing_needs_a_plex_sign_in(plex_app):
    local = await signed_in(plex_app, "localonly")

    error = await error_of(await local.get("/api/plex/libraries"), 403)

    assert error["details"]["reason"] == "plex_not_linked"


async def test_browsing_needs_a_session(plex_app):
    await error_of(await ApiClient(plex_app).get("/api/plex/libraries"), 401)


async def test_browsing_needs_the_browse_permission(plex_app, household, sign_in_with_plex):
    friend = await sign_in_with_plex(plex_app, household.friend)
    session = await data_of(await friend.get("/api/auth/session"))
    admin = await signed_in(plex_app, "root", role="admin")
    revoked = await admin.put(
        f"/api/admin/users/{session['user']['id']}", json={"permissions": {"plex.browse": False}}
    )
    assert revoked.status_code == 200

    error = await error_of(await friend.get("/api/plex/libraries"), 403)

    assert error["details"]["permission"] == "plex.browse"


# ---- paging a big library --------------------------------------------------------------------


@pytest.fixture
def big(household):
    return household.server.add_section("Everything", "movie", items=100_000)


async def test_paging_near_the_end_of_a_100k_library(plex_app, household, big, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    household.server.clear_requests()

    page = await data_of(
        await owner.get(f"/api/plex/library/{big.id}/items?offset=99950&limit=100")
    )

    assert (page["total"], page["offset"], page["limit"]) == (100_000, 99_950, 100)
    expected = [str(item.rating_key) for item in household.server.items(big)[99_950:]]
    assert [item["rating_key"] for item in page["items"]] == expected
    asked = household.server.requests_to(f"/library/sections/{big.id}/all")
    assert len(asked) == 1
    assert asked[0].headers["x-plex-container-start"] == "99950"
    assert asked[0].headers["x-plex-container-size"] == "100"


async def test_items_carry_proxied_images_and_no_plex_urls(
    plex_app, household, big, sign_in_with_plex
):
    owner = await sign_in_with_plex(plex_app, household.owner)

    item = (await data_of(await owner.get(f"/api/plex/library/{big.id}/items?limit=1")))["items"][0]

    assert item["thumb"].startswith("/api/plex/image?path=%2Flibrary%2Fmetadata%2F")
    assert household.server.url not in str(item)


async def test_sorting_and_title_search(plex_app, household, big, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    base = f"/api/plex/library/{big.id}/items"

    by_title = (await data_of(await owner.get(f"{base}?limit=3")))["items"]
    newest = (await data_of(await owner.get(f"{base}?limit=3&sort=-added_at")))["items"]
    found = await data_of(await owner.get(f"{base}?q=falcon&limit=5"))

    assert [i["title"] for i in by_title] == sorted(
        (i["title"] for i in by_title), key=str.casefold
    )
    assert newest[0]["added_at"] >= newest[1]["added_at"] >= newest[2]["added_at"]
    assert by_title[0]["rating_key"] != newest[0]["rating_key"]
    assert 0 < found["total"] < 100_000
    assert all("falcon" in item["title"].casefold() for item in found["items"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("sort=rating", "sort"),
        ("sort=titleSort:desc", "sort"),
        ("q=" + "x" * 101, "q"),
    ],
)
async def test_bad_paging_is_a_validation_error(
    plex_app, household, sign_in_with_plex, query, field
):
    owner = await sign_in_with_plex(plex_app, household.owner)

    error = await error_of(
        await owner.get(f"/api/plex/library/{household.movies.id}/items?{query}"), 422
    )

    assert field in error["details"]["fields"]


async def test_repeat_views_are_served_from_the_cache(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    friend = await sign_in_with_plex(plex_app, household.friend)
    path = f"/api/plex/library/{household.movies.id}/items?limit=20"
    household.server.clear_requests()

    first = await data_of(await owner.get(path))
    again = await data_of(await owner.get(path))
    theirs = await data_of(await friend.get(path))

    assert first == again == theirs
    asked = household.server.requests_to(f"/library/sections/{household.movies.id}/all")
    assert len(asked) == 2  # once per person: a cache entry is never shared between people


async def test_the_same_page_asked_at_once_is_one_request_to_plex(
    plex_app, household, sign_in_with_plex
):
    owner = await sign_in_with_plex(plex_app, household.owner)
    path = f"/api/plex/library/{household.movies.id}/items?limit=20&sort=-year"
    household.server.clear_requests()

    async def browse() -> dict:
        return await data_of(await owner.get(path))

    pages = await asyncio.gather(*(browse() for _ in range(8)))  # eight misses in flight at once

    assert all(page == pages[0] for page in pages)
    assert len(household.server.requests_to(f"/library/sections/{household.movies.id}/all")) == 1


# ---- collections and details --------------------------------------------------------------


async def test_collections_of_one_library_and_of_all(plex_app, household, sign_in_with_plex):
    core = plex_app.extensions["medianest"]
    movie_keys = [str(item.rating_key) for item in household.server.items(household.movies)[:3]]
    show_keys = [str(item.rating_key) for item in household.server.items(household.shows)[:2]]
    music_keys = [str(item.rating_key) for item in household.server.items(household.music)[:2]]
    await plex_collections.add_to_collection(core, "Movies", "Favourites", movie_keys)
    await plex_collections.add_to_collection(core, "TV Shows", "Binge", show_keys)
    await plex_collections.add_to_collection(core, "Music", "Road trip", music_keys)
    owner = await sign_in_with_plex(plex_app, household.owner)
    friend = await sign_in_with_plex(plex_app, household.friend)

    movies = await data_of(await owner.get(f"/api/plex/collections?library={household.movies.id}"))
    everything = await data_of(await owner.get("/api/plex/collections"))
    second_page = await data_of(await owner.get("/api/plex/collections?offset=1&limit=1"))
    shared = await data_of(await friend.get("/api/plex/collections"))

    assert [(c["title"], c["child_count"]) for c in movies["items"]] == [("Favourites", 3)]
    assert [c["title"] for c in everything["items"]] == ["Favourites", "Binge", "Road trip"]
    assert everything["total"] == 3
    assert [c["title"] for c in second_page["items"]] == ["Binge"] and second_page["total"] == 3
    assert [c["title"] for c in shared["items"]] == ["Favourites", "Binge"]


async def test_item_details_with_children(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    show = household.server.items(household.shows)[0]

    details = await data_of(await owner.get(f"/api/plex/items/{show.rating_key}"))

    assert details["title"] == show.title and details["type"] == "show"
    assert details["library_id"] == str(household.shows.id)
    assert details["children_total"] == 2
    assert [child["type"] for child in details["children"]] == ["season", "season"]


async def test_an_unknown_item_is_not_found(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    await error_of(await owner.get("/api/plex/items/999999999"), 404)


# ---- Plex in trouble --------------------------------------------------------------------------


async def test_plex_hanging_answers_503_within_the_timeout_and_the_dashboard_still_answers(
    make_plex_app, household, sign_in_with_plex
):
    app = await make_plex_app(timeout=0.5)
    core = app.extensions["medianest"]
    owner = await sign_in_with_plex(app, household.owner)
    await core.status.refresh("plex")  # the coordinator has data from a good check
    household.server.hang()
    try:
        error = await error_of(
            await owner.get(f"/api/plex/library/{household.movies.id}/items"), 503
        )
        widgets = await data_of(await owner.get("/api/dashboard/widgets"))
        status = await data_of(await owner.get("/api/dashboard/status"))
    finally:
        household.server.recover()

    assert error["code"] == "SERVICE_UNAVAILABLE" and error["details"]["service"] == "plex"
    summary = next(item for item in widgets["items"] if item["id"] == "plex.summary")
    assert [lib["title"] for lib in summary["data"]["libraries"]] == [
        "Movies",
        "TV Shows",
        "Music",
        "YouTube",
    ]
    assert "error" not in summary
    assert any(entry["service"] == "plex" for entry in status["items"])


async def test_plex_down_answers_503_naming_plex(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    household.server.fail(502, times=1)

    error = await error_of(await owner.get("/api/plex/libraries"), 503)

    assert error["details"]["service"] == "plex"
    assert household.server.url not in str(error)


async def test_a_share_withdrawn_on_the_server_answers_403(plex_app, household, sign_in_with_plex):
    friend = await sign_in_with_plex(plex_app, household.friend)
    household.server.unshare(household.friend_token)

    error = await error_of(await friend.get("/api/plex/libraries"), 403)

    assert error["details"]["reason"] == "plex_refused"


async def test_browsing_another_server_than_the_one_signed_in_to_needs_a_new_sign_in(
    plex_app, household, sign_in_with_plex
):
    from medianest_plex.models import PlexAccess

    friend = await sign_in_with_plex(plex_app, household.friend)
    await PlexAccess.all().update(machine_identifier="another-server")

    error = await error_of(await friend.get("/api/plex/libraries"), 403)

    assert error["details"]["reason"] == "plex_not_linked"
