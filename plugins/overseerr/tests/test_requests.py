"""`/api/media/*` with the Overseerr plugin behind it, against the stand-in over HTTP (both
backends): search, movie and TV requests made as the person, MediaNest's refusals first."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from medianest_overseerr.testing import MediaStatus, Permission, RequestStatus

from .conftest import calls, envelope

if TYPE_CHECKING:
    from .conftest import Household

QUIET_ORBIT = 910102  # a movie already in Plex (the demo household)
CARTOGRAPHER = 910105  # the friend's pending request, made in Overseerr
DEEP_FIELD = 910111  # approved for the friend
IRON_TIDE = 910116  # nobody asked for it yet
HARBOUR = 910113
NORTHERN_LIGHTS = 920201  # seasons 1 and 2 in Plex, 3 and 4 not
BAKERS = 920202  # 3 seasons, nobody asked
SIGNAL_LOST = 920203  # the friend asked for season 1
PRECINCT_NINE = 920204  # 6 seasons and specials


async def request(browser, media_type: str, tmdb_id: int, seasons=None):
    body = {"media_type": media_type, "tmdb_id": tmdb_id}
    if seasons is not None:
        body["seasons"] = seasons
    return await browser.post("/api/media/request", json=body)


# ---- search ----------------------------------------------------------------------------------


async def test_search_finds_movies_and_shows_with_their_availability(household: Household):
    response = await (await household.person("friend")).get("/api/media/search?q=orbit")
    assert response.status_code == 200
    found = (await envelope(response))["data"]
    by_title = {item["title"]: item for item in found["items"]}
    assert set(by_title) == {"Quiet Orbit", "Quiet Orbit II: Return", "Orbit Academy"}
    quiet = by_title["Quiet Orbit"]
    assert quiet["tmdb_id"] == QUIET_ORBIT and quiet["type"] == "movie" and quiet["year"] == 2021
    assert quiet["availability"] == "available" and quiet["request"] is None
    assert quiet["overview"].startswith("Alone on a research station")
    assert quiet["poster"].startswith("/api/overseerr/poster/w300_and_h450_face/")
    assert by_title["Orbit Academy"]["type"] == "tv"
    assert by_title["Orbit Academy"]["availability"] == "none"
    assert (found["total"], found["page"], found["pages"]) == (3, 1, 1)


async def test_search_filters_by_type_and_leaves_people_out(household: Household):
    shows = (
        await envelope(
            await (await household.person("friend")).get("/api/media/search?q=l&type=tv")
        )
    )["data"]
    assert shows["items"] and {item["type"] for item in shows["items"]} == {"tv"}
    everything = (
        await envelope(
            await (await household.person("friend")).get("/api/media/search?q=lindqvist")
        )
    )["data"]
    assert everything["items"] == []  # Mara Lindqvist is a person: not requestable


async def test_search_says_pending_partly_and_requested(household: Household):
    found = await envelope(
        await (await household.person("friend")).get("/api/media/search?q=the last cartographer")
    )
    (item,) = found["data"]["items"]
    assert item["availability"] == "pending"
    lights = (
        await envelope(await (await household.person("friend")).get("/api/media/search?q=northern"))
    )["data"]
    assert lights["items"][0]["availability"] == "partly"
    field = (
        await envelope(
            await (await household.person("friend")).get("/api/media/search?q=deep field")
        )
    )["data"]
    assert field["items"][0]["availability"] == "requested"


async def test_search_answers_are_cached_for_everyone(household: Household):
    fake = household.overseerr
    await (await household.person("friend")).get("/api/media/search?q=harbour")
    await (await household.person("kim")).get("/api/media/search?q=Harbour")
    await (await household.person("friend")).get("/api/media/search?q=harbour&type=movie")
    assert len(fake.logged("/api/v1/search")) == 1
    await (await household.person("friend")).get("/api/media/search?q=harbour&page=2")
    assert len(fake.logged("/api/v1/search")) == 2


async def test_search_pages_beyond_the_first(household: Household):
    fake = household.overseerr
    for number in range(25):
        fake.add_movie(f"Lantern {number:02d}", 2000 + number)
    first = (
        await envelope(await (await household.person("friend")).get("/api/media/search?q=lantern"))
    )["data"]
    second = (
        await envelope(
            await (await household.person("friend")).get("/api/media/search?q=lantern&page=2")
        )
    )["data"]
    assert (len(first["items"]), len(second["items"]), first["pages"], first["total"]) == (
        20,
        5,
        2,
        25,
    )
    assert not {i["tmdb_id"] for i in first["items"]} & {i["tmdb_id"] for i in second["items"]}


# ---- requests ----------------------------------------------------------------------------------


async def test_a_movie_request_is_made_as_the_person_and_recorded(household: Household):
    fake = household.overseerr
    response = await request((await household.person("friend")), "movie", IRON_TIDE)
    assert response.status_code == 201, await response.get_data(as_text=True)
    made = (await envelope(response))["data"]
    assert (made["type"], made["tmdb_id"], made["title"], made["year"]) == (
        "movie",
        IRON_TIDE,
        "Iron Tide",
        2019,
    )
    assert made["status"] == "pending" and made["seasons"] == []
    assert made["user"]["username"] == "friend"
    upstream = fake.get_request(made["id"])
    assert upstream is not None and upstream.requested_by.plex_id == 1002
    (sent,) = fake.logged("/api/v1/request", method="POST")
    assert sent.header("X-API-User") == str(upstream.requested_by.id)

    again = (
        await envelope(
            await (await household.person("friend")).get(f"/api/media/requests/{made['id']}")
        )
    )["data"]
    assert again == made
    found = (
        await envelope(
            await (await household.person("friend")).get("/api/media/search?q=iron tide")
        )
    )["data"]
    assert found["items"][0]["request"] == {"id": made["id"], "status": "pending"}
    assert found["items"][0]["availability"] == "pending"  # the search cache was emptied


async def test_auto_approval_is_overseerrs_decision_for_that_person(household: Household):
    made = (await envelope(await request((await household.person("kim")), "movie", HARBOUR)))[
        "data"
    ]
    assert made["status"] == "approved"
    assert household.overseerr.get_request(made["id"]).status == RequestStatus.APPROVED


async def test_a_show_request_asks_for_the_chosen_seasons(household: Household):
    response = await request((await household.person("friend")), "tv", PRECINCT_NINE, [2, 3])
    assert response.status_code == 201
    made = (await envelope(response))["data"]
    assert made["seasons"] == [2, 3]
    assert household.overseerr.get_request(made["id"]).season_numbers == [2, 3]


async def test_all_seasons_means_every_season_not_yet_requested_or_available(household: Household):
    lights = (
        await envelope(await request((await household.person("friend")), "tv", NORTHERN_LIGHTS))
    )["data"]
    assert lights["seasons"] == [3, 4]  # 1 and 2 are in Plex already
    bakers = (await envelope(await request((await household.person("kim")), "tv", BAKERS)))["data"]
    assert bakers["seasons"] == [1, 2, 3]  # the specials (season 0) only when asked for


async def test_seasons_a_show_does_not_have_are_refused(household: Household):
    response = await request((await household.person("friend")), "tv", BAKERS, [2, 9])
    assert response.status_code == 422
    error = (await envelope(response))["error"]
    assert "seasons" in error["details"]["fields"] and "9" in error["message"]
    assert calls(household.overseerr, "/api/v1/request", "POST") == []


@pytest.mark.parametrize(
    ("media_type", "tmdb_id", "seasons", "availability"),
    [
        ("movie", QUIET_ORBIT, None, "available"),  # in Plex, never requested
        ("movie", CARTOGRAPHER, None, "pending"),  # the friend's pending request
        ("movie", DEEP_FIELD, None, "requested"),  # approved, on its way
        ("tv", NORTHERN_LIGHTS, [1, 2], "partly"),  # those seasons are in Plex
        ("tv", SIGNAL_LOST, [1], "pending"),
    ],
)
async def test_a_title_requested_or_available_already_is_a_409_with_what_is_there(
    household: Household, media_type, tmdb_id, seasons, availability
):
    response = await request((await household.person("kim")), media_type, tmdb_id, seasons)
    assert response.status_code == 409
    error = (await envelope(response))["error"]
    assert error["code"] == "CONFLICT" and error["details"]["availability"] == availability
    existing = error["details"]["request"]
    if availability in ("available", "partly"):  # in Plex without anyone's request
        assert existing is None
    else:
        assert existing["mine"] is False and existing["id"] in {
            r.id for r in household.overseerr.requests
        }
    assert calls(household.overseerr, "/api/v1/request", "POST") == []


async def test_the_409_duplicate_of_a_request_made_in_medianest_needs_no_overseerr(
    household: Household,
):
    fake = household.overseerr
    made = (await envelope(await request((await household.person("friend")), "movie", IRON_TIDE)))[
        "data"
    ]
    fake.clear_request_log()
    again = await request((await household.person("friend")), "movie", IRON_TIDE)
    assert again.status_code == 409
    details = (await envelope(again))["error"]["details"]
    assert details["request"]["id"] == made["id"] and details["request"]["mine"] is True
    other = await request((await household.person("kim")), "movie", IRON_TIDE)
    assert other.status_code == 409
    shown = (await envelope(other))["error"]["details"]["request"]
    assert shown["mine"] is False and "user" not in shown  # who asked is not said
    assert calls(fake) == []


async def test_a_declined_title_may_be_requested_again(household: Household):
    static = 910118  # the friend's request for it was declined
    response = await request((await household.person("kim")), "movie", static)
    assert response.status_code == 201


async def test_an_unknown_tmdb_id_is_a_404(household: Household):
    response = await request((await household.person("friend")), "movie", 999_999)
    assert response.status_code == 404
    assert "999999" in (await envelope(response))["error"]["message"]


# ---- whose requests -----------------------------------------------------------------------------


async def test_each_person_lists_only_their_own_and_anothers_is_a_404(household: Household):
    mine = (await envelope(await request((await household.person("friend")), "movie", IRON_TIDE)))[
        "data"
    ]
    theirs = (await envelope(await request((await household.person("kim")), "tv", BAKERS, [1])))[
        "data"
    ]

    friend_list = (
        await envelope(await (await household.person("friend")).get("/api/media/requests"))
    )["data"]
    assert [item["id"] for item in friend_list["items"]] == [mine["id"]]
    assert (friend_list["total"], friend_list["offset"], friend_list["limit"]) == (1, 0, 20)
    kim_list = (await envelope(await (await household.person("kim")).get("/api/media/requests")))[
        "data"
    ]
    assert [item["id"] for item in kim_list["items"]] == [theirs["id"]]

    hidden = await (await household.person("friend")).get(f"/api/media/requests/{theirs['id']}")
    missing = await (await household.person("friend")).get("/api/media/requests/99999")
    assert hidden.status_code == missing.status_code == 404
    assert (await envelope(hidden))["error"] == (await envelope(missing))["error"]


async def test_everyones_requests_are_for_admins_only(household: Household):
    await request((await household.person("friend")), "movie", IRON_TIDE)
    await request((await household.person("kim")), "tv", BAKERS, [1])
    refused = await (await household.person("friend")).get("/api/media/requests?all=true")
    assert refused.status_code == 403
    everyone = (
        await envelope(await (await household.person("owner")).get("/api/media/requests?all=true"))
    )["data"]
    assert everyone["total"] == 2
    assert {item["user"]["username"] for item in everyone["items"]} == {"friend", "kim"}
    assert (await envelope(await (await household.person("owner")).get("/api/media/requests")))[
        "data"
    ]["total"] == 0
    one = await (await household.person("owner")).get(
        f"/api/media/requests/{everyone['items'][0]['id']}"
    )
    assert one.status_code == 200  # an admin may read anyone's


async def test_lists_are_newest_first_and_paged(household: Household):
    for tmdb_id in (IRON_TIDE, HARBOUR, 910101):
        assert (
            await request((await household.person("friend")), "movie", tmdb_id)
        ).status_code == 201
    page = (
        await envelope(
            await (await household.person("friend")).get("/api/media/requests?offset=1&limit=1")
        )
    )["data"]
    assert page["total"] == 3 and [item["tmdb_id"] for item in page["items"]] == [HARBOUR]


# ---- who may request -----------------------------------------------------------------------------


async def test_a_local_account_without_plex_is_refused_clearly(household: Household):
    response = await request((await household.person("local")), "movie", IRON_TIDE)
    assert response.status_code == 403
    error = (await envelope(response))["error"]
    assert (
        error["details"]["reason"] == "no_plex_account" and "Sign in with Plex" in error["message"]
    )
    assert calls(household.overseerr) == []
    search = await (await household.person("local")).get("/api/media/search?q=tide")
    assert search.status_code == 200  # searching needs no Overseerr account


async def test_a_person_overseerr_does_not_know_is_told_what_to_do(household: Household):
    response = await request((await household.person("lee")), "movie", IRON_TIDE)
    assert response.status_code == 403
    error = (await envelope(response))["error"]
    assert error["details"]["reason"] == "overseerr_unknown_user"
    assert "Import Plex Users" in error["message"]
    assert household.overseerr.user_by_plex_id(1006) is None
    assert calls(household.overseerr, "/api/v1/request", "POST") == []


async def test_with_import_on_an_unknown_person_is_imported_from_plex(household: Household):
    changed = await (await household.person("owner")).put(
        "/api/admin/plugins/overseerr", json={"settings": {"import_users": True}}
    )
    assert changed.status_code == 200
    response = await request((await household.person("lee")), "movie", IRON_TIDE)
    assert response.status_code == 201, await response.get_data(as_text=True)
    imported = household.overseerr.user_by_plex_id(1006)
    assert imported is not None
    assert (
        household.overseerr.get_request((await envelope(response))["data"]["id"]).requested_by
        is imported
    )


async def test_with_import_on_a_stranger_to_the_plex_server_is_still_refused(household: Household):
    await (await household.person("owner")).put(
        "/api/admin/plugins/overseerr", json={"settings": {"import_users": True}}
    )
    await household.core.accounts.link(
        await household.user_id("local"), "plex", "1003", username="stranger"
    )
    response = await request((await household.person("local")), "movie", IRON_TIDE)
    assert response.status_code == 403
    assert (await envelope(response))["error"]["details"]["reason"] == "overseerr_import_failed"


async def test_a_person_whose_overseerr_account_may_not_request_is_refused(household: Household):
    household.overseerr.user_by_plex_id(1002).permissions = Permission.NONE
    response = await request((await household.person("friend")), "movie", IRON_TIDE)
    assert response.status_code == 403
    assert (await envelope(response))["error"]["details"]["reason"] == "overseerr_permission"


async def test_an_overseerr_quota_used_up_is_said_with_its_numbers(household: Household):
    for tmdb_id in (IRON_TIDE, HARBOUR, 910101):
        assert (await request((await household.person("max")), "movie", tmdb_id)).status_code == 201
    response = await request((await household.person("max")), "movie", 910103)
    assert response.status_code == 403
    error = (await envelope(response))["error"]
    assert error["details"]["reason"] == "overseerr_quota"
    assert (error["details"]["limit"], error["details"]["days"]) == (3, 7)
    assert "3 movies every 7 days" in error["message"]


async def test_the_hourly_budget_answers_429_with_retry_after(household: Household):
    await (await household.person("owner")).put(
        "/api/admin/config", json={"rate_limits": {"media_request": {"limit": 2, "window": 3600}}}
    )
    assert (
        await request((await household.person("friend")), "movie", IRON_TIDE)
    ).status_code == 201
    assert (await request((await household.person("friend")), "movie", HARBOUR)).status_code == 201
    fake = household.overseerr
    fake.clear_request_log()
    limited = await request((await household.person("friend")), "movie", 910101)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    error = (await envelope(limited))["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED" and error["details"]["limit"] == 2
    assert calls(fake) == []  # nothing reached Overseerr
    assert (
        await request((await household.person("kim")), "movie", 910101)
    ).status_code == 201  # per person


async def test_the_budget_is_declared_with_its_title_and_default(household: Household):
    labels = (
        await envelope(await (await household.person("owner")).get("/api/admin/config/labels"))
    )["data"]
    assert labels["rate_limits"]["media_request"]["title"] == "Media requests per person"
    config = (await envelope(await (await household.person("owner")).get("/api/admin/config")))[
        "data"
    ]
    assert config["rate_limits"]["media_request"] == {"limit": 20, "window": 3600}


async def test_an_available_movie_is_refused_before_overseerr_would_accept_it(household: Household):
    """Overseerr accepts a request for a movie in Plex that nobody requested; MediaNest does not."""
    assert household.overseerr.media_for("movie", QUIET_ORBIT).status == MediaStatus.AVAILABLE
    assert (
        await request((await household.person("friend")), "movie", QUIET_ORBIT)
    ).status_code == 409
