"""`/api/dashboard`: status from the coordinators' cache, widgets with their data or their error."""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from medianest.api.dashboard import FAILED, NOT_RENDERED, TIMED_OUT
from medianest.plugins import Permission, PluginSpec, Widget, hookimpl
from medianest.testing.clients import ApiClient, signed_in
from status_support import ProbePlugin, until

SECRET = "internal detail 9f3e"


def core_of(app: Any) -> Any:
    return app.extensions["medianest"]


async def data_of(response: Any) -> Any:
    assert response.status_code == 200, await response.get_data()
    return (await response.get_json())["data"]


# ---- status --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/dashboard/status", "/api/dashboard/widgets"])
async def test_the_dashboard_is_for_signed_in_users(app, path):
    response = await app.test_client().get(path)
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "UNAUTHENTICATED"


async def test_status_lists_each_enabled_service_from_the_cache(app_factory, upstream, service_id):
    other = f"{service_id}x"
    app = await app_factory(
        plugins=[ProbePlugin(service_id, upstream.url), ProbePlugin(other, upstream.url)]
    )
    core = core_of(app)
    await core.status.refresh(service_id)
    await core.host.set_enabled(other, False, core)
    user = await signed_in(app, "alice")

    data = await data_of(await user.get("/api/dashboard/status"))

    assert data["total"] == 1 and [item["service"] for item in data["items"]] == [service_id]
    entry = data["items"][0]
    assert entry["status"] == "online" and entry["uptime_percentage"] == 100.0
    assert set(entry) == {
        "service",
        "title",
        "status",
        "response_time_ms",
        "last_check_at",
        "last_success_at",
        "uptime_percentage",
        "error",
        "stale",
        "age_seconds",
    }


async def test_a_hanging_upstream_never_makes_the_dashboard_wait(app_factory, upstream, service_id):
    app = await app_factory(
        plugins=[ProbePlugin(service_id, upstream.url, interval=0.1, timeout=2)]
    )
    core = core_of(app)
    await core.status.refresh(service_id)
    user = await signed_in(app, "alice")
    upstream.mode = "hanging"
    await until(lambda: core.status.get(service_id)["status"] == "offline")
    seen = upstream.hits  # the check that timed out may not have hung up yet: wait for the next
    await upstream.wait_until(lambda: upstream.hits > seen and upstream.stuck > 0)  # hanging now

    entry = (await data_of(await user.get("/api/dashboard/status")))["items"][0]

    assert upstream.stuck > 0  # answered while the probe was still stuck on the upstream
    assert entry["status"] == "offline" and entry["error"] == "timed out after 2 s"
    assert entry["stale"] is True and entry["age_seconds"] > 0.2


async def test_a_refusing_upstream_is_reported_from_the_cache(app_factory, upstream, service_id):
    app = await app_factory(plugins=[ProbePlugin(service_id, upstream.url, interval=0.05)])
    core = core_of(app)
    await core.status.refresh(service_id)
    user = await signed_in(app, "alice")
    upstream.mode = "dropping"
    await until(lambda: core.status.get(service_id)["status"] == "offline")

    entry = (await data_of(await user.get("/api/dashboard/status")))["items"][0]

    assert "cannot be reached" in entry["error"] and entry["last_success_at"] is not None


# ---- widgets -------------------------------------------------------------------------------------


class Tiles:
    """Widgets that behave well and badly."""

    def __init__(self) -> None:
        self.plugin = PluginSpec(id="tiles", title="Tiles")

    @hookimpl
    def register_permissions(self, core: Any) -> list[Permission]:
        return [Permission("tiles.secret", "See the secret tile", default_roles=())]

    @hookimpl
    def register_widgets(self, core: Any) -> list[Widget]:
        async def good(core: Any, actor: Any) -> dict[str, Any]:
            return {"hello": actor.username}

        async def raising(core: Any, actor: Any) -> dict[str, Any]:
            raise RuntimeError(SECRET)

        async def slow(core: Any, actor: Any) -> dict[str, Any]:
            await asyncio.sleep(30)
            return {"never": True}

        async def not_a_dict(core: Any, actor: Any) -> Any:
            return ["a", "list"]

        async def unserialisable(core: Any, actor: Any) -> dict[str, Any]:
            return {"when": object()}

        return [
            Widget(id="tiles.slow", title="Slow", data=slow, order=30),
            Widget(id="tiles.good", title="Good", data=good, order=10),
            Widget(id="tiles.raising", title="Raising", data=raising, order=20),
            Widget(id="tiles.list", title="List", data=not_a_dict, order=40),
            Widget(id="tiles.object", title="Object", data=unserialisable, order=50),
            Widget(
                id="tiles.secret", title="Secret", data=good, permission="tiles.secret", order=5
            ),
        ]


async def widgets(client: ApiClient) -> dict[str, dict[str, Any]]:
    return {
        item["id"]: item
        for item in (await data_of(await client.get("/api/dashboard/widgets")))["items"]
    }


async def test_a_good_widget_has_data_and_bad_ones_have_errors(app_factory, caplog):
    caplog.set_level(logging.WARNING, logger="medianest.dashboard")
    app = await app_factory(plugins=[Tiles()])
    user = await signed_in(app, "alice")

    response = await user.get("/api/dashboard/widgets")
    items = {item["id"]: item for item in (await data_of(response))["items"]}
    await widgets(user)  # a second load: failures are not logged again

    assert list(items) == [
        "tiles.good",
        "tiles.raising",
        "tiles.slow",
        "tiles.list",
        "tiles.object",
    ]
    assert items["tiles.good"] == {
        "id": "tiles.good",
        "plugin": "tiles",
        "plugin_title": "Tiles",
        "title": "Good",
        "order": 10,
        "data": {"hello": "alice"},
    }
    assert items["tiles.raising"]["error"] == FAILED and "data" not in items["tiles.raising"]
    assert items["tiles.slow"]["error"] == TIMED_OUT
    assert items["tiles.list"]["error"] == FAILED and items["tiles.object"]["error"] == FAILED
    assert SECRET not in (await response.get_data(as_text=True))
    logged = [r for r in caplog.records if r.name == "medianest.dashboard"]
    assert sorted(r.getMessage().split()[1] for r in logged) == [
        "tiles.list",
        "tiles.object",
        "tiles.raising",
        "tiles.slow",
    ]


async def test_widgets_follow_permissions_and_plugin_state(app_factory):
    app = await app_factory(plugins=[Tiles()])
    core = core_of(app)
    admin = await signed_in(app, "root", role="admin")
    user = await signed_in(app, "alice")

    assert "tiles.secret" in await widgets(admin)
    assert "tiles.secret" not in await widgets(user)

    await core.host.set_enabled("tiles", False, core)
    assert await widgets(admin) == {}


CARDS_PLUGIN = """
from medianest.plugins import PluginSpec, Widget, hookimpl

plugin = PluginSpec(id="cards", title="Cards")


async def data(core, actor):
    return {"count": 3, "label": "<b>bold</b>"}


@hookimpl
def register_widgets(core):
    return [
        Widget(id="cards.count", title="Count", data=data, template="cards/count.html"),
        Widget(id="cards.broken", title="Broken", data=data, template="cards/broken.html"),
        Widget(id="cards.missing", title="Missing", data=data, template="cards/missing.html"),
    ]
"""


@pytest.fixture
def cards_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A plugin package on disk, with its templates beside it as a wheel would install them."""
    package = tmp_path / "medianest_cards"
    (package / "templates" / "cards").mkdir(parents=True)
    (package / "__init__.py").write_text(CARDS_PLUGIN)
    (package / "templates" / "cards" / "count.html").write_text(
        "<p>{{ data.count }} for {{ actor.username }}: {{ data.label }} ({{ widget.title }})</p>"
    )
    (package / "templates" / "cards" / "broken.html").write_text("{{ data.nothing.deeper }}")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("medianest_cards")
    monkeypatch.delitem(sys.modules, "medianest_cards")
    return module


async def test_widget_templates_render_from_the_plugins_folder(app_factory, cards_plugin):
    app = await app_factory(plugins=[cards_plugin])
    items = await widgets(await signed_in(app, "alice"))

    assert items["cards.count"]["html"] == "<p>3 for alice: &lt;b&gt;bold&lt;/b&gt; (Count)</p>"
    assert items["cards.count"]["data"] == {"count": 3, "label": "<b>bold</b>"}
    assert items["cards.broken"]["error"] == NOT_RENDERED and "html" not in items["cards.broken"]
    assert items["cards.missing"]["error"] == NOT_RENDERED
