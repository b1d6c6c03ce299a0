"""`medianest demo` in a browser: what a newcomer sees after one command."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(120)

WAIT_MS = 30_000  # the demo checks its services every 5 s; this only guards against forever


def test_the_demo_dashboard_shows_plex_and_uptime_kuma(demo_admin, page, watch, shoot):
    page.goto(f"{demo_admin.url}/")
    for service in ("plex", "uptime_kuma"):
        page.locator(f'[data-service="{service}"] .service__top .pill--online').wait_for(
            timeout=WAIT_MS
        )
    page.locator("article.widget[data-plugin=plex] [data-library]").first.wait_for(timeout=WAIT_MS)
    page.locator("article.widget[data-plugin=uptime_kuma] [data-monitor]").first.wait_for(
        timeout=WAIT_MS
    )
    page.locator("[data-live][data-state=open]").wait_for()
    shoot("demo-dashboard")
    assert watch.page_errors == [] and watch.failed_responses == []
    assert watch.foreign_requests(demo_admin.netloc) == []
