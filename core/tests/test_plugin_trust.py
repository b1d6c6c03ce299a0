"""What an admin needs to trust a plugin, and the disabled start of a plugin installed later.

Admin → Plugins names who made a plugin (from its distribution's metadata) and what it adds
(permissions, routes). A plugin present at the first start starts enabled; one that appears
after it starts disabled until an admin enables it (decision 0017). Both backends.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from medianest.plugins.host import PluginState
from medianest.plugins.models import PluginStateRow
from medianest.testing.clients import signed_in
from sample_plugins.everything import Everything
from sample_plugins.misbehaving import Good

MODULE = "medianest_trusted_sample"

PLUGIN_SOURCE = """
from quart import Blueprint

from medianest.sdk import Permission, PluginSpec, hookimpl, ok, requires

plugin = PluginSpec(id="trusted", title="Trusted sample")
blueprint = Blueprint("trusted", __name__)


@blueprint.get("/hello")
@requires("trusted.view")
async def hello():
    return ok({"hello": "there"})


@hookimpl
def register_routes(core):
    return [blueprint]


@hookimpl
def register_permissions(core):
    return [Permission("trusted.view", "See the sample", default_roles=("user",))]
"""

METADATA = """\
Metadata-Version: 2.3
Name: medianest-trusted-sample
Version: 1.2.3
Summary: A sample plugin with full metadata
Author-email: Ann Author <ann@example.org>
Project-URL: Issues, https://example.org/trusted/issues
Project-URL: Homepage, https://example.org/trusted
Requires-Dist: medianest<1,>=0.1
Requires-Dist: pytest>=9; extra == 'test'
"""


@pytest.fixture
def installed_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A plugin module installed as a distribution (a `.dist-info` beside it on sys.path)."""
    site = tmp_path / "site"
    package = site / MODULE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(PLUGIN_SOURCE))
    info = site / "medianest_trusted_sample-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(METADATA)
    (info / "top_level.txt").write_text(f"{MODULE}\n")
    (info / "entry_points.txt").write_text(f"[medianest.plugins]\ntrusted = {MODULE}\n")
    monkeypatch.syspath_prepend(str(site))
    try:
        yield importlib.import_module(MODULE)
    finally:
        sys.modules.pop(MODULE, None)


async def plugins_by_name(admin) -> dict[str, dict]:
    response = await admin.get("/api/admin/plugins")
    assert response.status_code == 200
    return {item["name"]: item for item in (await response.get_json())["data"]["items"]}


async def test_admin_sees_who_made_a_plugin_and_what_it_adds(app_factory, installed_sample):
    app = await app_factory(plugins=[installed_sample])
    admin = await signed_in(app, "root", role="admin")
    entry = (await plugins_by_name(admin))["trusted"]

    assert entry["distribution"] == "medianest-trusted-sample"
    assert entry["version"] == "1.2.3"
    assert entry["author"] == "Ann Author"
    assert entry["homepage"] == "https://example.org/trusted"
    assert entry["requires_core"] == ">=0.1,<1"
    assert entry["state"] == "enabled" and entry["enabled"] is True and entry["error"] is None
    assert entry["permissions"] == [
        {"name": "trusted.view", "description": "See the sample", "default_roles": ["user"]}
    ]
    assert entry["routes"] == [
        {
            "path": "/api/trusted/hello",
            "methods": ["GET"],
            "websocket": False,
            "policy": "user:trusted.view",
        }
    ]
    # The SPEC's shape is kept.
    assert {"name", "version", "description", "state", "error", "enabled", "settings"} <= set(entry)


async def test_a_plugin_without_a_distribution_says_so(app_factory):
    app = await app_factory(plugins=[Everything()])
    admin = await signed_in(app, "root", role="admin")
    entry = (await plugins_by_name(admin))["everything"]
    assert entry["distribution"] is None and entry["author"] is None
    assert entry["homepage"] is None
    paths = {route["path"]: route for route in entry["routes"]}
    assert paths["/api/everything/echo"]["methods"] == ["POST"]
    assert paths["/api/everything/hello"]["policy"] == "public"
    assert [p["name"] for p in entry["permissions"]] == ["everything.use"]


async def test_plugins_present_at_the_first_start_start_enabled(app_factory):
    app = await app_factory(plugins=[Good(), Everything()])
    host = app.extensions["medianest"].host
    assert host.get("good").state is PluginState.ENABLED
    assert host.get("everything").state is PluginState.ENABLED


async def test_a_plugin_installed_after_the_first_start_starts_disabled(app_factory):
    first = await app_factory(plugins=[Good()])
    await app_factory.stop(first)

    second = await app_factory(plugins=[Good(), Everything()])
    host = second.extensions["medianest"].host
    assert host.get("good").state is PluginState.ENABLED
    assert host.get("everything").state is PluginState.DISABLED
    assert not (await PluginStateRow.get(id="everything")).enabled
    closed = await second.test_client().get("/api/everything/hello")
    assert closed.status_code == 404
    assert (await closed.get_json())["error"]["code"] == "PLUGIN_DISABLED"

    admin = await signed_in(second, "root", role="admin")
    assert (await plugins_by_name(admin))["everything"]["state"] == "disabled"
    enabled = await admin.put("/api/admin/plugins/everything", json={"enabled": True})
    assert (await enabled.get_json())["data"]["state"] == "enabled"
    assert (await second.test_client().get("/api/everything/hello")).status_code == 200
    await app_factory.stop(second)

    third = await app_factory(plugins=[Good(), Everything()])
    assert third.extensions["medianest"].host.get("everything").state is PluginState.ENABLED


async def test_an_installation_with_no_plugins_at_first_still_gates_later_ones(app_factory):
    first = await app_factory(plugins=[])
    await app_factory.stop(first)
    second = await app_factory(plugins=[Everything()])
    assert second.extensions["medianest"].host.get("everything").state is PluginState.DISABLED
