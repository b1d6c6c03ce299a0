"""A plugin may declare several named service connections (`PluginSpec.services`): each is its
own row, key and probe, listed and tested under its own name; names are checked at load."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from medianest.config.models import ServiceConnection
from medianest.config.services import key_context
from medianest.plugins.host import PluginState
from medianest.sdk import PluginSpec, ProbeResult, ServiceSpec, StatusProbe, hookimpl
from medianest.testing.clients import signed_in


class TwoServices:
    """Talks to a `<id>_tv` and a `<id>_film` service, one probe each."""

    def __init__(self, plugin_id: str | None = None, names: tuple[str, ...] | None = None) -> None:
        plugin_id = plugin_id or f"pair_{uuid.uuid4().hex[:8]}"
        self.names = names or (f"{plugin_id}_tv", f"{plugin_id}_film")
        self.plugin = PluginSpec(
            id=plugin_id,
            title="Pair",
            services=[ServiceSpec(title=name.upper(), name=name) for name in self.names],
        )
        self.seen: dict[str, Any] = {}

    @hookimpl
    def register_status_probes(self) -> list[StatusProbe]:
        return [StatusProbe(service=name, check=self._check) for name in self.names]

    async def _check(self, core: Any, connection: Any) -> ProbeResult:
        self.seen[connection.name] = connection
        return ProbeResult("online", data={"url": connection.url})


class Single:
    def __init__(self, plugin_id: str, service_name: str | None = None) -> None:
        self.plugin = PluginSpec(
            id=plugin_id, title="One", service=ServiceSpec(title="One", name=service_name)
        )


async def test_each_connection_is_listed_saved_and_probed_under_its_own_name(app_factory):
    pair = TwoServices()
    tv, film = pair.names
    app = await app_factory(plugins=[pair])
    core = app.extensions["medianest"]
    admin = await signed_in(app, "root", role="admin")

    listed = await (await admin.get("/api/admin/services")).get_json()
    views = {item["name"]: item for item in listed["data"]["items"]}
    assert {tv, film} <= set(views) and pair.plugin.id not in views
    assert (views[tv]["title"], views[tv]["plugin_enabled"]) == (tv.upper(), True)

    for name, port in ((tv, 8989), (film, 7878)):
        saved = await admin.put(
            f"/api/admin/services/{name}",
            json={"url": f"http://arr.lan:{port}", "api_key": f"key of {name}"},
        )
        assert saved.status_code == 200, await saved.get_data()

    row = await ServiceConnection.get(name=film)
    assert core.secrets.decrypt(row.api_key, context=key_context(film)) == f"key of {film}"
    await core.status.refresh(tv)
    await core.status.refresh(film)
    assert pair.seen[tv].url == "http://arr.lan:8989" and pair.seen[tv].api_key == f"key of {tv}"
    assert core.status.data(film) == {"url": "http://arr.lan:7878"}

    tested = await admin.post("/api/admin/services/test", json={"name": film})
    assert (await tested.get_json())["data"]["ok"] is True


async def test_disabling_the_plugin_shows_on_every_connection(app_factory):
    pair = TwoServices()
    app = await app_factory(plugins=[pair])
    admin = await signed_in(app, "root", role="admin")

    await admin.put(f"/api/admin/plugins/{pair.plugin.id}", json={"enabled": False})

    listed = await (await admin.get("/api/admin/services")).get_json()
    views = {item["name"]: item for item in listed["data"]["items"]}
    assert [views[name]["plugin_enabled"] for name in pair.names] == [False, False]


@pytest.mark.parametrize(
    ("second", "error"),
    [
        (lambda: TwoServices("late", ("early",)), "already plugin 'early'"),
        (lambda: TwoServices("twice", ("twice_a", "twice_a")), "given twice"),
        (lambda: TwoServices("badname", ("Bad Name",)), "needs a `name`"),
        (lambda: TwoServices("unnamed", ("",)), "needs a `name`"),
        (lambda: Single("squatter", "early"), "already plugin 'early'"),
    ],
)
async def test_connection_names_that_cannot_be_taken_fail_the_plugin(app_factory, second, error):
    plugin = second()
    app = await app_factory(plugins=[Single("early"), plugin])
    host = app.extensions["medianest"].host

    record = host.get(plugin.plugin.id)
    assert record.state is PluginState.FAILED and error in record.error
    assert host.get("early").state is PluginState.ENABLED
