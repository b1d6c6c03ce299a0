"""Canary: neither Overseerr's API key nor the webhook secret ever leaves MediaNest.

One run drives every route of the plugin and the admin's views of it (searches, requests and
their refusals, lists, approvals, posters, webhooks good and bad, the connection test with a
wrong key, Overseerr failing) and keeps every response and every log record. None may contain
the key or the secret.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from medianest_overseerr.sync import sync_requests

from .conftest import SECRET, envelope

if TYPE_CHECKING:
    from .conftest import Household


class Recorder:
    """Wraps browsers so that every response's status line, headers and body are kept."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes]] = []

    def watch(self, browser):
        original = browser.request

        async def request(method, path, **kwargs):
            response = await original(method, path, **kwargs)
            headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
            self.seen.append(
                (f"{method} {path} {response.status_code}\n{headers}", await response.get_data())
            )
            return response

        browser.request = request
        return browser


async def test_no_api_key_or_webhook_secret_in_any_response_or_log(household: Household, caplog):
    caplog.set_level(logging.DEBUG)
    fake = household.overseerr
    recorder = Recorder()
    friend, lee, local, owner = [
        recorder.watch(await household.person(n)) for n in ("friend", "lee", "local", "owner")
    ]

    found = (await envelope(await friend.get("/api/media/search?q=orbit")))["data"]
    await friend.get(found["items"][0]["poster"])
    await friend.get("/api/overseerr/poster/w500/nothing.svg")
    made = (
        await envelope(
            await friend.post("/api/media/request", json={"media_type": "movie", "tmdb_id": 910116})
        )
    )["data"]
    await friend.post("/api/media/request", json={"media_type": "movie", "tmdb_id": 910116})  # 409
    await friend.post(
        "/api/media/request", json={"media_type": "tv", "tmdb_id": 920202, "seasons": [9]}
    )
    await friend.post("/api/media/request", json={"media_type": "movie", "tmdb_id": 999999})
    await lee.post("/api/media/request", json={"media_type": "movie", "tmdb_id": 910113})
    await local.post("/api/media/request", json={"media_type": "movie", "tmdb_id": 910113})
    await friend.get("/api/media/requests")
    await friend.get(f"/api/media/requests/{made['id']}")
    await owner.get("/api/media/requests?all=true")
    await owner.get("/api/overseerr/requests/pending")
    await owner.post(f"/api/overseerr/requests/{made['id']}/approve")
    await owner.get("/api/dashboard/widgets")
    await owner.get("/api/dashboard/status")
    await owner.get("/api/admin/services")
    await owner.get("/api/admin/plugins")
    await owner.post("/api/admin/services/test", json={"name": "overseerr"})
    await owner.post(
        "/api/admin/services/test",
        json={"name": "overseerr", "api_key": fake.api_key[:-4] + "XXXX"},
    )
    for authorization in (SECRET, SECRET[:-1], "Basic " + SECRET):
        watched = recorder.watch(await household.person("kim"))
        await watched.post(
            "/api/overseerr/webhook",
            headers={"Authorization": authorization},
            json={
                "notification_type": "MEDIA_APPROVED",
                "request": {"request_id": str(made["id"])},
            },
        )
    await sync_requests(household.core)

    fake.fail(status=502)
    await friend.get("/api/media/search?q=signal")
    await friend.post("/api/media/request", json={"media_type": "movie", "tmdb_id": 910101})
    await owner.get("/api/overseerr/requests/pending")
    await household.core.status.refresh("overseerr")
    await owner.get("/api/dashboard/status")
    fake.recover()

    secrets = {"API key": fake.api_key, "webhook secret": SECRET}
    assert len(recorder.seen) >= 30
    for what, secret in secrets.items():
        for line, body in recorder.seen:
            assert secret not in line, f"{what} in the headers of {line.splitlines()[0]}"
            assert secret.encode() not in body, f"{what} in the body of {line.splitlines()[0]}"
        for record in caplog.records:
            text = record.getMessage() + str(record.exc_text or "") + str(record.__dict__)
            assert secret not in text, f"{what} in a log record of {record.name}"
    services = next(
        s
        for s in (await envelope(await owner.get("/api/admin/services")))["data"]["items"]
        if s["name"] == "overseerr"
    )
    assert services["has_api_key"] is True and services["api_key"] != fake.api_key
