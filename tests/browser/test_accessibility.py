"""Keyboard and screen-reader basics: landmarks, the skip link, the account menu, focus."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.timeout(90)


def test_dashboard_has_landmarks_and_a_skip_link(admin_session, page):
    page.goto(f"{admin_session.url}/")
    assert page.get_by_role("banner").count() == 1
    assert page.get_by_role("navigation", name="Main").count() == 1
    assert page.get_by_role("main").count() == 1
    assert page.get_by_role("heading", level=1).count() == 1

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_account_menu_opens_and_closes_from_the_keyboard(admin_session, page):
    page.goto(f"{admin_session.url}/")
    button = page.get_by_role("button", name=re.compile("account menu"))
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert page.evaluate("document.activeElement.textContent.trim()") == "Change password"
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert button.evaluate("element => element === document.activeElement")
    assert page.locator("#user-menu-panel").is_hidden()


def test_sign_out_ends_the_session(admin_session, page):
    page.goto(f"{admin_session.url}/")
    page.get_by_role("button", name=re.compile("account menu")).click()
    page.get_by_role("button", name="Sign out").click()
    # The live socket, closed by the sign-out, may get there first and add ?next=%2F.
    page.wait_for_url(re.compile(r"/login(\?next=%2F)?$"))
    page.goto(f"{admin_session.url}/")
    page.wait_for_url(f"{admin_session.url}/login?next=%2F")


def test_every_form_control_on_the_sign_in_page_has_a_name(shared_server, page):
    page.goto(f"{shared_server.url}/login")
    page.locator("[data-admin] summary").click()
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll("input, button, select, a[href]")]
            .filter((element) => element.offsetParent !== null)
            .filter((element) => !(element.labels && element.labels.length)
                && !element.getAttribute("aria-label") && !element.textContent.trim())
            .map((element) => element.outerHTML)"""
    )
    assert unnamed == []


def test_focus_is_visible(shared_server, page):
    page.goto(f"{shared_server.url}/login")
    page.get_by_role("button", name="Sign in with Plex").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_every_signed_in_page_fits_a_phone(admin_session, page):
    page.set_viewport_size({"width": 360, "height": 740})
    too_wide = {}
    for path in (
        "/",
        "/password",
        "/admin/users",
        "/admin/services",
        "/admin/plugins",
        "/admin/settings",
        "/admin/audit",
    ):
        page.goto(f"{admin_session.url}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            too_wide[path] = overflow
    assert too_wide == {}
