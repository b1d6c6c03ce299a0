"""The Overseerr stand-in speaks Overseerr's API over real HTTP.

Every successful exchange is checked against `overseerr-api.yml` (Overseerr 1.34.0) with
openapi-core (see `SpecClient` in conftest.py); refusals are checked for Overseerr's status and
error body, since the spec documents none.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from medianest_overseerr.testing import (
    DEFAULT_TEMPLATE,
    FakeOverseerr,
    MediaStatus,
    Notification,
    Permission,
    RequestStatus,
)

if TYPE_CHECKING:
    from .conftest import SpecClient, WebhookReceiver

MOVIE, OTHER_MOVIE, SHOW, SHOW_WITH_SPECIALS = 910102, 910105, 920201, 920204
HOLD = 5.0  # generous bound for waits that normally end at once
IMAGES = "https://image.tmdb.org/t/p/w600_and_h900_bestv2"
NO_PERMISSION = {"status": 403, "error": "You do not have permission to access this endpoint"}


# ----------------------------------------------------------------------- status and auth


async def test_status_is_public_and_names_the_version(api: SpecClient) -> None:
    status = await api.ok("GET", "/status", key=None)
    assert status == {
        "version": "1.34.0",
        "commitTag": "v1.34.0",
        "updateAvailable": False,
        "commitsBehind": 0,
        "restartRequired": False,
    }


async def test_a_missing_key_is_401_and_a_wrong_one_403(
    api: SpecClient, overseerr: FakeOverseerr
) -> None:
    missing = await api.refused(401, "GET", "/auth/me", key=None, check_request=False)
    assert missing == {
        "message": "cookie 'connect.sid' required",
        "errors": [{"path": "/api/v1/auth/me", "message": "cookie 'connect.sid' required"}],
    }
    assert await api.refused(403, "GET", "/auth/me", key="not-the-key") == NO_PERMISSION
    nobody = await api.send("GET", "/auth/me", headers={"X-API-User": "999"})
    assert (nobody.status_code, nobody.json()) == (403, NO_PERMISSION)
    assert [r.path for r in overseerr.request_log] == ["/api/v1/auth/me"] * 3


async def test_auth_me_is_the_key_owner_or_the_x_api_user(
    api: SpecClient, overseerr: FakeOverseerr
) -> None:
    owner = await api.get("/auth/me")
    assert (owner["id"], owner["plexId"], owner["permissions"]) == (1, 1001, Permission.ADMIN)
    friend = overseerr.add_user("friend", plex_id=1002)
    me = await api.get("/auth/me", user=friend)
    assert (me["id"], me["plexUsername"], me["displayName"], me["plexId"]) == (
        2,
        "friend",
        "friend",
        1002,
    )
    assert me["permissions"] == Permission.REQUEST and me["email"] == "friend@example.com"


# ----------------------------------------------------------------------- TMDB


async def test_search_mixes_movies_shows_and_people(
    api: SpecClient, overseerr: FakeOverseerr
) -> None:
    overseerr.mark_available("movie", 910113)
    found = await api.get("/search", query="harbour", page=1, language="en")
    by_type = {r["mediaType"]: r for r in found["results"]}
    assert set(by_type) == {"movie", "person"} and found["totalResults"] == 2
    assert by_type["movie"]["title"] == "Harbour Lights" and by_type["movie"][
        "releaseDate"
    ].startswith("2004-")
    assert by_type["movie"]["mediaInfo"]["status"] == MediaStatus.AVAILABLE
    assert by_type["movie"]["posterPath"].startswith("/") and by_type["movie"][
        "posterPath"
    ].endswith(".jpg")
    person = by_type["person"]
    assert person["name"] == "Lena Harbour" and {k["mediaType"] for k in person["knownFor"]} == {
        "movie",
        "tv",
    }

    lisbon = await api.get("/search", query="LISBON")
    assert {(r["mediaType"], r.get("title") or r.get("name")) for r in lisbon["results"]} == {
        ("movie", "Paper Tigers of Lisbon"),
        ("tv", "The Lisbon Files"),
    }
    assert all("mediaInfo" not in r for r in lisbon["results"])  # nobody asked for them yet


async def test_search_pages_by_twenty(api: SpecClient, overseerr: FakeOverseerr) -> None:
    for n in range(25):
        overseerr.add_movie(f"Zebra Crossing {n}", 2000 + n)
    first = await api.get("/search", query="zebra", page=1)
    second = await api.get("/search", query="zebra", page=2)
    assert (first["page"], first["totalPages"], first["totalResults"]) == (1, 2, 25)
    assert (len(first["results"]), len(second["results"])) == (20, 5)
    titles = {r["title"] for r in first["results"] + second["results"]}
    assert len(titles) == 25
    assert await api.refused(400, "GET", "/search", check_request=False) == {
        "message": "request/query must have required property 'query'",
        "errors": [{"path": "/query", "message": "must have required property 'query'"}],
    }


async def test_movie_and_tv_details(api: SpecClient, overseerr: FakeOverseerr) -> None:
    movie = await api.get(f"/movie/{MOVIE}")
    assert (movie["title"], movie["runtime"], movie["imdbId"][:2]) == ("Quiet Orbit", 124, "tt")
    assert "mediaInfo" not in movie and movie["credits"]["cast"][0]["name"] == "Mara Lindqvist"

    show = await api.get(f"/tv/{SHOW_WITH_SPECIALS}")
    assert [s["seasonNumber"] for s in show["seasons"]] == [0, 1, 2, 3, 4, 5, 6]
    assert show["seasons"][0]["name"] == "Specials" and show["seasons"][1]["episodeCount"] == 13
    assert show["numberOfSeasons"] == 6 and show["externalIds"]["tvdbId"] > 0

    friend = overseerr.add_user("friend", plex_id=1002)
    overseerr.request(friend, "tv", SHOW_WITH_SPECIALS, seasons=[1])
    info = (await api.get(f"/tv/{SHOW_WITH_SPECIALS}"))["mediaInfo"]
    assert info["status"] == MediaStatus.PENDING and info["tvdbId"] == show["externalIds"]["tvdbId"]
    assert [
        (r["requestedBy"]["id"], r["seasons"][0]["seasonNumber"]) for r in info["requests"]
    ] == [(2, 1)]

    assert await api.refused(500, "GET", "/movie/1") == {"message": "Unable to retrieve movie."}
    assert await api.refused(500, "GET", "/tv/1") == {"message": "Unable to retrieve series."}


# ----------------------------------------------------------------------- requests


async def test_a_movie_request_is_pending_until_a_manager_approves(
    api: SpecClient, overseerr: FakeOverseerr
) -> None:
    friend = overseerr.add_user("friend", plex_id=1002)
    made = await api.post("/request", {"mediaType": "movie", "mediaId": MOVIE}, user=friend)
    assert (made["status"], made["media"]["status"], made["requestedBy"]["id"]) == (1, 2, friend.id)
    assert made["type"] == "movie" and made["modifiedBy"] is None and made["is4k"] is False
    assert (await api.get(f"/request/{made['id']}", user=friend))["id"] == made["id"]

    refused = await api.refused(403, "POST", f"/request/{made['id']}/approve", user=friend)
    assert refused == NO_PERMISSION
    approved = await api.post(f"/request/{made['id']}/approve")
    assert (approved["status"], approved["media"]["status"], approved["modifiedBy"]["id"]) == (
        2,
        3,
        1,
    )

    overseerr.mark_available("movie", MOVIE)
    available = await api.get("/request", filter="available")
    assert [r["id"] for r in available["results"]] == [made["id"]]
    assert overseerr.media_for("movie", MOVIE).status == MediaStatus.AVAILABLE


async def test_a_manager_declines_and_the_movie_may_be_asked_again(
    api: SpecClient, overseerr: FakeOverseerr
) -> None:
    friend = overseerr.add_user("friend", plex_id=1002)
    manager = overseerr.add_user("manager", plex_id=1009, permissions=Permission.MANAGE_REQUESTS)
    made = await api.post("/request", {"mediaType": "movie", "mediaId": MOVIE}, user=friend)
    declined = await api.post(f"/request/{made['id']}/decline", user=manager)
    assert (declined["status"], declined["media"]["status"]) == (
        RequestStatus.DECLINED,
        MediaStatus.UNKNOWN,
    )
    again = await api.post("/request", {"mediaType": "movie", "mediaId": MOVIE}, user=friend)
    assert again["id"] != made["id"] and again["status"] == RequestStatus.PENDING


async def test_auto_approval_and_seasons_already_asked_for(
    api: SpecClient, overseerr: FakeOverseerr
) -> None:
    kim = overseerr.add_user(
        "kim", plex_id=1004, permissions=Permission.REQUEST | Permission.AUTO_APPROVE
    )
    friend = overseerr.add_user("friend", plex_id=1002)
    first = await api.post(
        "/request", {"mediaType": "tv", "mediaId": SHOW, "seasons": [1, 2]}, user=kim
    )
    assert (first["status"], first["modifiedBy"]["id"], first["media"]["status"]) == (2, kim.id, 3)
    assert [(s["seasonNumber"], s["status"]) for s in first["seasons"]] == [(1, 2), (2, 2)]

    rest = await api.post(
        "/request", {"mediaType": "tv", "mediaId": SHOW, "seasons": "all"}, user=friend
    )
    assert [s["seasonNumber"] for s in rest["seasons"]] == [3, 4] and rest[
        "status"
    ] == RequestStatus.PENDING
    nothing_left = await api.refused(
        202,
        "POST",
        "/request",
        user=friend,
        json={"mediaType": "tv", "mediaId": SHOW, "seasons": "all"},
    )
    assert nothing_left == {"message": "No seasons available to request"}

    specials = await api.post(
        "/request",
        {"mediaType": "tv", "mediaId": SHOW_WITH_SPECIALS, "seasons": "all"},
        user=friend,
    )
    assert 0 not in [s["seasonNumber"] for s in specials["seasons"]]  # "all" leaves out specials


async def test_a_duplicate_movie_request_is_409(api: SpecClient, overseerr: FakeOverseerr) -> None:
    friend = overseerr.add_user("friend", plex_id=1002)
    other = overseerr.add_user("other", plex_id=1003)
    await api.post("/request", {"mediaType": "movie", "mediaId": MOVIE}, user=friend)
    for who in (friend, other):
        duplicate = await api.refused(
            409, "POST", "/request", user=who, json={"mediaType": "movie", "mediaId": MOVIE}
        )
        assert duplicate == {"message": "Request for this media already exists."}
    assert len(overseerr.requests) == 1
    four_k = overseerr.add_user("fourk", plex_id=1010, permissions=Permission.REQUEST_4K)
    made = await api.post(
        "/request", {"mediaType": "movie", "mediaId": MOVIE, "is4k": True}, user=four_k
    )
    assert made["is4k"] is True and made["media"]["status4k"] == MediaStatus.PENDING


async def test_a_user_without_the_request_permission_is_refused(
    api: SpecClient, overseerr: FakeOverseerr
) -> None:
    guest = overseerr.add_user("guest", permissions=Permission.NONE)
    movies_only = overseerr.add_user("movies", plex_id=1011, permissions=Permission.REQUEST_MOVIE)
    body = await api.refused(
        403, "POST", "/request", user=guest, json={"mediaType": "movie", "mediaId": MOVIE}
    )
    assert body == {"message": "You do not have permission to make movie requests."}
    await api.post("/request", {"mediaType": "movie", "mediaId": MOVIE}, user=movies_only)
    body = await api.refused(
        403,
        "POST",
        "/request",
        user=movies_only,
        json={"mediaType": "tv", "mediaId": SHOW, "seasons": [1]},
    )
    assert body == {"message": "You do not have permission to make series requests."}
    assert overseerr.media_for("tv", SHOW) is None  # nothing half-written


async def test_quotas_refuse_once_used_up(api: SpecClient, overseerr: FakeOverseerr) -> None:
    max_ = overseerr.add_user("max", plex_id=1005, movie_quota_limit=2, tv_quota_limit=3)
    for tmdb_id in (MOVIE, OTHER_MOVIE):
        await api.post("/request", {"mediaType": "movie", "mediaId": tmdb_id}, user=max_)
    body = await api.refused(
        403, "POST", "/request", user=max_, json={"mediaType": "movie", "mediaId": 910103}
    )
    assert body == {"message": "Movie Quota exceeded."}
    quota = await api.get(f"/user/{max_.id}/quota", user=max_)
    assert quota["movie"] == {"days": 7, "limit": 2, "used": 2, "remaining": 0, "restricted": True}

    body = await api.refused(
        403,
        "POST",
        "/request",
        user=max_,
        json={"mediaType": "tv", "mediaId": SHOW, "seasons": [1, 2, 3, 4]},
    )
    assert body == {"message": "Series Quota exceeded."}
    await api.post(
        "/request", {"mediaType": "tv", "mediaId": SHOW, "seasons": [1, 2, 3]}, user=max_
    )
    assert (await api.get(f"/user/{max_.id}/quota"))["tv"]["restricted"] is True
    others = await api.refused(403, "GET", "/user/1/quota", user=max_)
    assert others == {"message": "You do not have permission to view this user's request limits."}


async def test_unknown_requests_are_404(api: SpecClient) -> None:
    for method, path in (
        ("GET", "/request/77"),
        ("POST", "/request/77/approve"),
        ("DELETE", "/request/77"),
    ):
        assert await api.refused(404, method, path) == {"message": "Request not found."}
    bad = await api.refused(400, "POST", "/request/77/pend", check_request=False)
    assert bad["message"].startswith(
        "request/params/status must be equal to one of the allowed values"
    )


async def test_bad_request_bodies_are_400(api: SpecClient) -> None:
    cases = {
        "request/body must have required property 'mediaId'": {"mediaType": "movie"},
        "request/body/mediaType must be equal to one of the allowed values: movie, tv":
            {"mediaType": "book", "mediaId": 1},
        "request/body/seasons must match exactly one schema in oneOf":
            {"mediaType": "tv", "mediaId": SHOW, "seasons": "some"},
    }  # fmt: skip
    for message, body in cases.items():
        refused = await api.refused(400, "POST", "/request", json=body, check_request=False)
        assert refused["message"] == message


async def test_the_request_list_pages_filters_and_shows_each_their_own(
    api: SpecClient, overseerr: FakeOverseerr
) -> None:
    friend = overseerr.add_user("friend", plex_id=1002)
    other = overseerr.add_user("other", plex_id=1003)
    ids = [overseerr.request(friend, "movie", m).id for m in (MOVIE, OTHER_MOVIE, 910103)]
    mine = overseerr.request(other, "movie", 910104).id
    overseerr.approve(ids[0])
    overseerr.mark_available("movie", MOVIE)
    overseerr.approve(ids[1])
    overseerr.decline(ids[2])

    page = await api.get("/request", take=2, skip=2)
    assert page["pageInfo"] == {"pages": 2, "pageSize": 2, "results": 4, "page": 2}
    assert [r["id"] for r in page["results"]] == [ids[1], ids[0]]  # newest first
    expected = {
        "all": [mine, *reversed(ids)], "approved": [ids[1], ids[0]], "available": [ids[0]],
        "processing": [ids[1]], "pending": [mine], "unavailable": [mine, ids[1]], "failed": [],
    }  # fmt: skip
    for name, wanted in expected.items():
        assert [r["id"] for r in (await api.get("/request", filter=name))["results"]] == wanted, (
            name
        )
    assert [r["id"] for r in (await api.get("/request", requestedBy=other.id))["results"]] == [mine]
    overseerr.approve(mine)  # now the most recently modified
    assert (await api.get("/request", sort="modified"))["results"][0]["id"] == mine

    own = await api.get("/request", user=other)
    assert [r["id"] for r in own["results"]] == [mine]
    body = await api.refused(403, "GET", "/request", user=other, params={"requestedBy": friend.id})
    assert body == {"message": "You do not have permission to view this user's requests."}
    body = await api.refused(403, "GET", f"/request/{ids[0]}", user=other)
    assert body == {"message": "You do not have permission to view this request."}
    bad = await api.refused(
        400, "GET", "/request", params={"filter": "everything"}, check_request=False
    )
    assert bad["errors"][0]["path"] == "/query/filter"

    counts = await api.get("/request/count")
    assert counts == {"total": 4, "movie": 4, "tv": 0, "pending": 0, "approved": 3, "declined": 1,
                      "processing": 2, "available": 1}  # fmt: skip


async def test_deleting_requests(api: SpecClient, overseerr: FakeOverseerr) -> None:
    friend = overseerr.add_user("friend", plex_id=1002)
    other = overseerr.add_user("other", plex_id=1003)
    pending = overseerr.request(friend, "movie", MOVIE)
    response = await api.send("DELETE", f"/request/{pending.id}", user=friend)
    assert response.status_code == 204
    api.check(response)
    assert (
        overseerr.requests == []
        and overseerr.media_for("movie", MOVIE).status == MediaStatus.UNKNOWN
    )

    approved = overseerr.request(friend, "movie", OTHER_MOVIE)
    overseerr.approve(approved.id)
    body = await api.refused(401, "DELETE", f"/request/{approved.id}", user=other)
    assert body == {"message": "You do not have permission to delete this request."}
    assert overseerr.get_request(approved.id) is not None


# ----------------------------------------------------------------------- users


async def test_users_are_paged_with_their_plex_ids(
    api: SpecClient, overseerr: FakeOverseerr
) -> None:
    friend = overseerr.add_user("friend", plex_id=1002)
    overseerr.add_user("guest", permissions=Permission.NONE)
    listed = await api.get("/user", take=2, skip=0)
    assert listed["pageInfo"] == {"pages": 2, "pageSize": 2, "results": 3, "page": 1}
    assert [(u["id"], u["plexId"]) for u in listed["results"]] == [(1, 1001), (2, 1002)]
    last = await api.get("/user", take=2, skip=2)
    assert last["results"][0]["username"] == "guest" and last["results"][0]["plexId"] is None
    assert (await api.get(f"/user/{friend.id}"))["plexUsername"] == "friend"

    # Without MANAGE_USERS, Overseerr leaves out email and plexId (though the spec requires email)
    response = await api.send("GET", "/user", user=friend)
    assert response.status_code == 200
    assert all("plexId" not in u and "email" not in u for u in response.json()["results"])
    assert await api.refused(404, "GET", "/user/99") == {"message": "User not found."}


async def test_import_from_plex(api: SpecClient, overseerr: FakeOverseerr) -> None:
    overseerr.add_plex_friend("lee", 1006)
    overseerr.add_plex_friend("sam", 1007)
    friend = overseerr.add_user("friend", plex_id=1002)
    assert (
        await api.refused(
            403, "POST", "/user/import-from-plex", user=friend, json={"plexIds": ["1006"]}
        )
        == NO_PERMISSION
    )
    numbers = await api.refused(
        400, "POST", "/user/import-from-plex", json={"plexIds": [1006]}, check_request=False
    )
    assert numbers["message"] == "request/body/plexIds/0 must be string"

    # Overseerr answers the new users filtered (no email, no plexId), though the spec requires email
    response = await api.send("POST", "/user/import-from-plex", json={"plexIds": ["1006"]})
    assert response.status_code == 201
    created = response.json()
    assert [u["plexUsername"] for u in created] == ["lee"] and "plexId" not in created[0]
    lee = overseerr.user_by_plex_id(1006)
    assert lee is not None and lee.permissions == Permission.REQUEST
    again = await api.send("POST", "/user/import-from-plex", json={"plexIds": ["1006"]})
    assert (again.status_code, again.json()) == (201, [])  # already a user
    api.check(again)
    assert overseerr.user_by_plex_id(1007) is None


# ----------------------------------------------------------------------- webhook agent


async def test_webhook_settings_round_trip(api: SpecClient, overseerr: FakeOverseerr) -> None:
    settings = {
        "enabled": True,
        "types": int(Notification.MEDIA_PENDING | Notification.MEDIA_APPROVED),
        "options": {"webhookUrl": "http://127.0.0.1:9/hook", "authHeader": "Bearer s3cret",
                    "jsonPayload": json.dumps(DEFAULT_TEMPLATE)},
    }  # fmt: skip
    stored = await api.post("/settings/notifications/webhook", settings)
    assert json.loads(base64.b64decode(stored["options"]["jsonPayload"])) == DEFAULT_TEMPLATE
    shown = await api.get("/settings/notifications/webhook")
    assert shown == {
        **settings,
        "options": {**settings["options"], "jsonPayload": DEFAULT_TEMPLATE},
    }
    assert overseerr.webhook.auth_header == "Bearer s3cret"

    friend = overseerr.add_user("friend", plex_id=1002)
    assert (
        await api.refused(403, "GET", "/settings/notifications/webhook", user=friend)
        == NO_PERMISSION
    )
    broken = {**settings, "options": {**settings["options"], "jsonPayload": "{not json"}}
    assert (await api.refused(500, "POST", "/settings/notifications/webhook", json=broken))[
        "message"
    ]
    assert overseerr.webhook.auth_header == "Bearer s3cret"  # unchanged


async def test_request_events_reach_the_webhook_with_its_authorization(
    api: SpecClient, overseerr: FakeOverseerr, receiver: WebhookReceiver
) -> None:
    await api.post(
        "/settings/notifications/webhook",
        {"enabled": True, "types": 222,
         "options": {"webhookUrl": receiver.hook_url, "authHeader": "Bearer s3cret",
                     "jsonPayload": json.dumps(DEFAULT_TEMPLATE)}},
    )  # fmt: skip
    friend = overseerr.add_user("friend", plex_id=1002, discord_id="42")
    poster = (await api.get(f"/movie/{MOVIE}"))["posterPath"]
    made = await api.post("/request", {"mediaType": "movie", "mediaId": MOVIE}, user=friend)
    await overseerr.settled()
    [pending] = receiver.deliveries
    assert pending.authorization == "Bearer s3cret" and pending.content_type == "application/json"
    assert pending.body == {
        "notification_type": "MEDIA_PENDING",
        "event": "New Movie Request",
        "subject": "Quiet Orbit (2021)",
        "message": overseerr.title("movie", MOVIE).overview,
        "image": IMAGES + poster,
        "media": {"media_type": "movie", "tmdbId": str(MOVIE), "tvdbId": "", "status": "PENDING",
                  "status4k": "UNKNOWN"},
        "request": {"request_id": str(made["id"]), "requestedBy_email": "friend@example.com",
                    "requestedBy_username": "friend", "requestedBy_avatar": friend.avatar,
                    "requestedBy_settings_discordId": "42",
                    "requestedBy_settings_telegramChatId": ""},
        "issue": None,
        "comment": None,
        "extra": [],
    }  # fmt: skip

    await api.post(f"/request/{made['id']}/approve")
    overseerr.mark_available("movie", MOVIE)
    kim = overseerr.add_user(
        "kim", plex_id=1004, permissions=Permission.REQUEST | Permission.AUTO_APPROVE
    )
    show = await api.post(
        "/request", {"mediaType": "tv", "mediaId": SHOW, "seasons": [2, 3]}, user=kim
    )
    other = overseerr.request(friend, "movie", OTHER_MOVIE)
    overseerr.decline(other.id)
    overseerr.fail_request(show["id"])
    await overseerr.settled()

    kinds = [(d.body["notification_type"], d.body["media"]["status"]) for d in receiver.deliveries]
    assert kinds == [
        ("MEDIA_PENDING", "PENDING"),
        ("MEDIA_APPROVED", "PROCESSING"),
        ("MEDIA_AVAILABLE", "AVAILABLE"),
        ("MEDIA_AUTO_APPROVED", "PROCESSING"),
        ("MEDIA_PENDING", "PENDING"),
        ("MEDIA_DECLINED", "UNKNOWN"),
        ("MEDIA_FAILED", "PROCESSING"),
    ]
    auto = receiver.deliveries[3].body
    assert (
        auto["event"] == "Series Request Automatically Approved" and auto["media"]["tvdbId"] != ""
    )
    assert auto["extra"] == [{"name": "Requested Seasons", "value": "2, 3"}]
    assert all(d.authorization == "Bearer s3cret" for d in receiver.deliveries)
    assert all(d.delivered for d in overseerr.webhook_deliveries)


async def test_only_subscribed_events_are_sent(
    overseerr: FakeOverseerr, receiver: WebhookReceiver
) -> None:
    overseerr.configure_webhook(receiver.hook_url, types=Notification.MEDIA_APPROVED)
    friend = overseerr.add_user("friend", plex_id=1002)
    made = overseerr.request(friend, "movie", MOVIE)
    overseerr.approve(made.id)
    await overseerr.settled()
    assert [d.body["notification_type"] for d in receiver.deliveries] == ["MEDIA_APPROVED"]
    assert receiver.deliveries[0].authorization is None  # no auth header configured, none sent


async def test_a_template_that_is_not_double_encoded_sends_nothing(
    api: SpecClient, overseerr: FakeOverseerr, receiver: WebhookReceiver
) -> None:
    """Overseerr's UI sends `JSON.stringify(template)`; a client that posts the template as is
    gets its settings saved, and then no webhook at all."""
    await api.post(
        "/settings/notifications/webhook",
        {"enabled": True, "types": 222,
         "options": {"webhookUrl": receiver.hook_url, "authHeader": "",
                     "jsonPayload": DEFAULT_TEMPLATE}},
    )  # fmt: skip
    overseerr.request(overseerr.add_user("friend", plex_id=1002), "movie", MOVIE)
    await overseerr.settled()
    assert receiver.deliveries == []
    [attempt] = overseerr.webhook_deliveries
    assert attempt.payload is None and "Unexpected token" in attempt.error


async def test_a_receiver_that_fails_is_logged(
    overseerr: FakeOverseerr, receiver: WebhookReceiver
) -> None:
    overseerr.configure_webhook(receiver.hook_url, auth_header="token")
    receiver.fail(500, times=1)
    friend = overseerr.add_user("friend", plex_id=1002)
    overseerr.request(friend, "movie", MOVIE)
    await overseerr.settled()
    [failed] = overseerr.webhook_deliveries
    assert (failed.status_code, failed.delivered, failed.authorization) == (500, False, "token")
    assert receiver.logged("/hook", "POST")[0].header("authorization") == "token"


async def test_the_webhook_test_button(api: SpecClient, receiver: WebhookReceiver) -> None:
    settings = {"enabled": True, "types": 0,
                "options": {"webhookUrl": receiver.hook_url, "authHeader": "Basic abc",
                            "jsonPayload": json.dumps(DEFAULT_TEMPLATE)}}  # fmt: skip
    response = await api.send("POST", "/settings/notifications/webhook/test", json=settings)
    assert response.status_code == 204
    api.check(response)
    [test] = receiver.deliveries
    assert test.authorization == "Basic abc"
    assert (test.body["notification_type"], test.body["media"], test.body["request"]) == (
        "TEST_NOTIFICATION",
        None,
        None,
    )
    down = {
        **settings,
        "options": {**settings["options"], "webhookUrl": "http://127.0.0.1:9/nothing"},
    }
    body = await api.refused(500, "POST", "/settings/notifications/webhook/test", json=down)
    assert body == {"message": "Failed to send webhook notification."}


# ----------------------------------------------------------------------- faults, threads, images


async def test_fail_and_hang_switches(api: SpecClient, overseerr: FakeOverseerr) -> None:
    overseerr.fail(503, times=1)
    assert (await api.send("GET", "/status")).status_code == 503
    assert (await api.send("GET", "/status")).status_code == 200

    overseerr.hang()
    with pytest.raises(httpx.ReadTimeout):
        await api.http.get("/status", timeout=0.3)
    held = asyncio.create_task(api.http.get("/status"))
    await asyncio.sleep(0.1)
    assert not held.done()
    overseerr.recover()
    response = await asyncio.wait_for(held, HOLD)
    assert response.status_code == 200 and response.json()["version"] == "1.34.0"


def test_the_demo_household_on_a_thread(check_exchange: Callable[[httpx.Response], None]) -> None:
    with FakeOverseerr.demo() as overseerr:
        headers = {"X-Api-Key": overseerr.api_key}
        response = httpx.get(
            f"{overseerr.url}/api/v1/request", headers=headers, params={"take": 20}, timeout=HOLD
        )
        check_exchange(response)
        statuses = sorted(r["status"] for r in response.json()["results"])
        assert statuses == [1, 1, 2, 2, 3]
        users = httpx.get(f"{overseerr.url}/api/v1/user", headers=headers, timeout=HOLD).json()
        plex_ids = {u["displayName"]: u["plexId"] for u in users["results"]}
        assert plex_ids == {"owner": 1001, "friend": 1002, "kim": 1004, "max": 1005, "guest": None}
        assert overseerr.media_for("tv", SHOW).status == MediaStatus.PARTIALLY_AVAILABLE
        overseerr.mark_available("tv", SHOW)  # control methods work from this thread too
        assert overseerr.media_for("tv", SHOW).status == MediaStatus.AVAILABLE


def test_the_demo_household_matches_the_plex_stand_in() -> None:
    plex = pytest.importorskip("medianest_plex.testing")
    household = plex.demo_household()
    overseerr = FakeOverseerr.demo()
    for account in (household.owner, household.friend):
        user = overseerr.user_by_plex_id(account.id)
        assert user is not None and (user.plex_username, user.email) == (
            account.username,
            account.email,
        )
    assert overseerr.user_by_plex_id(household.stranger.id) is None


async def test_posters_come_from_the_image_proxy(overseerr: FakeOverseerr, api: SpecClient) -> None:
    poster = (await api.get(f"/movie/{MOVIE}"))["posterPath"]
    async with httpx.AsyncClient(timeout=HOLD) as http:
        response = await http.get(f"{overseerr.url}/imageproxy/t/p/w300_and_h450_face{poster}")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG") and struct.unpack(
        ">II", response.content[16:24]
    ) == (200, 300)
