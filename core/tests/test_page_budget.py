"""HTML pages count against a budget of their own (`rate_limits.pages`), per person or, signed
out, per address: the dashboard's pages and every plugin's, found by the core without naming
any. Static files, probes and the API's own budget are apart."""

from __future__ import annotations

from typing import Any

import pytest
from quart import Blueprint, Response

from medianest.auth.policy import public, signed_in
from medianest.plugins import PluginSpec, hookimpl
from medianest.testing.clients import ApiClient
from medianest.testing.clients import signed_in as signed_in_client


class Shelf:
    """A plugin with HTML pages under its own URL space, as a browse page of a media server."""

    plugin = PluginSpec(id="shelf", title="Shelf")

    @hookimpl
    def register_routes(self, core: Any) -> list[Blueprint]:
        bp = Blueprint("shelf_pages", __name__, url_prefix="/shelf")

        @bp.get("/browse")
        @signed_in
        async def browse() -> Response:
            return Response("<h1>Shelf</h1>", content_type="text/html")

        @bp.get("/about")
        @public
        async def about() -> Response:
            return Response("<p>About</p>", content_type="text/html")

        return [bp]


@pytest.fixture
async def shelf(app_factory) -> Any:
    from medianest.testing import installed_plugin

    app = await app_factory(plugins=[installed_plugin("web"), Shelf()])  # the shell's pages too
    await app.extensions["medianest"].system.update(
        {"rate_limits": {"pages": {"limit": 3, "window": 60}}}
    )
    return app


async def statuses(client: Any, path: str, times: int) -> list[int]:
    return [(await client.get(path)).status_code for _ in range(times)]


async def test_a_plugins_pages_count_per_person(shelf):
    alice = await signed_in_client(shelf, "alice")
    assert await statuses(alice, "/shelf/browse?q=a", 4) == [200, 200, 200, 429]
    refused = await alice.get("/shelf/browse?q=b")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    bob = await signed_in_client(shelf, "bob")
    assert await statuses(bob, "/shelf/browse", 1) == [200]  # each person has their own
    assert (await alice.get("/api/auth/session")).status_code == 200  # the API budget is apart


async def test_pages_signed_out_count_per_address(shelf):
    assert await statuses(ApiClient(shelf), "/shelf/about", 3) == [200, 200, 200]
    assert (
        await ApiClient(shelf).get("/shelf/about")
    ).status_code == 429  # another browser, same address
    assert (await ApiClient(shelf).get("/login")).status_code == 429  # the dashboard's pages too


async def test_the_dashboards_pages_count(shelf):
    alice = await signed_in_client(shelf, "alice")
    assert await statuses(alice, "/", 4) == [200, 200, 200, 429]


async def test_static_files_probes_and_metrics_are_not_pages(shelf):
    alice = await signed_in_client(shelf, "alice")
    page = await (await alice.get("/")).get_data(as_text=True)
    asset = page.split('href="/static/web/', 1)[1].split('"', 1)[0]
    for path in (f"/static/web/{asset}", "/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert await statuses(alice, path, 5) == [200] * 5, path
    assert await statuses(alice, "/shelf/browse", 2) == [200, 200]  # one page was spent above
