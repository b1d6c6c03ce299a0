"""The admin pages against the real API: plugins on and off, and every section renders."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(120)

SECTIONS = ["users", "services", "plugins", "settings", "audit"]


@pytest.mark.parametrize("section", SECTIONS)
def test_admin_section_renders_without_errors(admin_session, page, watch, shoot, section):
    page.goto(f"{admin_session.url}/admin/{section}")
    page.locator("[data-admin-section][aria-busy=false]").wait_for()
    page.wait_for_load_state("networkidle")
    shoot(f"admin-{section}")
    assert page.locator(".tabs a[aria-current=page]").get_attribute("href") == f"/admin/{section}"
    assert watch.page_errors == []
    assert watch.console_errors == []
    assert watch.foreign_requests(admin_session.netloc) == []


def test_plugin_switch_turns_a_plugin_off_and_it_stays_off(admin_session, page, watch):
    page.goto(f"{admin_session.url}/admin/plugins")
    page.locator("[data-admin-section][aria-busy=false]").wait_for()
    card = page.locator("article.plugin", has=page.locator(".switch[aria-checked=true]")).first
    if card.count() == 0:
        pytest.skip("no enabled plugin is installed")
    name = card.get_attribute("data-plugin")

    card.locator(".switch").click()
    page.locator(
        f'article.plugin[data-plugin="{name}"] .switch[aria-checked=false]:not([disabled])'
    ).wait_for()
    page.locator("#toasts .toast--success").wait_for()
    page.reload()
    page.locator(f'article.plugin[data-plugin="{name}"] .switch[aria-checked=false]').wait_for()
    assert (
        page.locator(f'article.plugin[data-plugin="{name}"] .badge').first.inner_text()
        == "Disabled"
    )
    assert watch.page_errors == []


def test_plugin_settings_are_saved_and_refused_when_invalid(admin_session, page, watch, shoot):
    page.goto(f"{admin_session.url}/admin/plugins")
    page.locator("[data-admin-section][aria-busy=false]").wait_for()
    card = page.locator("article.plugin", has=page.locator(".plugin__settings")).first
    if card.count() == 0:
        pytest.skip("no installed plugin has settings")
    name = card.get_attribute("data-plugin")
    card.locator(".plugin__settings summary").click()
    number = card.locator(".plugin__settings input[type=number]").first
    if number.count() == 0:
        pytest.skip("no numeric plugin setting to change")
    field_id = number.get_attribute("id")
    shoot("admin-plugin-settings")

    number.fill("99999999")
    card.get_by_role("button", name="Save settings").click()
    card.locator(".plugin__settings .form-error").wait_for()

    low = number.get_attribute("min") or "1"
    number.fill(low)
    card.get_by_role("button", name="Save settings").click()
    page.locator("#toasts .toast--success", has_text="settings saved").wait_for()

    page.reload()
    again = page.locator(f'article.plugin[data-plugin="{name}"]')
    again.locator(".plugin__settings summary").click()
    assert again.locator(f"#{field_id}").input_value() == low
    assert watch.page_errors == []


def test_a_missing_admin_endpoint_reads_not_available_yet(admin_session, page, watch):
    missing = (
        '{"success": false, "error": {"code": "NOT_FOUND", "message": "Not found", "details": {}}}'
    )
    page.route(
        "**/api/admin/users?*",
        lambda route: route.fulfill(status=404, content_type="application/json", body=missing),
    )
    page.goto(f"{admin_session.url}/admin/users")
    page.get_by_text("Not available yet").wait_for()
    assert watch.page_errors == []


def create_member(server, username: str) -> None:
    """A plain user, made with `medianest admin create` as an admin would."""
    made = server.cli(
        "admin",
        "create",
        username,
        "--role",
        "user",
        "--password-stdin",
        input=f"a password for {username}\n",
    )
    assert made.returncode == 0, made.stderr


def open_permissions(page, server, username: str):
    """Admin → Users, with `username`'s permissions panel open; returns their row."""
    page.goto(f"{server.url}/admin/users")
    page.locator("[data-admin-section][aria-busy=false]").wait_for()
    row = page.locator("tr[data-user]", has_text=username)
    row.get_by_role("button", name="Permissions").click()
    page.locator("tr[data-permissions-for]").wait_for()
    return row


def test_an_admin_changes_a_persons_permissions(admin_session, page, watch, shoot):
    create_member(admin_session, "bob")
    open_permissions(page, admin_session, "bob")
    panel = page.locator("tr[data-permissions-for]")
    browse = panel.locator('input[data-permission="plex.browse"]')
    assert browse.is_checked()  # members may browse Plex by default
    shoot("admin-user-permissions")

    browse.uncheck()
    page.locator("#toasts .toast--success").first.wait_for()
    panel.get_by_text("set for bob").first.wait_for()

    open_permissions(page, admin_session, "bob")  # again, from the server
    browse = page.locator('tr[data-permissions-for] input[data-permission="plex.browse"]')
    assert not browse.is_checked()  # kept
    browse.check()  # back to what the role gives: the per-user grant goes
    page.locator("tr[data-permissions-for]").get_by_text("plex.browse · from the role").wait_for()

    listed = page.request.get(f"{admin_session.url}/api/admin/users?q=bob").json()["data"]["items"][
        0
    ]
    assert listed["grants"] == {} and "plex.browse" in listed["permissions"]
    assert watch.page_errors == []


def test_the_permissions_panel_follows_a_role_change(admin_session, page):
    create_member(admin_session, "carol")
    row = open_permissions(page, admin_session, "carol")
    browse = page.locator('tr[data-permissions-for] input[data-permission="plex.browse"]')
    assert browse.is_enabled()

    row.get_by_label("Role of carol").select_option("admin")
    page.locator("tr[data-permissions-for]").get_by_text(
        "admins hold every permission"
    ).first.wait_for()
    assert browse.is_disabled() and browse.is_checked()


def test_plugin_cards_say_who_made_each_plugin_and_what_it_adds(admin_session, page, watch, shoot):
    page.goto(f"{admin_session.url}/admin/plugins")
    page.locator("[data-admin-section][aria-busy=false]").wait_for()
    listed = page.request.get(f"{admin_session.url}/api/admin/plugins")
    assert listed.ok, listed.text()
    entries = [
        entry
        for entry in listed.json()["data"]["items"]
        if entry["distribution"] and entry["permissions"] and entry["routes"]
    ]
    if not entries:
        pytest.skip("no installed plugin adds permissions and routes")
    for entry in entries:
        card = page.locator(f'article.plugin[data-plugin="{entry["name"]}"]')
        meta = card.locator(".plugin__meta").inner_text()
        assert entry["distribution"] in meta
        assert f"v{entry['version']}" in card.locator(".plugin__version").inner_text()
        if entry["author"]:
            assert f"by {entry['author']}" in meta
        if entry["requires_core"]:
            assert f"needs MediaNest {entry['requires_core']}" in meta

        card.locator(".plugin__adds summary").click()
        adds = card.locator(".plugin__adds-body")
        adds.wait_for()
        text = adds.inner_text()
        assert all(permission["name"] in text for permission in entry["permissions"])
        assert all(route["path"] in text for route in entry["routes"])
    shoot("admin-plugin-adds")
    assert watch.page_errors == []
    assert watch.console_errors == []
