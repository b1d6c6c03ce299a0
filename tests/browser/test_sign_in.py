"""The sign-in page and the admin's first sign-in, in a real browser against the real server."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.timeout(90)


def test_sign_in_page_loads_clean_at_desktop_and_phone_widths(shared_server, page, watch, shoot):
    page.goto(f"{shared_server.url}/login")
    page.get_by_role("button", name="Sign in with Plex").wait_for()
    page.wait_for_load_state("networkidle")
    shoot("login")

    assert page.title() == "Sign in · MediaNest"
    assert watch.console_errors == []
    assert watch.page_errors == []
    assert watch.foreign_requests(shared_server.netloc) == []
    assert any("/static/web/css/app.css?v=" in url for url in watch.requests)


def test_phone_width_has_no_horizontal_scroll(shared_server, page):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{shared_server.url}/login")
    page.locator("[data-admin] summary").click()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


def test_theme_toggle_is_remembered(shared_server, page, shoot):
    page.emulate_media(color_scheme="light")
    page.goto(f"{shared_server.url}/login")
    page.get_by_role("button", name="Switch to dark theme").click()
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.get_by_role("button", name="Switch to light theme").is_visible()
    shoot("login-dark")


def test_dark_preference_is_followed_without_a_choice(shared_server, page):
    page.emulate_media(color_scheme="dark")
    page.goto(f"{shared_server.url}/login")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(12, 15, 22)"  # the dark theme's --bg
    assert page.get_by_role("button", name="Switch to light theme").is_visible()


def test_wrong_admin_password_is_refused_on_the_page(shared_server, page, watch):
    page.goto(f"{shared_server.url}/login")
    page.locator("[data-admin] summary").click()
    page.get_by_label("Username").fill(shared_server.admin_username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    alert = page.locator("[data-admin-error]")
    alert.wait_for()
    assert "Wrong username or password" in alert.inner_text()
    assert page.url.startswith(f"{shared_server.url}/login")


def test_unknown_page_shows_the_not_found_page(shared_server, page, watch, shoot):
    response = page.goto(f"{shared_server.url}/no/such/page")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    shoot("not-found")
    assert watch.foreign_requests(shared_server.netloc) == []


def test_admin_first_sign_in_changes_the_bootstrap_password(live_server, page, watch, shoot):
    page.goto(f"{live_server.url}/")
    page.wait_for_url(re.compile(r"/login\?next=%2F$"))

    page.locator("[data-admin] summary").click()
    page.get_by_label("Username").fill(live_server.admin_username)
    page.get_by_label("Password").fill(live_server.admin_password)
    page.get_by_role("button", name="Sign in", exact=True).click()

    page.wait_for_url(re.compile(r"/password(\?|$)"))
    page.get_by_role("heading", name="Change your password").wait_for()
    shoot("password-bootstrap")
    page.get_by_label("Current password").fill(live_server.admin_password)
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Repeat the new password").fill("short")
    page.get_by_role("button", name="Change password").click()
    assert page.locator("#new-password-error").is_visible()

    new_password = "a much longer household password"
    page.get_by_label("Current password").fill("not the current one")
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Repeat the new password").fill(new_password)
    page.get_by_role("button", name="Change password").click()
    server_says = page.locator("#current-password-error")
    server_says.wait_for()
    assert "not your current password" in server_says.inner_text()

    page.get_by_label("Current password").fill(live_server.admin_password)
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Repeat the new password").fill(new_password)
    page.get_by_role("button", name="Change password").click()

    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("heading", name=re.compile("Welcome back")).wait_for()
    page.locator("[data-widgets][aria-busy=false]").wait_for()
    page.locator("[data-status-panel][aria-busy=false]").wait_for()
    shoot("dashboard")
    assert watch.page_errors == []
    assert watch.foreign_requests(live_server.netloc) == []
