"""The plugin inside a running MediaNest (both backends): the connection as an admin saves it,
the status probe, the dashboard widget, the admin's test, and a Tautulli that fails.

Checks run on demand with `core.status.refresh` instead of waiting for the coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

import medianest_tautulli
from medianest.testing.clients import ApiClient, signed_in
from medianest_tautulli.demo import demo_tautulli
from medianest_tautulli.testing import FakeTautulli

SERVICE = "tautulli"


@dataclass
class Household:
    app: Any
    core: Any
    tautulli: FakeTautulli
    admin: ApiClient
    user: ApiClient

    async def check(self) -> dict[str, Any]:
        entry = await self.core.status.refresh(SERVICE)
        assert entry is not None
        return entry

    async def widget(self) -> dict[str, Any]:
        response = await self.user.get("/api/dashboard/widgets")
        assert response.status_code == 200
        items = (await response.get_json())["data"]["items"]
        (widget,) = [item for item in items if item["plugin"] == SERVICE]
        return widget


@pytest.fixture
async def household(app_factory: Any, tautulli: FakeTautulli) -> Household:
    app = await app_factory(plugins=[medianest_tautulli])
    admin = await signed_in(app, "root", role="admin")
    saved = await admin.put(
        f"/api/admin/services/{SERVICE}",
        json={"url": tautulli.url, "api_key": tautulli.api_key, "config": {"history_length": 3}},
    )
    assert saved.status_code == 200, await saved.get_data()
    return Household(
        app, app.extensions["medianest"], tautulli, admin, await signed_in(app, "alice")
    )


async def test_the_widget_shows_streams_who_watches_what_and_recent_plays(
    household: Household,
) -> None:
    household.tautulli.add_history("friend", "Signal Lost", progress=64)
    household.tautulli.play("friend", "Quiet Orbit", progress=40, player="Shield")
    household.tautulli.play("owner", "The Thaw", transcode_decision="transcode")
    entry = await household.check()

    widget = await household.widget()

    assert (entry["status"], entry["error"]) == ("online", None)
    assert widget["id"] == "tautulli.activity" and "error" not in widget
    assert widget["data"]["stream_count"] == 2
    html = widget["html"]
    assert "<strong>2</strong> streams (1 transcoding)" in html
    assert "friend · Quiet Orbit" in html and 'aria-label="40% watched"' in html
    assert "Playing on Shield" in html
    assert "Recently played" in html and "Signal Lost" in html


async def test_nobody_watching_is_said_in_words(household: Household) -> None:
    await household.check()

    widget = await household.widget()

    assert "Nobody is watching right now" in widget["html"]


async def test_titles_cannot_inject_markup(household: Household) -> None:
    household.tautulli.play('<img src=x onerror="alert(1)">', "<b>Film</b>")
    await household.check()

    html = (await household.widget())["html"]

    assert "<img" not in html and "<b>" not in html and "&lt;img" in html


async def test_the_key_is_kept_encrypted_and_never_shown(household: Household) -> None:
    response = await household.admin.get("/api/admin/services")
    (view,) = [s for s in (await response.get_json())["data"]["items"] if s["name"] == SERVICE]

    assert view["has_api_key"] is True
    assert household.tautulli.api_key not in str(view)
    await household.check()
    assert household.tautulli.logged("/api/v2")[0].query["apikey"] == household.tautulli.api_key


async def test_admin_test_reports_a_refused_key(household: Household) -> None:
    response = await household.admin.post(
        "/api/admin/services/test", json={"name": SERVICE, "api_key": "wrong-key-0123456789"}
    )

    outcome = (await response.get_json())["data"]
    assert (outcome["ok"], outcome["status"]) == (False, "offline")
    assert "refused the API key" in outcome["error"]


async def test_admin_cannot_save_a_history_length_out_of_range(household: Household) -> None:
    response = await household.admin.put(
        f"/api/admin/services/{SERVICE}", json={"config": {"history_length": 500}}
    )

    assert response.status_code == 422
    fields = (await response.get_json())["error"]["details"]["fields"]
    assert "config.history_length" in fields


async def test_a_failing_tautulli_keeps_the_last_activity_on_the_widget(
    household: Household,
) -> None:
    household.tautulli.play("friend", "Quiet Orbit", progress=40)
    await household.check()

    household.tautulli.fail(503)
    entry = await household.check()
    widget = await household.widget()

    assert entry["status"] == "degraded" and "HTTP 503" in entry["error"]
    assert "Tautulli failing" in widget["html"]
    assert "friend · Quiet Orbit" in widget["html"]  # the last known activity


async def test_an_unreachable_tautulli_is_offline(household: Household) -> None:
    await household.check()
    await household.tautulli.stop()

    entry = await household.check()
    widget = await household.widget()

    assert entry["status"] == "offline" and entry["error"]
    assert "Tautulli offline" in widget["html"]


async def test_the_demo_stand_in_answers_the_probe(app_factory: Any, tmp_path: Any) -> None:
    app = await app_factory(plugins=[medianest_tautulli])
    core = app.extensions["medianest"]
    with demo_tautulli(tmp_path) as demo:
        await core.services.put(SERVICE, url=demo.url, api_key=demo.api_key)
        entry = await core.status.refresh(SERVICE)
        stream_count = core.status.data(SERVICE)["activity"]["stream_count"]

    assert entry["status"] == "online"
    assert stream_count == 2
