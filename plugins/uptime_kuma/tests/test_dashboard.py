"""The plugin inside a running MediaNest (both backends): status, widget, websocket, admin test.

Each test starts the app with only this plugin, a stand-in Kuma on 127.0.0.1, and the
connection saved the way an admin saves it. Checks are run on demand with
`core.status.refresh` instead of waiting for the coordinator's interval.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import medianest_uptime_kuma
from medianest.testing.clients import ApiClient, signed_in
from medianest_uptime_kuma import probes
from medianest_uptime_kuma.testing import DEFAULT_API_KEY, FakeUptimeKuma, MonitorStatus

SERVICE = "uptime_kuma"
WAIT = 10.0  # guards against hanging forever; never an expectation about speed


@dataclass
class Household:
    app: Any
    core: Any
    kuma: FakeUptimeKuma
    admin: ApiClient
    user: ApiClient
    plex: int
    nas: int

    async def check(self) -> dict[str, Any]:
        """Run the coordinator's check now and return the new entry."""
        entry = await self.core.status.refresh(SERVICE)
        assert entry is not None
        return entry

    async def dashboard_entry(self) -> dict[str, Any]:
        response = await self.user.get("/api/dashboard/status")
        assert response.status_code == 200
        items = (await response.get_json())["data"]["items"]
        (entry,) = [item for item in items if item["service"] == SERVICE]
        return entry


@pytest.fixture
async def household(app_factory: Any, kuma: FakeUptimeKuma) -> Household:
    plex = kuma.add_monitor("Plex", group="Media", response_time_ms=38)
    nas = kuma.add_monitor("NAS", group="Infrastructure", type="ping")
    app = await app_factory(plugins=[medianest_uptime_kuma])
    admin = await signed_in(app, "root", role="admin")
    saved = await admin.put(
        f"/api/admin/services/{SERVICE}",
        json={"url": kuma.url, "config": {"status_page": "Home"}},
    )
    assert saved.status_code == 200, await saved.get_data()
    home = Household(
        app, app.extensions["medianest"], kuma, admin, await signed_in(app, "alice"), plex, nas
    )
    await home.check()
    return home


async def receive_until(ws: Any, done: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Messages from the socket up to and including the first one `done` accepts."""
    received = []
    while True:
        message = json.loads(await asyncio.wait_for(ws.receive(), WAIT))
        received.append(message)
        if done(message):
            return received


def notification_titled(title: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m["event"] == "notification" and m["data"].get("title") == title


def notifications(messages: list[dict[str, Any]]) -> list[str]:
    return [m["data"]["title"] for m in messages if m["event"] == "notification"]


# --------------------------------------------------------------------------------- status


async def test_monitors_appear_in_the_dashboard_status(household: Household) -> None:
    entry = await household.dashboard_entry()

    assert (entry["status"], entry["error"]) == ("online", None)
    assert entry["response_time_ms"] is not None
    monitors = {m["name"]: m for m in entry["monitors"]}
    assert monitors["Plex"] == {
        "id": household.plex,
        "name": "Plex",
        "status": "online",
        "response_time_ms": 38,
        "uptime_percentage": 100.0,
    }
    assert monitors["NAS"]["id"] == household.nas


async def test_the_widget_shows_groups_and_says_each_status_in_words(household: Household) -> None:
    household.kuma.set_status(household.nas, MonitorStatus.DOWN)
    await household.check()

    response = await household.user.get("/api/dashboard/widgets")
    (widget,) = [w for w in (await response.get_json())["data"]["items"] if w["plugin"] == SERVICE]

    assert widget["id"] == "uptime_kuma.monitors" and "error" not in widget
    data = widget["data"]
    assert [g["name"] for g in data["groups"]] == ["Media", "Infrastructure"]
    assert data["summary"] == {"total": 2, "online": 1, "offline": 1, "degraded": 0, "unknown": 0}
    html = widget["html"]
    assert '<span class="pill pill--offline">Down</span>' in html
    assert '<span class="pill pill--online">Up</span>' in html
    assert "1 of 2 monitors need attention" in html
    assert html.index("Media") < html.index("Plex") < html.index("Infrastructure")


async def test_monitor_names_cannot_inject_markup(household: Household) -> None:
    household.kuma.add_monitor('<img src=x onerror="alert(1)">', group="<b>Group</b>")
    await household.check()

    response = await household.user.get("/api/dashboard/widgets")
    (widget,) = (await response.get_json())["data"]["items"]

    assert "<img" not in widget["html"] and "<b>" not in widget["html"]
    assert "&lt;img src=x onerror=" in widget["html"]


# ------------------------------------------------------------------------------ websocket


async def test_a_monitor_down_then_up_is_pushed_and_announced_once_each(
    household: Household,
) -> None:
    async with household.user.client.websocket("/ws/status") as ws:
        assert json.loads(await ws.receive())["event"] == "ready"

        household.kuma.set_status(household.plex, MonitorStatus.DOWN)
        await household.check()
        went_down = await receive_until(ws, notification_titled("Plex is down"))

        household.kuma.set_status(household.plex, MonitorStatus.UP)
        await household.check()
        came_back = await receive_until(ws, notification_titled("Plex recovered"))

        await household.check()  # nothing changed: nothing is pushed
        await household.core.publish("notification", {"title": "end of test"})
        afterwards = await receive_until(ws, notification_titled("end of test"))

    (status,) = [m["data"] for m in went_down if m["event"] == "service:status"]
    assert status["service"] == SERVICE and status["status"] == "online"  # Kuma itself is fine
    assert status["monitor"]["id"] == household.plex
    assert status["monitor"]["status"] == "offline"
    assert notifications(went_down) == ["Plex is down"]
    assert notifications(came_back) == ["Plex recovered"]
    assert [m["event"] for m in afterwards] == ["notification"]
    announced = went_down[-1]["data"]
    assert announced["message"] == "Uptime Kuma reports Plex (Media) down."
    assert announced["level"] == "error" and announced["source"] == SERVICE


async def test_kuma_outage_keeps_the_last_monitors_marked_stale(
    app_factory: Any, kuma: FakeUptimeKuma, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A short interval, so that data turns stale (two intervals old) within the test.
    monkeypatch.setattr(probes, "INTERVAL", 0.2)
    kuma.add_monitor("Plex", group="Media")
    app = await app_factory(plugins=[medianest_uptime_kuma])
    core = app.extensions["medianest"]
    await core.services.put(SERVICE, url=kuma.url, config={"status_page": "home"})
    assert (await core.status.refresh(SERVICE))["status"] == "online"

    await kuma.outage("refuse")
    entry = await core.status.refresh(SERVICE)
    while not entry["stale"]:
        await asyncio.sleep(0.1)
        entry = core.status.get(SERVICE)

    assert entry["status"] == "offline"
    assert entry["error"]  # the coordinator's words for "cannot be reached"
    assert [(m["name"], m["status"], m["stale"]) for m in entry["monitors"]] == [
        ("Plex", "online", True)
    ]
    user = await signed_in(app, "alice")
    response = await user.get("/api/dashboard/widgets")
    (widget,) = (await response.get_json())["data"]["items"]
    assert widget["data"]["stale"] is True and "Last known" in widget["html"]


# --------------------------------------------------------------------------------- admin


async def test_admin_test_reports_a_refused_api_key(household: Household) -> None:
    response = await household.admin.post(
        "/api/admin/services/test", json={"name": SERVICE, "api_key": "wrong"}
    )

    assert response.status_code == 200
    outcome = (await response.get_json())["data"]
    assert outcome["status"] == "degraded"  # Kuma answered; only the key is wrong
    assert outcome["error"] == "Uptime Kuma refused the API key for /metrics"


async def test_admin_test_accepts_the_right_key(household: Household) -> None:
    response = await household.admin.post(
        "/api/admin/services/test", json={"name": SERVICE, "api_key": DEFAULT_API_KEY}
    )

    outcome = (await response.get_json())["data"]
    assert (outcome["ok"], outcome["status"], outcome["error"]) == (True, "online", None)


async def test_admin_test_names_a_missing_status_page(household: Household) -> None:
    response = await household.admin.post(
        "/api/admin/services/test", json={"name": SERVICE, "config": {"status_page": "nope"}}
    )

    outcome = (await response.get_json())["data"]
    assert (outcome["ok"], outcome["status"]) == (False, "offline")
    assert outcome["error"] == "Uptime Kuma has no status page 'nope'"


async def test_admin_cannot_save_an_invalid_slug(household: Household) -> None:
    response = await household.admin.put(
        f"/api/admin/services/{SERVICE}", json={"config": {"status_page": "my page"}}
    )

    assert response.status_code == 422
    body = await response.get_json()
    assert "config.status_page" in body["error"]["details"]["fields"]
    assert (await household.dashboard_entry())["status"] == "online"  # the saved one still works
