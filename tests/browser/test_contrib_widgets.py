"""The contrib plugins on the dashboard in Chromium: `medianest serve` wired to stand-ins for
Tautulli, Sonarr and Radarr (real HTTP servers), connected as an admin connects them.

Nothing is routed inside the browser: the widgets show what the probes read from the
stand-ins, and a service that that fails shows over `/ws/status` without a reload.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from medianest_arr.testing import FakeRadarr, FakeSonarr
from medianest_tautulli.testing import FakeTautulli

from .conftest import LiveServer, serve, sign_in_first_admin

pytestmark = pytest.mark.timeout(120)

WAIT_MS = 20_000  # services are checked every second; this only guards against forever


@dataclass
class Contrib:
    server: LiveServer
    tautulli: FakeTautulli
    sonarr: FakeSonarr
    radarr: FakeRadarr


def connect(context: Any, server: LiveServer, name: str, fake: Any) -> None:
    csrf = next(cookie["value"] for cookie in context.cookies() if cookie["name"] == "csrf_token")
    saved = context.request.put(
        f"{server.url}/api/admin/services/{name}",
        data={"url": fake.url, "api_key": fake.api_key, "enabled": True},
        headers={"X-CSRF-Token": csrf},
    )
    assert saved.ok, saved.text()


@pytest.fixture
def contrib(tmp_path: Path, context: Any) -> Iterator[Contrib]:
    with (
        FakeTautulli.demo() as tautulli,
        FakeSonarr.demo() as sonarr,
        FakeRadarr.demo() as radarr,
        serve(tmp_path, {"MEDIANEST_STATUS_INTERVAL": "1"}) as server,
    ):
        sign_in_first_admin(context, server)
        for fake in (tautulli, sonarr, radarr):
            connect(context, server, fake.label, fake)
        yield Contrib(server, tautulli, sonarr, radarr)


def open_dashboard(page: Any, url: str) -> None:
    page.goto(f"{url}/")
    page.locator("[data-status-panel][aria-busy=false]").wait_for()
    page.locator("[data-widgets][aria-busy=false]").wait_for()
    page.locator("[data-live][data-state=open]").wait_for()


def service_pill(page: Any, service: str, status: str) -> Any:
    return page.locator(f'[data-service="{service}"] .service__top .pill--{status}')


def test_tautulli_and_arr_widgets_show_live_status_from_the_stand_ins(
    contrib: Contrib, page: Any, watch: Any, shoot: Any
) -> None:
    open_dashboard(page, contrib.server.url)
    for service in ("tautulli", "sonarr", "radarr"):
        service_pill(page, service, "online").wait_for(timeout=WAIT_MS)

    tautulli = page.locator("article.widget[data-plugin=tautulli]")
    tautulli.locator("[data-widget='tautulli.activity'][data-stream-count='2']").wait_for(
        timeout=WAIT_MS
    )
    assert tautulli.locator("[data-session]").count() == 2
    assert tautulli.get_by_text("friend · The Last Cartographer").count() == 1
    assert tautulli.get_by_role("list", name="Recently played").locator("li").count() == 3

    arr = page.locator("article.widget[data-plugin=arr]")
    radarr = arr.locator("[data-app=radarr]")
    radarr.locator("[data-download]").first.wait_for(timeout=WAIT_MS)
    assert radarr.get_by_text("Deep Field").count() == 1
    assert radarr.locator("[data-failed='1']").count() == 1
    assert radarr.get_by_label("75% downloaded").count() == 1
    assert arr.locator("[data-app=sonarr]").get_by_text("Northern Lights Station").count() >= 1
    shoot("contrib-dashboard")

    contrib.radarr.fail(503)  # Radarr starts failing: the page hears it over /ws/status
    service_pill(page, "radarr", "degraded").wait_for(timeout=WAIT_MS)
    arr.locator("[data-app=radarr][data-status=degraded]").wait_for(timeout=WAIT_MS)
    assert arr.locator("[data-app=radarr] h4 .badge--warn").count() == 1
    assert arr.locator("[data-app=radarr]").get_by_text("Deep Field").count() == 1  # last known
    service_pill(page, "sonarr", "online").wait_for()  # the other app carries on
    contrib.radarr.recover()

    assert watch.page_errors == []
    assert watch.foreign_requests(contrib.server.netloc) == []
