"""Requests kept in step with Overseerr: its webhook agent (over real HTTP, with the secret) and
the sync job; each change reaches the requester's `/ws/status` and the pages' sockets."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest

from medianest_overseerr.models import OverseerrRequest
from medianest_overseerr.sync import sync_requests
from medianest_overseerr.testing import DEFAULT_TEMPLATE, Notification

from .conftest import HOLD, SECRET, envelope, receive_until, served, start_household

if TYPE_CHECKING:
    from .conftest import Household

IRON_TIDE, HARBOUR, BAKERS = 910116, 910113, 920202


async def requested(
    household: Household, browser, media_type="movie", tmdb_id=IRON_TIDE, seasons=None
):
    body = {"media_type": media_type, "tmdb_id": tmdb_id}
    if seasons is not None:
        body["seasons"] = seasons
    response = await browser.post("/api/media/request", json=body)
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await envelope(response))["data"]


def notification_for(request_id: int, status: str):
    return lambda m: (
        m["event"] == "notification"
        and m["data"].get("request_id") == request_id
        and m["data"].get("status") == status
    )


def status_event(request_id: int, status: str):
    return lambda m: (
        m["event"] == "request:status"
        and m["data"]["request"]["id"] == request_id
        and m["data"]["request"]["status"] == status
    )


async def ready(ws: Any) -> Any:
    message = json.loads(await asyncio.wait_for(ws.receive(), HOLD))
    assert message == {"event": "ready", "data": {}}
    return ws


# ---- the webhook ---------------------------------------------------------------------------------


async def test_an_approval_in_overseerr_reaches_the_requesters_socket_through_the_webhook(
    household: Household,
):
    fake = household.overseerr
    made = await requested(household, (await household.person("friend")))
    async with served(household.app) as base:
        fake.configure_webhook(f"{base}/api/overseerr/webhook", auth_header=SECRET)
        friend = (await household.person("friend")).client
        kim = (await household.person("kim")).client
        async with friend.websocket("/ws/status") as ws, kim.websocket("/ws/status") as other:
            await ready(ws)
            await ready(other)
            fake.approve(made["id"])
            messages = await receive_until(ws, notification_for(made["id"], "approved"))
            await fake.settled()
            toast = messages[-1]["data"]
            assert toast["title"] == "Request approved" and "“Iron Tide” (2019)" in toast["message"]
            fake.mark_available("movie", IRON_TIDE)
            await receive_until(ws, notification_for(made["id"], "available"))
            await fake.settled()
            with pytest.raises(TimeoutError):  # nothing for someone else
                await asyncio.wait_for(other.receive(), 0.3)
    deliveries = [
        d for d in fake.webhook_deliveries if d.notification != Notification.MEDIA_PENDING
    ]
    assert deliveries and all(d.status_code == 200 for d in deliveries)
    shown = (
        await envelope(
            await (await household.person("friend")).get(f"/api/media/requests/{made['id']}")
        )
    )["data"]
    assert shown["status"] == "available"


async def test_the_pages_socket_gets_request_status_for_ones_own_and_admins_for_all(
    household: Household,
):
    fake = household.overseerr
    made = await requested(household, (await household.person("friend")), "tv", BAKERS, [1, 2])
    async with served(household.app) as base:
        fake.configure_webhook(f"{base}/api/overseerr/webhook", auth_header=SECRET)
        friend = (await household.person("friend")).client
        kim = (await household.person("kim")).client
        owner = (await household.person("owner")).client
        async with (
            friend.websocket("/ws/overseerr/requests") as mine,
            kim.websocket("/ws/overseerr/requests") as kims,
            owner.websocket("/ws/overseerr/admin") as admins,
        ):
            for ws in (mine, kims, admins):
                await ready(ws)
            fake.decline(made["id"])
            (change,) = await receive_until(mine, status_event(made["id"], "declined"))
            assert change["data"]["before"] == "pending"
            await receive_until(admins, status_event(made["id"], "declined"))
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(kims.receive(), 0.3)


async def test_the_admin_socket_refuses_plain_users(household: Household):
    from quart.testing.connections import WebsocketDisconnectError

    async with (await household.person("friend")).client.websocket("/ws/overseerr/admin") as ws:
        with pytest.raises(WebsocketDisconnectError) as closed:
            await asyncio.wait_for(ws.receive(), HOLD)
    assert closed.value.args[0] == 4403


async def test_a_partly_available_show_is_said_so(household: Household):
    fake = household.overseerr
    made = await requested(
        household, (await household.person("kim")), "tv", BAKERS, [1, 2]
    )  # auto-approved
    async with served(household.app) as base:
        fake.configure_webhook(f"{base}/api/overseerr/webhook", auth_header=SECRET)
        async with (await household.person("kim")).client.websocket("/ws/status") as ws:
            await ready(ws)
            fake.mark_available("tv", BAKERS, seasons=[1])
            fake.approve(made["id"])  # an event Overseerr sends while the show is partly in Plex
            await receive_until(ws, notification_for(made["id"], "partly"))
            await fake.settled()


@pytest.mark.parametrize(
    "authorization", [None, "", "wrong-secret-0123456789abcdef", SECRET + " ", SECRET.upper()]
)
async def test_a_webhook_without_the_exact_secret_is_401(household: Household, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    payload = {"notification_type": "MEDIA_APPROVED", "request": {"request_id": "1"}}
    response = await household.app.test_client().post(
        "/api/overseerr/webhook", json=payload, headers=headers
    )
    assert response.status_code == 401
    assert (await envelope(response))["error"]["code"] == "UNAUTHENTICATED"


async def test_without_a_secret_set_every_webhook_is_refused(app_factory, demo_overseerr):
    household = await start_household(app_factory, demo_overseerr)
    await (await household.person("owner")).put(
        "/api/admin/plugins/overseerr", json={"settings": {"webhook_secret": ""}}
    )
    response = await household.app.test_client().post(
        "/api/overseerr/webhook", json={"notification_type": "MEDIA_APPROVED"},
        headers={"Authorization": SECRET},
    )  # fmt: skip
    assert response.status_code == 401


async def test_the_webhook_trusts_only_overseerr_about_a_requests_state(household: Household):
    """A payload saying "available" changes nothing: MediaNest reads the request itself."""
    made = await requested(household, (await household.person("friend")))
    payload = json.loads(
        DEFAULT_TEMPLATE.replace('"{{media}}"', '"media"')
        .replace('"{{request}}"', '"request"')
        .replace('"{{issue}}"', '"issue"')
        .replace('"{{comment}}"', '"comment"')
        .replace('"{{extra}}"', '"extra"')
    )
    payload["notification_type"] = "MEDIA_AVAILABLE"
    payload["request"]["request_id"] = str(made["id"])
    payload["media"]["status"] = "AVAILABLE"
    response = await household.app.test_client().post(
        "/api/overseerr/webhook", json=payload, headers={"Authorization": SECRET}
    )
    assert response.status_code == 200
    assert (await envelope(response))["data"]["refreshed"] == [made["id"]]
    row = await OverseerrRequest.get(id=made["id"])
    assert row.status == "pending"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"a string"'])
async def test_a_webhook_body_that_is_not_an_object_is_400(household: Household, body):
    response = await household.app.test_client().post(
        "/api/overseerr/webhook", data=body,
        headers={"Authorization": SECRET, "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 400


async def test_overseerrs_test_notification_is_answered(household: Household):
    fake = household.overseerr
    async with served(household.app) as base:
        settings = {
            "enabled": True, "types": 0,
            "options": {"webhookUrl": f"{base}/api/overseerr/webhook", "authHeader": SECRET,
                        "jsonPayload": json.dumps(DEFAULT_TEMPLATE)},
        }  # fmt: skip
        import httpx

        async with httpx.AsyncClient(timeout=HOLD) as http:
            tested = await http.post(
                f"{fake.url}/api/v1/settings/notifications/webhook/test", json=settings,
                headers={"X-Api-Key": fake.api_key},
            )  # fmt: skip
    assert tested.status_code == 204  # Overseerr saw a 2xx from MediaNest
    assert fake.webhook_deliveries[-1].status_code == 200


# ---- the sync job --------------------------------------------------------------------------------


async def test_the_sync_brings_changes_the_webhook_missed_to_the_requesters_socket(
    household: Household,
):
    fake = household.overseerr
    made = await requested(household, (await household.person("friend")))
    async with (await household.person("friend")).client.websocket("/ws/status") as ws:
        await ready(ws)
        fake.approve(made["id"])  # no webhook configured: nobody tells MediaNest
        assert (await OverseerrRequest.get(id=made["id"])).status == "pending"
        result = await sync_requests(household.core)
        assert result["changed"] >= 1
        await receive_until(ws, notification_for(made["id"], "approved"))
    assert (await OverseerrRequest.get(id=made["id"])).status == "approved"
    again = await sync_requests(household.core)
    assert again["changed"] == 0  # nothing new: nobody is told twice


async def test_the_sync_records_requests_made_in_overseerr_by_people_medianest_knows(
    household: Household,
):
    assert (await envelope(await (await household.person("friend")).get("/api/media/requests")))[
        "data"
    ]["total"] == 0
    await sync_requests(household.core)
    mine = (await envelope(await (await household.person("friend")).get("/api/media/requests")))[
        "data"
    ]
    titles = {item["title"]: item["status"] for item in mine["items"]}
    assert titles == {
        "The Last Cartographer": "pending",
        "Signal Lost": "pending",
        "Deep Field": "approved",
        "Static": "declined",
        "Blue Hour Heist": "available",
    }
    everyone = (
        await envelope(await (await household.person("owner")).get("/api/media/requests?all=true"))
    )["data"]
    assert everyone["total"] == 5  # nobody else had asked for anything


async def test_a_request_deleted_in_overseerr_is_marked_removed(household: Household):
    fake = household.overseerr
    made = await requested(household, (await household.person("friend")))
    fake.delete_request(made["id"])
    async with (await household.person("friend")).client.websocket("/ws/status") as ws:
        await ready(ws)
        await sync_requests(household.core)
        await receive_until(ws, notification_for(made["id"], "deleted"))


async def test_the_scheduled_job_runs_the_sync(app_factory, demo_overseerr):
    household = await start_household(app_factory, demo_overseerr, run_jobs=True)
    made = await requested(household, (await household.person("friend")))
    demo_overseerr.approve(made["id"])
    job = await household.core.jobs.enqueue("overseerr.sync")
    async with asyncio.timeout(30):
        while (record := await household.core.jobs.get(job.id)).status not in (
            "succeeded",
            "failed",
            "dead",
        ):
            await asyncio.sleep(0.1)
    assert record.status == "succeeded", record.error
    assert (await OverseerrRequest.get(id=made["id"])).status == "approved"


async def test_the_sync_without_a_connection_does_nothing(app_factory):
    import medianest_overseerr

    app = await app_factory(plugins=[medianest_overseerr])
    assert await sync_requests(app.extensions["medianest"]) == {"skipped": "not_configured"}
