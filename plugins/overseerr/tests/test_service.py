"""Overseerr as a service of the dashboard: its probe and the admin's test, the widget, posters,
approvals through MediaNest, and Overseerr failing or hanging (both backends)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from medianest_overseerr.sync import sync_requests
from medianest_overseerr.testing import Permission, RequestStatus

from .conftest import HOLD, calls, envelope

if TYPE_CHECKING:
    from .conftest import Household

IRON_TIDE = 910116
CARTOGRAPHER_REQUEST = 1  # the friend's pending request in the demo household


async def request_movie(browser, tmdb_id=IRON_TIDE):
    return await browser.post(
        "/api/media/request", json={"media_type": "movie", "tmdb_id": tmdb_id}
    )


# ---- status, test connection, widget -------------------------------------------------------------


async def test_the_probe_reports_online_with_the_version_and_request_counts(household: Household):
    entry = await household.core.status.refresh("overseerr")
    assert entry["status"] == "online" and entry["error"] is None
    data = household.core.status.data("overseerr")
    assert data["version"] == "1.34.0"
    assert data["requests"]["pending"] == 2 and data["requests"]["total"] == 5


async def test_the_admins_connection_test_checks_the_key(household: Household):
    good = await (await household.person("owner")).post(
        "/api/admin/services/test", json={"name": "overseerr"}
    )
    assert (await envelope(good))["data"]["ok"] is True
    bad = await (await household.person("owner")).post(
        "/api/admin/services/test", json={"name": "overseerr", "api_key": "not-the-key"}
    )
    outcome = (await envelope(bad))["data"]
    assert outcome["ok"] is False and "refused the API key (403)" in outcome["error"]


async def test_the_widget_shows_my_latest_requests_and_admins_the_pending_count(
    household: Household,
):
    made = (await envelope(await request_movie(await household.person("friend"))))["data"]
    await household.core.status.refresh("overseerr")
    widgets = (
        await envelope(await (await household.person("friend")).get("/api/dashboard/widgets"))
    )["data"]["items"]
    (widget,) = [w for w in widgets if w["id"] == "overseerr.requests"]
    assert [r["id"] for r in widget["data"]["requests"]] == [made["id"]]
    assert widget["data"]["pending"] is None
    assert f'data-request="{made["id"]}"' in widget["html"] and "Iron Tide" in widget["html"]
    assert 'data-request-status="pending">Pending<' in widget["html"]
    admin = (await envelope(await (await household.person("owner")).get("/api/dashboard/widgets")))[
        "data"
    ]["items"]
    (shown,) = [w for w in admin if w["id"] == "overseerr.requests"]
    assert shown["data"]["pending"] == 3
    assert "3 requests wait for approval" in shown["html"]


async def test_titles_cannot_inject_markup_into_the_widget(household: Household):
    household.overseerr.add_movie('<img src=x onerror="alert(1)">', 2024, tmdb_id=990001)
    assert (await request_movie((await household.person("friend")), 990001)).status_code == 201
    widgets = (
        await envelope(await (await household.person("friend")).get("/api/dashboard/widgets"))
    )["data"]["items"]
    (widget,) = [w for w in widgets if w["id"] == "overseerr.requests"]
    assert "<img src=x" not in widget["html"] and "&lt;img src=x" in widget["html"]


# ---- posters -------------------------------------------------------------------------------------


async def test_posters_come_through_the_proxy_from_overseerrs_image_cache(household: Household):
    found = (
        await envelope(
            await (await household.person("friend")).get("/api/media/search?q=quiet orbit")
        )
    )["data"]
    poster = found["items"][0]["poster"]
    response = await (await household.person("friend")).get(poster)
    assert response.status_code == 200 and response.content_type == "image/png"
    assert (await response.get_data())[:8] == b"\x89PNG\r\n\x1a\n"
    (fetched,) = calls(
        household.overseerr, poster.replace("/api/overseerr/poster", "/imageproxy/t/p")
    )
    assert fetched.header("X-Api-Key") is None  # the image cache needs no key: none is sent


@pytest.mark.parametrize(
    "path",
    [
        "/api/overseerr/poster/original/abc.jpg",  # not an allowed size
        "/api/overseerr/poster/w500/abc.svg",  # not a raster image
        "/api/overseerr/poster/w500/..%2F..%2Fapi%2Fv1%2Fuser.jpg",
        "/api/overseerr/poster/w500/a%3Fb.jpg",
    ],
)
async def test_the_poster_proxy_passes_only_tmdb_sizes_and_files(household: Household, path):
    response = await (await household.person("friend")).get(path)
    assert response.status_code == 404
    assert calls(household.overseerr) == []


async def test_posters_need_a_signed_in_person(household: Household):
    response = await household.app.test_client().get("/api/overseerr/poster/w500/abc.jpg")
    assert response.status_code == 401


# ---- approvals -----------------------------------------------------------------------------------


async def test_admins_see_pending_requests_and_approve_as_their_overseerr_user(
    household: Household,
):
    made = (await envelope(await request_movie(await household.person("friend"))))["data"]
    pending = (
        await envelope(
            await (await household.person("owner")).get("/api/overseerr/requests/pending")
        )
    )["data"]
    assert pending["total"] == 3
    titles = [item["title"] for item in pending["items"]]
    assert titles == ["Iron Tide", "Signal Lost", "The Last Cartographer"]  # newest first
    ours = pending["items"][0]
    assert ours["requested_by"]["name"] == "friend" and ours["requested_by"]["user_id"] is not None

    async with (await household.person("friend")).client.websocket("/ws/status") as ws:
        await ws.receive()  # ready
        approved = await (await household.person("owner")).post(
            f"/api/overseerr/requests/{made['id']}/approve"
        )
        assert approved.status_code == 200
        assert (await envelope(approved))["data"]["status"] == "approved"
        import json

        message = json.loads(await asyncio.wait_for(ws.receive(), HOLD))
        assert message["event"] == "notification" and message["data"]["status"] == "approved"
    upstream = household.overseerr.get_request(made["id"])
    assert upstream.status == RequestStatus.APPROVED and upstream.modified_by.plex_id == 1001
    (sent,) = calls(household.overseerr, f"/api/v1/request/{made['id']}/approve")
    assert sent.header("X-API-User") == "1"


async def test_declining_a_request_made_in_overseerr_records_it_for_its_requester(
    household: Household,
):
    friend = await household.person("friend")  # a MediaNest user before the decision
    declined = await (await household.person("owner")).post(
        f"/api/overseerr/requests/{CARTOGRAPHER_REQUEST}/decline"
    )
    assert declined.status_code == 200
    assert (await envelope(declined))["data"]["status"] == "declined"
    mine = (await envelope(await friend.get("/api/media/requests")))["data"]
    assert [(i["title"], i["status"]) for i in mine["items"]] == [
        ("The Last Cartographer", "declined")
    ]


async def test_approvals_are_for_admins_and_for_overseerr_managers(household: Household):
    assert (
        await (await household.person("friend")).post("/api/overseerr/requests/1/approve")
    ).status_code == 403
    assert (
        await (await household.person("friend")).get("/api/overseerr/requests/pending")
    ).status_code == 403
    kim = await household.user_id("kim")  # an admin in MediaNest, not a manager in Overseerr
    promoted = await (await household.person("owner")).put(
        f"/api/admin/users/{kim}", json={"role": "admin"}
    )
    assert promoted.status_code == 200
    await (await household.person("kim")).sign_in("kim")  # a role change ends the sessions
    assert household.overseerr.user_by_plex_id(1004).permissions & Permission.MANAGE_REQUESTS == 0
    refused = await (await household.person("kim")).post("/api/overseerr/requests/1/approve")
    assert refused.status_code == 403
    assert (await envelope(refused))["error"]["details"]["reason"] == "overseerr_permission"
    assert household.overseerr.get_request(1).status == RequestStatus.PENDING


async def test_deciding_a_missing_request_is_a_404(household: Household):
    assert (
        await (await household.person("owner")).post("/api/overseerr/requests/999/approve")
    ).status_code == 404
    assert (
        await (await household.person("owner")).post("/api/overseerr/requests/1/maybe")
    ).status_code == 404


# ---- Overseerr down or hanging -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/media/search?q=orbit", "POST /api/media/request", "/api/overseerr/requests/pending"],
)
async def test_overseerr_down_is_503_service_unavailable_naming_it(household: Household, path):
    household.overseerr.fail(status=502)
    browser = (
        (await household.person("owner"))
        if "pending" in path
        else (await household.person("friend"))
    )
    if path.startswith("POST"):
        response = await request_movie(browser)
    else:
        response = await browser.get(path)
    assert response.status_code == 503
    error = (await envelope(response))["error"]
    assert error["code"] == "SERVICE_UNAVAILABLE" and error["details"]["service"] == "overseerr"
    assert "isn't answering" in error["message"]


async def test_a_connection_nobody_set_up_is_503_saying_so(app_factory):
    import medianest_overseerr
    from medianest.testing.clients import signed_in

    app = await app_factory(plugins=[medianest_overseerr])
    alice = await signed_in(app, "alice")
    response = await alice.get("/api/media/search?q=orbit")
    assert response.status_code == 503
    error = (await envelope(response))["error"]
    assert error["details"] == {"service": "overseerr", "reason": "not_configured"}


async def test_overseerr_hanging_is_bounded_and_the_dashboard_is_unaffected(household: Household):
    made = (await envelope(await request_movie(await household.person("friend"))))["data"]
    await household.core.status.refresh("overseerr")
    household.overseerr.hang()
    try:
        # The stand-in never answers: only the connection's timeout ends the call (the guard
        # below is there so a broken bound fails the test instead of hanging it).
        response = await asyncio.wait_for(
            (await household.person("friend")).get("/api/media/search?q=orbit"), 30
        )
        assert response.status_code == 503
        assert (await envelope(response))["error"]["details"]["reason"] == "timeout"

        dashboard = await asyncio.wait_for(
            (await household.person("friend")).get("/api/dashboard/widgets"), HOLD
        )
        (widget,) = [
            w
            for w in (await envelope(dashboard))["data"]["items"]
            if w["id"] == "overseerr.requests"
        ]
        assert [r["id"] for r in widget["data"]["requests"]] == [
            made["id"]
        ]  # from MediaNest's record
        listed = await asyncio.wait_for(
            (await household.person("friend")).get("/api/media/requests"), HOLD
        )
        assert (await envelope(listed))["data"]["total"] == 1
        status = await asyncio.wait_for(
            (await household.person("friend")).get("/api/dashboard/status"), HOLD
        )
        assert status.status_code == 200
    finally:
        household.overseerr.recover()


async def test_the_webhook_answers_even_when_overseerr_cannot_be_read_back(household: Household):
    from .conftest import SECRET

    made = (await envelope(await request_movie(await household.person("friend"))))["data"]
    household.overseerr.fail(status=500)
    response = await household.app.test_client().post(
        "/api/overseerr/webhook",
        json={"notification_type": "MEDIA_APPROVED", "request": {"request_id": str(made["id"])}},
        headers={"Authorization": SECRET},
    )
    assert response.status_code == 200
    assert (await envelope(response))["data"]["deferred"] == [made["id"]]
    household.overseerr.recover()
    await household.core.http.reset_breaker("overseerr")
    household.overseerr.approve(made["id"])
    await sync_requests(household.core)
    shown = (
        await envelope(
            await (await household.person("friend")).get(f"/api/media/requests/{made['id']}")
        )
    )["data"]
    assert shown["status"] == "approved"
