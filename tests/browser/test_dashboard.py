"""The dashboard in a browser: widgets, the services panel and live updates.

The page is served by the real app; its two data routes and its websocket are stood in for
with Playwright's routing, so every state (an offline service, a broken widget, hostile
HTML, a pushed status change) can be shown on demand.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.timeout(90)

NOW = datetime.now(UTC)
STATUS = [
    {
        "service": "plex",
        "title": "Plex",  # the server names each service (its plugin's title)
        "status": "online",
        "response_time_ms": 38.2,
        "last_check_at": (NOW - timedelta(seconds=40)).isoformat(),
        "uptime_percentage": 99.98,
        "error": None,
    },
    {
        "service": "overseerr",
        "title": "Overseerr",
        "status": "degraded",
        "response_time_ms": 1840,
        "last_check_at": (NOW - timedelta(minutes=2)).isoformat(),
        "uptime_percentage": 97.4,
        "error": None,
    },
    {
        "service": "uptime_kuma",
        "title": "Uptime Kuma",
        "status": "online",
        "response_time_ms": 12,
        "last_check_at": (NOW - timedelta(seconds=25)).isoformat(),
        "uptime_percentage": 100,
        "error": None,
        "monitors": [
            {
                "id": 1,
                "name": "Router",
                "status": "online",
                "response_time_ms": 3,
                "uptime_percentage": 100,
            },
            {
                "id": 2,
                "name": "NAS <backup>",
                "status": "offline",
                "response_time_ms": None,
                "uptime_percentage": 91.2,
            },
            {
                "id": 3,
                "name": "Home Assistant",
                "status": "online",
                "response_time_ms": 21,
                "uptime_percentage": 99.9,
            },
        ],
    },
    {
        "service": "youtube",
        "title": "YouTube",
        "status": "offline",
        "response_time_ms": None,
        "last_check_at": (NOW - timedelta(minutes=9)).isoformat(),
        "uptime_percentage": 88.0,
        "error": "Connection refused by 10.0.0.5:8080",
        "stale": True,
    },
]
WIDGETS = [
    {
        "id": "plex.recent",
        "plugin": "plex",
        "plugin_title": "Plex",
        "title": "Recently added",
        "html": (
            '<ul class="kv-list"><li><strong>Dune: Part Two</strong> <small>Movies</small></li>'
            "<li><strong>Severance</strong> <small>S2 · E10</small></li></ul>"
            '<script>window.hacked = true</script><img src="x" onerror="window.hacked = true">'
            '<a href="javascript:window.hacked=true">a link</a>'
        ),
        "data": {},
    },
    {
        "id": "plex.libraries",
        "plugin": "plex",
        "plugin_title": "Plex",
        "title": "Libraries",
        "data": {
            "movies": 1204,
            "tv_shows": 311,
            "music_albums": 2750,
            "last_scan": NOW.isoformat(),
        },
    },
    {
        "id": "overseerr.requests",
        "plugin": "overseerr",
        "plugin_title": "Overseerr",
        "title": "Requests",
        "error": "This widget did not answer in time.",
    },
    {
        "id": "youtube.queue",
        "plugin": "youtube",
        "plugin_title": "YouTube",
        "title": "Downloads",
        "data": {
            "running": 1,
            "queued": 2,
            "completed_today": 5,
            "latest": ["Lo-fi beats (24 items)", "Cooking basics"],
        },
    },
]


def envelope(data) -> str:
    return json.dumps(
        {"success": True, "data": data, "meta": {"timestamp": NOW.isoformat(), "version": "test"}}
    )


class StatusSocket:
    """Stands in for /ws/status: the test pushes messages with `send`."""

    def __init__(self) -> None:
        self.route = None

    def attach(self, route) -> None:
        self.route = route  # not connected to the server: a pure stand-in

    def send(self, event: str, data: dict) -> None:
        assert self.route is not None, "the page never opened /ws/status"
        self.route.send(json.dumps({"event": event, "data": data}))


@pytest.fixture
def dashboard(admin_session, page):
    socket = StatusSocket()
    page.route(
        "**/api/dashboard/status",
        lambda route: route.fulfill(
            content_type="application/json", body=envelope({"items": STATUS, "total": len(STATUS)})
        ),
    )
    page.route(
        "**/api/dashboard/widgets",
        lambda route: route.fulfill(
            content_type="application/json",
            body=envelope({"items": WIDGETS, "total": len(WIDGETS)}),
        ),
    )
    page.route_web_socket("**/ws/status", socket.attach)
    page.goto(f"{admin_session.url}/")
    page.locator("[data-widgets][aria-busy=false]").wait_for()
    page.locator("[data-status-panel][aria-busy=false]").wait_for()
    page.locator("[data-live][data-state=open]").wait_for()
    return socket


def pill_of(page, service: str) -> str:
    return page.locator(f'[data-service="{service}"] .service__top .pill').inner_text()


def test_services_show_status_in_words_and_icons(dashboard, admin_session, page, watch, shoot):
    assert pill_of(page, "plex") == "Online"
    assert pill_of(page, "overseerr") == "Degraded"
    assert pill_of(page, "youtube") == "Offline"
    assert (
        page.locator('[data-service="youtube"] .service__error').inner_text()
        == "Connection refused by 10.0.0.5:8080"
    )
    assert page.get_by_text("NAS <backup>").count() == 1  # a monitor name shown as text, not markup
    assert page.locator("[data-status-summary]").inner_text() == "2 of 4 services need attention"
    shoot("dashboard-live")
    page.emulate_media(color_scheme="dark")
    shoot("dashboard-live-dark")
    assert watch.page_errors == []
    assert watch.foreign_requests(admin_session.netloc) == []


def test_widget_html_is_sanitised_and_a_broken_widget_stays_contained(dashboard, page, watch):
    recent = page.locator("article.widget", has_text="Recently added")
    assert "Dune: Part Two" in recent.inner_text()
    assert recent.locator("script, [onerror], a[href^='javascript']").count() == 0
    assert page.evaluate("window.hacked === undefined")
    broken = page.locator("article.widget", has_text="Requests")
    assert "This widget did not answer in time." in broken.inner_text()
    libraries = page.locator("article.widget", has_text="Libraries")
    assert "1,204" in libraries.inner_text() or "1204" in libraries.inner_text()
    assert watch.page_errors == []


def test_pushed_status_change_updates_the_panel_and_announces_it(dashboard, page):
    dashboard.send(
        "service:status", {**STATUS[0], "status": "offline", "error": "Plex stopped answering"}
    )
    page.locator('[data-service="plex"] .pill--offline').wait_for()
    assert pill_of(page, "plex") == "Offline"
    toast = page.locator("#toasts .toast", has_text="Plex is offline")
    toast.wait_for()
    assert "Plex stopped answering" in toast.inner_text()
    assert page.locator("#toasts").get_attribute("aria-live") == "polite"


def test_pushed_monitor_change_updates_only_that_monitor(dashboard, page):
    dashboard.send(
        "service:status",
        {
            "service": "uptime_kuma",
            "monitor": {"id": 2, "name": "NAS <backup>", "status": "online"},
        },
    )
    page.locator('[data-service="uptime_kuma"] summary', has_text="all up").wait_for()
    assert page.locator('[data-service="uptime_kuma"] .monitor').count() == 3


def test_notification_becomes_a_toast(dashboard, page):
    dashboard.send(
        "notification",
        {"title": "Download finished", "message": "Cooking basics is in Plex", "level": "success"},
    )
    toast = page.locator("#toasts .toast--success")
    toast.wait_for()
    assert "Cooking basics is in Plex" in toast.inner_text()


def test_dashboard_without_its_api_shows_empty_states(admin_session, page, watch):
    not_found = json.dumps(
        {"success": False, "error": {"code": "NOT_FOUND", "message": "Not found", "details": {}}}
    )
    for path in ("**/api/dashboard/status", "**/api/dashboard/widgets"):
        page.route(
            path,
            lambda route: route.fulfill(
                status=404, content_type="application/json", body=not_found
            ),
        )
    page.route_web_socket("**/ws/status", lambda ws: ws.close(code=1011))
    page.goto(f"{admin_session.url}/")
    page.get_by_text("Widgets aren't available yet").wait_for()
    page.get_by_text("Status isn't available yet").wait_for()
    assert watch.page_errors == []
