"""Requesting in a browser, against the Overseerr stand-in: search → request → it shows under My
requests → an admin approves in another browser → the badge changes without a reload.

This test serves its own MediaNest with the web shell and the Overseerr plugin only (hypercorn on
a thread, the demo household of `FakeOverseerr.demo()`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import PHONE, VIEWPORTS, _free_port, take_screenshots

pytestmark = pytest.mark.timeout(180)

PASSWORD = "a long browser test password"
IRON_TIDE = 910116


class Served:
    """MediaNest with the Overseerr pages on hypercorn, on its own thread and loop."""

    def __init__(self, data_dir: Path, overseerr: Any) -> None:
        from medianest.app import create_app
        from medianest.settings import Settings

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = Settings(data_dir=data_dir, admin_password="bootstrap password for the browser",
                            log_level="WARNING", status_interval=1.0)  # fmt: skip
        import medianest_overseerr
        from medianest.testing import installed_plugin

        self.app = create_app(settings, plugins=[installed_plugin("web"), medianest_overseerr])
        self.overseerr = overseerr
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Served:
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        config = Config()
        config.bind = [f"127.0.0.1:{self.port}"]
        config.accesslog = None
        config.graceful_timeout = 1
        self.thread.start()
        self.stop = asyncio.Event()
        self.server = asyncio.run_coroutine_threadsafe(
            serve(self.app, config, shutdown_trigger=self._stopped), self.loop
        )
        for _ in range(300):
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            self.loop.call_soon_threadsafe(lambda: None)
            threading.Event().wait(0.1)
        else:
            raise RuntimeError("MediaNest did not start")
        self.run(self._household())
        return self

    async def _stopped(self) -> None:
        await self.stop.wait()

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.server.result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    async def _household(self) -> None:
        from medianest.testing.clients import create_user

        core = self.app.extensions["medianest"]
        for name, plex_id, role in (("owner", "1001", "admin"), ("friend", "1002", "user")):
            user = await create_user(self.app, name, role=role, password=PASSWORD)
            await core.accounts.link(user.id, "plex", plex_id, username=name)
        await core.services.put(
            "overseerr",
            url=self.overseerr.url,
            api_key=self.overseerr.api_key,
            config={"timeout": 5},
        )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    from medianest_overseerr.testing import FakeOverseerr

    with FakeOverseerr.demo() as overseerr, Served(tmp_path / "data", overseerr) as server:
        yield server


def sign_in(context, server: Served, username: str) -> None:
    answer = context.request.post(
        f"{server.url}/api/auth/admin", data={"username": username, "password": PASSWORD}
    )
    assert answer.ok, answer.text()


def test_request_then_approve_in_another_tab_changes_the_badge_live(
    served, browser, context, page, watch
):
    sign_in(context, served, "friend")
    page.goto(f"{served.url}/overseerr/")
    page.get_by_label("Title").fill("iron")
    page.get_by_label("Movies", exact=True).check()
    page.locator("main[data-overseerr-page=search] [data-overseerr-results]").wait_for()
    take_screenshots(page, "overseerr-search")

    page.get_by_role("button", name="Request Iron Tide").click()
    dialog = page.locator("[data-overseerr-dialog]")
    dialog.get_by_role("heading", name="Request Iron Tide (2019)").wait_for()
    take_screenshots(page, "overseerr-request-dialog", {"phone": PHONE})
    dialog.get_by_role("button", name="Request", exact=True).click()
    page.locator('[data-tmdb-id="910116"] [data-status="pending"]', has_text="Yours").wait_for()

    page.get_by_role("link", name="My requests").click()
    page.locator("main[data-overseerr-page=requests]").wait_for()
    row = page.locator("[data-request]", has_text="Iron Tide")
    row.locator('[data-status="pending"]').wait_for()
    request_id = row.get_attribute("data-request")
    page.wait_for_function("document.documentElement.dataset.overseerrLive === 'open'")

    admin_context = browser.new_context(viewport=VIEWPORTS["desktop"], reduced_motion="reduce")
    try:
        admin = admin_context.new_page()
        sign_in(admin_context, served, "owner")
        admin.goto(f"{served.url}/overseerr/admin")
        pending = admin.locator(f'[data-request="{request_id}"]')
        take_screenshots(admin, "overseerr-approvals")
        pending.get_by_role("button", name="Approve Iron Tide").click()
        pending.locator('[data-status="approved"]').wait_for()
    finally:
        admin_context.close()

    row.locator('[data-status="approved"]', has_text="Approved").wait_for()  # no reload
    take_screenshots(page, "overseerr-my-requests")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert served.overseerr.get_request(int(request_id)).status == 2  # APPROVED in Overseerr
    assert watch.page_errors == [] and watch.console_errors == []
    assert watch.foreign_requests(f"127.0.0.1:{served.port}") == []


def test_the_pages_in_dark_theme_at_phone_width(served, context, page):
    sign_in(context, served, "friend")
    page.emulate_media(color_scheme="dark")
    page.goto(f"{served.url}/overseerr/?q=orbit")
    page.locator("[data-overseerr-results]").wait_for()
    page.keyboard.press("Tab")  # keyboard-usable: focus lands on the page's controls
    take_screenshots(page, "overseerr-search-dark")
    page.goto(f"{served.url}/overseerr/requests")
    take_screenshots(page, "overseerr-my-requests-dark", {"phone": PHONE})
