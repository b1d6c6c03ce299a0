"""The product end to end: `medianest serve` wired to stand-ins for plex.tv, a Plex server and
Uptime Kuma (real HTTP servers), driven in Chromium as the household uses it.

Nothing here is routed or faked inside the browser: statuses come from the probes, changes
arrive over `/ws/status`, and signing in with Plex goes through the stand-in's plex.tv/link page.
"""

from __future__ import annotations

import pytest

from medianest_uptime_kuma.testing import MonitorStatus

pytestmark = pytest.mark.timeout(120)

# How long the page may take to show what the stand-ins did: services are checked every
# second (MEDIANEST_STATUS_INTERVAL), so this only guards against waiting forever.
WAIT_MS = 20_000
BREAKER_OPEN_MS = 30_000  # the service client's circuit breaker stays open this long
NAS = 3  # the demo Uptime Kuma's monitor ids count from 1: Plex, Overseerr, NAS, …


def open_dashboard(page, url: str) -> None:
    page.goto(f"{url}/")
    page.locator("[data-status-panel][aria-busy=false]").wait_for()
    page.locator("[data-widgets][aria-busy=false]").wait_for()
    page.locator("[data-live][data-state=open]").wait_for()


def service_pill(page, service: str, status: str):
    return page.locator(f'[data-service="{service}"] .service__top .pill--{status}')


def test_status_follows_the_services_live(household_admin, page, watch, shoot):
    household = household_admin
    open_dashboard(page, household.server.url)
    service_pill(page, "plex", "online").wait_for(timeout=WAIT_MS)
    service_pill(page, "uptime_kuma", "online").wait_for(timeout=WAIT_MS)
    page.locator('[data-service="uptime_kuma"] [data-monitor]').first.wait_for(timeout=WAIT_MS)
    assert page.locator("article.widget[data-plugin=plex]").get_by_text("Movies").count() >= 1
    shoot("household-dashboard")

    household.kuma.set_status(NAS, MonitorStatus.DOWN)  # one monitor fails: pushed on its own
    page.locator(f'[data-service="uptime_kuma"] [data-monitor="{NAS}"] .pill--offline').wait_for(
        timeout=WAIT_MS
    )
    page.locator(
        f'article.widget[data-plugin=uptime_kuma] [data-monitor="{NAS}"] .pill--offline'
    ).wait_for()

    household.kuma_server.outage("refuse")  # then Uptime Kuma itself stops answering
    service_pill(page, "uptime_kuma", "offline").wait_for(timeout=WAIT_MS)
    page.locator("#toasts .toast", has_text="Uptime Kuma is offline").wait_for()
    shoot("household-dashboard-kuma-down")

    household.kuma_server.recover()
    # Refused checks every second open Uptime Kuma's circuit breaker (5 failures: 30 s open), so
    # recovery shows once the breaker lets a check through again, not within one interval.
    service_pill(page, "uptime_kuma", "online").wait_for(timeout=BREAKER_OPEN_MS + WAIT_MS)
    page.locator("#toasts .toast", has_text="Uptime Kuma is back online").wait_for()

    assert watch.page_errors == [] and watch.failed_responses == []
    assert watch.foreign_requests(household.server.netloc) == []


def test_turning_a_plugin_off_takes_its_widget_and_status_off_open_dashboards(
    household_admin, context, page, watch
):
    household = household_admin
    open_dashboard(page, household.server.url)
    kuma_widget = page.locator("article.widget[data-plugin=uptime_kuma]")
    kuma_widget.wait_for()
    service_pill(page, "uptime_kuma", "online").wait_for(timeout=WAIT_MS)

    admin = context.new_page()  # the admin's other tab
    admin.goto(f"{household.server.url}/admin/plugins")
    admin.locator("[data-admin-section][aria-busy=false]").wait_for()
    switch = admin.locator('article.plugin[data-plugin="uptime_kuma"] .switch')
    switch.click()
    admin.locator(
        'article.plugin[data-plugin="uptime_kuma"] .switch[aria-checked=false]:not([disabled])'
    ).wait_for()

    kuma_widget.wait_for(state="detached")  # no reload: the socket said so
    page.locator('[data-service="uptime_kuma"]').wait_for(state="detached")
    assert page.locator("article.widget[data-plugin=plex]").count() == 1

    switch.click()
    admin.locator(
        'article.plugin[data-plugin="uptime_kuma"] .switch[aria-checked=true]:not([disabled])'
    ).wait_for()
    kuma_widget.wait_for()
    assert watch.page_errors == []


def sign_in_with_plex(page, context, household, account) -> None:
    """Start on the sign-in page, approve the code on the stand-in's plex.tv/link as `account`."""
    page.goto(f"{household.server.url}/login")
    page.get_by_role("button", name="Sign in with Plex").click()
    approve_on_plextv(page, context, household, account)


def approve_on_plextv(page, context, household, account) -> None:
    """The code the page shows, approved on the stand-in's plex.tv/link (a new tab) as `account`."""
    code = page.locator("[data-pin-code]")
    code.wait_for()
    link = page.get_by_role("link", name="Open plex.tv/link")
    assert link.get_attribute("href").startswith(f"{household.plex.plextv.url}/link?")
    with context.expect_page() as opened:
        link.click()
    plextv = opened.value
    plextv.wait_for_load_state()
    assert plextv.locator("input[name=code]").input_value() == code.inner_text()
    plextv.locator("select[name=account]").select_option(value=str(account.id))
    plextv.get_by_role("button", name="Link").click()
    plextv.get_by_text("You can close this page").wait_for()
    plextv.close()


def test_a_household_member_signs_in_with_plex_and_sees_their_libraries(
    household, context, page, watch, shoot
):
    friend = household.plex.friend
    sign_in_with_plex(page, context, household, friend)

    page.wait_for_url(f"{household.server.url}/", timeout=WAIT_MS)  # the page went on by itself
    assert page.locator(".user-menu__name").first.inner_text() == friend.username
    libraries = page.locator("article.widget[data-plugin=plex] [data-library]")
    libraries.first.wait_for(timeout=WAIT_MS)
    titles = {title.strip() for title in libraries.locator(".monitor__name").all_inner_texts()}
    assert titles == {"Movies", "TV Shows"}  # what the owner shares with them, nothing else
    assert page.locator('a[href="/admin"]').count() == 0
    shoot("household-member-dashboard")
    page.locator("article.widget[data-plugin=plex]").get_by_role("link", name="Movies").click()
    page.locator("main[data-plex-page=library]").wait_for()  # the widget opens the library
    assert watch.page_errors == []
    assert watch.foreign_requests(household.server.netloc) == []


def test_a_plex_account_without_access_to_the_server_is_refused(household, context, page):
    sign_in_with_plex(page, context, household, household.plex.stranger)
    page.get_by_text("No access to this server", exact=True).wait_for(timeout=WAIT_MS)
    assert page.url.startswith(f"{household.server.url}/login")
    assert not [c for c in context.cookies() if c["name"] == "medianest_session"]


def test_the_admin_tests_connections_with_saved_and_unsaved_values(
    household_admin, page, watch, shoot
):
    household = household_admin
    page.goto(f"{household.server.url}/admin/services")
    page.locator("[data-admin-section][aria-busy=false]").wait_for()
    kuma = page.locator('[data-service-form="uptime_kuma"]')
    kuma.get_by_role("button", name="Test connection").click()
    kuma.locator(".service-form__result .pill--online").wait_for(timeout=WAIT_MS)
    assert "answered" in kuma.locator(".service-form__result").inner_text()

    plex = page.locator('[data-service-form="plex"]')
    assert (
        plex.locator("input[type=password]").input_value() == ""
    )  # the saved token stays on the server
    plex.locator("input[type=password]").fill("not-the-owner-token")  # typed, not saved
    plex.get_by_role("button", name="Test connection").click()
    plex.locator(".service-form__result .pill--offline").wait_for(timeout=WAIT_MS)
    result = plex.locator(".service-form__result").inner_text()
    assert "refused" in result and "not-the-owner-token" not in result
    shoot("household-admin-services")

    page.reload()  # nothing was saved: the saved token still works
    page.locator("[data-admin-section][aria-busy=false]").wait_for()
    plex.get_by_role("button", name="Test connection").click()
    plex.locator(".service-form__result .pill--online").wait_for(timeout=WAIT_MS)
    assert household.plex.server.owner_token not in page.content()
    assert watch.page_errors == []


def test_a_local_admin_links_their_plex_account_and_browses(
    household_admin, context, page, watch, shoot
):
    household = household_admin
    response = page.goto(f"{household.server.url}/plex/")
    assert response.status == 403
    page.locator("[data-plex-problem=not-linked]").wait_for()
    shoot("plex-link-account")
    page.get_by_role("button", name="Link your Plex account").click()
    approve_on_plextv(page, context, household, household.plex.owner)

    page.locator("main[data-plex-page=libraries]").wait_for(timeout=WAIT_MS)  # reloaded by itself
    titles = page.locator("[data-plex-libraries] a.plex-library").all_inner_texts()
    assert len(titles) == 4  # the owner sees every library
    assert watch.page_errors == []
    assert watch.foreign_requests(household.server.netloc) == []
