"""Signing in with Plex, as the page runs it: the code, the link, polling, and each refusal.

plex.tv is not reachable from a test, so the two PIN routes are stood in for with
Playwright's routing; the page itself, its scripts and the redirect after sign-in are real.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.timeout(90)


def answer(route, status: int, body: dict) -> None:
    route.fulfill(status=status, content_type="application/json", body=json.dumps(body))


def ok(data) -> dict:
    return {
        "success": True,
        "data": data,
        "meta": {"timestamp": datetime.now(UTC).isoformat(), "version": "test"},
    }


def refused(code: str, message: str, **details) -> dict:
    return {"success": False, "error": {"code": code, "message": message, "details": details}}


@pytest.fixture
def pin(page):
    """The PIN route answers a code; returns the list of poll bodies the page sent."""
    expires = (datetime.now(UTC) + timedelta(minutes=15)).isoformat()
    page.route(
        "**/api/auth/plex/pin",
        lambda route: answer(
            route,
            200,
            ok(
                {
                    "pin_id": 4242,
                    "code": "K7QM",
                    "auth_url": "https://app.plex.tv/auth#?code=K7QM",
                    "expires_at": expires,
                }
            ),
        ),
    )
    return []


def stub_polls(page, polls: list, answers: list[tuple[int, dict]]) -> None:
    """Answer the page's polls in order (the last answer repeats)."""

    def handle(route):
        polls.append(json.loads(route.request.post_data or "{}"))
        status, body = answers[min(len(polls), len(answers)) - 1]
        answer(route, status, body)

    page.route("**/api/auth/plex", handle)


def test_code_is_shown_and_polling_signs_in(shared_server, page, pin, watch, shoot):
    stub_polls(
        page,
        pin,
        [
            (202, ok({"status": "waiting"})),
            (200, ok({"user": {"username": "alice"}, "must_change_password": False})),
        ],
    )
    page.route(
        f"{shared_server.url}/admin/plugins",
        lambda route: route.fulfill(content_type="text/html", body="<title>signed in</title>"),
    )
    page.goto(f"{shared_server.url}/login?next=%2Fadmin%2Fplugins")
    page.get_by_role("button", name="Sign in with Plex").click()

    code = page.locator("[data-pin-code]")
    code.wait_for()
    assert code.inner_text() == "K7QM"
    link = page.get_by_role("link", name="Open plex.tv/link")
    assert link.get_attribute("href") == "https://app.plex.tv/auth#?code=K7QM"
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in link.get_attribute("rel")
    shoot("login-plex-code")

    page.wait_for_url(f"{shared_server.url}/admin/plugins")
    assert pin[0] == {"pin_id": 4242, "remember_me": True}
    assert len(pin) == 2
    assert watch.foreign_requests(shared_server.netloc) == []


def test_account_without_access_is_told_so(shared_server, page, pin):
    stub_polls(
        page,
        pin,
        [
            (
                403,
                refused(
                    "FORBIDDEN",
                    "This Plex account has no access to this server",
                    reason="no_server_access",
                ),
            )
        ],
    )
    page.goto(f"{shared_server.url}/login")
    page.get_by_role("button", name="Sign in with Plex").click()
    page.get_by_text("No access to this server", exact=True).wait_for()
    assert page.get_by_role("button", name="Start again").is_visible()


def test_expired_code_offers_a_new_one(shared_server, page, pin, shoot):
    stub_polls(
        page, pin, [(410, refused("PIN_EXPIRED", "This Plex code has expired; start again"))]
    )
    page.goto(f"{shared_server.url}/login")
    page.get_by_role("button", name="Sign in with Plex").click()
    page.get_by_text("This code has expired").wait_for()
    shoot("login-plex-expired")
    page.get_by_role("button", name="Start again").click()
    page.locator("[data-pin-code]").wait_for()
    assert page.locator("[data-pin-code]").inner_text() == "K7QM"


def test_rate_limit_says_how_long_to_wait(shared_server, page, pin):
    stub_polls(
        page,
        pin,
        [
            (
                429,
                refused(
                    "RATE_LIMIT_EXCEEDED", "Too many requests", limit=30, window=60, retryAfter=42
                ),
            )
        ],
    )
    page.goto(f"{shared_server.url}/login")
    page.get_by_role("button", name="Sign in with Plex").click()
    page.get_by_text("Please wait 42 seconds before trying again.").wait_for()


def test_plex_not_set_up_points_to_the_admin_form(shared_server, page):
    page.route(
        "**/api/auth/plex/pin", lambda route: answer(route, 404, refused("NOT_FOUND", "Not found"))
    )
    page.goto(f"{shared_server.url}/login")
    page.get_by_role("button", name="Sign in with Plex").click()
    page.get_by_text("Plex sign-in isn't set up").wait_for()
    assert page.locator("[data-admin]").get_attribute("open") is not None
