"""`/api/media`: the core's routes in front of a plugin's request provider (the seam)."""

from __future__ import annotations

from typing import Any

from medianest.testing.clients import ApiClient, signed_in
from sample_plugins.everything import Everything


async def body(response: Any) -> Any:
    return await response.get_json()


async def test_without_a_provider_every_route_says_requests_are_not_set_up(app_factory):
    app = await app_factory(plugins=[])
    user = await signed_in(app, "alice")
    for response in [
        await user.get("/api/media/search?q=alpha"),
        await user.post("/api/media/request", json={"media_type": "movie", "tmdb_id": 101}),
        await user.get("/api/media/requests"),
        await user.get("/api/media/requests/1"),
    ]:
        assert response.status_code == 503
        error = (await body(response))["error"]
        assert (
            error["code"] == "SERVICE_UNAVAILABLE" and error["details"]["reason"] == "no_provider"
        )


async def test_search_request_and_own_requests_go_through_the_provider(app_factory):
    plugin = Everything()
    app = await app_factory(plugins=[plugin])
    alice, bob = await signed_in(app, "alice"), await signed_in(app, "bob")
    admin = await signed_in(app, "root", role="admin")

    found = (await body(await alice.get("/api/media/search?q=a&type=movie")))["data"]
    assert [item["tmdb_id"] for item in found["items"]] == [101, 102]

    created = await alice.post(
        "/api/media/request", json={"media_type": "tv", "tmdb_id": 201, "seasons": [2, 1, 2]}
    )
    assert created.status_code == 201
    made = (await body(created))["data"]
    assert made["seasons"] == [1, 2]  # checked and tidied by the core before the provider sees it

    again = await bob.post("/api/media/request", json={"media_type": "tv", "tmdb_id": 201})
    assert again.status_code == 409 and (await body(again))["error"]["code"] == "CONFLICT"

    mine = (await body(await alice.get("/api/media/requests")))["data"]
    assert mine["total"] == 1 and mine["offset"] == 0 and mine["limit"] == 20
    assert (await body(await bob.get("/api/media/requests")))["data"]["total"] == 0
    assert (await bob.get(f"/api/media/requests/{made['id']}")).status_code == 404  # looks missing
    assert (await alice.get(f"/api/media/requests/{made['id']}")).status_code == 200
    assert (await body(await admin.get("/api/media/requests?all=true")))["data"]["total"] == 1


async def test_refusals_come_before_the_provider(app_factory):
    plugin = Everything()
    app = await app_factory(plugins=[plugin])
    alice = await signed_in(app, "alice")
    anonymous = ApiClient(app)

    assert (await anonymous.get("/api/media/search?q=a")).status_code == 401
    assert (
        await anonymous.post("/api/media/request", json={})
    ).status_code == 401  # before the body
    assert (await alice.get("/api/media/requests?all=true")).status_code == 403

    for query, field in [
        ("", "q"),
        ("q=a&type=music", "type"),
        ("q=a&page=0", "page"),
        ("q=" + "x" * 201, "q"),
    ]:
        response = await alice.get(f"/api/media/search?{query}")
        assert response.status_code == 422, query
        assert field in (await body(response))["error"]["details"]["fields"], query
    for sent, field in [
        ({"media_type": "book", "tmdb_id": 1}, "media_type"),
        ({"media_type": "movie", "tmdb_id": 0}, "tmdb_id"),
        ({"media_type": "movie", "tmdb_id": 101, "seasons": [1]}, "seasons"),
        ({"media_type": "tv", "tmdb_id": 201, "seasons": [-1]}, "seasons"),
        ({"media_type": "tv", "tmdb_id": 201, "seasons": []}, "seasons"),
    ]:
        response = await alice.post("/api/media/request", json=sent)
        assert response.status_code == 422, sent
        assert field in (await body(response))["error"]["details"]["fields"], sent
    assert plugin.requests.made == []  # nothing reached the provider
    for request_id in ["abc", "1" * 13, "-1"]:
        assert (await alice.get(f"/api/media/requests/{request_id}")).status_code == 404

    admin = await signed_in(app, "root", role="admin")
    alice_id = (await body(await alice.get("/api/auth/session")))["data"]["user"]["id"]
    revoked = await admin.put(
        f"/api/admin/users/{alice_id}", json={"permissions": {"media.request": False}}
    )
    assert revoked.status_code == 200
    alice_again = ApiClient(app)
    await alice_again.sign_in("alice")
    assert (await alice_again.get("/api/media/search?q=a")).status_code == 403


async def test_a_disabled_provider_is_not_asked(app_factory):
    plugin = Everything()
    app = await app_factory(plugins=[plugin])
    alice = await signed_in(app, "alice")
    await app.extensions["medianest"].host.set_enabled(
        "everything", False, app.extensions["medianest"]
    )
    assert (await alice.get("/api/media/search?q=a")).status_code == 503
