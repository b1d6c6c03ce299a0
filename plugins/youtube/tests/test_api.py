"""The YouTube API's refusals: who may call, bad URLs (the SSRF corpus), the quota, a playlist
queued twice, and other people's downloads, which look missing over HTTP and the socket."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from quart.testing.connections import WebsocketDisconnectError

from medianest.testing.clients import ApiClient
from medianest_youtube.models import Download
from medianest_youtube.testing import SSRF_CORPUS, PlaylistServer

WAIT = 10.0


async def error_of(response: Any) -> dict[str, Any]:
    body = await response.get_json()
    assert body["success"] is False
    return body["error"]


async def test_every_ssrf_corpus_url_is_refused_and_nothing_is_fetched(
    youtube_app, alice, site: PlaylistServer, downloads
):
    port = site.port
    local = [
        site.feed_url,
        site.page_url,
        f"http://localhost:{port}/feed.xml",
        f"http://2130706433:{port}/feed.xml",
        f"http://[::ffff:127.0.0.1]:{port}/feed.xml",
        f"http://youtube.com@127.0.0.1:{port}/feed.xml",
        f"http://www.youtube.com:{port}/feed.xml",
        f"-{site.feed_url}",
    ]
    for url in [*SSRF_CORPUS, *local]:
        response = await downloads.submit(alice, url)
        if "\x00" in url:  # text no database can store: the core refuses the body itself
            assert response.status_code == 400, url
            assert (await error_of(response))["code"] == "BAD_REQUEST", url
            continue
        assert response.status_code == 422, url
        error = await error_of(response)
        assert error["code"] == "VALIDATION_ERROR", url
        assert error["message"] and "playlist_url" in error["details"]["fields"], url
    assert site.requests == []  # not one request reached the local server
    assert await Download.all().count() == 0  # and nothing was written


async def test_who_may_submit(youtube_app, admin, alice, downloads):
    anonymous = ApiClient(youtube_app)
    response = await downloads.submit(anonymous, "https://www.youtube.com/playlist?list=PL1")
    assert response.status_code == 401
    # Permission before body: a refused caller learns nothing about the body's validity.
    response = await anonymous.post("/api/youtube/download", json={"nonsense": True})
    assert response.status_code == 401

    alice_id = (await (await alice.get("/api/auth/session")).get_json())["data"]["user"]["id"]
    revoked = await admin.put(
        f"/api/admin/users/{alice_id}", json={"permissions": {"youtube.download": False}}
    )
    assert revoked.status_code == 200, await revoked.get_data(as_text=True)
    response = await downloads.submit(alice, "https://www.youtube.com/playlist?list=PL1")
    assert response.status_code == 403
    assert (await error_of(response))["code"] == "FORBIDDEN"
    assert (await alice.get("/api/youtube/downloads")).status_code == 200  # reading is fine


async def test_bad_bodies_are_422_naming_the_field(youtube_app, alice):
    bodies = [
        {},
        {"playlist_url": 42},
        {"playlist_url": None},
        {"playlist_url": "https://www.youtube.com/playlist?list=PL1", "collection": "x" * 201},
        {"playlist_url": "https://www.youtube.com/playlist?list=PL1", "collection": "a\u202eb"},
    ]
    for body in bodies:
        response = await alice.post("/api/youtube/download", json=body)
        assert response.status_code == 422, body
        assert (await error_of(response))["details"]["fields"], body
    assert await Download.all().count() == 0


async def test_the_quota_is_429_with_retry_after(
    youtube_app, admin, alice, bob, local_allowed, downloads
):
    response = await admin.put(
        "/api/admin/config", json={"rate_limits": {"youtube": {"limit": 2, "window": 3600}}}
    )
    assert response.status_code == 200, await response.get_data(as_text=True)
    with PlaylistServer("Quota", []) as site:  # an empty playlist: each download fails at once
        await downloads.submitted(alice, site.feed_url)
        # Refusals cost nothing: a refused URL, and the same playlist while it is queued.
        assert (await downloads.submit(alice, "file:///etc/passwd")).status_code == 422
        await downloads.submitted(alice, site.page_url)
        response = await downloads.submit(alice, site.feed_url + "?again=1")

        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 3600
        error = await error_of(response)
        assert error["code"] == "RATE_LIMIT_EXCEEDED"
        assert error["details"]["limit"] == 2 and error["details"]["window"] == 3600
        assert error["details"]["retryAfter"] == int(response.headers["Retry-After"])
        # The quota is each person's own.
        await downloads.submitted(bob, site.feed_url)
    assert await Download.filter(user__username="alice").count() == 2


async def test_a_playlist_queued_twice_is_409(youtube_app, alice, bob, local_allowed, downloads):
    with PlaylistServer("Twice", [], slow_rate=512) as site:
        site.add_item("Slow", kind="slow")
        first = await downloads.submitted(alice, site.feed_url)
        response = await downloads.submit(alice, site.feed_url + "#same-without-fragment")
        assert response.status_code == 409
        assert (await error_of(response))["details"]["reason"] == "already_queued"
        await downloads.submitted(bob, site.feed_url)  # someone else's is theirs
        # Once the first has ended, the same playlist may be submitted again.
        assert (await alice.delete(f"/api/youtube/downloads/{first}")).status_code == 200
        await downloads.submitted(alice, site.feed_url)


async def test_another_users_download_is_missing_to_them(
    youtube_app, alice, bob, local_allowed, downloads
):
    with PlaylistServer("Private", ["Mine"]) as site:
        mine = await downloads.submitted(alice, site.feed_url)
        await downloads.finished(alice, mine)
    unknown = str(uuid.uuid4())

    for path in (f"/api/youtube/downloads/{mine}", f"/api/youtube/downloads/{unknown}"):
        for method in ("get", "delete"):
            response = await getattr(bob, method)(path)
            assert response.status_code == 404, (method, path)
            assert await error_of(response) == {
                "code": "NOT_FOUND", "message": "No such download", "details": {}
            }  # fmt: skip
    listed = await (await bob.get("/api/youtube/downloads")).get_json()
    assert listed["data"] == {"items": [], "total": 0, "offset": 0, "limit": 50}
    assert (await downloads.get(alice, mine))["status"] == "completed"  # still there

    async with bob.client.websocket(f"/ws/youtube/{mine}") as ws:
        assert await close_code(ws) == 4404
    async with alice.client.websocket(f"/ws/youtube/{mine}") as ws:
        assert json.loads(await asyncio.wait_for(ws.receive(), WAIT))["event"] == "ready"
    core = youtube_app.extensions["medianest"]
    core.realtime.first_message_timeout = 0.2
    async with youtube_app.test_client().websocket(f"/ws/youtube/{mine}") as ws:
        assert await close_code(ws) == 4401


async def test_the_list_is_yours_newest_first_and_paged(
    youtube_app, alice, local_allowed, downloads
):
    with PlaylistServer("Paged", []) as site:
        ids = [await downloads.submitted(alice, f"{site.feed_url}?n={n}") for n in range(3)]
    page = (await (await alice.get("/api/youtube/downloads?limit=2")).get_json())["data"]
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    assert (page["total"], page["offset"], page["limit"]) == (3, 0, 2)
    for bad in ("limit=0", "limit=101", "offset=-1", "limit=x"):
        assert (await alice.get(f"/api/youtube/downloads?{bad}")).status_code == 422, bad


async def test_a_disabled_plugin_answers_plugin_disabled(youtube_app, admin, alice, downloads):
    response = await admin.put("/api/admin/plugins/youtube", json={"enabled": False})
    assert response.status_code == 200
    response = await downloads.submit(alice, "https://www.youtube.com/playlist?list=PL1")
    assert response.status_code == 404
    assert (await error_of(response))["code"] == "PLUGIN_DISABLED"


async def close_code(ws: Any) -> int:
    async with asyncio.timeout(WAIT):
        while True:
            try:
                await ws.receive()
            except WebsocketDisconnectError as closed:
                return closed.args[0]
