"""A saved service key stays with the address it was entered for: when a test or a save moves the
URL to another scheme, host or port, the key must be sent again (422 naming `api_key`), so a
stolen admin session cannot have the server hand the key to a host of its choosing."""

from __future__ import annotations

import pytest

from admin_support import Watch, data
from medianest.config.models import ServiceConnection
from medianest.testing.clients import signed_in
from medianest_uptime_kuma.testing import DEFAULT_API_KEY, FakeUptimeKuma


@pytest.fixture
async def kuma_pair(app_factory):
    """(app, plugin, admin, home, elsewhere): the key saved for `home`; `elsewhere` listens too."""
    plugin = Watch()
    app = await app_factory(plugins=[plugin])
    admin = await signed_in(app, "root", role="admin")
    async with FakeUptimeKuma(slug="home") as home, FakeUptimeKuma(slug="home") as elsewhere:
        saved = await admin.put(
            f"/api/admin/services/{plugin.id}", json={"url": home.url, "api_key": DEFAULT_API_KEY}
        )
        assert saved.status_code == 200
        yield app, plugin, admin, home, elsewhere


async def assert_key_asked_for(response) -> None:
    assert response.status_code == 422, await response.get_data()
    error = (await response.get_json())["error"]
    assert error["code"] == "VALIDATION_ERROR" and "api_key" in error["details"]["fields"]


async def test_a_test_against_another_host_does_not_send_the_saved_key(kuma_pair):
    _app, plugin, admin, _home, elsewhere = kuma_pair
    response = await admin.post(
        "/api/admin/services/test", json={"name": plugin.id, "url": elsewhere.url}
    )
    await assert_key_asked_for(response)
    assert elsewhere.request_log == []  # nothing reached the other host, least of all the key

    masked = "••••" + DEFAULT_API_KEY[-4:]  # the mask the admin page shows stands for the saved key
    again = await admin.post(
        "/api/admin/services/test",
        json={"name": plugin.id, "url": elsewhere.url, "api_key": masked},
    )
    await assert_key_asked_for(again)
    assert elsewhere.request_log == []


async def test_a_test_against_another_host_with_the_key_entered_again_runs(kuma_pair):
    _app, plugin, admin, _home, elsewhere = kuma_pair
    body = {"name": plugin.id, "url": elsewhere.url, "api_key": DEFAULT_API_KEY}
    outcome = await data(await admin.post("/api/admin/services/test", json=body))
    assert outcome["ok"] is True
    assert ("GET", "/metrics") in elsewhere.request_log


async def test_a_save_that_moves_only_the_url_is_refused_and_nothing_changes(kuma_pair):
    app, plugin, admin, home, elsewhere = kuma_pair
    path = f"/api/admin/services/{plugin.id}"
    await assert_key_asked_for(await admin.put(path, json={"url": elsewhere.url}))
    await assert_key_asked_for(
        await admin.put(path, json={"url": elsewhere.url, "api_key": "••••" + DEFAULT_API_KEY[-4:]})
    )
    assert (await ServiceConnection.get(name=plugin.id)).url == home.url
    connection = await app.extensions["medianest"].services.get(plugin.id)
    assert (connection.url, connection.api_key) == (home.url, DEFAULT_API_KEY)

    moved = await admin.put(path, json={"url": elsewhere.url, "api_key": DEFAULT_API_KEY})
    assert moved.status_code == 200 and (await data(moved))["url"] == elsewhere.url


@pytest.mark.parametrize(
    ("saved", "moved", "same_place"),
    [
        ("http://kuma.lan:3001", "http://kuma.lan:3001/status/", True),  # only the path changes
        ("http://kuma.lan", "http://KUMA.lan:80", True),  # the default port, another spelling
        ("https://kuma.lan", "https://kuma.lan:443/", True),
        ("http://kuma.lan:3001", "https://kuma.lan:3001", False),  # the scheme
        ("http://kuma.lan:3001", "http://kuma.lan:3002", False),  # the port
        ("http://kuma.lan:3001", "http://kuma.lan.evil.example:3001", False),  # the host
        ("http://kuma.lan", "http://kuma.lan:8080", False),
    ],
)
async def test_scheme_host_and_port_are_what_bind_the_key(app_factory, saved, moved, same_place):
    plugin = Watch()
    app = await app_factory(plugins=[plugin])
    admin = await signed_in(app, "root", role="admin")
    path = f"/api/admin/services/{plugin.id}"
    assert (
        await admin.put(path, json={"url": saved, "api_key": DEFAULT_API_KEY})
    ).status_code == 200
    response = await admin.put(path, json={"url": moved})
    if same_place:
        assert response.status_code == 200, await response.get_data()
    else:
        await assert_key_asked_for(response)


async def test_clearing_the_url_keeps_the_key_but_a_new_url_needs_it_again(kuma_pair):
    _app, plugin, admin, home, _elsewhere = kuma_pair
    path = f"/api/admin/services/{plugin.id}"
    cleared = await admin.put(path, json={"url": None})
    assert cleared.status_code == 200 and (await data(cleared))["has_api_key"] is True
    await assert_key_asked_for(await admin.put(path, json={"url": home.url}))
    assert (
        await admin.put(path, json={"url": home.url, "api_key": DEFAULT_API_KEY})
    ).status_code == 200


async def test_without_a_saved_key_any_url_may_be_tried(app_factory):
    plugin = Watch()
    app = await app_factory(plugins=[plugin])
    admin = await signed_in(app, "root", role="admin")
    async with FakeUptimeKuma(slug="home") as kuma:
        await admin.put(f"/api/admin/services/{plugin.id}", json={"url": "http://kuma.lan"})
        outcome = await data(
            await admin.post("/api/admin/services/test", json={"name": plugin.id, "url": kuma.url})
        )
        assert (
            outcome["status"] != "unknown" and ("GET", "/api/status-page/home") in kuma.request_log
        )
